import { GateFailure, InfrastructureError, InterruptedError, UsageError, WsbenchError } from '../errors.js';
import { describeBreach, judgeErrorBudget } from './error-budget.js';
import { checkLoadLimits } from '../scenario/load-limits.js';
import { planLoad, readMachineLimits } from '../plan/preflight.js';
import type { LoadPlan } from '../plan/preflight.js';
import { LoadDriver, WorkerLostError } from '../driver/load-driver.js';
import type { OpenSummary, PhaseSummary } from '../driver/load-driver.js';
import { decodeHistogram, encodeHistogram, percentileMs, summarizeLatencyMs } from '../metrics/latency-histogram.js';
import { diffTcpCounters, readTcpCounters } from '../metrics/tcp-counters.js';
import type { TcpCounters } from '../metrics/tcp-counters.js';
import { resolveHandshake } from '../scenario/traffic-options.js';
import { describeEnvironment } from '../metrics/environment.js';
import { createServerSampler, summarizeServerSamples } from '../metrics/server-sampler.js';
import { createServerCostMeter } from '../metrics/server-cost-meter.js';
import type { ServerCostMeter } from '../metrics/server-cost-meter.js';
import { EMPTY_SERVER_COST } from '../metrics/server-cost.js';
import type { ServerCostReport } from '../metrics/server-cost.js';
import { NOISY_OTHER_CPU_PERCENT, watchMachineLoad } from '../metrics/machine-load.js';
import type { MachineLoad } from '../metrics/machine-load.js';
import type { ServerSampler } from '../metrics/server-sampler.js';
import type { ServerSample } from '../metrics/server-sample.js';
import type { ResolvedRunOptions } from '../scenario/run-options.js';
import { MIN_MESSAGE_BYTES } from '../scenario/run-options.js';
import { startTarget, describeExit, LOG_TAIL_LINES } from '../targets/target-process.js';
import type { RunningTarget, TargetExit } from '../targets/target-process.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { TOOL_NAME, TOOL_VERSION } from '../tool-info.js';
import { readGitInfo } from './git-info.js';
import { saturationReasons } from './generator-health.js';
import type { RunListener } from './run-events.js';
import { RESULT_SCHEMA_VERSION } from './run-result.js';
import type { AbnormalClosures, HandshakeSummaryMs, RunResult, RunStatus, ShardInfo, TimelinePoint } from './run-result.js';
import type { StartBarrier, BarrierOutcome } from './start-barrier.js';

export interface RunScenarioContext {
  /** The target's definition, when the run starts one (absent with `--url`). */
  definition?: TargetDefinition;
  /** This run is one shard of a scenario: recorded in the result (`shard{}`). */
  shard?: { index: number; count: number; totalConnections: number };
  /** Waits, after the connections are open, for the common start time of all shards (src/shard/start-barrier.ts). */
  barrier?: StartBarrier;
  signal?: AbortSignal;
  onEvent?: RunListener;
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
  const handshake = resolveHandshake(options.traffic ?? {}, options.url);
  emit({ type: 'stage', stage: 'preparing', detail: options.scenarioName });
  const plan = planFor(options, context.definition);
  for (const warning of plan.warnings) emit({ type: 'warning', message: warning });

  const startedAt = new Date().toISOString();
  const [git, env] = [await readGitInfo(), describeEnvironment(TOOL_VERSION)];
  let target: RunningTarget | undefined;
  let sampler: ServerSampler | undefined;
  let costMeter: ServerCostMeter | undefined;
  let driver: LoadDriver | undefined;
  let opened: OpenSummary | undefined;
  let phase: PhaseSummary | undefined;
  let machineLoad: MachineLoad | null = null;
  let tcpBefore: TcpCounters | null = null;
  let barrierOutcome: BarrierOutcome | undefined;
  let failure: WsbenchError | undefined;
  let url = options.url ?? '';
  const timeline: TimelinePoint[] = [];

  const interrupted = (): boolean => context.signal?.aborted === true;
  const onAbort = (): void => driver?.interrupt();
  context.signal?.addEventListener('abort', onAbort);

