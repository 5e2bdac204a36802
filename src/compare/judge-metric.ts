import type { MetricComparison, MetricName, Verdict } from './comparison.js';
import { unitsToDecide, UNITS_NO_PROFILE_RUNS, type UnitsToDecide } from './units-to-decide.js';
import { GATE_DIRECTION, MIN_PAIRS, MIN_UNITS_TO_DECIDE, type ResolvedCompareOptions } from './compare-options.js';
import { errorRiseTest } from './error-rate-test.js';
import { formatPEquals, formatSignedPercent, formatSignedPoints } from './format-change.js';
import { judgeCountMetric } from './judge-count-metric.js';
import { isUsableSketch } from './latency-sketch.js';
import { median } from './median.js';
import type { MetricSpec } from './metric-catalog.js';
import { medianPairEstimate, signIntervalRank } from './median-pair.js';
import { pooledTailEstimate } from './pooled-tail.js';
import type { Arm } from './schedule.js';
import { covariateAdjustedLogRatioTest, logRatioTest, signedRankExactP, welchLogRatio } from './statistics.js';
import { armTrials, type TrialDesign } from './trial-design.js';
import type { TrialSummary } from './trial-summary.js';

/** One metric's verdict rules (see verdict.ts for what FAIL, PASS and INCONCLUSIVE mean). */

export { median } from './median.js';

export function signedGate(metric: MetricName, tolerance: number): number {
  return GATE_DIRECTION[metric] === 'lower-is-worse' ? -tolerance : tolerance;
}

const usable = (x: number | null): x is number => x !== null && x > 0 && Number.isFinite(x);

/** A figure absent from every usable trial of an arm: that arm's target does not expose it. */
function absentIn(spec: MetricSpec, design: TrialDesign): Arm | 'both' | null {
  const missing = (arm: Arm): boolean => {
    const trials = armTrials(design, arm);
    return trials.length > 0 && trials.every((trial) => spec.pick(trial) === null);
  };
  const a = missing('a');
  const b = missing('b');
  return a && b ? 'both' : a ? 'a' : b ? 'b' : null;
}

function notMeasured(spec: MetricSpec, gate: number, arm: Arm | 'both'): MetricComparison {
  const who = arm === 'both' ? 'either arm' : `arm ${arm.toUpperCase()}`;
  const why = spec.serverCost ? 'the target exposes no such figure, or wsbench did not start it' : 'no value in its trials';
  return {
    metric: spec.metric,
    unit: spec.unit,
    changeKind: 'ratio',
    method: 'none',
    aMedian: null,
    bMedian: null,
    changePercent: null,
    ciLowPercent: null,
    ciHighPercent: null,
    pValue: null,
    signedRankPValue: null,
    pairs: 0,
    gatePercent: gate,
    verdict: 'NOT MEASURED',
    reason: `not measured in ${who} (${why}); not judged, and not a PASS`,
  };
}

interface RatioEstimate {
  changePercent: number;
  ciLowPercent: number;
  ciHighPercent: number;
  /** One-sided, H1: B is worse. */
  pWorse: number;
  units: number;
  method: MetricComparison['method'];
  aMedian: number | null;
  bMedian: number | null;
  signedRankPValue: number | null;
}

/** FAIL, PASS or INCONCLUSIVE from an estimate, the gate and the stage's alpha. */
function decide(spec: MetricSpec, estimate: RatioEstimate, gate: number, stageAlpha: number, confidence: number, note: string): MetricComparison {
  const lowerIsWorse = spec.direction === 'lower-is-worse';
  const beyondGate = lowerIsWorse ? estimate.changePercent < gate : estimate.changePercent > gate;
  const intervalClear = lowerIsWorse ? estimate.ciLowPercent > gate : estimate.ciHighPercent < gate;
  const ci = `${Math.round(confidence * 100)}% CI ${formatSignedPercent(estimate.ciLowPercent)} to ${formatSignedPercent(estimate.ciHighPercent)}`;
  const change = `${formatSignedPercent(estimate.changePercent)} (${ci}, one-sided ${formatPEquals(estimate.pWorse)})`;
  const gateText = `${formatSignedPercent(gate, 0)} gate`;
  const unpaired = estimate.method === 'welch-t-log' || estimate.method === 'pooled-bootstrap';
  const more = unpaired ? 'more trials' : 'more pairs';
  let verdict: Verdict;
  let reason: string;
  let needed: UnitsToDecide | null = null;
  const unitName = unpaired ? 'trial(s) in the smaller arm' : 'pair(s)';
  if (estimate.units < MIN_UNITS_TO_DECIDE) {
    verdict = 'INCONCLUSIVE';
    reason = `${change} from ${estimate.units} ${unitName}, too few to decide on: at least ${MIN_UNITS_TO_DECIDE} are needed`;
  } else if (estimate.pWorse < stageAlpha && beyondGate) {
    verdict = 'FAIL';
    reason = `${change} is significant (p < ${stageAlpha}) and beyond the ${gateText}`;
  } else if (intervalClear) {
    verdict = 'PASS';
    reason = `the whole interval ${ci} is on the good side of the ${gateText}`;
  } else {
    verdict = 'INCONCLUSIVE';
    needed = unitsToDecide(estimate, gate, lowerIsWorse, confidence, stageAlpha);
    const toDecide = needed === null ? `${more} are needed` : describeUnitsToDecide(needed, estimate.units, unitName);
    reason = beyondGate ? `${change} is beyond the ${gateText} but not significant at ${stageAlpha}; ${toDecide}` : `${change}: the interval reaches past the ${gateText}; ${toDecide}`;
  }
  return {
    metric: spec.metric,
    unit: spec.unit,
    changeKind: 'ratio',
    method: estimate.method,
    aMedian: estimate.aMedian,
    bMedian: estimate.bMedian,
    changePercent: estimate.changePercent,
    ciLowPercent: estimate.ciLowPercent,
    ciHighPercent: estimate.ciHighPercent,
    pValue: estimate.pWorse,
    signedRankPValue: estimate.signedRankPValue,
    pairs: estimate.units,
    gatePercent: gate,
    verdict,
    reason: reason + note,
    ...(needed === null ? {} : { unitsToDecide: needed }),
  };
}

