import { describe, expect, it } from 'vitest';
import {
  HISTOGRAM_HIGHEST_US,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeEncodedHistograms,
  recordMicros,
  summarizeLatencyMs,
} from '../../src/metrics/latency-histogram.js';
import { seededRandom } from '../../src/compare/seeded-random.js';


describe('latency histograms', () => {
  it('merge exactly across workers: three encoded parts equal one histogram of every value', () => {
    const random = seededRandom(42);
    const whole = createHistogram();
    const parts = [createHistogram(), createHistogram(), createHistogram()];
    for (let i = 0; i < 30_000; i++) {
      // A long-tailed mix: mostly sub-millisecond, some tens of milliseconds, a few seconds.
      const micros = random() < 0.98 ? 100 + random() * 900 : random() < 0.9 ? 10_000 + random() * 40_000 : 1_000_000 + random() * 2_000_000;
      recordMicros(whole, micros);
      recordMicros(parts[i % 3]!, micros);
    }
    const merged = mergeEncodedHistograms(parts.map(encodeHistogram));
    expect(merged.totalCount).toBe(whole.totalCount);
    for (const percentile of [0, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      expect(merged.getValueAtPercentile(percentile)).toBe(whole.getValueAtPercentile(percentile));
    }
    // Encoding keeps bucket counts, not raw extremes: max and min are exact to the bucket.
    expect(merged.maxValue).toBe(whole.getValueAtPercentile(100));
    expect(merged.minNonZeroValue).toBeLessThanOrEqual(whole.minNonZeroValue);
    expect(merged.mean / whole.mean).toBeCloseTo(1, 3);
  });

  it('survives an encode/decode round trip with its counts intact', () => {
    const histogram = createHistogram();
    for (const micros of [5, 50, 500, 5_000, 50_000]) recordMicros(histogram, micros);
    const decoded = decodeHistogram(encodeHistogram(histogram));
    expect(decoded.totalCount).toBe(5);
    expect(decoded.getValueAtPercentile(50)).toBe(histogram.getValueAtPercentile(50));
  });

  it('clamps values outside the explicit range instead of dropping them', () => {
    const histogram = createHistogram();
    recordMicros(histogram, 0);
    recordMicros(histogram, HISTOGRAM_HIGHEST_US * 10);
    expect(histogram.totalCount).toBe(2);
    expect(histogram.maxValue).toBeGreaterThanOrEqual(HISTOGRAM_HIGHEST_US * 0.999);
  });

  it('summarizes in milliseconds, and says "nothing measured" with null rather than zeros', () => {
    expect(summarizeLatencyMs(createHistogram())).toBeNull();
    const histogram = createHistogram();
    for (let i = 1; i <= 100; i++) recordMicros(histogram, i * 1000);
    const summary = summarizeLatencyMs(histogram)!;
    expect(summary.p50).toBeCloseTo(50, 0);
    expect(summary.p99).toBeCloseTo(99, 0);
    expect(summary.max).toBeCloseTo(100, 0);
    expect(summary.min).toBeCloseTo(1, 1);
  });
});
