/**
 * Is B's error rate higher than A's? Error rates are mostly zero, so they are not a ratio metric.
 *
 * Method: a one-sided Fisher–Pitman permutation test on per-trial error rates (Pitman 1937): the statistic is
 * mean(B) − mean(A), and the p-value is the share of all C(nA+nB, nB) relabellings of the trials into arms
 * whose statistic is at least the observed one. The trial stays the unit of replication (a burst of 1,000
 * timeouts in one trial is one bad trial, not 1,000 pieces of evidence, which a pooled binomial or Fisher
 * test on message counts would claim), zeros and ties need no special case, and it is exact. A paired sign
 * test was rejected: its smallest one-sided p with 5 pairs is 1/32, so it could never fail a gate at 0.005;
 * the relabelling test reaches 1/C(10,5) = 0.004 with 5 pairs and 1/924 with 6.
 * Past `EXACT_RELABELLINGS_MAX` relabellings a fixed-seed Monte Carlo sample is used, p = (hits+1)/(draws+1).
 */

import { seededRandom } from './seeded-random.js';

export const EXACT_RELABELLINGS_MAX = 200_000;
const MONTE_CARLO_DRAWS = 100_000;

export interface ErrorRiseTest {
  aMeanRate: number;
  bMeanRate: number;
  /** mean(B) − mean(A), as a fraction (0.01 = one percentage point). */
  difference: number;
  /** One-sided, H1: B's error rate is higher. */
  pValue: number;
  exact: boolean;
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}


export function errorRiseTest(aRates: readonly number[], bRates: readonly number[]): ErrorRiseTest {
  const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
  const aMeanRate = mean(aRates);
  const bMeanRate = mean(bRates);
  const all = [...aRates, ...bRates];
  const k = bRates.length;
  // For a fixed split size, the B sum orders relabellings exactly as mean(B) − mean(A) does.
  const observed = bRates.reduce((s, x) => s + x, 0);
  const threshold = observed - 1e-12 * Math.max(1, Math.abs(observed));
  const result = { aMeanRate, bMeanRate, difference: bMeanRate - aMeanRate };
  if (k === 0 || aRates.length === 0) return { ...result, pValue: 1, exact: true };
  // Every relabelling gives the same statistic (typically: no errors anywhere).
  if (all.every((x) => x === all[0])) return { ...result, pValue: 1, exact: true };

  const total = binomial(all.length, k);
  if (total <= EXACT_RELABELLINGS_MAX) {
    let hits = 0;
    const visit = (start: number, left: number, sum: number): void => {
      if (left === 0) {
        if (sum >= threshold) hits++;
        return;
      }
      for (let i = start; i <= all.length - left; i++) visit(i + 1, left - 1, sum + (all[i] ?? 0));
    };
    visit(0, k, 0);
    return { ...result, pValue: hits / total, exact: true };
  }
  const random = seededRandom(0x5eed);
  const pool = [...all];
  let hits = 0;
  for (let draw = 0; draw < MONTE_CARLO_DRAWS; draw++) {
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random() * (pool.length - i));
      const picked = pool[j] ?? 0;
      pool[j] = pool[i] ?? 0;
      pool[i] = picked;
      sum += picked;
    }
    if (sum >= threshold) hits++;
  }
  return { ...result, pValue: (hits + 1) / (MONTE_CARLO_DRAWS + 1), exact: false };
}
