import { GateFailure, InfrastructureError, UsageError } from '../errors.js';
import type { WsbenchError } from '../errors.js';
import type { OpenSummary } from '../driver/load-driver.js';
import { describeMachineBusy, formatMachineLoad } from '../metrics/machine-load.js';
import type { JudgedMachineLoad, MachineLoad } from '../metrics/machine-load.js';
import type { ResolvedRunOptions } from '../scenario/run-options.js';
import { checkLoadLimits } from '../scenario/load-limits.js';
import { MIN_MESSAGE_BYTES } from '../scenario/run-options.js';
import { checkSessionTraffic, sessionOptionsOf } from './session-traffic.js';
import { phaseTrafficOf } from './traffic-result.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { buildRunResult } from './build-run-result.js';
import { describeBreach } from './error-budget.js';
import { asWsbenchError, MeasurementSession } from './measurement-session.js';
import type { MeasuredPhase } from './measurement-session.js';
import { endStatus } from './result-header.js';
import type { RunListener } from './run-events.js';
import { RESULT_SCHEMA_VERSION } from './run-result.js';
import type { RunResult, ShardInfo } from './run-result.js';
import type { SessionDeps } from './session-deps.js';
import type { BarrierOutcome, StartBarrier } from './start-barrier.js';

export interface RunScenarioContext {
  /** The target's definition, when the run starts one (absent with `--url`). */
  definition?: TargetDefinition;
  /** This run is one shard of a scenario: recorded in the result (`shard{}`). */
  shard?: { index: number; count: number; totalConnections: number };
  /** Waits, after the connections are open, for the common start time of all shards (src/shard/start-barrier.ts). */
  barrier?: StartBarrier;
  signal?: AbortSignal;
  onEvent?: RunListener;
  /** Replacements for the target starter and the driver factory (tests). */
  deps?: Partial<SessionDeps>;
}

/** A run always yields its result (written by the caller) and, when it did not complete, why. */
export interface RunOutcome {
  result: RunResult;
  failure: WsbenchError | undefined;
}

/**
 * One scenario, end to end: plan → start target → open connections → paced load → stop → result.
 * Whatever happens after the plan (a crash, Ctrl-C, a dead worker), the target and the workers are
 * stopped and the measurements taken so far are in the result.
 */
export async function runScenario(options: ResolvedRunOptions, context: RunScenarioContext = {}): Promise<RunOutcome> {
  const emit = context.onEvent ?? (() => {});
  validateScenario(options);
  emit({ type: 'stage', stage: 'preparing', detail: options.scenarioName });
  const session = new MeasurementSession({
    ...sessionOptionsOf(options, context, emit, options.connections),
    sourceAddresses: options.sourceAddresses,
    sourceAddressOffset: options.sourceAddressOffset,
    pinning: options.pinning,
  });
  let opened: OpenSummary | undefined;
  let measured: MeasuredPhase | undefined;
  let machineLoad: JudgedMachineLoad | null = null;
  let barrierOutcome: BarrierOutcome | undefined;
  let failure: WsbenchError | undefined;
  try {
    await session.start();
    opened = await session.openConnections(options.connections);
    session.throwIfInterrupted();
    if (context.barrier !== undefined) {
      emit({ type: 'stage', stage: 'waiting', detail: context.barrier.describe() });
      barrierOutcome = await session.race(context.barrier.wait({ established: opened.established, signal: context.signal }));
      for (const warning of barrierOutcome.warnings ?? []) emit({ type: 'warning', message: warning });
      session.throwIfInterrupted();
    }
    measured = await session.runPhase({
      label: `The run (${options.scenarioName})`,
      ratePerConnection: options.ratePerConnection,
      messageBytes: options.messageBytes,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      ...(options.messageTimeoutMs === undefined ? {} : { messageTimeoutMs: options.messageTimeoutMs }),
      ...(options.pacer === undefined ? {} : { pacer: options.pacer }),
      ...(barrierOutcome === undefined ? {} : { startEpochMs: barrierOutcome.startEpochMs }),
      traffic: phaseTrafficOf(options.traffic),
    });
    if (measured.stoppedBy !== undefined) throw measured.stoppedBy;
    // The sampler keeps off the target's /metrics inside the window (a scrape allocates); one reading right
    // after it, with every connection still open, gives the result the goroutines and GC of the loaded server.
    await session.sampleNow();
    machineLoad = measured.machineLoad;
    if (machineLoad?.noisy === true) emit({ type: 'warning', message: noisyMachineWarning(machineLoad) });
    session.throwIfInterrupted();
  } catch (error) {
    failure = asWsbenchError(error);
  }
  // A run where no connection opened still reports what the attempts met (refused, timed out, HTTP 401…).
  opened ??= session.lastOpened;
  const samples = await session.close();
  const shard: ShardInfo | undefined =
    context.shard === undefined ? undefined : { ...context.shard, barrier: context.barrier?.kind ?? 'none', clockOffsetMs: barrierOutcome?.clockOffsetMs ?? null };
  const result = buildRunResult({
    options,
    shard,
    header: session.header({ kind: 'run', schemaVersion: RESULT_SCHEMA_VERSION, status: endStatus(session.interrupted, failure), failure }),
    workers: session.plan.workers.length,
    sourceAddresses: session.plan.sourceAddresses,
    opened,
    phase: measured?.phase,
    timeline: session.timeline,
    samples,
    cost: session.serverCost({ windowMs: measured?.phase?.measuredMs ?? 0, messages: measured?.phase?.receivedInWindow ?? 0, connections: opened?.established ?? 0 }),
    machineLoad,
    tcp: session.tcp,
  });
  if (failure === undefined && result.status === 'failed') {
    failure = new GateFailure('ERROR_BUDGET_EXCEEDED', describeBreach(result.errorBudget));
    result.error = { code: failure.code, message: failure.message };
  }
  if (failure === undefined && result.status === 'saturated') {
    // On a machine other processes keep busy, say so: the cure is a quieter machine, not more workers.
    const busy = result.machine?.noisy === true ? `\n  - the machine was busy: ${describeMachineBusy(result.machine)} during the load, so the driver waited for CPU; run again on a quieter machine (or pin with taskset)` : '';
    failure = new InfrastructureError('GENERATOR_SATURATED', `The load generator saturated, so these latencies describe the driver, not the server:\n  - ${result.generator.saturationReasons.join('\n  - ')}${busy}`);
  }
  return { result, failure };
}

function validateScenario(options: ResolvedRunOptions): void {
  checkLoadLimits(options);
  if (options.messageBytes < MIN_MESSAGE_BYTES) {
    throw new UsageError('INVALID_SIZE', `Expected --size to be at least ${MIN_MESSAGE_BYTES} bytes (each message carries an 8-byte sequence header); got ${options.messageBytes}. Give e.g. --size 64`);
  }
  if (options.warmupMs >= options.durationMs) {
    throw new UsageError('INVALID_WARMUP', `Expected --warmup (${options.warmupMs} ms) to be shorter than --duration (${options.durationMs} ms): the warm-up is part of the duration and excluded from the statistics. Give a shorter --warmup (e.g. 1s) or a longer --duration`);
  }
  if (options.url === undefined && options.target === undefined) {
    throw new UsageError('NO_TARGET', 'Nothing to load: give --target SPEC (e.g. gobwas) or --url ws://HOST:PORT/PATH');
  }
  checkSessionTraffic(options.traffic, options);
}

export function noisyMachineWarning(load: MachineLoad): string {
  return `${describeMachineBusy(load)} while this ran (${formatMachineLoad(load)}): latencies and throughput are noisier than the server alone explains`;
}