/** "at this spread about 14 pairs would decide it toward PASS (this comparison had 10)", and past what the shipped profiles run, what would help instead. */
function describeUnitsToDecide(needed: UnitsToDecide, had: number, unitName: string): string {
  const unit = unitName.replace('(s)', 's');
  // Past a thousand the figure only says "never": a change sitting at the gate, or noise many times the gate.
  const count = needed.units > 1000 ? 'more than 1000' : `about ${needed.units}`;
  const said = `at this spread ${count} ${unit} would decide it toward ${needed.toward} (this comparison had ${had})`;
  return needed.units > UNITS_NO_PROFILE_RUNS ? `${said}: more than the shipped profiles run, so less noise is what it needs (a quieter machine, dedicated cores)` : said;
}

function tooFew(spec: MetricSpec, gate: number, units: number, unitName: string, aMedian: number | null, bMedian: number | null, note: string): MetricComparison {
  return {
    metric: spec.metric,
    unit: spec.unit,
    changeKind: 'ratio',
    method: 'none',
    aMedian,
    bMedian,
    changePercent: null,
    ciLowPercent: null,
    ciHighPercent: null,
    pValue: null,
    signedRankPValue: null,
    pairs: units,
    gatePercent: gate,
    verdict: 'INCONCLUSIVE',
    reason: `${units} usable ${unitName}; at least ${MIN_UNITS_TO_DECIDE} are needed to decide${note}`,
  };
}

/** Both arms measured the same value in every usable trial (e.g. 0 B allocated): no change, a PASS. */
function noChange(spec: MetricSpec, gate: number, value: number, units: number, unitName: string): MetricComparison {
  return {
    metric: spec.metric,
    unit: spec.unit,
    changeKind: 'ratio',
    method: 'none',
    aMedian: value,
    bMedian: value,
    changePercent: 0,
    ciLowPercent: 0,
    ciHighPercent: 0,
    pValue: 1,
    signedRankPValue: null,
    pairs: units,
    gatePercent: gate,
    verdict: 'PASS',
    reason: `no change: every one of ${units} ${unitName} measured ${value} ${spec.unit} in both arms`,
  };
}

/**
 * Judge at equal steal only when every pair measured it, there are pairs enough for the line's two parameters
 * (5: 3 degrees of freedom left), and the pairs' steal differed by an SD of at least this many points of a core.
 * The rule looks at the steal alone, never at the outcome, so it is declared before the data in effect. On the
 * AMD class pairs differed by SD ~25 points and the fit halved the pair SD of CPU per message (0.148 → 0.072,
 * 245 A/A pairs); on a machine without steal the plain paired t is kept, which the extra parameter would only widen.
 */
export const MIN_STEAL_DIFFERENCE_SD = 2;
const MIN_STEAL_ADJUSTED_PAIRS = 5;

/** The SD of the pairs' steal differences when the rule above has them judged at equal steal, else null. */
function stealSpreadToAdjustFor(stealDifferences: readonly number[]): number | null {
  if (stealDifferences.length < MIN_STEAL_ADJUSTED_PAIRS || !stealDifferences.every(Number.isFinite)) return null;
  const spread = standardDeviation(stealDifferences);
  return spread >= MIN_STEAL_DIFFERENCE_SD ? spread : null;
}

