import { describe, expect, it } from 'vitest';
import { logRatioTest } from '../../src/compare/statistics.js';
import { seededRandom } from '../../src/compare/seeded-random.js';
import { unitsToDecide } from '../../src/compare/units-to-decide.js';
import { normal } from '../support/normal-deviate.js';

const STAGE_ALPHA = 0.0025;

/** n paired log-ratios of a change `shift` (log) with pair-to-pair SD `sd`. */
function draw(random: () => number, n: number, sd: number, shift = 0): number[] {
  return Array.from({ length: n }, () => shift + sd * normal(random));
}

const estimateOf = (d: readonly number[]) => ({ ...logRatioTest(d), units: d.length });

describe('units an undecided metric would need', () => {
  it('predicts the count at which an A/A interval reaches the gate: the mean upper bound there sits at the gate', () => {
    // Pair SD 0.10 (CPU per message on the busy AMD guest), +5% gate. From 10 pairs, predict; then draw that many.
    const gateLog = Math.log1p(0.05);
    const upperAtPrediction: number[] = [];
    const predictions: number[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const random = seededRandom(seed);
      const needed = unitsToDecide(estimateOf(draw(random, 10, 0.1)), 5, false, 0.95, STAGE_ALPHA);
      if (needed === null || needed.toward !== 'PASS') continue;
      predictions.push(needed.units);
      upperAtPrediction.push(Math.log1p(logRatioTest(draw(random, Math.min(needed.units, 2000), 0.1)).ciHighPercent / 100));
    }
    expect(predictions.length).toBeGreaterThan(40);
    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    // With the true change 0 the bound at m pairs is z·0.1/√m: the median prediction is ≈ (1.96·0.1/0.0488)² ≈ 16.
    expect(median(predictions)).toBeGreaterThan(10);
    expect(median(predictions)).toBeLessThan(30);
    // The point of the prediction: at the count it names, the interval's upper end is about at the gate.
    const meanUpper = upperAtPrediction.reduce((s, x) => s + x, 0) / upperAtPrediction.length;
    expect(meanUpper).toBeGreaterThan(0.6 * gateLog);
    expect(meanUpper).toBeLessThan(1.4 * gateLog);
  });

  it('needs roughly 4× the units for twice the spread, and names FAIL for a change beyond the gate not yet significant', () => {
    const narrow = unitsToDecide({ changePercent: 0, ciLowPercent: -8, ciHighPercent: 8, units: 10 }, 5, false, 0.95, STAGE_ALPHA)!;
    const wide = unitsToDecide({ changePercent: 0, ciLowPercent: -15, ciHighPercent: 16, units: 10 }, 5, false, 0.95, STAGE_ALPHA)!;
    expect(narrow.toward).toBe('PASS');
    expect(wide.units / narrow.units).toBeGreaterThan(3);
    expect(wide.units / narrow.units).toBeLessThan(5);
    const beyond = unitsToDecide({ changePercent: 12, ciLowPercent: -2, ciHighPercent: 28, units: 5 }, 5, false, 0.95, STAGE_ALPHA)!;
    expect(beyond.toward).toBe('FAIL');
    expect(beyond.units).toBeGreaterThan(5);
  });

  it('reads a lower-is-worse gate (throughput −5%) the same way, mirrored', () => {
    const rising = unitsToDecide({ changePercent: 1, ciLowPercent: -6, ciHighPercent: 8, units: 10 }, 15, false, 0.95, STAGE_ALPHA)!;
    const falling = unitsToDecide({ changePercent: -1 / 1.01, ciLowPercent: 100 * (1 / 1.08 - 1), ciHighPercent: 100 * (1 / 0.94 - 1), units: 10 }, 100 * (1 / 1.15 - 1), true, 0.95, STAGE_ALPHA)!;
    expect(falling.toward).toBe('PASS');
    expect(Math.abs(falling.units - rising.units)).toBeLessThanOrEqual(1);
  });

  it('gives no figure without an interval to scale', () => {
    expect(unitsToDecide({ changePercent: 0, ciLowPercent: 0, ciHighPercent: 0, units: 10 }, 5, false, 0.95, STAGE_ALPHA)).toBeNull();
    expect(unitsToDecide({ changePercent: 0, ciLowPercent: -5, ciHighPercent: 5, units: 1 }, 5, false, 0.95, STAGE_ALPHA)).toBeNull();
  });
});
