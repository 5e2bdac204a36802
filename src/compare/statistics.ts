/**
 * The estimate behind every ratio metric's verdict (throughput, p50, p99).
 *
 * Method: a paired t-test on log-ratios (Student 1908; see e.g. Kalibera & Jones, "Rigorous Benchmarking in
 * Reasonable Time", ISMM 2013, for why the unit of replication is the run, not the sample). Trials run
 * A B B A …, each adjacent pair (A_i, B_i) shares the machine's state at that moment, so the drift between
 * pairs cancels in d_i = ln(B_i / A_i). With n pairs:
 *   mean d̄, standard error s/√n, 95% CI d̄ ± t(0.975, n−1)·s/√n, two-sided p for H0: E[d] = 0.
 * The change is reported as exp(d̄) − 1 and the interval is transformed the same way, so it is a ratio of
 * geometric means and is not symmetric around the estimate.
 *
 * Why not the Wilcoxon signed-rank test for the verdict: with n pairs its smallest two-sided p is 2/2^n
 * (0.0625 at n = 5), so it cannot reach a 0.005 gate before n = 9. It is reported next to the t-test as a
 * distribution-free check (`signedRankExactP`) and never decides.
 */
import { studentTQuantile, studentTTwoSidedP } from './student-t.js';

export interface PairedValues {
  a: number;
  b: number;
}

export interface PairedLogRatioEstimate {
  pairs: number;
  degreesOfFreedom: number;
  meanLogRatio: number;
  standardErrorLogRatio: number;
  tStatistic: number;
  /** Two-sided, H0: the mean log-ratio is 0. */
  pValue: number;
  confidence: number;
  /** 100·(exp(d̄) − 1). */
  changePercent: number;
  ciLowPercent: number;
  ciHighPercent: number;
}

const toPercent = (logRatio: number): number => 100 * Math.expm1(logRatio);

/**
 * Paired t on ln(b/a). Needs at least 2 pairs and positive values (the caller drops the others).
 * @param confidence of the interval. @default 0.95
 */
export function pairedLogRatio(pairs: readonly PairedValues[], confidence = 0.95): PairedLogRatioEstimate {
  const n = pairs.length;
  if (n < 2) throw new RangeError(`A paired estimate needs at least 2 pairs, got ${n}`);
  return logRatioTest(
    pairs.map(({ a, b }) => {
      if (!(a > 0 && b > 0)) throw new RangeError(`Log-ratios need positive values, got a=${a}, b=${b}`);
      return Math.log(b / a);
    }),
    confidence,
  );
}

/** The paired t on log-ratios already taken (a pair with equal values, zeros included, is a 0). */
export function logRatioTest(d: readonly number[], confidence = 0.95): PairedLogRatioEstimate {
  const n = d.length;
  if (n < 2) throw new RangeError(`A paired estimate needs at least 2 pairs, got ${n}`);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const variance = d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const se = Math.sqrt(variance / n);
  const df = n - 1;
  return estimateFromLogMean(mean, se, df, n, confidence);
}

export interface CovariateAdjustedEstimate extends PairedLogRatioEstimate {
  /** The fitted change of ln(B/A) per unit of the covariate's difference. */
  slope: number;
}

/**
 * The paired log-ratio adjusted for a covariate both trials of a pair measured (the hypervisor's steal): the
 * least-squares line d_i = δ + β·x_i, with x_i the covariate's difference B − A, and δ, the change at equal
 * covariate, as the estimate. SE(δ) = s·√(1/n + x̄²/Sxx) with s the residuals' SD on n − 2 degrees of
 * freedom. Under no change δ's t is exact whatever the x_i are (they are not chosen from the outcome), so
 * alpha holds; what it buys is the variance the covariate explains. Needs 4 pairs and x_i that vary.
 */
export function covariateAdjustedLogRatioTest(d: readonly number[], x: readonly number[], confidence = 0.95): CovariateAdjustedEstimate {
  const n = d.length;
  if (n < 4 || x.length !== n) throw new RangeError(`A covariate-adjusted estimate needs at least 4 pairs with a covariate each, got ${n} and ${x.length}`);
  const meanD = d.reduce((s, v) => s + v, 0) / n;
  const meanX = x.reduce((s, v) => s + v, 0) / n;
  const sxx = x.reduce((s, v) => s + (v - meanX) ** 2, 0);
  if (!(sxx > 0)) throw new RangeError('A covariate-adjusted estimate needs a covariate that varies between pairs');
  const slope = x.reduce((s, v, i) => s + (v - meanX) * (d[i]! - meanD), 0) / sxx;
  const intercept = meanD - slope * meanX;
  const residualVariance = d.reduce((s, v, i) => s + (v - intercept - slope * x[i]!) ** 2, 0) / (n - 2);
  const se = Math.sqrt(residualVariance * (1 / n + (meanX * meanX) / sxx));
  return { ...estimateFromLogMean(intercept, se, n - 2, n, confidence), slope };
}

