import { performance } from 'node:perf_hooks';
import { describePinning, type CpuPinning } from '../cpu-pin.js';
import { InfrastructureError, InterruptedError, WsbenchError } from '../errors.js';
import { COMPARE_SCHEMA_VERSION } from './comparison-report.js';
import type { ComparisonReport } from './comparison-report.js';
import type { RunListener } from '../run/run-events.js';
import { runScenario } from '../run/run-scenario.js';
import type { RunScenarioContext } from '../run/run-scenario.js';
import type { RunResult } from '../run/run-result.js';
import type { SessionDeps } from '../run/session-deps.js';
import { enterRealtimeScheduling, type RealtimeScheduling } from '../run/realtime-priority.js';
import { moveCoordinatorTo } from '../run/coordinator-affinity.js';
import type { ResolvedRunOptions } from '../scenario/run-options.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import type { TargetSpec } from '../targets/target-spec.js';
import type { Comparison } from './comparison.js';
import { interleavedSchedule } from './schedule.js';
import type { Arm } from './schedule.js';
import { summarizeTrial } from './trial-summary.js';
import type { TrialSummary } from './trial-summary.js';
import { compareTrials, planSecondStage } from './verdict.js';
import type { CompareOptions } from './verdict.js';

export const DEFAULT_PAIRS = 5;
/** Stage 2 (only when stage 1 is INCONCLUSIVE) may take at most this much more wall time. */
export const DEFAULT_SECOND_STAGE_BUDGET_MS = 5 * 60_000;

/** Failures that say the arm cannot be measured at all: no point running its other trials. */
const FATAL_TRIAL_CODES = new Set(['GO_MISSING', 'TARGET_BUILD_FAILED', 'TARGET_START_FAILED', 'TARGET_EXITED_BEFORE_READY', 'TARGET_NOT_READY', 'PORT_IN_USE', 'NO_CONNECTIONS']);

export interface ComparisonArm {
  spec: TargetSpec;
  definition: TargetDefinition;
  /** The commit an arm at a git ref was built from. */
  commit?: string;
}

export interface TrialEvent {
  type: 'trial-start' | 'trial-end';
  arm: Arm;
  index: number;
  total: number;
  stage: 1 | 2;
  result?: RunResult;
}

export interface RunComparisonOptions {
  /** The load of every trial; the arms differ only in their target. */
  scenario: ResolvedRunOptions;
  a: ComparisonArm;
  b: ComparisonArm;
  pairs?: number;
  compare?: CompareOptions;
  secondStageBudgetMs?: number;
  signal?: AbortSignal;
  onTrial?: (event: TrialEvent) => void;
  onEvent?: RunListener;
  /** Replacements for the target starter and the driver factory (tests). */
  deps?: Partial<SessionDeps>;
  /** Run the trials with the driver at real-time priority when allowed (realtime-priority.ts). @default true, false with `deps` */
  realtime?: boolean;
}

export interface ComparisonOutcome {
  report: ComparisonReport;
  failure: WsbenchError | undefined;
}

/**
 * An A/B comparison in one job: trials alternate A B B A A B B A …, each in a fresh server process under
 * the same offered load, so drift on a noisy machine hits both arms alike; the trial is the unit of
 * replication. A stage-1 INCONCLUSIVE runs the pre-declared second stage within its time budget.
 */
