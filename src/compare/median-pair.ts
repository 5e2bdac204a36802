/**
 * The p99 verdict of an A/B comparison in one job: the median pair, with the sign test's interval.
 *
 * Why not the pooled echoes (pooled-tail.ts, still used against a recorded baseline): a trial's p99 is either
 * the server's tail (0.66–0.86 ms for the fixture at 1000 × 5/s, pair-to-pair robust SD of ln(B/A) 0.08) or,
 * in about one trial in twenty on the shared VM, a machine event several times longer (2–66 ms). Pooled, that
 * one trial sets its arm's p99 and the bootstrap interval reaches far past a 15% gate; in 7 quiet A/A
 * comparisons the pooled p99 PASSed 3 and the median pair 6 (the seventh ran while the machine was busy).
 * The median pair ignores a minority of wild pairs, whichever arm they hit, and a regression that lengthens the
 * tail moves every pair, so most pairs and the median move with it.
 *
 *   d_i       ln(p99_B / p99_A) of pair i (adjacent trials, A B B A …)
 *   estimate  the median of the d_i
 *   interval  [d_(k), d_(n+1−k)], the largest k with P(Bin(n, ½) < k) ≤ (1 − confidence)/2: distribution-free,
 *             coverage ≥ confidence (Conover, Practical Nonparametric Statistics, §3.2). Below 6 pairs there is
 *             no 95% interval at all (1/32 > 2.5%), so 5 pairs never PASS or FAIL on p99: stage 2 decides.
 *   p         one-sided exact sign test, H1 "B's tail is longer": P(Bin(n', ½) ≥ pairs with d > 0), ties dropped
 */

export interface MedianPairEstimate {
  pairs: number;
  medianLogRatio: number;
  changePercent: number;
  /** −Infinity / +Infinity when there are too few pairs for an interval at this confidence. */
  ciLowPercent: number;
  ciHighPercent: number;
  /** One-sided, H1: B is worse (longer). */
  pWorse: number;
}

function binomialHalfPmf(n: number): number[] {
  const pmf = [Math.pow(0.5, n)];
  for (let k = 1; k <= n; k++) pmf.push((pmf[k - 1]! * (n - k + 1)) / k);
  return pmf;
}

/** The order-statistic rank k (1-based) of the interval; 0 when no interval reaches the confidence. */
export function signIntervalRank(n: number, confidence: number): number {
  const pmf = binomialHalfPmf(n);
  let below = 0;
  let k = 0;
  while (k < n && below + pmf[k]! <= (1 - confidence) / 2) below += pmf[k++]!;
  return k;
}

/** P(Bin(n, ½) ≥ x). */
function upperTail(n: number, x: number): number {
  const pmf = binomialHalfPmf(n);
  let p = 0;
  for (let k = Math.max(0, x); k <= n; k++) p += pmf[k]!;
  return Math.min(1, p);
}

const toPercent = (logRatio: number): number => 100 * Math.expm1(logRatio);

/** Needs at least one pair. */
export function medianPairEstimate(logRatios: readonly number[], confidence = 0.95): MedianPairEstimate {
  const d = [...logRatios].sort((x, y) => x - y);
  const n = d.length;
  if (n === 0) throw new RangeError('A median-pair estimate needs at least one pair');
  const medianLogRatio = n % 2 === 1 ? d[(n - 1) / 2]! : (d[n / 2 - 1]! + d[n / 2]!) / 2;
  const k = signIntervalRank(n, confidence);
  const untied = d.filter((x) => x !== 0);
  return {
    pairs: n,
    medianLogRatio,
    changePercent: toPercent(medianLogRatio),
    ciLowPercent: k === 0 ? -Infinity : toPercent(d[k - 1]!),
    ciHighPercent: k === 0 ? Infinity : toPercent(d[n - k]!),
    pWorse: untied.length === 0 ? 1 : upperTail(untied.length, untied.filter((x) => x > 0).length),
  };
}
