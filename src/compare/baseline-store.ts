import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { writeJsonFile } from '../write-json-file.js';
import type { EnvironmentInfo } from '../run/run-result.js';
import type { FingerprintBasis } from '../metrics/environment.js';
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
  /**
   * How far ahead of its intended time the driver may send (SEND_AHEAD_MS): 0, or absent in files from
   * before it did, is evenly spaced sends. The server's CPU per message and latency depend on it (bursts
   * find its threads awake), so a baseline is of another load under another value.
   */
  sendAheadMs?: number;
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
  /** How the trials were scheduled (realtime-priority.ts); a fresh run is compared under the same. Absent in older files. */
  scheduling?: { realtime: boolean; note: string };
  /**
   * Where the target and the driver ran (result `cpuPinning`; null: not pinned). A fresh run is judged only
   * against a baseline pinned the same way: pinning moves CPU per message by more than a gate. Absent in older files.
   */
  cpuPinning?: BaselinePinning | null;
  /** Every trial's summary and its RTT histogram (HDR, compressed base64, microseconds). */
  trials: Array<{ summary: TrialSummary; histogram: string | null }>;
}

/** The CPUs of the target and of the driver's workers, as results record them. */
export interface BaselinePinning {
  targetCpus: number[];
  driverCpus: number[];
}

/** "target on CPU 0, driver on CPU 1", or "not pinned". */
export function describeBaselinePinning(pinning: BaselinePinning | null | undefined): string {
  if (pinning === undefined) return 'no record of pinning (a file from before wsbench recorded it)';
  if (pinning === null) return 'not pinned';
  return `target on CPU ${pinning.targetCpus.join(',')}, driver on CPU ${pinning.driverCpus.join(',')}`;
}

