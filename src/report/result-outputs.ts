import { renderHtmlReport } from './html-report.js';
import { writeJsonFile } from '../write-json-file.js';
import { renderMarkdownReport } from './markdown-report.js';
import { checkOutputPaths, outputRequests } from '../output-path.js';
import type { ReportInput } from './report-input.js';
import { writeStoredResult } from './results-store.js';
import { writeFileAtomic } from '../write-file-atomic.js';
import { outputFailure, writeOutputs } from './write-outputs.js';
import type { OutputTask } from './write-outputs.js';
import type { InfrastructureError } from '../errors.js';

/** Where a command was asked to write its result (`--json`, `--html`, `--md`, `--results-dir`/`--save`). */
export interface ResultOutputPaths {
  json?: string | undefined;
  html?: string | undefined;
  md?: string | undefined;
  /** The seed's layout: `DIR/<kind>_<date>.json` and `DIR/charts/…html`. */
  resultsDir?: string | undefined;
  /** The flag that named `resultsDir`, for messages (default `--results-dir`). */
  resultsDirFlag?: string;
}

/** Checks every output before any load: exit 2 naming the path and the fix. */
export function checkResultOutputs(paths: ResultOutputPaths): void {
  checkOutputPaths(outputRequests([['--json', paths.json], ['--html', paths.html], ['--md', paths.md], [paths.resultsDirFlag ?? '--results-dir', paths.resultsDir, 'dir']]));
}

/**
 * Writes every requested form of a result, each independently (one failing does not stop the others);
 * returns what was written and, when something was not, the error to end with.
 */
export function writeResultOutputs<T extends object>(result: T, paths: T extends ReportInput ? ResultOutputPaths : Pick<ResultOutputPaths, 'json'>): { written: string[]; failure: InfrastructureError | undefined } {
  const { json, html, md, resultsDir } = paths as ResultOutputPaths;
  const report = result as ReportInput; // only rendered when the paths type allowed html/md/resultsDir
  const tasks: OutputTask[] = [
    ...(json === undefined ? [] : [{ label: `--json ${json}`, write: () => (writeJsonFile(json, result), [json]) }]),
    ...(html === undefined ? [] : [{ label: `--html ${html}`, write: () => (writeFileAtomic(html, renderHtmlReport(report)), [html]) }]),
    ...(md === undefined ? [] : [{ label: `--md ${md}`, write: () => (writeFileAtomic(md, renderMarkdownReport(report)), [md]) }]),
    ...(resultsDir === undefined ? [] : [{ label: `${(paths as ResultOutputPaths).resultsDirFlag ?? '--results-dir'} ${resultsDir}`, write: () => Object.values(writeStoredResult(resultsDir, report)) }]),
  ];
  const { written, failures } = writeOutputs(tasks);
  return { written, failure: outputFailure(failures) };
}
