/**
 * The A/B regression gate: one verdict per metric, then one for the comparison.
 *
 * Per metric, with a gate g in the bad direction (metric-catalog.ts: throughput −5%, p50 and p99 +15%, errors: any
 * rise, server CPU per message +5%, …):
 *   FAIL          p < stage alpha AND the point estimate is beyond g. The p-value tests "no change", so a
 *                 FAIL needs both evidence of a change and a change big enough to matter.
 *   PASS          the whole 95% interval is on the good side of g (an equivalence claim: it is the TOST
 *                 one-sided bound at 2.5%). For errors, which have no interval: B's mean error rate is not
 *                 above A's by more than the gate.
 *   INCONCLUSIVE  anything else: too noisy or too few pairs to say either.
 *   NOT MEASURED  an arm has no value for it (a target without Go metrics has no allocations): never a PASS.
 * Overall: FAIL if any metric fails, else INCONCLUSIVE if any is, else PASS; NOT MEASURED metrics do not vote.
 *
 * Estimates: ratio metrics use the paired t on log-ratios of adjacent A/B trials (statistics.ts); against a
 * recorded baseline (`design: 'unpaired'`), Welch's t on logs, since stored and fresh trials are not adjacent.
 * p99 pools each arm's echoes and bootstraps over trials (pooled-tail.ts). Errors: permutation test.
 *
 * Two stages, alpha spent in equal halves (Bonferroni; Pocock's constant would be slightly less strict but
 * depends on the correlation between looks). Stage 1 runs n pairs and tests at alpha/2; if INCONCLUSIVE,
 * stage 2 adds up to 2n pre-declared pairs, as the time budget allows (never a number chosen from stage-1 estimates; second-stage.ts), and tests all pairs
 * at alpha/2. P(false FAIL) ≤ alpha/2 + alpha/2 whatever stage 1 showed. Declaring one stage spends all
 * of alpha at once and leaves no second stage.
 *
 * Two things alpha does not promise. It is per metric: eight ratio metrics (each effectively one-sided,
 * alpha/2) and errors (one-sided, alpha) bound the comparison's false-FAIL rate by 5·alpha, not alpha (a
 * union bound; a FAIL also needs the estimate beyond the gate, which A/A noise rarely reaches).
 * And the p-value tests "no change", not "within the gate": a true change just inside the gate fails more
 * often than alpha (in simulation, a true −2% at 3% noise failed 0.9% of comparisons after two stages).
 */
import type { Comparison, ExcludedTrial, MetricComparison, MetricVerdict, Verdict } from './comparison.js';
import { MIN_PAIRS, MIN_UNITS_TO_DECIDE, resolveCompareOptions, type CompareOptions } from './compare-options.js';
import { judgeErrors, judgeRatioMetric, judgeTail } from './judge-metric.js';
import { METRIC_SPECS } from './metric-catalog.js';
import { armTrials, pairedDesign, unpairedDesign, type TrialDesign } from './trial-design.js';
import { NOISY_STEAL_PERCENT } from '../metrics/machine-load.js';
import type { TrialSummary } from './trial-summary.js';

export * from './compare-options.js';
export { planSecondStage } from './second-stage.js';
export type { SecondStageOptions, SecondStagePlan } from './second-stage.js';

export interface ComparisonInput {
  scenario: string;
  arms: { a: { spec: string }; b: { spec: string } };
  trials: readonly TrialSummary[];
}

/** FAIL if any metric fails, else INCONCLUSIVE if any is, else PASS. NOT MEASURED metrics do not vote. */
export function overallVerdict(verdicts: readonly MetricVerdict[]): Verdict {
  const judged = verdicts.filter((verdict): verdict is Verdict => verdict !== 'NOT MEASURED');
  if (judged.includes('FAIL')) return 'FAIL';
  if (judged.includes('INCONCLUSIVE') || judged.length === 0) return 'INCONCLUSIVE';
  return 'PASS';
}

