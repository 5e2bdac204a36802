import { describe, expect, it } from 'vitest';
import { pooledQuantileMs, sketchLatency, SKETCH_PROBABILITIES, type LatencySketch } from '../../src/compare/latency-sketch.js';
import { pooledTailEstimate } from '../../src/compare/pooled-tail.js';
import { seededRandom } from '../../src/compare/seeded-random.js';
import { interleavedSchedule } from '../../src/compare/schedule.js';
import { compareTrials } from '../../src/compare/verdict.js';
import { createHistogram, recordMicros } from '../../src/metrics/latency-histogram.js';

/** A trial's echoes: log-normal latencies around `medianMs`, with a tail `spread`. */
function trialHistogram(random: () => number, medianMs: number, spread: number, samples = 20_000) {
  const histogram = createHistogram();
  for (let i = 0; i < samples; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    recordMicros(histogram, 1000 * medianMs * Math.exp(spread * z));
  }
  return histogram;
}

const sketchOf = (histogram: ReturnType<typeof createHistogram>): LatencySketch =>
  sketchLatency(histogram.totalCount, (percent) => histogram.getValueAtPercentile(percent) / 1000)!;

describe('latency sketches', () => {
  it('keep the quantiles at the grid, non-decreasing', () => {
    const sketch = sketchOf(trialHistogram(seededRandom(1), 0.5, 0.4));
    expect(sketch.quantilesMs).toHaveLength(SKETCH_PROBABILITIES.length);
    expect(sketch.quantilesMs.every((q, i) => i === 0 || q >= sketch.quantilesMs[i - 1]!)).toBe(true);
    expect(pooledQuantileMs([sketch], 0.99)).toBeCloseTo(sketch.quantilesMs[SKETCH_PROBABILITIES.indexOf(0.99)]!, 6);
  });

  it('pool trials as one merged histogram would, within 2%', () => {
    const random = seededRandom(2);
    const histograms = [trialHistogram(random, 0.4, 0.3), trialHistogram(random, 0.6, 0.5, 10_000), trialHistogram(random, 0.5, 0.8, 30_000)];
    const merged = createHistogram();
    for (const histogram of histograms) merged.add(histogram);
    const pooled = pooledQuantileMs(histograms.map(sketchOf), 0.99);
    expect(pooled / (merged.getValueAtPercentile(99) / 1000)).toBeGreaterThan(0.98);
    expect(pooled / (merged.getValueAtPercentile(99) / 1000)).toBeLessThan(1.02);
  });

  it('count a trial drawn twice twice', () => {
    const random = seededRandom(3);
    const fast = sketchOf(trialHistogram(random, 0.4, 0.2));
    const slow = sketchOf(trialHistogram(random, 4, 0.2));
    expect(pooledQuantileMs([fast, slow], 0.5, [3, 0])).toBeCloseTo(pooledQuantileMs([fast], 0.5), 6);
    expect(pooledQuantileMs([fast, slow], 0.99, [0, 1])).toBeCloseTo(pooledQuantileMs([slow], 0.99), 6);
  });
});

