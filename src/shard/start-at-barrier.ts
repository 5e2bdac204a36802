import { InfrastructureError } from '../errors.js';
import type { BarrierOutcome, StartBarrier } from '../run/start-barrier.js';
import { BARRIER_RETURN_LEAD_MS, sleepUntil, systemClock } from './barrier-clock.js';
import type { WallClock } from './barrier-clock.js';
import { shardName } from './shard-spec.js';

/**
 * `--start-at EPOCH_MS`: every shard opens its connections, then starts at the same wall-clock time.
 * Needs no service at all (GitHub Actions passes one time to every matrix job); it trusts the hosts'
 * clocks (NTP) and fails a shard that is still connecting at the start time instead of letting it start late.
 */
export function startAtBarrier(options: { startAtEpochMs: number; shard: { index: number; count: number }; clock?: WallClock }): StartBarrier {
  const clock = options.clock ?? systemClock;
  const name = shardName(options.shard.index, options.shard.count);
  return {
    kind: 'start-at',
    describe: () => `the common start at ${new Date(options.startAtEpochMs).toISOString()} (--start-at)`,
    async wait({ established, signal }): Promise<BarrierOutcome> {
      const lateByMs = clock() - (options.startAtEpochMs - BARRIER_RETURN_LEAD_MS);
      if (lateByMs > 0) {
        throw new InfrastructureError(
          'SHARD_LATE',
          `${name} reached the start barrier ${Math.round(lateByMs + BARRIER_RETURN_LEAD_MS)} ms after --start-at ${options.startAtEpochMs} ` +
            `(${new Date(options.startAtEpochMs).toISOString()}) with ${established} connections open, so it cannot measure the common window; ` +
            `give a --start-at further ahead (time to open the connections, plus margin), or check this host's clock`,
        );
      }
      await sleepUntil(options.startAtEpochMs - BARRIER_RETURN_LEAD_MS, clock, signal);
      return { startEpochMs: options.startAtEpochMs, clockOffsetMs: null };
    },
  };
}