function summarize(metrics: readonly MetricComparison[], verdict: Verdict, usable: number, unit: string, excluded: readonly ExcludedTrial[]): string {
  if (usable < MIN_PAIRS) return `${usable} usable ${unit}; at least ${MIN_UNITS_TO_DECIDE} are needed to decide a measured change${describeLeftOut(excluded)}`;
  const list = (v: MetricVerdict): string =>
    metrics
      .filter((m) => m.verdict === v)
      .map((m) => `${m.metric}: ${m.reason}`)
      .join('; ');
  if (verdict === 'FAIL') return list('FAIL');
  if (verdict === 'INCONCLUSIVE') return list('INCONCLUSIVE');
  const unmeasured = metrics.filter((m) => m.verdict === 'NOT MEASURED').map((m) => m.metric);
  return `every measured metric is within its gate over ${usable} ${unit.replace('(s)', 's')}${unmeasured.length === 0 ? '' : ` (not measured: ${unmeasured.join(', ')})`}`;
}

/**
 * Why there were too few: "; left out: 8 trials (the machine was busy), 2 (the load generator saturated), each
 * with its reason in the report's excluded trials". A reason's words before its first colon name its kind; a
 * busy machine anywhere in them (a generator saturated by steal says so too) adds the fix.
 */
function describeLeftOut(excluded: readonly ExcludedTrial[]): string {
  if (excluded.length === 0) return '';
  const byKind = new Map<string, number>();
  for (const trial of excluded) {
    const kind = trial.reason.split(':')[0]!;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  const kinds = [...byKind].sort((x, y) => y[1] - x[1]).map(([kind, count], k) => `${count}${k === 0 ? ` trial${count === 1 ? '' : 's'}` : ''} (${kind})`);
  const quieter = excluded.some((trial) => trial.reason.includes('the machine was busy')) ? '; run again on a quieter machine' : '';
  return `; left out: ${kinds.join(', ')}, each with its reason in the report's excluded trials${quieter}`;
}

/**
 * An undecided comparison whose trials the hypervisor kept busy says so: steal spreads CPU per message and the
 * tail (docs/gate-noise.md §6–8) more than more pairs can narrow. Past NOISY_STEAL_PERCENT in any usable trial.
 */
function describeSteal(design: TrialDesign): string {
  const steal = [...armTrials(design, 'a'), ...armTrials(design, 'b')].map((trial) => trial.machine?.stealPercent ?? 0);
  const most = Math.max(0, ...steal);
  if (most <= NOISY_STEAL_PERCENT) return '';
  return `; the hypervisor took up to ${most.toFixed(0)}% of a core during these trials (steal, least ${Math.min(...steal).toFixed(0)}%), which is what spreads them: a machine with dedicated cores decides in fewer`;
}

/** Judges A/B trials run in `interleavedSchedule` order (or, unpaired, a baseline's trials as A). Pure. */
export function compareTrials(input: ComparisonInput, options: CompareOptions = {}): Comparison {
  const resolved = resolveCompareOptions(options);
  const stageAlpha = resolved.alpha / resolved.stages;
  const { design, excluded, scheduledPairs, usableUnits } = resolved.design === 'unpaired' ? unpairedDesign(input.trials) : pairedDesign(input.trials);
  const metrics = METRIC_SPECS.map((spec) =>
    spec.metric === 'errors'
      ? judgeErrors(design, resolved, stageAlpha)
      : spec.metric === 'p99'
        ? judgeTail(spec, design, resolved, stageAlpha)
        : judgeRatioMetric(spec, design, resolved, stageAlpha),
  );
  const verdict = overallVerdict(metrics.map((m) => m.verdict));
  return {
    scenario: input.scenario,
    arms: { a: { spec: input.arms.a.spec }, b: { spec: input.arms.b.spec } },
    trials: [...input.trials].sort((x, y) => x.index - y.index),
    excluded,
    metrics,
    verdict,
    reason: summarize(metrics, verdict, usableUnits, design.kind === 'paired' ? 'pair(s)' : 'trial(s) in the smaller arm', excluded) + (verdict === 'INCONCLUSIVE' ? describeSteal(design) : ''),
    alpha: resolved.alpha,
    confidence: resolved.confidence,
    stage: { stage: resolved.stage, stages: resolved.stages, stageAlpha, scheduledPairs, usablePairs: usableUnits },
    design: design.kind,
  };
}
