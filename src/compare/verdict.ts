/**
 * The A/B regression gate: one verdict per metric, then one for the comparison.
 *
 * Per metric, with a gate g in the bad direction (throughput −5%, p50 and p99 +15%, errors: any rise):
 *   FAIL          p < stage alpha AND the point estimate is beyond g. The p-value tests "no change", so a
 *                 FAIL needs both evidence of a change and a change big enough to matter.
 *   PASS          the whole 95% interval is on the good side of g (an equivalence claim: it is the TOST
 *                 one-sided bound at 2.5%). For errors, which have no interval: B's mean error rate is not
 *                 above A's by more than the gate.
 *   INCONCLUSIVE  anything else: too noisy or too few pairs to say either.
 * Overall: FAIL if any metric fails, else INCONCLUSIVE if any is, else PASS.
 *
 * Two stages, alpha spent in equal halves (Bonferroni; Pocock's constant would be slightly less strict but
 * depends on the correlation between looks). Stage 1 runs n pairs and tests at alpha/2; if INCONCLUSIVE,
 * stage 2 adds up to n pre-declared pairs (never a number chosen from stage-1 estimates) and tests all pairs
 * at alpha/2. P(false FAIL) ≤ alpha/2 + alpha/2 whatever stage 1 showed. Declaring one stage spends all
 * of alpha at once and leaves no second stage.
 *
 * Two things alpha does not promise. It is per metric: three ratio metrics (each effectively one-sided,
 * alpha/2) and errors (one-sided, alpha) bound the comparison's false-FAIL rate by 2.5·alpha, not alpha.
 * And the p-value tests "no change", not "within the gate": a true change just inside the gate fails more
 * often than alpha (in simulation, a true −2% at 3% noise failed 0.9% of comparisons after two stages).
 */
import type { Comparison, ExcludedTrial, MetricComparison, MetricName, Verdict } from './comparison.js';
import {
  GATE_DIRECTION,
  MIN_PAIRS,
  resolveCompareOptions,
  type CompareOptions,
  type ResolvedCompareOptions,
} from './compare-options.js';
import { errorRiseTest } from './error-rate-test.js';
import { formatPEquals, formatSignedPercent, formatSignedPoints } from './format-change.js';
import { pairUp, type TrialPair } from './pair-up.js';
import { pairedLogRatio, signedRankExactP } from './statistics.js';
import type { TrialSummary } from './trial-summary.js';

export * from './compare-options.js';
export { planSecondStage } from './second-stage.js';
export type { SecondStageOptions, SecondStagePlan } from './second-stage.js';

export interface ComparisonInput {
  scenario: string;
  arms: { a: { spec: string }; b: { spec: string } };
  trials: readonly TrialSummary[];
}