  try {
    if (context.definition !== undefined) {
      emit({ type: 'stage', stage: 'starting-target', detail: options.target?.text ?? context.definition.name });
      target = await startTarget({ definition: context.definition, knobs: options.target?.knobs ?? {} });
      url = target.url;
      emit({ type: 'target-ready', pid: target.pid, url: target.url, commandLine: target.commandLine, ...(target.metricsUrl === undefined ? {} : { metricsUrl: target.metricsUrl }) });
      sampler = createServerSampler({ rootPid: target.pid, ...(target.metricsUrl === undefined ? {} : { metricsUrl: target.metricsUrl }) });
      sampler.on('sample', (sample) => emit({ type: 'server-sample', sample }));
      sampler.start();
      costMeter = createServerCostMeter({
        pid: target.pid,
        ...(target.metricsUrl === undefined ? {} : { metricsUrl: target.metricsUrl }),
        // A fixture's --procs children serve their own /metrics: the parent's speaks for itself only.
        metricsCoverTree: (context.definition.processCount?.(options.target?.knobs ?? {}) ?? 1) <= 1,
      });
      costMeter.beforeOpen();
    }
    throwIfInterrupted(interrupted);

    driver = new LoadDriver({
      url,
      workers: plan.workers.length,
      localAddressesByWorker: plan.workers.map((worker) => worker.sourceAddresses.map((address) => address.address)),
      handshake,
    });
    driver.on('opening', (progress) => emit({ type: 'opening', progress }));
    driver.on('phase', (window) => {
      costMeter?.scheduleWindow(window.measureFromMs, window.endMs);
      sampler?.quietBetween(window.startMs, window.endMs);
    });
    driver.on('second', (second) => {
      // The server sample nearest in time: the sampler and the driver tick once a second each.
      const server = sampler?.samples.at(-1);
      const { phaseId: _phaseId, ...point } = second;
      timeline.push({ ...point, ...(server === undefined ? {} : { server }) });
      emit({ type: 'second', second, durationMs: options.durationMs });
    });
    const crashed = target === undefined ? new Promise<never>(() => {}) : watchForCrash(target, driver);

    emit({ type: 'stage', stage: 'opening', detail: `${options.connections} connections` });
    tcpBefore = readTcpCounters();
    opened = await Promise.race([driver.open(options.connections), crashed, abortedWhileOpening(context.signal)]);
    costMeter?.afterOpen();
    emit({ type: 'opened', established: opened.established, failed: opened.failed, openMs: opened.openMs });
    throwIfInterrupted(interrupted);
    if (opened.established === 0) {
      throw new InfrastructureError('NO_CONNECTIONS', `None of ${opened.attempted} connections to ${url} could be opened (${formatCodes(opened.errorsByCode)})`, {
        logTail: target?.logTail.last(LOG_TAIL_LINES) ?? [],
      });
    }

    if (context.barrier !== undefined) {
      emit({ type: 'stage', stage: 'waiting', detail: context.barrier.describe() });
      barrierOutcome = await Promise.race([context.barrier.wait({ established: opened.established, signal: context.signal }), crashed]);
      for (const warning of barrierOutcome.warnings ?? []) emit({ type: 'warning', message: warning });
      throwIfInterrupted(interrupted);
    }

    emit({ type: 'stage', stage: 'loading' });
    const machineWatch = watchMachineLoad();
    const phaseRun = driver.runPhase({
      ratePerConnection: options.ratePerConnection,
      messageBytes: options.messageBytes,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      ...(options.messageTimeoutMs === undefined ? {} : { messageTimeoutMs: options.messageTimeoutMs }),
      ...(options.pacer === undefined ? {} : { pacer: options.pacer }),
      ...(barrierOutcome === undefined ? {} : { startEpochMs: barrierOutcome.startEpochMs }),
    });
    try {
      phase = await Promise.race([phaseRun, crashed]);
      machineLoad = machineWatch.stop();
      if (machineLoad !== null && machineLoad.otherCpuPercent > NOISY_OTHER_CPU_PERCENT) {
        emit({ type: 'warning', message: noisyMachineWarning(machineLoad) });
      }
    } catch (error) {
      // The crash watcher has told the workers to stop: keep what they measured until the crash.
      phase = await phaseRun.catch((lost: unknown) => (lost instanceof WorkerLostError ? lost.partial : undefined));
      throw error;
    }
    // A target that died in the last moments is still a crash, even if every phase report came in.
    if (target?.hasExited === true) await crashed;
    throwIfInterrupted(interrupted);
  } catch (error) {
    failure = error instanceof WsbenchError ? error : new InfrastructureError('UNEXPECTED', `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    context.signal?.removeEventListener('abort', onAbort);
    emit({ type: 'stage', stage: 'stopping' });
    const samples = sampler?.stop() ?? [];
    await costMeter?.finish();
    const cost = costMeter?.summarize({ windowMs: phase?.measuredMs ?? 0, messages: phase?.receivedInWindow ?? 0, connections: opened?.established ?? 0 });
    // Read before the target stops: its closing sockets would add resets that are not the run's.
    const tcp = diffTcpCounters(tcpBefore, readTcpCounters());
    await target?.stop();
    await driver?.close();
    const shard: ShardInfo | undefined =
      context.shard === undefined
        ? undefined
        : { ...context.shard, barrier: context.barrier?.kind ?? 'none', clockOffsetMs: barrierOutcome?.clockOffsetMs ?? null };
    const result = buildResult({ options, shard, startedAt, env, git, target, url, plan, opened, phase, timeline, samples, cost, machineLoad, tcp, failure, interrupted: interrupted() });
    if (failure === undefined && result.status === 'failed') {
      failure = new GateFailure('ERROR_BUDGET_EXCEEDED', describeBreach(result.errorBudget));
      result.error = { code: failure.code, message: failure.message };
    }
    if (failure === undefined && result.status === 'saturated') {
      // On a machine other processes keep busy, say so: the cure is a quieter machine, not more workers.
      const busy = result.machine?.noisy === true ? `\n  - the machine was busy: other processes used ${result.machine.otherCpuPercent.toFixed(0)}% of a core during the load, so the driver waited for CPU; run again on a quieter machine (or pin with taskset)` : '';
      failure = new InfrastructureError('GENERATOR_SATURATED', `The load generator saturated, so these latencies describe the driver, not the server:\n  - ${result.generator.saturationReasons.join('\n  - ')}${busy}`);
    }
    return { result, failure };
  }
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
}

function planFor(options: ResolvedRunOptions, definition: TargetDefinition | undefined): LoadPlan {
  const targetProcs = definition?.processCount?.(options.target?.knobs ?? {});
  const plan = planLoad(
    {
      connections: options.connections,
      targetIsFixture: definition?.processCount !== undefined,
      ...(targetProcs === undefined ? {} : { targetProcs }),
      ...(options.workers === undefined ? {} : { workersRequested: options.workers }),
      sourceAddresses: options.sourceAddresses ?? (isLoopbackUrl(options.url) ? 'loopback' : 'kernel'),
      sourceAddressOffset: options.sourceAddressOffset,
    },
    readMachineLimits(),
  );
  if (plan.errors.length > 0) throw new UsageError('IMPOSSIBLE_PLAN', `This machine cannot run ${options.connections} connections as asked:\n  - ${plan.errors.join('\n  - ')}`);
  return plan;
}

/** A target on this machine (or started by us) is reached from 127.0.0.x; any other host only by its route. */
function isLoopbackUrl(url: string | undefined): boolean {
  if (url === undefined) return true;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * Ctrl-C while connections open: give up at once rather than wait out every pending handshake (up to its
 * 10 s timeout); closing the driver then terminates what did open. Never settles without a signal.
 */
function abortedWhileOpening(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    const abort = (): void => reject(new InterruptedError('INTERRUPTED', 'Interrupted while opening connections; nothing was loaded yet'));
    if (signal?.aborted === true) abort();
    else signal?.addEventListener('abort', abort, { once: true });
  });
}

function throwIfInterrupted(interrupted: () => boolean): void {
  if (interrupted()) throw new InterruptedError('INTERRUPTED', 'Interrupted; the measurements taken so far are in the result');
}

/** Resolves never; rejects when the target exits on its own, after telling the driver to stop sending. */
function watchForCrash(target: RunningTarget, driver: LoadDriver): Promise<never> {
  return target.exited.then((exit: TargetExit) => {
    if (exit.stoppedByUs) return new Promise<never>(() => {});
    driver.interrupt();
    throw new InfrastructureError('TARGET_CRASHED', `The target (pid ${target.pid}) exited during the run (${describeExit(exit)}): \`${target.commandLine}\``, {
      logTail: target.logTail.last(LOG_TAIL_LINES),
    });
  });
}