/** Largest n for which `signedRankExactP` enumerates all 2^n sign assignments. */
export const SIGNED_RANK_MAX_PAIRS = 20;

/**
 * Wilcoxon signed-rank test, exact two-sided p, by enumerating every sign assignment of the ranks (so ties,
 * given average ranks, are handled exactly). Zero differences are dropped (Wilcoxon's convention).
 * Returns null past `SIGNED_RANK_MAX_PAIRS` non-zero differences, or when every difference is zero.
 */
export function signedRankExactP(differences: readonly number[]): number | null {
  const nonZero = differences.filter((x) => x !== 0);
  const n = nonZero.length;
  if (n === 0 || n > SIGNED_RANK_MAX_PAIRS) return null;
  const order = nonZero.map((x, i) => ({ abs: Math.abs(x), i })).sort((p, q) => p.abs - q.abs);
  const ranks = new Array<number>(n).fill(0);
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && order[end + 1]?.abs === order[start]?.abs) end++;
    for (let j = start; j <= end; j++) ranks[order[j]?.i ?? 0] = (start + end) / 2 + 1;
    start = end + 1;
  }
  const total = ranks.reduce((s, r) => s + r, 0);
  const observed = nonZero.reduce((s, x, i) => s + (x > 0 ? (ranks[i] ?? 0) : 0), 0);
  const distance = Math.abs(observed - total / 2) - 1e-9;
  let extreme = 0;
  const count = 2 ** n;
  for (let mask = 0; mask < count; mask++) {
    let positive = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) positive += ranks[i] ?? 0;
    if (Math.abs(positive - total / 2) >= distance) extreme++;
  }
  return extreme / count;
}

/**
 * Welch's t on ln values of two independent samples (Welch 1947): for a fresh run against a recorded
 * baseline, whose trials are not adjacent in time, so nothing pairs them. df by Welch–Satterthwaite.
 * Needs at least 2 positive values per side.
 */
export function welchLogRatio(a: readonly number[], b: readonly number[], confidence = 0.95): PairedLogRatioEstimate {
  if (a.length < 2 || b.length < 2) throw new RangeError(`Welch's t needs at least 2 values per side, got ${a.length} and ${b.length}`);
  const logs = (values: readonly number[]): number[] =>
    values.map((x) => {
      if (!(x > 0)) throw new RangeError(`Log-ratios need positive values, got ${x}`);
      return Math.log(x);
    });
  const stats = (xs: number[]): { mean: number; variance: number; n: number } => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    return { mean, variance: xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1), n: xs.length };
  };
  const sa = stats(logs(a));
  const sb = stats(logs(b));
  const va = sa.variance / sa.n;
  const vb = sb.variance / sb.n;
  const se = Math.sqrt(va + vb);
  const mean = sb.mean - sa.mean;
  const df = se > 0 ? (va + vb) ** 2 / (va ** 2 / (sa.n - 1) + vb ** 2 / (sb.n - 1)) : Math.min(sa.n, sb.n) - 1;
  return estimateFromLogMean(mean, se, df, Math.min(sa.n, sb.n), confidence);
}

/** The interval, t and p of a mean log-ratio with its standard error: one shape for paired and unpaired tests. */
function estimateFromLogMean(mean: number, se: number, df: number, pairs: number, confidence: number): PairedLogRatioEstimate {
  const halfWidth = studentTQuantile(1 - (1 - confidence) / 2, df) * se;
  // se = 0 happens only with identical ratios; then any non-zero mean is as certain as it gets.
  const t = se > 0 ? mean / se : mean === 0 ? 0 : Math.sign(mean) * Infinity;
  return {
    pairs,
    degreesOfFreedom: df,
    meanLogRatio: mean,
    standardErrorLogRatio: se,
    tStatistic: t,
    pValue: studentTTwoSidedP(t, df),
    confidence,
    changePercent: toPercent(mean),
    ciLowPercent: toPercent(mean - halfWidth),
    ciHighPercent: toPercent(mean + halfWidth),
  };
}