/** B's steal minus A's, in points of a core; NaN when either trial did not measure it. */
const stealDifference = (pair: { a: TrialSummary; b: TrialSummary }): number => (pair.b.machine?.stealPercent ?? Number.NaN) - (pair.a.machine?.stealPercent ?? Number.NaN);

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
}

const allEqual = (values: readonly number[]): boolean => values.length > 0 && values.every((x) => x === values[0]);

/** Ratio metrics: the paired t on log-ratios (A/B in one job) or Welch's t on logs (against a baseline). */
export function judgeRatioMetric(spec: MetricSpec, design: TrialDesign, options: ResolvedCompareOptions, stageAlpha: number): MetricComparison {
  const gate = signedGate(spec.metric, options.tolerancePercent[spec.metric]);
  const absent = absentIn(spec, design);
  if (absent !== null) return notMeasured(spec, gate, absent);
  if (spec.kind === 'count') return judgeCountMetric(spec, design, options, stageAlpha, gate);
  // One-sided: FAIL is one-directional (B worse), so H1 is "B is worse"; under no change it FAILs with
  // probability alpha at most, as the two-sided test did, with twice the power.
  const oneSided = (changePercent: number, twoSidedP: number): number => {
    const worse = spec.direction === 'lower-is-worse' ? changePercent < 0 : changePercent > 0;
    return worse ? twoSidedP / 2 : 1 - twoSidedP / 2;
  };
  if (design.kind === 'paired') {
    // A pair with the same value on both sides (0 and 0 included) is a log-ratio of 0: no change, not unusable.
    const values = design.pairs.flatMap((pair) => {
      const a = spec.pick(pair.a);
      const b = spec.pick(pair.b);
      return a !== null && a === b && Number.isFinite(a) ? [{ a, b, d: 0, pair }] : usable(a) && usable(b) ? [{ a, b, d: Math.log(b / a), pair }] : [];
    });
    const dropped = design.pairs.length - values.length;
    const note = dropped > 0 ? ` (${dropped} pair(s) without a positive value on both sides left out)` : '';
    const aMedian = median(values.map((v) => v.a));
    const bMedian = median(values.map((v) => v.b));
    if (values.length < MIN_PAIRS) return tooFew(spec, gate, values.length, 'pair(s)', aMedian, bMedian, note);
    if (allEqual(values.flatMap((v) => [v.a, v.b]))) return noChange(spec, gate, values[0]!.a, values.length, 'pair(s)');
    const differences = values.map((v) => v.d);
    const steal = spec.stealAdjusted === true ? values.map((v) => stealDifference(v.pair)) : [];
    const stealSpread = stealSpreadToAdjustFor(steal);
    const adjusted = stealSpread === null ? null : covariateAdjustedLogRatioTest(differences, steal, options.confidence);
    const estimate = adjusted ?? logRatioTest(differences, options.confidence);
    const adjustedNote = adjusted === null || stealSpread === null ? '' : `; at equal hypervisor steal (pairs' steal differed by SD ${stealSpread.toFixed(1)} points of a core; fitted ${formatSignedPercent(100 * Math.expm1(adjusted.slope), 2)} per point)`;
    return decide(
      spec,
      {
        ...estimate,
        pWorse: oneSided(estimate.changePercent, estimate.pValue),
        units: values.length,
        method: adjusted === null ? 'paired-t-log-ratio' : 'paired-t-log-ratio-steal-adjusted',
        aMedian,
        bMedian,
        signedRankPValue: signedRankExactP(differences),
      },
      gate,
      stageAlpha,
      options.confidence,
      adjustedNote + note,
    );
  }
  const measured = (trials: readonly TrialSummary[]): number[] => trials.map(spec.pick).filter((x): x is number => x !== null && Number.isFinite(x));
  const both = [...measured(design.a), ...measured(design.b)];
  if (Math.min(measured(design.a).length, measured(design.b).length) >= MIN_PAIRS && allEqual(both)) {
    return noChange(spec, gate, both[0]!, Math.min(measured(design.a).length, measured(design.b).length), 'trial(s) in the smaller arm');
  }
  const a = design.a.map(spec.pick).filter(usable);
  const b = design.b.map(spec.pick).filter(usable);
  const dropped = design.a.length + design.b.length - a.length - b.length;
  const note = dropped > 0 ? ` (${dropped} trial(s) without a positive value left out)` : '';
  if (Math.min(a.length, b.length) < MIN_PAIRS) return tooFew(spec, gate, Math.min(a.length, b.length), 'trial(s) in the smaller arm', median(a), median(b), note);
  const estimate = welchLogRatio(a, b, options.confidence);
  return decide(
    spec,
    { ...estimate, pWorse: oneSided(estimate.changePercent, estimate.pValue), units: estimate.pairs, method: 'welch-t-log', aMedian: median(a), bMedian: median(b), signedRankPValue: null },
    gate,
    stageAlpha,
    options.confidence,
    note,
  );
}

