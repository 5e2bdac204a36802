import { describe, expect, it } from 'vitest';
import { errorRiseTest } from '../../src/compare/error-rate-test.js';
import { pairUp } from '../../src/compare/pair-up.js';
import { interleavedSchedule } from '../../src/compare/schedule.js';
import { pairedLogRatio, signedRankExactP } from '../../src/compare/statistics.js';
import {
  lnGamma,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
  studentTTwoSidedP,
} from '../../src/compare/student-t.js';
import type { TrialSummary } from '../../src/compare/trial-summary.js';

describe('Student t distribution', () => {
  it.each([
    [0.975, 1, 12.706],
    [0.975, 4, 2.776],
    [0.975, 9, 2.262],
    [0.975, 30, 2.042],
    [0.9975, 4, 5.598],
    [0.9975, 9, 3.69],
    [0.995, 9, 3.25],
    [0.95, 9, 1.833],
  ])('gives the table quantile t(%f, %i) = %f', (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 3);
  });

  it('approaches the normal quantile as the degrees of freedom grow', () => {
    expect(studentTQuantile(0.975, 100_000)).toBeCloseTo(1.95996, 4);
  });

  it('is symmetric around zero', () => {
    expect(studentTQuantile(0.025, 9)).toBeCloseTo(-studentTQuantile(0.975, 9), 10);
    expect(studentTQuantile(0.5, 3)).toBe(0);
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 12);
  });

  it('gives two-sided p-values that match the table quantiles', () => {
    expect(studentTTwoSidedP(2.776445, 4)).toBeCloseTo(0.05, 6);
    expect(studentTTwoSidedP(-2.262157, 9)).toBeCloseTo(0.05, 6);
    expect(studentTTwoSidedP(3.689662, 9)).toBeCloseTo(0.005, 6);
    expect(studentTTwoSidedP(0, 9)).toBe(1);
  });

  it('inverts its own CDF far into the tail', () => {
    for (const df of [1, 2, 4, 9, 29]) {
      for (const p of [0.6, 0.9, 0.999, 0.999999]) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 9);
    }
  });

  it('matches the closed forms for one and two degrees of freedom', () => {
    // df = 1 is the Cauchy distribution; df = 2 has F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
    expect(studentTCdf(1.5, 1)).toBeCloseTo(0.5 + Math.atan(1.5) / Math.PI, 12);
    expect(studentTCdf(-0.7, 2)).toBeCloseTo(0.5 - 0.7 / (2 * Math.sqrt(2 + 0.49)), 12);
  });

  it('computes ln Γ and the incomplete beta at known points', () => {
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 10);
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(regularizedIncompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 4);
  });

  it('rejects probabilities outside (0, 1)', () => {
    expect(() => studentTQuantile(1, 4)).toThrow(RangeError);
    expect(() => studentTQuantile(0.9, 0)).toThrow(RangeError);
  });
});

describe('pairedLogRatio', () => {
  it('reports the geometric-mean change with an interval transformed the same way', () => {
    const ratios = [0.9, 0.92, 0.88, 0.91, 0.89];
    const estimate = pairedLogRatio(ratios.map((r) => ({ a: 1000, b: 1000 * r })));
    const d = ratios.map(Math.log);
    const mean = d.reduce((s, x) => s + x, 0) / 5;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / 4);
    const half = 2.776445 * (sd / Math.sqrt(5));
    expect(estimate.pairs).toBe(5);
    expect(estimate.degreesOfFreedom).toBe(4);
    expect(estimate.changePercent).toBeCloseTo(100 * (Math.exp(mean) - 1), 8);
    expect(estimate.ciLowPercent).toBeCloseTo(100 * (Math.exp(mean - half) - 1), 5);
    expect(estimate.ciHighPercent).toBeCloseTo(100 * (Math.exp(mean + half) - 1), 5);
    expect(estimate.pValue).toBeCloseTo(studentTTwoSidedP(mean / (sd / Math.sqrt(5)), 4), 12);
    expect(estimate.pValue).toBeLessThan(0.001);
  });

  it('depends on the ratio within each pair, not on the level of the pair', () => {
    const flat = pairedLogRatio([{ a: 100, b: 95 }, { a: 100, b: 96 }, { a: 100, b: 94 }]);
    const drifting = pairedLogRatio([{ a: 100, b: 95 }, { a: 1000, b: 960 }, { a: 10, b: 9.4 }]);
    expect(drifting.changePercent).toBeCloseTo(flat.changePercent, 10);
    expect(drifting.pValue).toBeCloseTo(flat.pValue, 10);
  });

  it('gives p = 1 and a point interval when every pair is identical', () => {
    const estimate = pairedLogRatio([{ a: 5, b: 5 }, { a: 7, b: 7 }]);
    expect(estimate.pValue).toBe(1);
    expect(estimate.ciLowPercent).toBe(0);
    expect(estimate.ciHighPercent).toBe(0);
  });

  it('refuses fewer than two pairs and non-positive values', () => {
    expect(() => pairedLogRatio([{ a: 1, b: 2 }])).toThrow(RangeError);
    expect(() => pairedLogRatio([{ a: 1, b: 2 }, { a: 0, b: 1 }])).toThrow(RangeError);
  });
});

