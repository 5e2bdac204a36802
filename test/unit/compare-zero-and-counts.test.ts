import { describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/compare/comparison.js';
import { binomialUpperTail, clopperPearson, rateRatioTest } from '../../src/compare/rate-ratio-test.js';
import { interleavedSchedule } from '../../src/compare/schedule.js';
import type { TrialSummary } from '../../src/compare/trial-summary.js';
import { compareTrials, type CompareOptions } from '../../src/compare/verdict.js';

/** A/A-like trials with a little noise on the ratio metrics and the GC cycles each window counted. */
function trials(pairs: number, gc: (arm: 'a' | 'b', index: number) => number, allocs: (arm: 'a' | 'b', index: number) => number = () => 1): TrialSummary[] {
  return interleavedSchedule(pairs).map((arm, index) => {
    const wobble = 1 + 0.002 * Math.sin(index * 1.7);
    const messages = 15_000;
    return {
      arm,
      index,
      status: 'completed',
      achievedPerSec: 5000 * wobble,
      p50Ms: 0.4 * wobble,
      p99Ms: 2 * wobble,
      errors: 0,
      attempted: 20_000,
      errorRate: 0,
      saturated: false,
      saturationReasons: [],
      serverCpuMicrosPerMessage: 20 * wobble,
      serverMemoryBytesPerConnection: 9000 * wobble,
      serverAllocBytesPerMessage: 30 * wobble,
      serverAllocsPerMessage: allocs(arm, index),
      serverGcPer10kMessages: (gc(arm, index) / messages) * 10_000,
      serverGcCycles: gc(arm, index),
      serverMessages: messages,
    };
  });
}

const compare = (input: readonly TrialSummary[], options?: CompareOptions): Comparison =>
  compareTrials({ scenario: 's', arms: { a: { spec: 'gobwas' }, b: { spec: 'gobwas' } }, trials: input }, options);
const row = (comparison: Comparison, metric: string) => comparison.metrics.find((m) => m.metric === metric)!;

describe('a metric that is 0 or identical in both arms', () => {
  it('is no change, so an A/A comparison without a single GC cycle can PASS', () => {
    const comparison = compare(trials(4, () => 0));
    expect(row(comparison, 'gcPer10kMessages')).toMatchObject({ verdict: 'PASS', changePercent: 0, method: 'exact-poisson-rate' });
    expect(row(comparison, 'gcPer10kMessages').reason).toBe('no change: no GC cycle in any measured window of either arm');
    expect(comparison.verdict).toBe('PASS');
  });

  it('is no change against a recorded baseline too (unpaired)', () => {
    const comparison = compare(trials(4, () => 0), { design: 'unpaired', stages: 1 });
    expect(row(comparison, 'gcPer10kMessages').verdict).toBe('PASS');
    expect(comparison.verdict).toBe('PASS');
  });

  it('passes a ratio metric whose every trial measured the same value, naming it', () => {
    const comparison = compare(trials(4, () => 0, () => 1));
    expect(row(comparison, 'allocsPerMessage')).toMatchObject({ verdict: 'PASS', changePercent: 0, ciHighPercent: 0, method: 'none' });
    expect(row(comparison, 'allocsPerMessage').reason).toBe('no change: every one of 4 pair(s) measured 1 allocs/msg in both arms');
  });

  it('counts pairs with equal values as log-ratio 0 beside pairs that moved', () => {
    // Two pairs equal at 1, two where B allocates 30% more: the estimate sits between, over 4 pairs.
    const comparison = compare(trials(4, () => 0, (arm, index) => (arm === 'b' && index >= 4 ? 1.3 : 1)));
    const allocs = row(comparison, 'allocsPerMessage');
    expect(allocs.pairs).toBe(4);
    expect(allocs.method).toBe('paired-t-log-ratio');
    expect(allocs.changePercent).toBeCloseTo(100 * (Math.sqrt(1.3) - 1), 6);
  });
});

describe('GC cycles, judged as counts per message', () => {
  it('fails a rise from no cycle to 3 per window over 5 pairs', () => {
    const gc = row(compare(trials(5, (arm) => (arm === 'b' ? 3 : 0))), 'gcPer10kMessages');
    expect(gc.verdict).toBe('FAIL');
    expect(gc.changePercent).toBeNull();
    expect(gc.ciHighPercent).toBeNull();
    expect(gc.pValue).toBeCloseTo(0.5 ** 15, 12);
    expect(gc.reason).toMatch(/^a rise from 0 to 15 \(0 cycle\(s\) in 5 A trial\(s\), 15 in 5 B trial\(s\); 95% CI \+\d+(\.\d)?% to unbounded, one-sided p < 0.0001\) is significant \(p < 0.0025\) and beyond the \+25% gate$/);
  });

  it('is INCONCLUSIVE, not FAIL, when a window now and then holds one cycle more in either arm', () => {
    const gc = row(compare(trials(5, (arm, index) => (index % 3 === 0 ? 1 : 0))), 'gcPer10kMessages');
    expect(gc.verdict).toBe('INCONCLUSIVE');
    expect(gc.reason).toMatch(/too few cycles to tell against the \+25% gate/);
  });

  it('passes the same count in every window of both arms', () => {
    expect(row(compare(trials(5, () => 2)), 'gcPer10kMessages')).toMatchObject({ verdict: 'PASS', changePercent: 0 });
  });
});

describe('the exact rate-ratio test', () => {
  it('matches the binomial tail and the Clopper–Pearson bounds of textbook cases', () => {
    expect(binomialUpperTail(3, 3, 0.5)).toBeCloseTo(0.125, 12);
    expect(binomialUpperTail(0, 7, 0.3)).toBe(1);
    expect(binomialUpperTail(8, 7, 0.3)).toBe(0);
    // P(X ≥ 2), n = 4, p = 0.5: (6 + 4 + 1) / 16.
    expect(binomialUpperTail(2, 4, 0.5)).toBeCloseTo(11 / 16, 12);
    // 0 of 10: the upper 95% bound is 1 − 0.025^(1/10) = 0.3085.
    expect(clopperPearson(0, 10, 0.95).high).toBeCloseTo(1 - 0.025 ** 0.1, 6);
    expect(clopperPearson(10, 10, 0.95).low).toBeCloseTo(0.025 ** 0.1, 6);
    expect(clopperPearson(5, 10, 0.95).low).toBeCloseTo(0.187086, 5);
  });

  it('estimates the ratio of rates with unequal exposures, and a p of 1/2 or more when B is no worse', () => {
    const estimate = rateRatioTest(10, 100_000, 10, 50_000);
    expect(estimate.changePercent).toBeCloseTo(100, 9);
    expect(estimate.ciLowPercent).toBeLessThan(100);
    expect(estimate.ciHighPercent!).toBeGreaterThan(100);
    expect(rateRatioTest(10, 50_000, 5, 50_000).pWorse).toBeGreaterThan(0.5);
  });
});
