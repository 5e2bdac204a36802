/**
 * The p99 verdict's estimate: p99 of each arm's pooled latency distribution, with a trial-level bootstrap.
 *
 * Why not the paired t on each trial's own p99 (what throughput and p50 use): a trial's p99 is set by the
 * few worst moments of that trial (a neighbour's burst, a GC in the driver), so per-trial p99s scatter far
 * more than the server's tail moves. On the 2-core machine the pair-to-pair SD of ln(p99_B / p99_A) in A/A
 * trials was 0.5–0.7 under other users' load (README "Gate benchmark"), which puts a 5-pair t interval at
 * ±60–80% and never inside a 15% gate. Pooling the arm's echoes first (one p99 over all its trials, as one
 * merged HDR histogram would give) weights each trial by its echoes instead of letting one bad trial's p99
 * count a fifth, and the trial-level bootstrap keeps the trial as the unit of replication.
 *
 * Method (Efron & Tibshirani 1993, ch. 6, bootstrap standard error; resampling the top level of a nested
 * design, trials not messages: Kalibera & Jones 2013 §4; Davison & Hinkley 1997 §3.8):
 *   estimate  L = ln(p99 of B's pooled echoes / p99 of A's pooled echoes)
 *   resample  R times: n pair indices drawn with replacement (paired design: the pair's shared machine state
 *             moves with it; against a recorded baseline the arms are resampled apart), L* from the pooled
 *             resampled trials; SE = sd(L*)
 *   small n   the bootstrap SE of n units is too small by about √((n−1)/n) and its sampling error needs a
 *             t quantile (Hesterberg 2015, "What teachers should know about the bootstrap", §5), so
 *             SE' = SE·√(n/(n−1)), df = n − 1
 *   interval  L ± t(df)·SE'   (changes are exp(·) − 1, as for the other ratio metrics)
 *   p         one-sided, H1 "B's tail is longer": 1 − T_df(L / SE')
 * The resampling is seeded from the data, so the same trials always give the same verdict.
 */
import { pooledQuantileMs, type LatencySketch } from './latency-sketch.js';
import { seededRandom } from './seeded-random.js';
import { studentTCdf, studentTQuantile } from './student-t.js';

export const TAIL_BOOTSTRAP_RESAMPLES = 1000;
export const TAIL_QUANTILE = 0.99;

export type TailDesign = { kind: 'paired'; pairs: ReadonlyArray<{ a: LatencySketch; b: LatencySketch }> } | { kind: 'unpaired'; a: readonly LatencySketch[]; b: readonly LatencySketch[] };

export interface PooledTailEstimate {
  aQuantileMs: number;
  bQuantileMs: number;
  units: number;
  degreesOfFreedom: number;
  logRatio: number;
  /** Bootstrap SE after the small-sample factor. */
  standardError: number;
  /** One-sided, H1: B's tail is longer. */
  pWorse: number;
  changePercent: number;
  ciLowPercent: number;
  ciHighPercent: number;
}

const toPercent = (logRatio: number): number => 100 * Math.expm1(logRatio);

/** A seed from the data: the same trials give the same resamples, different trials different ones. */
function seedOf(sketches: readonly LatencySketch[]): number {
  let seed = 2166136261;
  for (const sketch of sketches) {
    for (const value of [sketch.samples, ...sketch.quantilesMs]) seed = Math.imul(seed ^ Math.round(value * 1000), 16777619) >>> 0;
  }
  return seed;
}

function draw(random: () => number, n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) counts[Math.floor(random() * n)]! += 1;
  return counts;
}

/** Needs at least 2 units (pairs, or trials in each arm). */
export function pooledTailEstimate(design: TailDesign, confidence = 0.95, quantile = TAIL_QUANTILE, resamples = TAIL_BOOTSTRAP_RESAMPLES): PooledTailEstimate {
  const a = design.kind === 'paired' ? design.pairs.map((pair) => pair.a) : [...design.a];
  const b = design.kind === 'paired' ? design.pairs.map((pair) => pair.b) : [...design.b];
  const units = Math.min(a.length, b.length);
  if (units < 2) throw new RangeError(`A pooled tail estimate needs at least 2 trials per arm, got ${a.length} and ${b.length}`);
  const aQuantileMs = pooledQuantileMs(a, quantile);
  const bQuantileMs = pooledQuantileMs(b, quantile);
  const logRatio = Math.log(bQuantileMs / aQuantileMs);
  const random = seededRandom(seedOf([...a, ...b]));
  const replicates: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const aCounts = draw(random, a.length);
    const bCounts = design.kind === 'paired' ? aCounts : draw(random, b.length);
    replicates.push(Math.log(pooledQuantileMs(b, quantile, bCounts) / pooledQuantileMs(a, quantile, aCounts)));
  }
  const mean = replicates.reduce((sum, x) => sum + x, 0) / resamples;
  const sd = Math.sqrt(replicates.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (resamples - 1));
  const standardError = sd * Math.sqrt(units / (units - 1));
  const degreesOfFreedom = units - 1;
  const halfWidth = studentTQuantile(1 - (1 - confidence) / 2, degreesOfFreedom) * standardError;
  const t = standardError > 0 ? logRatio / standardError : logRatio === 0 ? 0 : Math.sign(logRatio) * Infinity;
  return {
    aQuantileMs,
    bQuantileMs,
    units,
    degreesOfFreedom,
    logRatio,
    standardError,
    pWorse: studentTCdf(-t, degreesOfFreedom),
    changePercent: toPercent(logRatio),
    ciLowPercent: toPercent(logRatio - halfWidth),
    ciHighPercent: toPercent(logRatio + halfWidth),
  };
}
