import { InterruptedError, WsbenchError } from '../errors.js';
import { describePinning } from '../cpu-pin.js';
import type { CpuPinning } from '../cpu-pin.js';
import type { ComparisonReport } from './comparison-report.js';
import type { RunListener } from '../run/run-events.js';
import { runScenario } from '../run/run-scenario.js';
import type { RunResult } from '../run/run-result.js';
import { DEFAULT_SESSION_DEPS } from '../run/session-deps.js';
import type { SessionDeps } from '../run/session-deps.js';
import { COMPARE_SCHEMA_VERSION } from './comparison-report.js';
import type { PlannedScenario } from '../scenario/matrix.js';
import type { ScenarioGates } from '../scenario/config-schema.js';
import { resolveRunOptions } from '../scenario/run-options.js';
import type { ResolvedRunOptions } from '../scenario/run-options.js';
import { resolveTargetAtRevision } from '../targets/resolve-target.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { parseTargetSpec } from '../targets/target-spec.js';
import { TOOL_VERSION } from '../tool-info.js';
import { MAX_TRIALS_PER_USABLE } from './baseline-recording.js';
import { findBaseline, type BaselineLookup } from './baseline-store.js';
import type { Baseline, BaselinePinning } from './baseline-store.js';
import type { Verdict } from './comparison.js';
import { DEFAULT_PAIRS, enterTrialScheduling, runComparison, trialContext, withTargetDemotion } from './run-comparison.js';
import type { TrialEvent } from './run-comparison.js';
import { unusableAgainstBaseline } from './trial-design.js';
import { summarizeTrial } from './trial-summary.js';
import type { TrialSummary } from './trial-summary.js';
import { compareTrials } from './verdict.js';
import { SEND_AHEAD_MS } from '../driver/load-phase-options.js';

/** What a benchmark scenario is compared against. */
export type BaselineMode =
  /** A/B in this job: the target built at a git ref (worktree) vs the working tree. */
  | { kind: 'ref'; ref: string }
  /**
   * The newest recorded baseline with an identical environment fingerprint and load, when there is one;
   * without one, A/B against `fallbackRef` when given, else a single run reported as NO BASELINE.
   */
  | { kind: 'stored'; dir: string; fallbackRef?: string }
  | { kind: 'none' };

export type BenchVerdict = Verdict | 'NO BASELINE' | 'SKIPPED' | 'ERROR';

export interface BenchOutcome {
  scenario: string;
  verdict: BenchVerdict;
  /** One line: why this verdict. */
  message: string;
  comparison?: ComparisonReport;
  /** The single run made when there was no baseline to compare with. */
  run?: RunResult;
  /** Worst error rate of the head arm against the scenario's budget; null when nothing ran or there is no budget. */
  errorBudgetHeld: boolean | null;
  /**
   * Whether the generator saturated in most head trials, so the verdict rests on too few trials to trust
   * (a saturated trial's latencies describe the driver, not the server; single ones are excluded from pairs).
   */
  generatorSaturated: boolean;
  /**
   * Named problems with the baselines (`BASELINE_CORRUPT: …`, `BASELINE_SCHEMA`, `BASELINE_OTHER_MACHINE`,
   * `BASELINE_OTHER_LOAD`, `BASELINE_MISSING`), and a baseline recorded under other scheduling: reported, never silent.
   */
  warnings: string[];
  failure?: WsbenchError;
}

export interface BenchScenarioContext {
  targets?: Record<string, TargetDefinition>;
  mode: BaselineMode;
  pairs?: number;
  /** Gate magnitudes that override the scenario's `gates:` (from `--gate`). */
  gates?: ScenarioGates;
  /** Trials at real-time priority when allowed (realtime-priority.ts). @default true, false with `deps` */
  realtime?: boolean;
  /** Replacements for the target starter and the driver factory (tests). */
  deps?: Partial<SessionDeps>;
  signal?: AbortSignal;
  onTrial?: (event: TrialEvent) => void;
  onEvent?: RunListener;
  /** Where every trial's target and driver run (bench pins them apart by default). */
  pinning?: CpuPinning;
}

/** Where a run pins the target and the driver, as results and baselines record it. */
export function pinningOf(pinning: CpuPinning | undefined): BaselinePinning | null {
  return pinning === undefined ? null : { targetCpus: [...pinning.target.cpus], driverCpus: [...pinning.driver.cpus] };
}

