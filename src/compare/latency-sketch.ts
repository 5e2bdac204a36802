/**
 * A trial's latency distribution in a few dozen numbers, so the gate can pool trials without their HDR
 * histograms: the quantiles at a fixed grid of probabilities, dense in the tail. Between grid points the
 * distribution function is interpolated linearly in log-latency, which is exact at the grid points and
 * within one grid step elsewhere (the tail steps are 0.1 percentage points up to p99.9).
 */
export const SKETCH_PROBABILITIES: readonly number[] = [
  0.01, 0.1, 0.25, 0.5, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.9875, 0.99, 0.9925, 0.995, 0.9975,
  0.999, 0.9995, 0.9999, 1,
];

export interface LatencySketch {
  /** Echoes behind the quantiles (the histogram's total count): a trial's weight when trials are pooled. */
  samples: number;
  /** Quantiles in milliseconds at `SKETCH_PROBABILITIES`, non-decreasing. */
  quantilesMs: number[];
}

/** From a histogram's percentile function (percent in, milliseconds out). */
export function sketchLatency(samples: number, valueAtPercentileMs: (percent: number) => number): LatencySketch | null {
  if (!(samples > 0)) return null;
  const quantilesMs: number[] = [];
  for (const p of SKETCH_PROBABILITIES) quantilesMs.push(Math.max(quantilesMs.at(-1) ?? 0, valueAtPercentileMs(100 * p)));
  return { samples, quantilesMs };
}

export function isUsableSketch(sketch: LatencySketch | null | undefined): sketch is LatencySketch {
  return (
    sketch !== null &&
    sketch !== undefined &&
    sketch.samples > 0 &&
    Array.isArray(sketch.quantilesMs) &&
    sketch.quantilesMs.length === SKETCH_PROBABILITIES.length &&
    sketch.quantilesMs.every((value) => Number.isFinite(value) && value > 0)
  );
}

/** P(latency ≤ valueMs) for one trial, interpolated in log-latency between grid points. */
function distributionAt(sketch: LatencySketch, valueMs: number): number {
  const q = sketch.quantilesMs;
  if (valueMs < q[0]!) return SKETCH_PROBABILITIES[0]! * (valueMs / q[0]!);
  if (valueMs >= q[q.length - 1]!) return 1;
  let lo = 0;
  let hi = q.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (q[mid]! <= valueMs) lo = mid;
    else hi = mid;
  }
  const pLo = SKETCH_PROBABILITIES[lo]!;
  const pHi = SKETCH_PROBABILITIES[hi]!;
  const span = Math.log(q[hi]!) - Math.log(q[lo]!);
  return span <= 0 ? pHi : pLo + ((pHi - pLo) * (Math.log(valueMs) - Math.log(q[lo]!))) / span;
}

/**
 * The quantile `p` of the pooled distribution of several trials (each weighted by its samples), counting a
 * trial picked k times k times: what one histogram merged from those trials would give, within a grid step.
 */
export function pooledQuantileMs(sketches: readonly LatencySketch[], p: number, multiplicity?: readonly number[]): number {
  let total = 0;
  let lo = Infinity;
  let hi = 0;
  sketches.forEach((sketch, i) => {
    const weight = sketch.samples * (multiplicity?.[i] ?? 1);
    if (weight === 0) return;
    total += weight;
    lo = Math.min(lo, sketch.quantilesMs[0]!);
    hi = Math.max(hi, sketch.quantilesMs[sketch.quantilesMs.length - 1]!);
  });
  if (total === 0) return Number.NaN;
  const pooled = (valueMs: number): number => {
    let below = 0;
    sketches.forEach((sketch, i) => {
      const weight = sketch.samples * (multiplicity?.[i] ?? 1);
      if (weight > 0) below += weight * distributionAt(sketch, valueMs);
    });
    return below / total;
  };
  // Bisection in log-latency: 40 halvings of a range of at most 10^8 reach 0.00005% of the value.
  let logLo = Math.log(lo);
  let logHi = Math.log(hi);
  for (let i = 0; i < 40; i++) {
    const mid = (logLo + logHi) / 2;
    if (pooled(Math.exp(mid)) >= p) logHi = mid;
    else logLo = mid;
  }
  return Math.exp(logHi);
}
