import { studentTQuantile } from './student-t.js';

/**
 * How many units (pairs, or trials in the smaller arm) an INCONCLUSIVE metric would need for a verdict, if the
 * change and the spread stay as measured. An interval narrows as 1/√n, so from the measured interval's half-width
 * (in logs, where every ratio method builds it) the standard error at n units is known, and so the n at which
 * the interval clears the gate (toward PASS) or the change becomes significant (toward FAIL). An estimate: the
 * bootstrap's and the sign test's intervals only roughly follow 1/√n, and the next pairs will not agree exactly.
 * What it tells a user is the order of magnitude: 12 more pairs, or 300, which no quick comparison runs.
 */

export interface IntervalEstimate {
  changePercent: number;
  ciLowPercent: number;
  ciHighPercent: number;
  units: number;
}

export interface UnitsToDecide {
  toward: 'PASS' | 'FAIL';
  units: number;
}

/** Past this many units, say so: no comparison of the shipped profiles runs that many. */
export const UNITS_NO_PROFILE_RUNS = 30;

/** Normal quantile: the t with all the degrees of freedom a long run would have. */
const normalQuantile = (p: number): number => studentTQuantile(p, 1e6);

export function unitsToDecide(estimate: IntervalEstimate, gatePercent: number, lowerIsWorse: boolean, confidence: number, stageAlpha: number): UnitsToDecide | null {
  const { units } = estimate;
  if (units < 2) return null;
  // Oriented so that "worse" is positive whichever way the metric goes.
  const sign = lowerIsWorse ? -1 : 1;
  const change = sign * Math.log1p(estimate.changePercent / 100);
  const gate = sign * Math.log1p(gatePercent / 100);
  const halfWidth = (Math.log1p(estimate.ciHighPercent / 100) - Math.log1p(estimate.ciLowPercent / 100)) / 2;
  if (!Number.isFinite(change) || !Number.isFinite(gate) || !(halfWidth > 0)) return null;
  const standardError = halfWidth / studentTQuantile((1 + confidence) / 2, units - 1);
  if (change < gate) {
    // Toward PASS: change + z·se·√(n/m) < gate.
    const needed = units * ((normalQuantile((1 + confidence) / 2) * standardError) / (gate - change)) ** 2;
    return { toward: 'PASS', units: Math.max(units + 1, Math.ceil(needed)) };
  }
  // Toward FAIL: beyond the gate already, significant once change / (se·√(n/m)) passes the stage's one-sided z.
  if (!(change > 0)) return null;
  const needed = units * ((normalQuantile(1 - stageAlpha) * standardError) / change) ** 2;
  return { toward: 'FAIL', units: Math.max(units + 1, Math.ceil(needed)) };
}
