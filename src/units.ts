import { UsageError, describeValue } from './errors.js';

/**
 * Parsers for the values users type: durations (`500ms`, `10s`, `2m`), sizes (`256`, `1KB`, `4KiB`, `1MB`)
 * and counts. Each error names the option, what was expected, what was received, and an example.
 */

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const SIZE_UNITS_BYTES: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1024 * 1024 };

export function parseDurationMs(value: string | number, option: string): number {
  const negative = negativeProblem(value, option, '10s or 500ms');
  if (negative !== undefined) throw negative;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/i.exec(String(value));
  if (match === null) {
    throw new UsageError('INVALID_DURATION', `Expected ${option} to be a duration with a unit (ms, s or m), e.g. 10s or 500ms; got ${describeValue(value)}`);
  }
  return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2]!.toLowerCase()]!);
}

export function parseBytes(value: string | number, option: string): number {
  const negative = negativeProblem(value, option, '256 or 4KiB');
  if (negative !== undefined) throw negative;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib)?\s*$/i.exec(String(value));
  const bytes = match === null ? Number.NaN : Number(match[1]) * SIZE_UNITS_BYTES[(match[2] ?? 'b').toLowerCase()]!;
  if (!Number.isInteger(bytes)) {
    throw new UsageError('INVALID_SIZE', `Expected ${option} to be a size in bytes, optionally with a unit (B, KB, KiB, MB, MiB), e.g. 256 or 4KiB; got ${describeValue(value)}`);
  }
  return bytes;
}

/** `-5` for a count or rate: the problem is the sign, so say that first. */
function negativeProblem(value: string | number, option: string, example: string): UsageError | undefined {
  const negative = typeof value === 'number' ? value < 0 : /^\s*-\s*\d/.test(value);
  return negative ? new UsageError('NEGATIVE_VALUE', `${option} must be positive; got ${describeValue(value)}. Give e.g. ${example}`) : undefined;
}

export function parsePositiveInteger(value: string | number, option: string): number {
  const negative = negativeProblem(value, option, '1000');
  if (negative !== undefined) throw negative;
  const number = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new UsageError('INVALID_INTEGER', `Expected ${option} to be a positive integer, e.g. 1000; got ${describeValue(value)}`);
  }
  return number;
}

export function parsePositiveNumber(value: string | number, option: string): number {
  const negative = negativeProblem(value, option, '10 or 0.5');
  if (negative !== undefined) throw negative;
  const number = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number <= 0) {
    throw new UsageError('INVALID_NUMBER', `Expected ${option} to be a positive number, e.g. 10 or 0.5; got ${describeValue(value)}`);
  }
  return number;
}

/** A share between 0 and 1 (`0.01`), for `option`. */
export function parseFraction(value: string, option: string): number {
  const number = /^\s*\d*(\.\d+)?\s*$/.test(value) && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!(number >= 0 && number <= 1)) throw new UsageError('INVALID_FRACTION', `Expected ${option} to be a fraction between 0 and 1, e.g. 0.01; got ${JSON.stringify(value)}`);
  return number;
}
