import { UsageError } from '../errors.js';
import { formatLimit } from './format-limit.js';

/**
 * Bounds on what one scenario may ask for: values past them are typos (`--rate 1000000000`, `--size 2000MB`,
 * `--timeout 0ms`), not loads anyone can offer, and are refused before anything starts, with the limit named.
 */
export const LOAD_LIMITS = {
  /** A connection at 10,000 msg/s is already a flood; past it the driver, not the server, is measured. */
  maxRatePerConnection: 10_000,
  /** The whole offered load; this 2-core class of machine drives ~200K msg/s at most. */
  maxOfferedPerSec: 2_000_000,
  /** The driver's client refuses frames larger than this (ws maxPayload). */
  maxMessageBytes: 64 * 1024 * 1024,
  /** Below this a healthy loopback echo times out on scheduling noise alone. */
  minMessageTimeoutMs: 10,
  maxDurationMs: 24 * 60 * 60 * 1000,
  /** Driver processes: more than a few per core only add context switches. */
  maxWorkers: 64,
} as const;

export interface LoadValues {
  connections?: number | undefined;
  ratePerConnection?: number | undefined;
  messageBytes?: number | undefined;
  durationMs?: number | undefined;
  messageTimeoutMs?: number | undefined;
  workers?: number | undefined;
}

/** Every value past its bound, one message each (empty: all within bounds). `names` maps fields to the flag or config key. */
export function loadLimitProblems(values: LoadValues, names: Partial<Record<keyof LoadValues, string>> = {}): string[] {
  const name = (field: keyof LoadValues, fallback: string): string => names[field] ?? fallback;
  const problems: string[] = [];
  const { ratePerConnection, messageBytes, durationMs, messageTimeoutMs, workers, connections } = values;
  if (ratePerConnection !== undefined && ratePerConnection > LOAD_LIMITS.maxRatePerConnection) {
    problems.push(`${name('ratePerConnection', '--rate')} ${ratePerConnection} is more than the ${formatLimit(LOAD_LIMITS.maxRatePerConnection)} msg/s per connection wsbench allows; for more load add connections (--connections), e.g. --rate 100`);
  }
  if (ratePerConnection !== undefined && connections !== undefined && connections * ratePerConnection > LOAD_LIMITS.maxOfferedPerSec) {
    problems.push(`${connections} connections × ${ratePerConnection} msg/s offers ${formatLimit(connections * ratePerConnection)} msg/s, more than the ${formatLimit(LOAD_LIMITS.maxOfferedPerSec)} msg/s one machine can drive; lower --rate or --connections, or split the load with --shards`);
  }
  if (messageBytes !== undefined && messageBytes > LOAD_LIMITS.maxMessageBytes) {
    problems.push(`${name('messageBytes', '--size')} ${messageBytes} bytes is more than the largest message wsbench sends (64 MiB); give e.g. --size 4KiB`);
  }
  if (durationMs !== undefined && durationMs <= 0) problems.push(`${name('durationMs', '--duration')} must be longer than 0; give e.g. 10s`);
  if (durationMs !== undefined && durationMs > LOAD_LIMITS.maxDurationMs) problems.push(`${name('durationMs', '--duration')} ${durationMs} ms is more than 24 h; give e.g. 10m`);
  if (messageTimeoutMs !== undefined && messageTimeoutMs < LOAD_LIMITS.minMessageTimeoutMs) {
    problems.push(`${name('messageTimeoutMs', '--timeout')} ${messageTimeoutMs} ms is shorter than ${LOAD_LIMITS.minMessageTimeoutMs} ms, under which every echo times out on scheduling noise alone; give e.g. 5s`);
  }
  if (workers !== undefined && workers > LOAD_LIMITS.maxWorkers) problems.push(`${name('workers', '--workers')} ${workers} is more than ${LOAD_LIMITS.maxWorkers} driver processes; leave it out and wsbench plans them from the connections and the fd limit`);
  return problems;
}

export function checkLoadLimits(values: LoadValues, names?: Partial<Record<keyof LoadValues, string>>): void {
  const problems = loadLimitProblems(values, names);
  if (problems.length === 1) throw new UsageError('VALUE_OUT_OF_RANGE', problems[0]!);
  if (problems.length > 1) throw new UsageError('VALUE_OUT_OF_RANGE', `These values are out of range:\n  - ${problems.join('\n  - ')}`);
}