function samePinning(recorded: BaselinePinning | null | undefined, here: BaselinePinning | null): boolean {
  if (recorded === undefined) return false;
  if (recorded === null || here === null) return recorded === here;
  return recorded.targetCpus.join(',') === here.targetCpus.join(',') && recorded.driverCpus.join(',') === here.driverCpus.join(',');
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

/** Why a baseline file could not be used: named in the report, never a silent "no baseline". */
export type BaselineProblemCode = 'BASELINE_CORRUPT' | 'BASELINE_SCHEMA' | 'BASELINE_OTHER_MACHINE' | 'BASELINE_OTHER_LOAD' | 'BASELINE_OTHER_PINNING' | 'BASELINE_MISSING';

export interface BaselineWarning {
  code: BaselineProblemCode;
  file?: string;
  message: string;
}

/** Reads one baseline file; a corrupt one is a ConfigError (code BASELINE_CORRUPT or BASELINE_SCHEMA) naming the file and what is wrong. */
export function readBaseline(file: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('BASELINE_CORRUPT', `Baseline ${file} is not readable JSON (${error instanceof Error ? error.message : String(error)}); delete it or record it again with \`wsbench baseline record\``);
  }
  const record = value as Record<string, unknown> | null;
  if (typeof record === 'object' && record !== null && record.kind === 'baseline' && record.schemaVersion !== BASELINE_SCHEMA_VERSION) {
    throw new ConfigError(
      'BASELINE_SCHEMA',
      `Baseline ${file} has schemaVersion ${JSON.stringify(record.schemaVersion)}; this wsbench reads ${BASELINE_SCHEMA_VERSION}: record it again with \`wsbench baseline record\``,
    );
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
  | { status: 'found'; file: string; baseline: Baseline; warnings: BaselineWarning[] }
  | { status: 'missing'; reason: string; warnings: BaselineWarning[] };

export interface BaselineQuery {
  target: string;
  scenario: string;
  load: BaselineLoad;
  fingerprint: string;
  /** This machine's fingerprint basis, to name what differs from a baseline's. */
  basis?: FingerprintBasis;
  /** Where this run pins the target and the driver (null: not pinned); a baseline must match. Absent: not checked. */
  cpuPinning?: BaselinePinning | null;
}

/** "cores 4 ≠ 2, kernel 6.1 ≠ 6.18", or the two hashes when either side has no basis. */
function machineDifference(baseline: Baseline, query: BaselineQuery): string {
  const recorded = baseline.env.fingerprintBasis;
  if (recorded === undefined || query.basis === undefined) return `fingerprint ${baseline.env.fingerprint} ≠ this machine's ${query.fingerprint}`;
  const here = query.basis;
  const keys: Array<keyof FingerprintBasis> = ['cpuModel', 'cores', 'kernel', 'node', 'tool'];
  const named = keys
    .filter((key) => String(recorded[key]) !== String(here[key]))
    .map((key) => `${key} ${JSON.stringify(recorded[key])}, here ${JSON.stringify(here[key])}`)
    .join('; ');
  return `fingerprint ${baseline.env.fingerprint} ≠ this machine's ${query.fingerprint}${named === '' ? ' (an older fingerprint scheme)' : `: ${named}`}`;
}

/**
 * The newest baseline for this target and scenario recorded under the same load and on an identical
 * environment fingerprint. Every file that could not be used is a named warning (corrupt, another schema,
 * another machine, another load), whether or not another file was found; nothing is thrown.
 */
export function findBaseline(dir: string, query: BaselineQuery): BaselineLookup {
  const folder = path.dirname(baselineFile(dir, query.target, query.scenario, 'x'));
  const subject = `${query.target} × ${query.scenario}`;
  if (!existsSync(folder)) {
    const reason = `no baseline recorded for ${subject} in ${dir}/`;
    return { status: 'missing', reason, warnings: [{ code: 'BASELINE_MISSING', message: reason }] };
  }
  const warnings: BaselineWarning[] = [];
  const usable: Array<{ file: string; baseline: Baseline }> = [];
  for (const name of readdirSync(folder).filter((entry) => entry.endsWith('.json')).sort()) {
    const file = path.join(folder, name);
    let baseline: Baseline;
    try {
      baseline = readBaseline(file);
    } catch (error) {
      const code = error instanceof ConfigError && error.code === 'BASELINE_SCHEMA' ? 'BASELINE_SCHEMA' : 'BASELINE_CORRUPT';
      const detail = error instanceof ConfigError && error.problems.length > 0 ? ` ${error.problems.join('; ')}` : '';
      warnings.push({ code, file, message: `${error instanceof Error ? error.message : String(error)}${detail}` });
      continue;
    }
    if (!sameBaselineLoad(baseline.load, query.load)) {
      warnings.push({ code: 'BASELINE_OTHER_LOAD', file, message: `${file} was recorded under another load (${describeLoad(baseline.load)}; this run: ${describeLoad(query.load)})` });
    } else if (baseline.env.fingerprint !== query.fingerprint) {
      warnings.push({ code: 'BASELINE_OTHER_MACHINE', file, message: `${file} was recorded on another machine class (${machineDifference(baseline, query)}); record baselines on this one, or compare A/B in one job (--baseline REF)` });
    } else if (query.cpuPinning !== undefined && !samePinning(baseline.cpuPinning, query.cpuPinning)) {
      warnings.push({
        code: 'BASELINE_OTHER_PINNING',
        file,
        message: `${file} was recorded with ${describeBaselinePinning(baseline.cpuPinning)}; this run: ${describeBaselinePinning(query.cpuPinning)}. CPU per message is not comparable across pinnings: record the baseline as bench runs (\`wsbench baseline record\`, with or without --no-pin like this run)`,
      });
    } else {
      usable.push({ file, baseline });
    }
  }
  if (usable.length === 0) {
    const why = warnings.length === 0 ? 'the folder holds no baseline' : warnings.map((w) => w.code).join(', ');
    return { status: 'missing', reason: `no usable baseline for ${subject}: ${why}`, warnings };
  }
  const newest = usable.sort((x, y) => y.baseline.recordedAt.localeCompare(x.baseline.recordedAt))[0]!;
  return { status: 'found', ...newest, warnings };
}

function describeLoad(load: BaselineLoad): string {
  const sendAheadMs = load.sendAheadMs ?? 0;
  const pattern = sendAheadMs === 0 ? 'evenly spaced sends' : `sends up to ${sendAheadMs} ms ahead`;
  return `${load.connections} conns × ${load.ratePerConnection}/s × ${load.messageBytes} B, ${load.durationMs / 1000} s + ${load.warmupMs / 1000} s warm-up, ${pattern}`;
}

function sameBaselineLoad(a: BaselineLoad, b: BaselineLoad): boolean {
  return (
    a.connections === b.connections &&
    a.ratePerConnection === b.ratePerConnection &&
    a.messageBytes === b.messageBytes &&
    a.durationMs === b.durationMs &&
    a.warmupMs === b.warmupMs &&
    (a.sendAheadMs ?? 0) === (b.sendAheadMs ?? 0)
  );
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