export function noisyMachineWarning(load: MachineLoad): string {
  return `other processes used ${load.otherCpuPercent.toFixed(0)}% of a core while this ran (steal ${load.stealPercent.toFixed(0)}%): latencies and throughput are noisier than the server alone explains`;
}

function formatCodes(errorsByCode: Record<string, number>): string {
  const entries = Object.entries(errorsByCode);
  return entries.length === 0 ? 'no error codes' : entries.map(([code, count]) => `${code} ×${count}`).join(', ');
}

interface ResultParts {
  options: ResolvedRunOptions;
  shard: ShardInfo | undefined;
  startedAt: string;
  env: RunResult['env'];
  git: RunResult['git'];
  target: RunningTarget | undefined;
  url: string;
  plan: LoadPlan;
  opened: OpenSummary | undefined;
  phase: PhaseSummary | undefined;
  timeline: TimelinePoint[];
  samples: ServerSample[];
  cost: ServerCostReport | undefined;
  machineLoad: MachineLoad | null;
  tcp: TcpCounters | null;
  failure: WsbenchError | undefined;
  interrupted: boolean;
}

function buildResult(parts: ResultParts): RunResult {
  const { options, opened, phase, failure } = parts;
  const measuredSeconds = parts.timeline.filter((second) => !second.warmup);
  const eventLoopUtilization = phase?.eventLoopUtilization ?? 0;
  const sendLagP99Ms = phase?.sendLagP99Ms ?? 0;
  const reasons = phase === undefined ? [] : saturationReasons({ sendLagP99Ms, eventLoopUtilization, workers: parts.plan.workers.length });
  const errorBudget = judgeErrorBudget(options.errorBudget, {
    sent: phase?.sent ?? 0,
    timedOut: phase?.timedOut ?? 0,
    mismatched: phase?.mismatched ?? 0,
    connectionsAttempted: opened?.attempted ?? 0,
    connectionsFailed: opened?.failed ?? 0,
    connectionsDropped: phase?.dropped ?? 0,
  });
  // Lost, unanswered or wrong echoes are the server's doing even when the generator sent late (a late send
  // is still answered; RTT is what saturation makes untrustworthy), so a breached budget outranks saturation.
  const status: RunStatus = parts.interrupted ? 'interrupted' : failure !== undefined ? 'errored' : !errorBudget.held ? 'failed' : reasons.length > 0 ? 'saturated' : 'completed';
  const achievedPerSec = phase?.achievedPerSec ?? 0;
  const server = summarizeServerSamples(parts.samples);
  const errorsByCode = { ...(opened?.errorsByCode ?? {}) };
  for (const [code, count] of Object.entries(phase?.dropsByCode ?? {})) errorsByCode[`dropped:${code}`] = (errorsByCode[`dropped:${code}`] ?? 0) + count;
  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: 'run',
    status,
    ...(failure === undefined
      ? {}
      : { error: { code: failure.code, message: failure.message, ...(failure instanceof InfrastructureError && failure.logTail.length > 0 ? { logTail: [...failure.logTail] } : {}) } }),
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    startedAt: parts.startedAt,
    env: parts.env,
    git: parts.git,
    target: { spec: options.target?.text ?? options.url ?? '', url: parts.url, command: parts.target?.commandLine ?? null, pid: parts.target?.pid ?? null },
    scenario: {
      name: options.scenarioName,
      connections: options.connections,
      ratePerConnection: options.ratePerConnection,
      messageBytes: options.messageBytes,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
    },
    connections: {
      attempted: opened?.attempted ?? 0,
      established: opened?.established ?? 0,
      failed: opened?.failed ?? 0,
      dropped: phase?.dropped ?? 0,
      errorsByCode,
      openMs: Math.round(opened?.openMs ?? 0),
      handshakeMs: handshakeSummary(opened),
      handshakeFailuresByCode: { ...(opened?.errorsByCode ?? {}) },
      abnormalClosures: abnormalClosures(phase?.dropsByCode ?? {}),
    },
    messages: {
      sent: phase?.sent ?? 0,
      received: phase?.received ?? 0,
      timedOut: phase?.timedOut ?? 0,
      late: phase?.late ?? 0,
      mismatched: phase?.mismatched ?? 0,
      unmatched: phase?.unmatched ?? 0,
    },
    errorBudget,
    throughput: {
      offeredPerSec: options.connections * options.ratePerConnection,
      achievedPerSec,
      achievedBytesPerSec: phase?.achievedBytesPerSec ?? 0,
    },
    latencyMs: phase === undefined ? null : summarizeLatencyMs(phase.rtt),
    histogram: phase === undefined ? null : encodeHistogram(phase.rtt),
    generator: {
      sendLagP99Ms,
      sendLagMaxMs: phase?.sendLagMaxMs ?? 0,
      eventLoopUtilization,
      cpuMicrosPerMessage: phase === undefined || !Number.isFinite(phase.cpuMicrosPerEcho) ? null : phase.cpuMicrosPerEcho,
      heapBytesPerConnection: opened === undefined || opened.established === 0 ? null : opened.heapUsedBytes / opened.established,
      workers: parts.plan.workers.length,
      sourceAddresses: parts.plan.sourceAddresses,
      saturated: reasons.length > 0,
      saturationReasons: reasons,
    },
    server: {
      cpuPercent: measuredServerCpu(measuredSeconds) ?? server.cpuPercent,
      peakRssBytes: server.peakRssBytes,
      samples: parts.samples,
      ...costFigures(parts.cost),
    },
    machine: parts.machineLoad === null ? null : { ...parts.machineLoad, noisy: parts.machineLoad.otherCpuPercent > NOISY_OTHER_CPU_PERCENT },
    tcp: parts.tcp,
    timeline: parts.timeline,
    loadStartedAtEpochMs: phase?.startEpochMs ?? null,
    ...(parts.shard === undefined ? {} : { shard: parts.shard }),
  };
  return result;
}

