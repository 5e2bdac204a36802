import { describe, expect, it } from 'vitest';
import { roundRate, searchMaxRate } from '../../src/capacity/limit-search.js';
import type { ProbeVerdict } from '../../src/capacity/limit-search.js';

/** A synthetic server: every rate up to `capacity` holds. */
const oracle = (capacity: number) => async (rate: number): Promise<ProbeVerdict> => (rate <= capacity ? 'pass' : 'fail');

describe('limit search', () => {
  it.each([3.7, 17, 100, 450, 1234])('converges on a capacity of %s within 8 probes', async (capacity) => {
    const outcome = await searchMaxRate({ startRate: 1, maxProbes: 16 }, oracle(capacity));
    expect(outcome.maxRate).not.toBeNull();
    expect(outcome.maxRate!).toBeLessThanOrEqual(capacity);
    expect(outcome.failRate!).toBeGreaterThan(capacity);
    expect((outcome.failRate! - outcome.maxRate!) / outcome.maxRate!).toBeLessThanOrEqual(0.06);
  });

  it('never spends more than the probe budget, and brackets the capacity with what it spent', async () => {
    let probes = 0;
    const outcome = await searchMaxRate({ startRate: 1, maxProbes: 8 }, async (rate) => {
      probes += 1;
      return oracle(100)(rate);
    });
    expect(probes).toBeLessThanOrEqual(8);
    expect(outcome.probed).toHaveLength(probes);
    expect(outcome.maxRate!).toBeGreaterThanOrEqual(64);
    expect(outcome.maxRate!).toBeLessThanOrEqual(100);
    expect(outcome.failRate!).toBeGreaterThan(100);
    expect(outcome.failRate!).toBeLessThanOrEqual(128);
  });

  it('searches downwards when the first probe fails', async () => {
    const outcome = await searchMaxRate({ startRate: 10, maxProbes: 10 }, oracle(0.7));
    expect(outcome.maxRate!).toBeLessThanOrEqual(0.7);
    expect(outcome.maxRate!).toBeGreaterThan(0.6);
    expect(outcome.probed.slice(0, 5).map((probe) => probe.verdict)).toEqual(['fail', 'fail', 'fail', 'fail', 'pass']);
  });

  it('reports no rate when nothing passes within the budget', async () => {
    const outcome = await searchMaxRate({ startRate: 1, maxProbes: 3 }, async () => 'fail');
    expect(outcome).toMatchObject({ maxRate: null, failRate: 0.25, aborted: false });
  });

  it('reports no failing rate when everything passes', async () => {
    const outcome = await searchMaxRate({ startRate: 1, maxProbes: 4 }, async () => 'pass');
    expect(outcome).toMatchObject({ maxRate: 8, failRate: null });
  });

  it('stops at once when a probe aborts (the server died)', async () => {
    const outcome = await searchMaxRate({ startRate: 1, maxProbes: 8 }, async (rate) => (rate >= 4 ? 'abort' : 'pass'));
    expect(outcome).toMatchObject({ maxRate: 2, aborted: true });
    expect(outcome.probed).toHaveLength(3);
  });

  it('rounds probe rates to three significant digits', () => {
    expect(roundRate(96.00000001)).toBe(96);
    expect(roundRate(1234.5)).toBe(1230);
    expect(roundRate(0.123456)).toBe(0.123);
  });
});