describe('signedRankExactP', () => {
  it('cannot go below 2/2^n, which is why it never decides with five pairs', () => {
    expect(signedRankExactP([-0.1, -0.2, -0.3, -0.4, -0.5])).toBeCloseTo(2 / 32, 12);
  });

  it('matches the exact distribution for n = 8, where W+ = 3 gives two-sided p = 10/256', () => {
    // Positive ranks {1, 2}: the subsets of 1..8 summing to at most 3 are {}, {1}, {2}, {3}, {1, 2}.
    expect(signedRankExactP([0.01, 0.02, -0.03, -0.04, -0.05, -0.06, -0.07, -0.08])).toBeCloseTo(2 * (5 / 256), 12);
  });

  it('drops zero differences and returns null when nothing is left', () => {
    expect(signedRankExactP([0, 0, 0])).toBeNull();
    expect(signedRankExactP([0, 0.1, 0.2])).toBeCloseTo(0.5, 12);
  });
});

describe('errorRiseTest', () => {
  it('reaches 1/C(10,5) when every head trial has errors and no base trial does', () => {
    const test = errorRiseTest([0, 0, 0, 0, 0], [0.01, 0.02, 0.01, 0.03, 0.02]);
    expect(test.pValue).toBeCloseTo(1 / 252, 12);
    expect(test.difference).toBeCloseTo(0.018, 12);
    expect(test.exact).toBe(true);
  });

  it('treats one bad trial as one piece of evidence, however many errors it had', () => {
    expect(errorRiseTest([0, 0, 0, 0, 0], [0, 0, 0.5, 0, 0]).pValue).toBeCloseTo(0.5, 12);
  });

  it('gives p = 1 when nothing failed anywhere', () => {
    expect(errorRiseTest([0, 0, 0], [0, 0, 0]).pValue).toBe(1);
  });

  it('samples relabellings with a fixed seed when there are too many to enumerate', () => {
    const a = Array.from({ length: 12 }, () => 0);
    const b = Array.from({ length: 12 }, (_, i) => 0.001 * (i + 1));
    const first = errorRiseTest(a, b);
    expect(first.exact).toBe(false);
    expect(first.pValue).toBeLessThan(0.0001);
    expect(errorRiseTest(a, b).pValue).toBe(first.pValue);
  });
});

describe('interleavedSchedule and pairUp', () => {
  const trial = (arm: 'a' | 'b', index: number): TrialSummary => ({
    arm,
    index,
    status: 'completed',
    achievedPerSec: 1,
    p50Ms: 1,
    p99Ms: 1,
    errors: 0,
    attempted: 1,
    errorRate: 0,
    saturated: false,
    saturationReasons: [],
  });

  it('runs A B B A A B B A', () => {
    expect(interleavedSchedule(4).join(' ')).toBe('a b b a a b b a');
    expect(interleavedSchedule(0)).toEqual([]);
    expect(() => interleavedSchedule(1.5)).toThrow(RangeError);
  });

  it('pairs the adjacent trials of the schedule', () => {
    const trials = interleavedSchedule(3).map((arm, i) => trial(arm, i));
    const { pairs, unpaired } = pairUp(trials);
    expect(pairs.map((p) => [p.index, p.a.index, p.b.index])).toEqual([
      [0, 0, 1],
      [1, 3, 2],
      [2, 4, 5],
    ]);
    expect(unpaired).toEqual([]);
  });

  it('leaves a trial without a partner of the other arm unpaired', () => {
    const { pairs, unpaired } = pairUp([trial('a', 0), trial('b', 1), trial('b', 2)]);
    expect(pairs).toHaveLength(1);
    expect(unpaired.map((t) => t.index)).toEqual([2]);
  });
});
