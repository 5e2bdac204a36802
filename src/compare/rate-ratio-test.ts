/**
 * Rare events (GC cycles in a measured window) compared as rates: B's count per message against A's.
 *
 * Method: the exact conditional test for two Poisson counts (Przyborowski & Wileński 1940; see Lehmann &
 * Romano, "Testing Statistical Hypotheses", §4.6). Given n = C_a + C_b events over exposures E_a and E_b
 * (messages), under "equal rates" C_b is Binomial(n, E_b / (E_a + E_b)); the one-sided p (B worse) is its
 * upper tail at C_b. The interval for the rate ratio comes from the Clopper–Pearson interval of that
 * binomial proportion π, mapped by R = π/(1 − π) · E_a/E_b. GC cycles are more regular than Poisson
 * (each follows a fixed amount of allocation), so the test is conservative for them.
 *
 * Why not the t on log-ratios as for the other metrics: a 3–10 s window holds 0, 1 or 2 cycles, and a log
 * of 0 does not exist; the counts themselves are what the window measured.
 */
import { regularizedIncompleteBeta } from './student-t.js';

export interface RateRatioEstimate {
  /** Total events and exposures per arm. */
  aCount: number;
  bCount: number;
  aExposure: number;
  bExposure: number;
  /** 100·(R − 1); null when A had no event and B had some (the ratio is unbounded). */
  changePercent: number | null;
  ciLowPercent: number;
  /** Null when unbounded (A had no event). */
  ciHighPercent: number | null;
  /** One-sided, H1: B's rate is higher. */
  pWorse: number;
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  return regularizedIncompleteBeta(p, k, n - k + 1);
}

/** The x in [0, 1] with I_x(a, b) = target, by bisection (I is increasing in x). */
function inverseBeta(target: number, a: number, b: number): number {
  let low = 0;
  let high = 1;
  for (let i = 0; i < 200 && high - low > 1e-12; i++) {
    const mid = (low + high) / 2;
    if (regularizedIncompleteBeta(mid, a, b) < target) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** Clopper–Pearson interval of a binomial proportion k/n. */
export function clopperPearson(k: number, n: number, confidence: number): { low: number; high: number } {
  const tail = (1 - confidence) / 2;
  return {
    low: k === 0 ? 0 : inverseBeta(tail, k, n - k + 1),
    high: k === n ? 1 : inverseBeta(1 - tail, k + 1, n - k),
  };
}

/** Needs n = aCount + bCount ≥ 1 and positive exposures (the caller handles "no event at all"). */
export function rateRatioTest(aCount: number, aExposure: number, bCount: number, bExposure: number, confidence = 0.95): RateRatioEstimate {
  const n = aCount + bCount;
  if (!(n >= 1)) throw new RangeError(`A rate ratio needs at least one event, got ${aCount} + ${bCount}`);
  if (!(aExposure > 0 && bExposure > 0)) throw new RangeError(`Exposures must be positive, got ${aExposure} and ${bExposure}`);
  const null0 = bExposure / (aExposure + bExposure);
  const { low, high } = clopperPearson(bCount, n, confidence);
  const toRatio = (pi: number): number => (pi / (1 - pi)) * (aExposure / bExposure);
  const percent = (ratio: number): number => 100 * (ratio - 1);
  return {
    aCount,
    bCount,
    aExposure,
    bExposure,
    changePercent: aCount === 0 ? null : percent(bCount / bExposure / (aCount / aExposure)),
    ciLowPercent: percent(toRatio(low)),
    ciHighPercent: high >= 1 ? null : percent(toRatio(high)),
    pWorse: binomialUpperTail(bCount, n, null0),
  };
}
