import type { MetricComparison, Verdict } from './comparison.js';
import type { ResolvedCompareOptions } from './compare-options.js';
import { formatPEquals, formatSignedPercent } from './format-change.js';
import { median } from './median.js';
import type { MetricSpec } from './metric-catalog.js';
import { rateRatioTest } from './rate-ratio-test.js';
import { armTrials, type TrialDesign } from './trial-design.js';
import type { TrialSummary } from './trial-summary.js';

/**
 * GC cycles per 10k messages: a window holds a handful of cycles or none, so the arms' total counts over
 * their total messages are compared (rate-ratio-test.ts), not per-trial log-ratios. No cycle in either
 * arm, or the same count in every trial of both, is "no change": a PASS, not "0 usable pairs".
 */

/** A trial's cycles and messages; older summaries without them count as 10,000 messages at their rate. */
function countsOf(trial: TrialSummary, spec: MetricSpec): { count: number; exposure: number } | null {
  const rate = spec.pick(trial);
  if (rate === null || !(rate >= 0)) return null;
  const messages = trial.serverMessages ?? null;
  const cycles = trial.serverGcCycles ?? null;
  if (messages !== null && messages > 0 && cycles !== null && cycles >= 0) return { count: cycles, exposure: messages };
  return { count: rate, exposure: 10_000 };
}

export function judgeCountMetric(spec: MetricSpec, design: TrialDesign, options: ResolvedCompareOptions, stageAlpha: number, gate: number): MetricComparison {
  const arm = (name: 'a' | 'b') => armTrials(design, name).flatMap((trial) => {
    const counts = countsOf(trial, spec);
    return counts === null ? [] : [{ ...counts, rate: spec.pick(trial) ?? 0 }];
  });
  const a = arm('a');
  const b = arm('b');
  const total = (xs: typeof a, key: 'count' | 'exposure'): number => xs.reduce((sum, x) => sum + x[key], 0);
  const [aCount, bCount, aExposure, bExposure] = [total(a, 'count'), total(b, 'count'), total(a, 'exposure'), total(b, 'exposure')];
  const base = {
    metric: spec.metric,
    unit: spec.unit,
    changeKind: 'ratio',
    aMedian: median(a.map((x) => x.rate)),
    bMedian: median(b.map((x) => x.rate)),
    signedRankPValue: null,
    pairs: Math.min(a.length, b.length),
    gatePercent: gate,
  } as const;
  const counted = `${aCount} cycle(s) in ${a.length} A trial(s), ${bCount} in ${b.length} B trial(s)`;
  const identical = [...a, ...b].every((x) => x.rate === a[0]?.rate);
  if (aCount + bCount === 0 || identical) {
    const why = aCount + bCount === 0 ? 'no GC cycle in any measured window of either arm' : `every trial of both arms measured ${a[0]?.rate.toFixed(2)} ${spec.unit}`;
    return { ...base, method: 'exact-poisson-rate', changePercent: 0, ciLowPercent: 0, ciHighPercent: 0, pValue: 1, verdict: 'PASS', reason: `no change: ${why}` };
  }
  const estimate = rateRatioTest(aCount, aExposure, bCount, bExposure, options.confidence);
  const change = estimate.changePercent;
  const beyondGate = change === null || change > gate;
  const ciHigh = estimate.ciHighPercent;
  const ci = `${Math.round(options.confidence * 100)}% CI ${formatSignedPercent(estimate.ciLowPercent)} to ${ciHigh === null ? 'unbounded' : formatSignedPercent(ciHigh)}`;
  const changeText = `${change === null ? `a rise from 0 to ${bCount}` : formatSignedPercent(change)} (${counted}; ${ci}, one-sided ${formatPEquals(estimate.pWorse)})`;
  const gateText = `${formatSignedPercent(gate, 0)} gate`;
  let verdict: Verdict;
  let reason: string;
  if (estimate.pWorse < stageAlpha && beyondGate) {
    verdict = 'FAIL';
    reason = `${changeText} is significant (p < ${stageAlpha}) and beyond the ${gateText}`;
  } else if (ciHigh !== null && ciHigh < gate) {
    verdict = 'PASS';
    reason = `${changeText}: the whole interval is on the good side of the ${gateText}`;
  } else {
    verdict = 'INCONCLUSIVE';
    reason = `${changeText}: too few cycles to tell against the ${gateText}`;
  }
  return { ...base, method: 'exact-poisson-rate', changePercent: change, ciLowPercent: estimate.ciLowPercent, ciHighPercent: ciHigh, pValue: estimate.pWorse, verdict, reason };
}
