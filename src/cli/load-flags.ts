import { UsageError } from '../errors.js';
import type { Pacer } from '../driver/worker-protocol.js';
import type { RunOptions } from '../scenario/run-options.js';
import { TRAFFIC_FLAGS, TRAFFIC_FLAGS_USAGE, parseTrafficFlags } from './traffic-flags.js';
import { checkLoadLimits } from '../scenario/load-limits.js';
import { parseBytes, parseDurationMs, parsePositiveInteger, parsePositiveNumber } from '../units.js';

/** The flags that shape the offered load, shared by `run`, `compare` and `bench` (as overrides). */
export const LOAD_FLAGS = {
  connections: { type: 'string' },
  rate: { type: 'string' },
  size: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  timeout: { type: 'string' },
  workers: { type: 'string' },
  pacer: { type: 'string' },
  ...TRAFFIC_FLAGS,
} as const;

export const LOAD_FLAGS_USAGE = `  --connections N      concurrent connections
  --rate R             messages per second per connection
  --size BYTES         message size, e.g. 256, 1KB, 4KiB
  --duration D         total load time including warm-up, e.g. 10s
  --warmup D           leading part excluded from the statistics
  --timeout D          a message not echoed within this counts as timed out (default 5s)
  --workers N          driver processes (default: planned from connections and the fd limit)
  --pacer precise|timer  how the driver wakes for due sends: a helper thread (sub-ms send lag,
                       the default) or Node's 1 ms timers (less CPU per message)
${TRAFFIC_FLAGS_USAGE}`;

type LoadFlagValues = { [K in Exclude<keyof typeof LOAD_FLAGS, keyof typeof TRAFFIC_FLAGS>]?: string } & Parameters<typeof parseTrafficFlags>[0];

/** The load flags the user gave, parsed and checked; absent flags stay absent (defaults apply later). */
export function parseLoadFlags(values: LoadFlagValues): RunOptions {
  const options: RunOptions = {
    ...(values.connections === undefined ? {} : { connections: parsePositiveInteger(values.connections, '--connections') }),
    ...(values.rate === undefined ? {} : { ratePerConnection: parsePositiveNumber(values.rate, '--rate') }),
    ...(values.size === undefined ? {} : { messageBytes: parseBytes(values.size, '--size') }),
    ...(values.duration === undefined ? {} : { durationMs: parseDurationMs(values.duration, '--duration') }),
    ...(values.warmup === undefined ? {} : { warmupMs: parseDurationMs(values.warmup, '--warmup') }),
    ...(values.timeout === undefined ? {} : { messageTimeoutMs: parseDurationMs(values.timeout, '--timeout') }),
    ...(values.workers === undefined ? {} : { workers: parsePositiveInteger(values.workers, '--workers') }),
    ...(values.pacer === undefined ? {} : { pacer: parsePacer(values.pacer) }),
    ...parseTrafficFlags(values),
  };
  checkLoadLimits(options);
  return options;
}

function parsePacer(value: string): Pacer {
  if (value !== 'precise' && value !== 'timer') throw new UsageError('INVALID_PACER', `Expected --pacer to be precise or timer; got ${JSON.stringify(value)}. Give --pacer precise (the default) or --pacer timer`);
  return value;
}
