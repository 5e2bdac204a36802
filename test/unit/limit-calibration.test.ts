import { describe, expect, it } from 'vitest';
import { searchMaxRate } from '../../src/capacity/limit-search.js';
import { DEFAULT_START_MESSAGES_PER_SEC, limitedByOf, proposeNextRate, summarizeLimit } from '../../src/capacity/limit.js';
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

describe('what limited the rate', () => {
  const failingProbe = (saturated: boolean, machine: LimitProbe['machine'], cpu: { server: number | null; driver: number | null } = { server: null, driver: null }): LimitProbe =>
    ({ index: 3, ratePerConnection: 400, offeredPerSec: 20_000, achievedPerSec: 12_000, serverCpuPercent: cpu.server, generator: { sendLagP99Ms: saturated ? 40 : 1, eventLoopUtilization: 0.5, saturated, cpuPercent: cpu.driver }, passed: false, reasons: ['throughput: achieved 12.0k msg/s < 95% of 20.0k offered'], machine }) as LimitProbe;
  const quiet = { otherCpuPercent: 3, stealPercent: 0, noisy: false };
  const busy = { otherCpuPercent: 97, stealPercent: 0, noisy: true };

  it('names the server when the failing probe kept its schedule, busy machine or not', () => {
    expect(limitedByOf(failingProbe(false, quiet), false, true, 2)).toBe('server');
    expect(limitedByOf(failingProbe(false, busy), false, true, 2)).toBe('server');
  });

  it('names the generator when it saturated on a quiet machine, the machine when other work took the CPU', () => {
    expect(limitedByOf(failingProbe(true, quiet), false, true, 2)).toBe('generator');
    expect(limitedByOf(failingProbe(true, busy), false, true, 2)).toBe('machine');
    expect(limitedByOf(failingProbe(true, null), false, true, 2)).toBe('generator');
  });

  // Seen on a CI runner: an unpinned server spinning 2000 µs per message took both cores and the driver
  // saturated waiting for one; 'generator' blamed wsbench for the server's CPU.
  it('names the server when it took the cores a saturated driver needed, the machine when both together did', () => {
    const serverTook = failingProbe(true, quiet, { server: 185, driver: 12 });
    expect(limitedByOf(serverTook, false, true, 2)).toBe('server');
    expect(summarizeLimit(200, 10_000, { connections: 50, messageBytes: 256 } as Parameters<typeof summarizeLimit>[2], 50, 50, serverTook, 'server', 2)).toContain('server CPU 185% of one core (2 cores on this machine, the driver used 12%, other processes 3%): the server took the machine\'s CPU and the driver waited for it');
    const shared = failingProbe(true, quiet, { server: 75, driver: 110 });
    expect(limitedByOf(shared, false, true, 2)).toBe('machine');
    expect(summarizeLimit(200, 10_000, { connections: 50, messageBytes: 256 } as Parameters<typeof summarizeLimit>[2], 50, 50, shared, 'machine', 2)).toContain('the limit is this machine, not the server alone: server CPU 75% of one core (2 cores on this machine, the driver used 110%, other processes 3%): together they used the machine\'s cores');
    expect(limitedByOf(failingProbe(true, quiet, { server: 40, driver: 95 }), false, true, 2)).toBe('generator');
    // Steal is CPU the machine did not have to give: 150 + 15 + 4% steal falls short of 180, 150 + 15 + 20% does not.
    expect(limitedByOf(failingProbe(true, { otherCpuPercent: 3, stealPercent: 4, noisy: false }, { server: 150, driver: 15 }), false, true, 2)).toBe('generator');
    expect(limitedByOf(failingProbe(true, { otherCpuPercent: 3, stealPercent: 20, noisy: true }, { server: 150, driver: 15 }), false, true, 2)).toBe('machine');
    expect(limitedByOf(failingProbe(true, { otherCpuPercent: 3, stealPercent: 4.9, noisy: false }, { server: 162, driver: 15 }), false, true, 2)).toBe('server');
  });

  it('says so in the summary, with the other processes\' share of a core', () => {
    const summary = summarizeLimit(200, 10_000, { connections: 50, messageBytes: 256 } as Parameters<typeof summarizeLimit>[2], 50, 50, failingProbe(true, busy), 'machine', 2);
    expect(summary).toContain('the limit is this machine, not the server: other processes used 97% of a core during that probe');
  });

  it('puts a dead server first and a budget spent without a failure last', () => {
    expect(limitedByOf(failingProbe(true, busy), true, true, 2)).toBe('server-died');
    expect(limitedByOf(undefined, false, true, 2)).toBe('probe-budget');
    expect(limitedByOf(undefined, false, false, 2)).toBeNull();
  });
});