/** One scenario of the matrix, measured and judged against its baseline. */
export async function benchScenario(planned: PlannedScenario, context: BenchScenarioContext): Promise<BenchOutcome> {
  const base = { scenario: planned.name, generatorSaturated: false, errorBudgetHeld: null, warnings: [] };
  if (planned.skipReason !== undefined) return { ...base, verdict: 'SKIPPED', message: `skipped: ${planned.skipReason}` };
  const spec = parseTargetSpec(planned.target);
  const options = { ...resolveRunOptions({ ...planned.options, scenarioName: planned.name }), ...(context.pinning === undefined ? {} : { pinning: context.pinning }) };
  const pairs = context.pairs ?? planned.pairs ?? DEFAULT_PAIRS;
  const passthrough = trialContext(context);

  if (context.mode.kind === 'ref') return abComparison(planned, options, spec, context.mode.ref, pairs, context, passthrough);

  const { definition } = await resolveTargetAtRevision(spec, context.targets);
  const env = (context.deps?.describeEnvironment ?? DEFAULT_SESSION_DEPS.describeEnvironment)(TOOL_VERSION);
  const lookup: BaselineLookup =
    context.mode.kind === 'stored'
      ? findBaseline(context.mode.dir, {
          target: planned.target,
          scenario: planned.name,
          load: { ...options, sendAheadMs: SEND_AHEAD_MS },
          fingerprint: env.fingerprint,
          ...(env.fingerprintBasis === undefined ? {} : { basis: env.fingerprintBasis }),
          cpuPinning: pinningOf(options.pinning),
        })
      : { status: 'missing', reason: 'no baseline asked for', warnings: [] };
  const warnings = lookup.warnings.map((warning) => `${warning.code}: ${warning.message}`);
  if (lookup.status === 'found') {
    const outcome = await storedComparison(planned, options, spec, definition, lookup.baseline, lookup.file, pairs, context);
    return { ...outcome, warnings: [...warnings, ...outcome.warnings] };
  }
  if (context.mode.kind === 'stored' && context.mode.fallbackRef !== undefined) {
    const outcome = await abComparison(planned, options, spec, context.mode.fallbackRef, pairs, context, passthrough);
    return { ...outcome, warnings, message: `${outcome.message} (${lookup.reason}, so A/B in this job instead)` };
  }
  const { result, failure } = await runScenario({ ...options, target: spec }, { definition, ...passthrough });
  const why = lookup.reason;
  return {
    ...base,
    warnings,
    verdict: failure === undefined ? 'NO BASELINE' : 'ERROR',
    message: failure === undefined ? `measured once, not judged: ${why}` : `${failure.code}: ${failure.message.split('\n')[0]}`,
    run: result,
    errorBudgetHeld: withinBudget(planned, [summarizeTrial(result, 'b', 0)]),
    generatorSaturated: result.generator.saturated,
    ...(failure === undefined ? {} : { failure }),
  };
}

/** A/B in this job: the target built at `ref` (a git worktree) as A, the working tree as B, interleaved. */
async function abComparison(
  planned: PlannedScenario,
  options: ResolvedRunOptions,
  spec: ReturnType<typeof parseTargetSpec>,
  ref: string,
  pairs: number,
  context: BenchScenarioContext,
  passthrough: ReturnType<typeof trialContext>,
): Promise<BenchOutcome> {
  const baseSpec = parseTargetSpec(`${spec.name}@${ref}${planned.target.slice(spec.name.length)}`);
  const [a, b] = await Promise.all([resolveTargetAtRevision(baseSpec, context.targets), resolveTargetAtRevision(spec, context.targets)]);
  const { report, failure } = await runComparison({
    scenario: options,
    a: { spec: baseSpec, definition: a.definition, ...(a.commit === undefined ? {} : { commit: a.commit }) },
    b: { spec, definition: b.definition },
    pairs,
    compare: { tolerancePercent: { ...planned.gates, ...context.gates } },
    ...(context.realtime === undefined ? {} : { realtime: context.realtime }),
    ...(context.onTrial === undefined ? {} : { onTrial: context.onTrial }),
    ...passthrough,
  });
  return judged(planned, report, failure, `A/B against ${ref}${a.commit === undefined ? '' : ` (${a.commit.slice(0, 12)})`}`);
}

