import path from 'node:path';
import { writeJsonFile } from '../write-json-file.js';
import { writeFileAtomic } from '../write-file-atomic.js';
import { renderHtmlReport } from './html-report.js';
import type { ReportInput } from './report-input.js';

/** Where stored results go unless told otherwise: the seed's layout. */
export const DEFAULT_RESULTS_DIR = 'results';

export interface StoredResultPaths {
  /** `results/run_<YYYY-MM-DD_HHMMSS>.json` */
  json: string;
  /** `results/charts/run_<YYYY-MM-DD_HHMMSS>.html` */
  charts: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-24_214250`, in UTC so names sort the same on every machine. */
export function resultStamp(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}_${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

/** When the result was measured: its `startedAt` (a comparison's first trial's), else now. */
function measuredAt(result: ReportInput, now: () => Date): Date {
  const startedAt = result.kind === 'compare' ? result.trials[0]?.result.startedAt : result.startedAt;
  const started = startedAt === undefined ? Number.NaN : Date.parse(startedAt);
  return Number.isNaN(started) ? now() : new Date(started);
}

/** The paths a result is stored at, without writing anything. */
export function storedResultPaths(dir: string, result: ReportInput, now: () => Date = () => new Date()): StoredResultPaths {
  const name = `${result.kind}_${resultStamp(measuredAt(result, now))}`;
  return { json: path.join(dir, `${name}.json`), charts: path.join(dir, 'charts', `${name}.html`) };
}

/**
 * Stores a result as the seed did: the JSON under `dir`, its HTML charts under `dir/charts`. Returns both
 * paths. Named after the kind (`run_`, `ramp_`, `compare_`) and the start time, to the second.
 */
export function writeStoredResult(dir: string = DEFAULT_RESULTS_DIR, result: ReportInput, now: () => Date = () => new Date()): StoredResultPaths {
  const paths = storedResultPaths(dir, result, now);
  writeJsonFile(paths.json, result);
  writeFileAtomic(paths.charts, renderHtmlReport(result));
  return paths;
}