describe('pooledTailEstimate', () => {
  it('finds no change between arms drawn alike, with an interval that holds it', () => {
    const random = seededRandom(4);
    const pairs = Array.from({ length: 5 }, () => ({ a: sketchOf(trialHistogram(random, 0.5, 0.4)), b: sketchOf(trialHistogram(random, 0.5, 0.4)) }));
    const estimate = pooledTailEstimate({ kind: 'paired', pairs });
    expect(Math.abs(estimate.changePercent)).toBeLessThan(5);
    expect(estimate.ciLowPercent).toBeLessThan(0);
    expect(estimate.ciHighPercent).toBeGreaterThan(0);
    expect(estimate.pWorse).toBeGreaterThan(0.05);
    expect(estimate.degreesOfFreedom).toBe(4);
  });

  it('sees a 50% longer tail in every pair as significant', () => {
    const random = seededRandom(5);
    const pairs = Array.from({ length: 5 }, () => ({ a: sketchOf(trialHistogram(random, 0.5, 0.4)), b: sketchOf(trialHistogram(random, 0.5, 0.58)) }));
    const estimate = pooledTailEstimate({ kind: 'paired', pairs });
    expect(estimate.changePercent).toBeGreaterThan(30);
    expect(estimate.pWorse).toBeLessThan(0.001);
  });

  it('is wider when one trial of an arm has a stall the others do not', () => {
    const random = seededRandom(6);
    const calm = Array.from({ length: 5 }, () => ({ a: sketchOf(trialHistogram(random, 0.5, 0.4)), b: sketchOf(trialHistogram(random, 0.5, 0.4)) }));
    const stalled = calm.map((pair, i) => (i === 2 ? { ...pair, b: sketchOf(trialHistogram(random, 0.5, 1.2)) } : pair));
    const width = (e: ReturnType<typeof pooledTailEstimate>): number => e.ciHighPercent - e.ciLowPercent;
    expect(width(pooledTailEstimate({ kind: 'paired', pairs: stalled }))).toBeGreaterThan(2 * width(pooledTailEstimate({ kind: 'paired', pairs: calm })));
  });

  it('gives the same answer for the same trials (seeded from the data)', () => {
    const random = seededRandom(7);
    const a = Array.from({ length: 4 }, () => sketchOf(trialHistogram(random, 0.5, 0.4)));
    const b = Array.from({ length: 3 }, () => sketchOf(trialHistogram(random, 0.5, 0.4)));
    expect(pooledTailEstimate({ kind: 'unpaired', a, b })).toEqual(pooledTailEstimate({ kind: 'unpaired', a, b }));
    expect(pooledTailEstimate({ kind: 'unpaired', a, b }).units).toBe(3);
  });
});

describe('the p99 verdict against a recorded baseline (unpaired)', () => {
  const trials = (random: () => number, bSpread: number, pairs = 5) =>
    interleavedSchedule(pairs).map((arm, index) => {
      const histogram = trialHistogram(random, 0.5, arm === 'b' ? bSpread : 0.4);
      return {
        arm,
        index,
        status: 'completed' as const,
        achievedPerSec: 5000,
        p50Ms: histogram.getValueAtPercentile(50) / 1000,
        p99Ms: histogram.getValueAtPercentile(99) / 1000,
        latencySketch: sketchOf(histogram),
        errors: 0,
        attempted: 20_000,
        errorRate: 0,
        saturated: false,
        saturationReasons: [],
      };
    });
  const p99 = (comparison: ReturnType<typeof compareTrials>) => comparison.metrics.find((m) => m.metric === 'p99')!;
  const arms = { a: { spec: 'a' }, b: { spec: 'b' } };

  it('pools each arm when every trial has its sketch, and fails a tail twice as long', () => {
    const row = p99(compareTrials({ scenario: 's', arms, trials: trials(seededRandom(8), 0.7) }, { design: 'unpaired', stages: 1 }));
    expect(row.method).toBe('pooled-bootstrap');
    expect(row.verdict).toBe('FAIL');
    expect(row.reason).toMatch(/^pooled p99 \d+\.\d\d → \d+\.\d\d ms: /);
  });

  it('passes an A/A tail, resampling the arms apart; A/B in one job takes the median pair', () => {
    const same = trials(seededRandom(9), 0.4, 10);
    const stored = compareTrials({ scenario: 's', arms, trials: same }, { design: 'unpaired', stages: 1 });
    expect(p99(stored)).toMatchObject({ method: 'pooled-bootstrap', verdict: 'PASS' });
    expect(stored.design).toBe('unpaired');
    expect(stored.metrics.find((m) => m.metric === 'p50')!.method).toBe('welch-t-log');
    // Every trial of both arms echoed exactly 5000/s: no change, a PASS, not a test on zero variance.
    expect(stored.metrics.find((m) => m.metric === 'throughput')).toMatchObject({ method: 'none', verdict: 'PASS', changePercent: 0 });
    expect(p99(compareTrials({ scenario: 's', arms, trials: same }))).toMatchObject({ method: 'median-pair-sign-test', verdict: 'PASS' });
  });

  it('falls back to each trial\'s own p99 for summaries without sketches', () => {
    const old = trials(seededRandom(10), 0.4).map(({ latencySketch: _sketch, ...rest }) => rest);
    expect(p99(compareTrials({ scenario: 's', arms, trials: old }, { design: 'unpaired', stages: 1 })).method).toBe('welch-t-log');
  });
});
