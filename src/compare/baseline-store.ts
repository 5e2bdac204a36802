import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { writeJsonFile } from '../write-json-file.js';
import type { EnvironmentInfo } from '../run/run-result.js';
import type { TrialSummary } from './trial-summary.js';

/**
 * Recorded baselines: one small file per target × scenario × commit, `baselines/<target>/<scenario>/<commit>.json`,
 * never one growing file, so concurrent recordings never conflict and history is plain git history.
 */
export const BASELINE_SCHEMA_VERSION = 1;
export const DEFAULT_BASELINES_DIR = 'baselines';

/** The offered load a baseline was measured under; a stored comparison needs the same. */
export interface BaselineLoad {
  connections: number;
  ratePerConnection: number;
  messageBytes: number;
  durationMs: number;
  warmupMs: number;
}

export interface Baseline {
  schemaVersion: number;
  kind: 'baseline';
  target: string;
  scenario: string;
  load: BaselineLoad;
  commit: string;
  tag: string | null;
  recordedAt: string;
  env: EnvironmentInfo;
  tool: { name: string; version: string };
  /** Every trial's summary and its RTT histogram (HDR, compressed base64, microseconds). */
  trials: Array<{ summary: TrialSummary; histogram: string | null }>;
}

/** Folder names from free text: a target SPEC like `gobwas:model=epoll` becomes `gobwas_model=epoll`. */
function safeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9._=-]+/g, '_');
}

export function baselineFile(dir: string, target: string, scenario: string, commit: string): string {
  return path.join(dir, safeSegment(target), safeSegment(scenario), `${commit.slice(0, 12)}.json`);
}

export function writeBaseline(dir: string, baseline: Baseline): string {
  const file = baselineFile(dir, baseline.target, baseline.scenario, baseline.commit);
  writeJsonFile(file, baseline);
  return file;
}

/** Reads one baseline file; a corrupt one is a ConfigError naming the file and what is wrong with it. */
export function readBaseline(file: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('BASELINE_CORRUPT', `Baseline ${file} is not readable JSON (${error instanceof Error ? error.message : String(error)}); delete it or record it again with \`wsbench baseline record\``);
  }
  const problems = baselineProblems(value);
  if (problems.length > 0) throw new ConfigError('BASELINE_CORRUPT', `Baseline ${file} is not a wsbench baseline; delete it or record it again:`, problems);
  return value as Baseline;
}

function baselineProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['expected a JSON object'];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  if (record.kind !== 'baseline') problems.push(`kind: expected "baseline", got ${JSON.stringify(record.kind)}`);
  if (record.schemaVersion !== BASELINE_SCHEMA_VERSION) problems.push(`schemaVersion: expected ${BASELINE_SCHEMA_VERSION}, got ${JSON.stringify(record.schemaVersion)}`);
  for (const key of ['target', 'scenario', 'commit', 'recordedAt'] as const) {
    if (typeof record[key] !== 'string') problems.push(`${key}: expected a string, got ${JSON.stringify(record[key])}`);
  }
  const env = record.env as Record<string, unknown> | undefined;
  if (typeof env?.fingerprint !== 'string') problems.push('env.fingerprint: expected a string');
  const load = record.load as Record<string, unknown> | undefined;
  for (const key of ['connections', 'ratePerConnection', 'messageBytes', 'durationMs', 'warmupMs'] as const) {
    if (typeof load?.[key] !== 'number') problems.push(`load.${key}: expected a number`);
  }
  if (!Array.isArray(record.trials) || record.trials.length === 0) problems.push('trials: expected a non-empty array');
  else {
    record.trials.forEach((trial, index) => {
      const summary = (trial as { summary?: Record<string, unknown> } | null)?.summary;
      if (typeof summary?.achievedPerSec !== 'number') problems.push(`trials[${index}].summary.achievedPerSec: expected a number`);
    });
  }
  return problems;
}

export type BaselineLookup =
  | { status: 'found'; file: string; baseline: Baseline }
  | { status: 'missing'; reason: string }
  | { status: 'corrupt'; file: string; reason: string };

/**
 * The newest baseline for this target and scenario recorded under the same load and on an identical
 * environment fingerprint. Anything else is "no baseline" with the reason; a corrupt file is reported, never thrown.
 */
export function findBaseline(dir: string, query: { target: string; scenario: string; load: BaselineLoad; fingerprint: string }): BaselineLookup {
  const folder = path.dirname(baselineFile(dir, query.target, query.scenario, 'x'));
  if (!existsSync(folder)) return { status: 'missing', reason: `no baseline recorded for ${query.target} × ${query.scenario} in ${dir}/` };
  const candidates: Array<{ file: string; baseline: Baseline }> = [];
  for (const name of readdirSync(folder).filter((entry) => entry.endsWith('.json'))) {
    const file = path.join(folder, name);
    try {
      candidates.push({ file, baseline: readBaseline(file) });
    } catch (error) {
      return { status: 'corrupt', file, reason: error instanceof Error ? error.message : String(error) };
    }
  }
  const sameLoad = candidates.filter(({ baseline }) => sameBaselineLoad(baseline.load, query.load));
  const sameMachine = sameLoad.filter(({ baseline }) => baseline.env.fingerprint === query.fingerprint);
  if (sameMachine.length === 0) {
    const why =
      candidates.length === 0
        ? 'the folder holds no baseline'
        : sameLoad.length === 0
          ? `${candidates.length} baseline(s) were recorded under another load`
          : `${sameLoad.length} baseline(s) were recorded on another environment (fingerprint ${sameLoad.map(({ baseline }) => baseline.env.fingerprint).join(', ')} ≠ ${query.fingerprint}); compare A/B in one job instead (--baseline REF)`;
    return { status: 'missing', reason: `no usable baseline for ${query.target} × ${query.scenario}: ${why}` };
  }
  const newest = sameMachine.sort((x, y) => y.baseline.recordedAt.localeCompare(x.baseline.recordedAt))[0]!;
  return { status: 'found', ...newest };
}

function sameBaselineLoad(a: BaselineLoad, b: BaselineLoad): boolean {
  return a.connections === b.connections && a.ratePerConnection === b.ratePerConnection && a.messageBytes === b.messageBytes && a.durationMs === b.durationMs && a.warmupMs === b.warmupMs;
}

/** Every baseline under `dir`, for `wsbench baseline show`; corrupt files are listed with their problem. */
export function listBaselines(dir: string): Array<{ file: string; baseline?: Baseline; problem?: string }> {
  if (!existsSync(dir)) return [];
  const found: Array<{ file: string; baseline?: Baseline; problem?: string }> = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.json')) {
        try {
          found.push({ file: full, baseline: readBaseline(full) });
        } catch (error) {
          found.push({ file: full, problem: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  };
  walk(dir);
  return found.sort((x, y) => x.file.localeCompare(y.file));
}
