import type { LimitResult } from '../capacity/limit-result.js';
import type { RampResult } from '../capacity/ramp-result.js';
import { ConfigError } from '../errors.js';
import type { RunResult } from '../run/run-result.js';
import type { ComparisonReport } from '../compare/comparison-report.js';

/** Anything `wsbench report` can render, told apart by `kind`. */
export type ReportInput = RunResult | RampResult | LimitResult | ComparisonReport;

export const REPORT_KINDS = ['run', 'ramp', 'limit', 'compare'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The fields each kind's renderers read without checking; all are listed when missing, with their path. */
const REQUIRED: Readonly<Record<ReportInput['kind'], Record<string, 'object' | 'array' | 'string'>>> = {
  run: { target: 'object', scenario: 'object', throughput: 'object', connections: 'object', messages: 'object', generator: 'object', server: 'object', timeline: 'array' },
  ramp: { target: 'object', ramp: 'object', steps: 'array', verdict: 'object' },
  limit: { target: 'object', search: 'object', probes: 'array' },
  compare: { comparison: 'object', trials: 'array' },
};

/**
 * Checks a parsed result file enough to render it: a `schemaVersion`, a known `kind` and the top-level
 * fields that kind's report reads. Throws a ConfigError naming the file and every problem.
 */
export function parseReportInput(value: unknown, file: string): ReportInput {
  if (!isObject(value)) {
    throw new ConfigError('INVALID_RESULT_FILE', `${file} is not a wsbench result: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const problems: string[] = [];
  if (typeof value.schemaVersion !== 'number') problems.push(`schemaVersion: expected a number, got ${value.schemaVersion === undefined ? 'nothing' : JSON.stringify(value.schemaVersion)}`);
  const kind = value.kind;
  if (typeof kind !== 'string' || !(REPORT_KINDS as readonly string[]).includes(kind)) {
    problems.push(`kind: expected one of ${REPORT_KINDS.map((k) => `"${k}"`).join(', ')}, got ${kind === undefined ? 'nothing' : JSON.stringify(kind)}`);
  } else {
    for (const [field, type] of Object.entries(REQUIRED[kind as ReportInput['kind']])) {
      const present = type === 'array' ? Array.isArray(value[field]) : type === 'object' ? isObject(value[field]) : typeof value[field] === 'string';
      if (!present) problems.push(`${field}: expected ${type === 'array' ? 'an array' : `an ${type}`} in a "${kind}" result, got ${value[field] === undefined ? 'nothing' : JSON.stringify(value[field]).slice(0, 40)}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError('INVALID_RESULT_FILE', `${file} is not a wsbench result file (written by wsbench run, ramp, limit or compare --json)`, problems);
  }
  return value as unknown as ReportInput;
}

/** Parses the text of a result file; invalid JSON is a ConfigError that says where. */
export function parseReportJson(text: string, file: string): ReportInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('INVALID_RESULT_FILE', `${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}. Give a JSON file written by wsbench run, ramp or compare with --json`, [], { cause: error });
  }
  return parseReportInput(value, file);
}
