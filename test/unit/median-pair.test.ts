import { describe, expect, it } from 'vitest';
import { medianPairEstimate, signIntervalRank } from '../../src/compare/median-pair.js';
import { compareTrials } from '../../src/compare/verdict.js';
import { interleavedSchedule } from '../../src/compare/schedule.js';
import type { TrialSummary } from '../../src/compare/trial-summary.js';

describe('signIntervalRank', () => {
  it('gives no 95% interval below 6 pairs, then the order statistics of the tables', () => {
    expect([1, 2, 3, 4, 5].map((n) => signIntervalRank(n, 0.95))).toEqual([0, 0, 0, 0, 0]);
    // n = 6: P(0) = 1/64 ≤ 2.5%; n = 10: P(≤1) = 11/1024; n = 15: P(≤3) = 576/32768 (Conover, table A3).
    expect(signIntervalRank(6, 0.95)).toBe(1);
    expect(signIntervalRank(10, 0.95)).toBe(2);
    expect(signIntervalRank(15, 0.95)).toBe(4);
  });
});

describe('medianPairEstimate', () => {
  it('ignores a minority of wild pairs, whichever arm they hit', () => {
    // Nine pairs within ±5%, one where A caught a 30 ms stall and one where B did.
    const calm = [-0.05, -0.03, -0.02, -0.01, 0, 0.01, 0.02, 0.03, 0.04];
    const estimate = medianPairEstimate([...calm, Math.log(0.7 / 30), Math.log(30 / 0.7)]);

    expect(estimate.pairs).toBe(11);
    expect(estimate.changePercent).toBeCloseTo(0, 5);
    expect(estimate.ciLowPercent).toBeGreaterThan(-6);
    expect(estimate.ciHighPercent).toBeLessThan(6);
  });

  it('gives a one-sided exact sign-test p: 10 of 10 pairs worse is 1/1024', () => {
    expect(medianPairEstimate(Array.from({ length: 10 }, (_, i) => 0.3 + i / 100)).pWorse).toBeCloseTo(1 / 1024, 10);
    expect(medianPairEstimate([0.1, -0.1, 0.2, -0.2, 0.05, -0.05]).pWorse).toBeCloseTo(42 / 64, 10);
    expect(medianPairEstimate([0, 0, 0]).pWorse).toBe(1);
  });

  it('has no interval below 6 pairs', () => {
    const estimate = medianPairEstimate([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(estimate.ciLowPercent).toBe(-Infinity);
    expect(estimate.ciHighPercent).toBe(Infinity);
  });
});

/** A/B trials whose own p99 is `p99Of(arm, pair)`; everything else equal. */
function trials(pairs: number, p99Of: (arm: 'a' | 'b', pair: number) => number): TrialSummary[] {
  return interleavedSchedule(pairs).map((arm, index) => ({
    arm,
    index,
    status: 'completed' as const,
    achievedPerSec: 5000,
    p50Ms: 0.3,
    p99Ms: p99Of(arm, Math.floor(index / 2)),
    errors: 0,
    attempted: 20_000,
    errorRate: 0,
    saturated: false,
    saturationReasons: [],
  }));
}
const p99Row = (summaries: TrialSummary[]) => compareTrials({ scenario: 's', arms: { a: { spec: 'a' }, b: { spec: 'b' } }, trials: summaries }).metrics.find((m) => m.metric === 'p99')!;
const jitter = (pair: number, arm: 'a' | 'b'): number => 1 + 0.03 * Math.sin(7 * pair + (arm === 'a' ? 0 : 3));

describe('the p99 verdict of A/B in one job', () => {
  it('passes an A/A comparison with one stalled trial, which the pooled p99 could not', () => {
    const row = p99Row(trials(10, (arm, pair) => (arm === 'a' && pair === 4 ? 27 : 0.72 * jitter(pair, arm))));
    expect(row.method).toBe('median-pair-sign-test');
    expect(row.verdict).toBe('PASS');
    expect(row.reason).toMatch(/^median pair [+−-][\d.]+% over 10 pairs/);
  });

  it('fails a tail 40% longer in every pair; with 5 pairs (no sign-test interval yet) the pooled or per-trial p99 judges', () => {
    const longer = (arm: 'a' | 'b', pair: number) => (arm === 'b' ? 1.4 : 1) * 0.72 * jitter(pair, arm);
    expect(p99Row(trials(10, longer))).toMatchObject({ verdict: 'FAIL', method: 'median-pair-sign-test' });
    // These summaries carry no latency sketch, so stage 1 takes each trial's own p99 (the paired t).
    expect(p99Row(trials(5, longer))).toMatchObject({ verdict: 'FAIL', method: 'paired-t-log-ratio' });
  });
});