const median = (values: readonly number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const RATIO_METRICS = [
  { metric: 'throughput', unit: 'msg/s', pick: (t: TrialSummary) => t.achievedPerSec },
  { metric: 'p50', unit: 'ms', pick: (t: TrialSummary) => t.p50Ms },
  { metric: 'p99', unit: 'ms', pick: (t: TrialSummary) => t.p99Ms },
] as const;

function signedGate(metric: MetricName, tolerance: number): number {
  return GATE_DIRECTION[metric] === 'lower-is-worse' ? -tolerance : tolerance;
}

function judgeRatioMetric(
  spec: (typeof RATIO_METRICS)[number],
  pairs: readonly TrialPair[],
  options: ResolvedCompareOptions,
  stageAlpha: number,
): MetricComparison {
  const { metric, unit } = spec;
  const gate = signedGate(metric, options.tolerancePercent[metric]);
  const values: Array<{ a: number; b: number }> = [];
  for (const pair of pairs) {
    const a = spec.pick(pair.a);
    const b = spec.pick(pair.b);
    if (a !== null && b !== null && a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b)) values.push({ a, b });
  }
  const base = {
    metric,
    unit,
    changeKind: 'ratio',
    method: 'paired-t-log-ratio',
    aMedian: median(values.map((v) => v.a)),
    bMedian: median(values.map((v) => v.b)),
    pairs: values.length,
    gatePercent: gate,
  } as const;
  const dropped = pairs.length - values.length;
  const droppedNote = dropped > 0 ? ` (${dropped} pair(s) without a positive value on both sides left out)` : '';
  if (values.length < MIN_PAIRS) {
    return {
      ...base,
      changePercent: null,
      ciLowPercent: null,
      ciHighPercent: null,
      pValue: null,
      signedRankPValue: null,
      verdict: 'INCONCLUSIVE',
      reason: `${values.length} usable pair(s); at least ${MIN_PAIRS} are needed${droppedNote}`,
    };
  }
  const estimate = pairedLogRatio(values, options.confidence);
  const lowerIsWorse = GATE_DIRECTION[metric] === 'lower-is-worse';
  const beyondGate = lowerIsWorse ? estimate.changePercent < gate : estimate.changePercent > gate;
  const intervalClear = lowerIsWorse ? estimate.ciLowPercent > gate : estimate.ciHighPercent < gate;
  // FAIL is one-directional (B worse), so its test is one-sided: H1 "B is worse than A". Under no change
  // it FAILs with probability alpha at most, exactly as the two-sided test did, with twice the power.
  const worse = lowerIsWorse ? estimate.changePercent < 0 : estimate.changePercent > 0;
  const pWorse = worse ? estimate.pValue / 2 : 1 - estimate.pValue / 2;
  const ci = `${Math.round(options.confidence * 100)}% CI ${formatSignedPercent(estimate.ciLowPercent)} to ${formatSignedPercent(estimate.ciHighPercent)}`;
  const change = `${formatSignedPercent(estimate.changePercent)} (${ci}, one-sided ${formatPEquals(pWorse)})`;
  let verdict: Verdict;
  let reason: string;
  if (pWorse < stageAlpha && beyondGate) {
    verdict = 'FAIL';
    reason = `${change} is significant (p < ${stageAlpha}) and beyond the ${formatSignedPercent(gate, 0)} gate`;
  } else if (intervalClear) {
    verdict = 'PASS';
    reason = `the whole interval ${ci} is on the good side of the ${formatSignedPercent(gate, 0)} gate`;
  } else {
    verdict = 'INCONCLUSIVE';
    reason = beyondGate
      ? `${change} is beyond the ${formatSignedPercent(gate, 0)} gate but not significant at ${stageAlpha}; more pairs are needed`
      : `${change}: the interval reaches past the ${formatSignedPercent(gate, 0)} gate; more pairs or less noise are needed`;
  }
  return {
    ...base,
    changePercent: estimate.changePercent,
    ciLowPercent: estimate.ciLowPercent,
    ciHighPercent: estimate.ciHighPercent,
    pValue: pWorse,
    signedRankPValue: signedRankExactP(values.map(({ a, b }) => Math.log(b / a))),
    verdict,
    reason: reason + droppedNote,
  };
}

function judgeErrors(pairs: readonly TrialPair[], options: ResolvedCompareOptions, stageAlpha: number): MetricComparison {
  const gate = signedGate('errors', options.tolerancePercent.errors);
  const aRates = pairs.map((p) => p.a.errorRate);
  const bRates = pairs.map((p) => p.b.errorRate);
  const base = {
    metric: 'errors',
    unit: '%',
    changeKind: 'difference',
    method: 'permutation-error-rate',
    aMedian: median(aRates.map((r) => 100 * r)),
    bMedian: median(bRates.map((r) => 100 * r)),
    ciLowPercent: null,
    ciHighPercent: null,
    signedRankPValue: null,
    pairs: pairs.length,
    gatePercent: gate,
  } as const;
  if (pairs.length < MIN_PAIRS) {
    return {
      ...base,
      changePercent: null,
      pValue: null,
      verdict: 'INCONCLUSIVE',
      reason: `${pairs.length} usable pair(s); at least ${MIN_PAIRS} are needed`,
    };
  }
  const test = errorRiseTest(aRates, bRates);
  const differencePoints = 100 * test.difference;
  const change = `error rate ${formatSignedPoints(differencePoints)} (B ${(100 * test.bMeanRate).toFixed(3)}% vs A ${(100 * test.aMeanRate).toFixed(3)}%, ${formatPEquals(test.pValue)})`;
  const gateText = gate === 0 ? 'any-rise gate' : `${formatSignedPoints(gate)} gate`;
  let verdict: Verdict;
  let reason: string;
  if (test.pValue < stageAlpha && differencePoints > gate) {
    verdict = 'FAIL';
    reason = `${change} is significant (p < ${stageAlpha}) and beyond the ${gateText}`;
  } else if (differencePoints <= gate) {
    verdict = 'PASS';
    reason = `${change}: no rise beyond the ${gateText}`;
  } else {
    verdict = 'INCONCLUSIVE';
    reason = `${change} is beyond the ${gateText} but not significant at ${stageAlpha}`;
  }
  return { ...base, changePercent: differencePoints, pValue: test.pValue, verdict, reason };
}

