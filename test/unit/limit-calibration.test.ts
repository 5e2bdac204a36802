import { describe, expect, it } from 'vitest';
import { searchMaxRate } from '../../src/capacity/limit-search.js';
import { DEFAULT_START_MESSAGES_PER_SEC, proposeNextRate } from '../../src/capacity/limit.js';
import type { LimitProbe } from '../../src/capacity/limit-result.js';

/**
 * A server of `capacityPerSec` on one core: below capacity it passes and its CPU is proportional to the
 * load; above, it achieves its capacity and fails on throughput. `cpuKnown` false is a --url server.
 */
async function searchAgainst(capacityPerSec: number, cpuKnown: boolean, connections = 1000): Promise<{ maxPerSec: number | null; failPerSec: number | null; probes: number }> {
  const probes: LimitProbe[] = [];
  const outcome = await searchMaxRate(
    { startRate: DEFAULT_START_MESSAGES_PER_SEC / connections, maxProbes: 8, propose: (rate, verdict) => proposeNextRate(probes.at(-1), rate, verdict, connections, 0.95) },
    async (rate, index) => {
      const offeredPerSec = rate * connections;
      const achievedPerSec = Math.min(offeredPerSec, capacityPerSec);
      const passed = offeredPerSec <= capacityPerSec;
      probes.push({ index, ratePerConnection: rate, offeredPerSec, achievedPerSec, serverCpuPercent: cpuKnown ? Math.min(100, (achievedPerSec / capacityPerSec) * 100) : null, passed } as LimitProbe);
      return passed ? 'pass' : 'fail';
    },
  );
  return { maxPerSec: outcome.maxRate === null ? null : outcome.maxRate * connections, failPerSec: outcome.failRate === null ? null : outcome.failRate * connections, probes: outcome.probed.length };
}

describe('limit calibration', () => {
  it.each([[1_000], [5_000], [30_000], [200_000]])('brackets a %i msg/s server within the default 8 probes, with its CPU known', async (capacity) => {
    const { maxPerSec, failPerSec } = await searchAgainst(capacity, true);
    expect(failPerSec).not.toBeNull();
    expect(maxPerSec).not.toBeNull();
    expect(maxPerSec!).toBeLessThanOrEqual(capacity);
    expect(maxPerSec!).toBeGreaterThanOrEqual(capacity * 0.8);
  });

  it.each([[1_000], [5_000], [30_000], [200_000]])('brackets a %i msg/s --url server of unknown CPU within 8 probes (not "the limit is higher")', async (capacity) => {
    const { maxPerSec, failPerSec } = await searchAgainst(capacity, false);
    expect(failPerSec).not.toBeNull();
    expect(maxPerSec).not.toBeNull();
    expect(maxPerSec!).toBeGreaterThanOrEqual(capacity * 0.7);
  });

  it('starts below a slow server and comes down to just under what it achieved when overloaded', async () => {
    const { maxPerSec } = await searchAgainst(400, false, 100);
    expect(maxPerSec).not.toBeNull();
    expect(maxPerSec!).toBeGreaterThanOrEqual(300);
    expect(maxPerSec!).toBeLessThanOrEqual(400);
  });
});