export async function runComparison(options: RunComparisonOptions): Promise<ComparisonOutcome> {
  const pairs = options.pairs ?? DEFAULT_PAIRS;
  const compareOptions: CompareOptions = { stages: 2, ...options.compare };
  const trials: ComparisonReport['trials'] = [];
  const summaries: TrialSummary[] = [];
  const trialWallMs: number[] = [];
  const arms = { a: { spec: options.a.spec.text }, b: { spec: options.b.spec.text } };
  const input = () => ({ scenario: options.scenario.scenarioName, arms, trials: summaries });

  const runTrials = async (schedule: Arm[], firstIndex: number, stage: 1 | 2): Promise<WsbenchError | undefined> => {
    for (const [offset, arm] of schedule.entries()) {
      const index = firstIndex + offset;
      const side = arm === 'a' ? options.a : options.b;
      options.onTrial?.({ type: 'trial-start', arm, index, total: firstIndex + schedule.length, stage });
      const startedMs = performance.now();
      const { result, failure } = await runScenario(
        { ...options.scenario, target: side.spec, url: undefined },
        { definition: side.definition, ...trialContext({ ...options, onEvent: withTargetDemotion(scheduling, options.onEvent) }) },
      );
      trialWallMs.push(performance.now() - startedMs);
      trials.push({ arm, index, result });
      summaries.push(summarizeTrial(result, arm, index));
      options.onTrial?.({ type: 'trial-end', arm, index, total: firstIndex + schedule.length, stage, result });
      if (failure instanceof InterruptedError) return failure;
      if (failure !== undefined && FATAL_TRIAL_CODES.has(failure.code)) {
        return new InfrastructureError(failure.code, `Arm ${arm.toUpperCase()} (${side.spec.text}) cannot be measured: ${failure.message}`, {
          cause: failure,
          ...(failure instanceof InfrastructureError ? { logTail: failure.logTail } : {}),
        });
      }
    }
    return undefined;
  };

  const scheduling = await enterTrialScheduling(options.realtime ?? options.deps === undefined, [options.a.definition, options.b.definition], options.scenario.pinning);
  let failure: WsbenchError | undefined;
  let comparison: Comparison;
  try {
    failure = await runTrials(interleavedSchedule(pairs), 0, 1);
    comparison = compareTrials(input(), { ...compareOptions, stage: 1 });
    if (failure === undefined && comparison.verdict === 'INCONCLUSIVE' && compareOptions.stages === 2) {
      const plan = planSecondStage(comparison, {
        budgetMs: options.secondStageBudgetMs ?? DEFAULT_SECOND_STAGE_BUDGET_MS,
        trialDurationMs: mean(trialWallMs),
        firstStagePairs: pairs,
      });
      if (plan.run) {
        failure = await runTrials(plan.schedule, plan.firstTrialIndex, 2);
        comparison = compareTrials(input(), { ...compareOptions, stage: 2 });
      }
    }
  } finally {
    await scheduling.restore();
  }
  const report: ComparisonReport = { kind: 'compare', schemaVersion: COMPARE_SCHEMA_VERSION, comparison, trials, scheduling: { realtime: scheduling.applied, note: scheduling.note }, pinning: describePinning(options.scenario.pinning) };
  return { report, failure };
}

/** Passes every event on, and demotes the target below the driver as soon as it is ready. */
export function withTargetDemotion(scheduling: RealtimeScheduling, onEvent: RunListener | undefined): RunListener {
  return (event) => {
    if (event.type === 'target-ready') scheduling.onTargetReady(event.pid);
    onEvent?.(event);
  };
}

/**
 * Builds the targets first (a compiler must not inherit real-time priority; a build error is left for the
 * trial to report), then enters real-time scheduling when asked.
 */
export async function enterTrialScheduling(realtime: boolean, definitions: readonly TargetDefinition[], pinning?: CpuPinning): Promise<RealtimeScheduling> {
  for (const definition of definitions) await definition.prepare?.().catch(() => undefined);
  const scheduling: RealtimeScheduling = realtime ? await enterRealtimeScheduling() : { applied: false, note: 'normal scheduling (--no-realtime)', onTargetReady: () => {}, restore: async () => {} };
  // After the build: a compiler must not be squeezed onto the driver's CPUs either.
  const coordinator = await moveCoordinatorTo(pinning?.driver);
  return {
    ...scheduling,
    note: scheduling.note + coordinator.note,
    restore: async () => {
      await scheduling.restore();
      await coordinator.restore();
    },
  };
}

/** What every trial of a comparison passes on to its run: Ctrl-C, the progress listener, the test seams. */
export function trialContext(options: { signal?: AbortSignal | undefined; onEvent?: RunListener | undefined; deps?: Partial<SessionDeps> | undefined }): Omit<RunScenarioContext, 'definition'> {
  return {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...(options.deps === undefined ? {} : { deps: options.deps }),
  };
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}