/** FAIL if any metric fails, else INCONCLUSIVE if any is, else PASS. */
export function overallVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('FAIL')) return 'FAIL';
  if (verdicts.includes('INCONCLUSIVE') || verdicts.length === 0) return 'INCONCLUSIVE';
  return 'PASS';
}

function excludeUnusable(trials: readonly TrialSummary[]): { pairs: TrialPair[]; excluded: ExcludedTrial[]; scheduledPairs: number } {
  const { pairs: slots, unpaired } = pairUp(trials);
  const excluded: ExcludedTrial[] = unpaired.map((t) => ({
    arm: t.arm,
    index: t.index,
    reason: `no trial of the other arm in pair slot ${Math.floor(t.index / 2)}`,
  }));
  const unusable = (t: TrialSummary): string | null => {
    if (t.saturated) {
      const why = t.saturationReasons.length > 0 ? `: ${t.saturationReasons.join('; ')}` : '';
      return `the load generator saturated${why}`;
    }
    // `failed` (over the error budget) was measured to the end: its errors are what the error gate compares.
    return t.status === 'completed' || t.status === 'failed' ? null : `the run ended ${t.status}`;
  };
  const pairs: TrialPair[] = [];
  for (const pair of slots) {
    const aWhy = unusable(pair.a);
    const bWhy = unusable(pair.b);
    if (aWhy === null && bWhy === null) {
      pairs.push(pair);
      continue;
    }
    for (const [trial, why, partner] of [
      [pair.a, aWhy, pair.b],
      [pair.b, bWhy, pair.a],
    ] as const) {
      excluded.push({
        arm: trial.arm,
        index: trial.index,
        reason: why ?? `its partner (${partner.arm.toUpperCase()}, trial ${partner.index}) was excluded`,
      });
    }
  }
  excluded.sort((x, y) => x.index - y.index);
  return { pairs, excluded, scheduledPairs: slots.length + new Set(unpaired.map((t) => Math.floor(t.index / 2))).size };
}

function summarize(metrics: readonly MetricComparison[], verdict: Verdict, usablePairs: number): string {
  if (usablePairs < MIN_PAIRS) return `${usablePairs} usable pair(s); at least ${MIN_PAIRS} are needed for a verdict`;
  const list = (v: Verdict): string =>
    metrics
      .filter((m) => m.verdict === v)
      .map((m) => `${m.metric}: ${m.reason}`)
      .join('; ');
  if (verdict === 'FAIL') return list('FAIL');
  if (verdict === 'INCONCLUSIVE') return list('INCONCLUSIVE');
  return `every metric is within its gate over ${usablePairs} pairs`;
}

/** Judges A/B trials run in `interleavedSchedule` order. Pure: the trials in, the comparison out. */
export function compareTrials(input: ComparisonInput, options: CompareOptions = {}): Comparison {
  const resolved = resolveCompareOptions(options);
  const stageAlpha = resolved.alpha / resolved.stages;
  const { pairs, excluded, scheduledPairs } = excludeUnusable(input.trials);
  const metrics = [
    ...RATIO_METRICS.map((spec) => judgeRatioMetric(spec, pairs, resolved, stageAlpha)),
    judgeErrors(pairs, resolved, stageAlpha),
  ];
  const verdict = overallVerdict(metrics.map((m) => m.verdict));
  return {
    scenario: input.scenario,
    arms: { a: { spec: input.arms.a.spec }, b: { spec: input.arms.b.spec } },
    trials: [...input.trials].sort((x, y) => x.index - y.index),
    excluded,
    metrics,
    verdict,
    reason: summarize(metrics, verdict, pairs.length),
    alpha: resolved.alpha,
    confidence: resolved.confidence,
    stage: { stage: resolved.stage, stages: resolved.stages, stageAlpha, scheduledPairs, usablePairs: pairs.length },
  };
}