/**
 * Against a recorded baseline: fresh head trials judged against the spread of all the stored ones. Stored and
 * fresh trials are independent draws, not adjacent in time, so nothing pairs them: ratio metrics use Welch's t
 * on logs and p99 resamples the arms apart (`design: 'unpaired'`), in one stage. Job-to-job drift is not
 * cancelled, which is why a baseline is used only for an identical environment fingerprint and load.
 */
async function storedComparison(
  planned: PlannedScenario,
  options: ResolvedRunOptions,
  spec: ReturnType<typeof parseTargetSpec>,
  definition: TargetDefinition,
  baseline: Baseline,
  file: string,
  pairs: number,
  context: BenchScenarioContext,
): Promise<BenchOutcome> {
  const stored = baseline.trials.length;
  const summaries: TrialSummary[] = baseline.trials.map((trial, k) => ({ ...trial.summary, arm: 'a', index: k }));
  const trials: ComparisonReport['trials'] = [];
  let failure: WsbenchError | undefined;
  const scheduling = await enterTrialScheduling(context.realtime ?? context.deps === undefined, [definition], options.pinning);
  try {
    // A fresh trial the baseline cannot be judged against (a saturated generator, a busy machine) is kept and
    // one more is run, up to MAX_TRIALS_PER_USABLE times the count, as `baseline record` does: a moment of steal does not leave the
    // scenario unjudged.
    let usable = 0;
    const total = (run: number): number => stored + Math.min(MAX_TRIALS_PER_USABLE * pairs, run + pairs - usable);
    for (let k = 0; usable < pairs && k < MAX_TRIALS_PER_USABLE * pairs; k++) {
      const index = stored + k;
      context.onTrial?.({ type: 'trial-start', arm: 'b', index, total: total(k), stage: 1 });
      const outcome = await runScenario({ ...options, target: spec }, { definition, ...trialContext({ ...context, onEvent: withTargetDemotion(scheduling, context.onEvent) }) });
      trials.push({ arm: 'b', index, result: outcome.result });
      const summary = summarizeTrial(outcome.result, 'b', index);
      summaries.push(summary);
      if (unusableAgainstBaseline(summary) === null) usable++;
      context.onTrial?.({ type: 'trial-end', arm: 'b', index, total: total(k + 1), stage: 1, result: outcome.result });
      if (outcome.failure instanceof InterruptedError) {
        failure = outcome.failure;
        break;
      }
    }
  } finally {
    await scheduling.restore();
  }
  const comparison = compareTrials(
    { scenario: planned.name, arms: { a: { spec: `${planned.target}@${baseline.commit.slice(0, 12)} (recorded ${baseline.recordedAt.slice(0, 10)}, ${stored} trials)` }, b: { spec: planned.target } }, trials: summaries },
    { stages: 1, design: 'unpaired', tolerancePercent: { ...planned.gates, ...context.gates } },
  );
  const report: ComparisonReport = { kind: 'compare', schemaVersion: COMPARE_SCHEMA_VERSION, comparison, trials, scheduling: { realtime: scheduling.applied, note: scheduling.note }, pinning: describePinning(options.pinning) };
  const outcome = judged(planned, report, failure, `against the baseline in ${file}`);
  const recordedRealtime = baseline.scheduling?.realtime ?? false;
  if (recordedRealtime !== scheduling.applied) {
    outcome.warnings.push(`BASELINE_OTHER_SCHEDULING: ${file} was recorded with ${baseline.scheduling?.note ?? 'normal scheduling'}; this run used ${scheduling.note}: latencies are not comparable in kind`);
  }
  return outcome;
}

function judged(planned: PlannedScenario, report: ComparisonReport, failure: WsbenchError | undefined, against: string): BenchOutcome {
  const head = report.comparison.trials.filter((trial) => trial.arm === 'b');
  const verdict: BenchVerdict = failure !== undefined && !(failure instanceof InterruptedError) && head.length === 0 ? 'ERROR' : report.comparison.verdict;
  return {
    scenario: planned.name,
    verdict,
    message: `${verdict} ${against}: ${report.comparison.reason}`,
    comparison: report,
    errorBudgetHeld: withinBudget(planned, head),
    generatorSaturated: head.filter((trial) => trial.saturated).length * 2 > head.length,
    warnings: [],
    ...(failure === undefined ? {} : { failure }),
  };
}

function withinBudget(planned: PlannedScenario, head: TrialSummary[]): boolean | null {
  if (planned.errorBudget === undefined || head.length === 0) return null;
  return Math.max(...head.map((trial) => trial.errorRate)) <= planned.errorBudget;
}
