import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export interface LatencySummaryMs {
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/**
 * HDR histograms of microseconds with an explicit range, so that every worker's histogram has the same
 * layout and merges exactly, and an encoded histogram moves between processes and into result files.
 */
export const HISTOGRAM_LOWEST_US = 1;
/** Two minutes: no echo waits longer than the message timeout, which is far below this. */
export const HISTOGRAM_HIGHEST_US = 120_000_000;
export const HISTOGRAM_SIGNIFICANT_DIGITS = 3;

export type { Histogram };

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: HISTOGRAM_LOWEST_US,
    highestTrackableValue: HISTOGRAM_HIGHEST_US,
    numberOfSignificantValueDigits: HISTOGRAM_SIGNIFICANT_DIGITS,
  });
}

/** Records a duration in microseconds, clamped into the histogram's range rather than thrown away. */
export function recordMicros(histogram: Histogram, micros: number): void {
  const clamped = Math.min(HISTOGRAM_HIGHEST_US, Math.max(HISTOGRAM_LOWEST_US, Math.round(micros)));
  histogram.recordValue(clamped);
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  // Decoding sizes the histogram to the values it holds; copy into the standard layout so that
  // later merges never hit a value beyond a decoded histogram's range.
  const standard = createHistogram();
  standard.add(decoded);
  decoded.destroy();
  return standard;
}

/** Adds every encoded histogram into one; empty input gives an empty histogram. */
export function mergeEncodedHistograms(encoded: readonly string[]): Histogram {
  const merged = createHistogram();
  for (const item of encoded) {
    const histogram = decodeHistogram(item);
    merged.add(histogram);
    histogram.destroy();
  }
  return merged;
}

const MICROS_PER_MS = 1000;

/** Percentiles in milliseconds, or null when nothing was recorded (never zeros standing in for data). */
export function summarizeLatencyMs(histogram: Histogram): LatencySummaryMs | null {
  if (histogram.totalCount === 0) return null;
  const at = (percentile: number): number => histogram.getValueAtPercentile(percentile) / MICROS_PER_MS;
  return {
    min: histogram.minNonZeroValue / MICROS_PER_MS,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: histogram.maxValue / MICROS_PER_MS,
    mean: histogram.mean / MICROS_PER_MS,
  };
}

export function percentileMs(histogram: Histogram, percentile: number): number {
  return histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(percentile) / MICROS_PER_MS;
}