function costFigures(cost: ServerCostReport | undefined): Omit<RunResult['server'], 'cpuPercent' | 'peakRssBytes' | 'samples'> {
  if (cost === undefined) return { ...EMPTY_SERVER_COST, costBasis: null };
  const { basis, ...figures } = cost;
  return { ...figures, costBasis: basis };
}

/** The server's mean CPU over the measured window (warm-up and connection set-up excluded), when sampled. */
function measuredServerCpu(points: TimelinePoint[]): number | null {
  const cpu = points.flatMap((point) => (point.server === undefined ? [] : [point.server.cpuPercent]));
  return cpu.length === 0 ? null : mean(cpu);
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}


/** Dial-to-open percentiles of the connections established; null when none was. */
export function handshakeSummary(opened: OpenSummary | undefined): HandshakeSummaryMs | null {
  if (opened === undefined) return null;
  const histogram = decodeHistogram(opened.handshakeHistogram);
  const summary = histogram.totalCount === 0 ? null : { p50: percentileMs(histogram, 50), p99: percentileMs(histogram, 99), max: histogram.maxValue / 1000, count: histogram.totalCount };
  histogram.destroy();
  return summary;
}

/** Closes wsbench did not ask for, by close code (`1006`) or socket error (`ECONNRESET`). */
export function abnormalClosures(dropsByCode: Record<string, number>): AbnormalClosures {
  const byCode: Record<string, number> = {};
  let total = 0;
  for (const [code, count] of Object.entries(dropsByCode)) {
    const key = code.startsWith('CLOSE_') ? code.slice('CLOSE_'.length) : code;
    byCode[key] = (byCode[key] ?? 0) + count;
    total += count;
  }
  return { total, byCode };
}