/**
 * p99. A/B in one job with at least 6 pairs (stage 2 of the quick profile): the median pair with the sign test
 * (median-pair.ts), robust to the odd trial a machine event gave a tail many times longer; below 6 pairs the
 * sign test has no 95% interval. Otherwise (stage 1's 5 pairs, or against a recorded baseline, whose trials are
 * not paired with the fresh ones): each arm's pooled echoes with a trial-level bootstrap (pooled-tail.ts) when
 * every usable trial carries its latency sketch; else each trial's own p99, like the other ratio metrics. Each
 * stage's test holds its own alpha, so the two-stage bound holds with a different test in each stage.
 */
export function judgeTail(spec: MetricSpec, design: TrialDesign, options: ResolvedCompareOptions, stageAlpha: number): MetricComparison {
  const gate = signedGate(spec.metric, options.tolerancePercent[spec.metric]);
  if (design.kind === 'paired' && design.pairs.length >= signPairsNeeded(options.confidence)) return judgeTailByMedianPair(spec, design.pairs, options, stageAlpha, gate);
  const a = armTrials(design, 'a');
  const b = armTrials(design, 'b');
  const sketched = [...a, ...b].every((trial) => isUsableSketch(trial.latencySketch));
  if (!sketched || Math.min(a.length, b.length) < MIN_PAIRS) return judgeRatioMetric(spec, design, options, stageAlpha);
  const estimate = pooledTailEstimate(
    design.kind === 'paired'
      ? { kind: 'paired', pairs: design.pairs.map((pair) => ({ a: pair.a.latencySketch!, b: pair.b.latencySketch! })) }
      : { kind: 'unpaired', a: a.map((trial) => trial.latencySketch!), b: b.map((trial) => trial.latencySketch!) },
    options.confidence,
  );
  const row = decide(
    spec,
    { ...estimate, units: estimate.units, method: design.kind === 'paired' ? 'pooled-bootstrap-paired' : 'pooled-bootstrap', aMedian: estimate.aQuantileMs, bMedian: estimate.bQuantileMs, signedRankPValue: null },
    gate,
    stageAlpha,
    options.confidence,
    '',
  );
  return { ...row, reason: `pooled p99 ${estimate.aQuantileMs.toFixed(2)} → ${estimate.bQuantileMs.toFixed(2)} ms: ${row.reason}` };
}

function judgeTailByMedianPair(spec: MetricSpec, pairs: ReadonlyArray<{ a: TrialSummary; b: TrialSummary }>, options: ResolvedCompareOptions, stageAlpha: number, gate: number): MetricComparison {
  const values = pairs.flatMap((pair) => {
    const [a, b] = [spec.pick(pair.a), spec.pick(pair.b)];
    return usable(a) && usable(b) ? [{ a, b, d: Math.log(b / a) }] : [];
  });
  const aMedian = median(values.map((v) => v.a));
  const bMedian = median(values.map((v) => v.b));
  if (values.length < signPairsNeeded(options.confidence)) return tooFew(spec, gate, values.length, 'pair(s) with a p99 on both sides', aMedian, bMedian, '');
  const estimate = medianPairEstimate(values.map((v) => v.d), options.confidence);
  const label = `median pair ${formatSignedPercent(estimate.changePercent)} over ${estimate.pairs} pairs (trials' own p99 ${aMedian?.toFixed(2)} → ${bMedian?.toFixed(2)} ms, medians)`;
  const row = decide(
    spec,
    { ...estimate, units: estimate.pairs, method: 'median-pair-sign-test', aMedian, bMedian, signedRankPValue: null },
    gate,
    stageAlpha,
    options.confidence,
    '',
  );
  return { ...row, reason: `${label}: ${row.reason}` };
}

/** The fewest pairs with a sign-test interval at this confidence (6 at 95%). */
function signPairsNeeded(confidence: number): number {
  let n = 1;
  while (signIntervalRank(n, confidence) === 0) n++;
  return n;
}

/** Error rate: change in percentage points, one-sided permutation test over trials (error-rate-test.ts). */
export function judgeErrors(design: TrialDesign, options: ResolvedCompareOptions, stageAlpha: number): MetricComparison {
  const gate = signedGate('errors', options.tolerancePercent.errors);
  const aRates = armTrials(design, 'a').map((t) => t.errorRate);
  const bRates = armTrials(design, 'b').map((t) => t.errorRate);
  const units = Math.min(aRates.length, bRates.length);
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
    pairs: units,
    gatePercent: gate,
  } as const;
  if (units < MIN_PAIRS) {
    const what = design.kind === 'paired' ? 'pair(s)' : 'trial(s) in the smaller arm';
    return { ...base, changePercent: null, pValue: null, verdict: 'INCONCLUSIVE', reason: `${units} usable ${what}; at least ${MIN_PAIRS} are needed` };
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
