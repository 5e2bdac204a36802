import { performance } from 'node:perf_hooks';
import { InfrastructureError } from '../errors.js';
import type { OpenSummary } from '../driver/load-driver.js';
import type { EnvironmentInfo } from '../metrics/environment.js';
import type { ServerCostMeter, WindowFigures } from '../metrics/server-cost-meter.js';
import type { ServerCostReport } from '../metrics/server-cost.js';
import type { ServerSampler } from '../metrics/server-sampler.js';
import type { ServerSample } from '../metrics/server-sample.js';
import { diffTcpCounters, tcpCounterFilesOf } from '../metrics/tcp-counters.js';
import type { TcpCounters } from '../metrics/tcp-counters.js';
import type { LoadPlan, MachineLimits } from '../plan/preflight.js';
import type { TargetNamespacePlan } from '../targets/target-namespace-plan.js';
import { LOG_TAIL_LINES } from '../targets/target-process.js';
import type { RunningTarget } from '../targets/target-process.js';
import { TOOL_VERSION } from '../tool-info.js';
import type { GitInfo } from './git-info.js';
import { planSession } from './plan-session.js';
import { planTargetKnobs } from './plan-target-knobs.js';
import { buildResultHeader } from './result-header.js';
import type { HeaderRequest } from './result-header.js';
import type { ResultHeader, TimelinePoint } from './run-result.js';
import { runMeasuredPhase } from './run-measured-phase.js';
import { DEFAULT_SESSION_DEPS } from './session-deps.js';
import type { SessionDeps, SessionDriver } from './session-deps.js';
import { interruptedError } from './session-errors.js';
import type { MeasuredPhase, PhaseRequest, SessionOptions } from './session-options.js';
import { TargetDiedError } from './target-died-error.js';
import { watchdog } from './watchdog.js';

export { asWsbenchError } from './session-errors.js';
export type { MeasuredPhase, PhaseRequest, SessionOptions } from './session-options.js';

/** Opening may take this long per 1K connections (bounded handshakes), and never less than the minimum. */
export const OPEN_WATCHDOG_MS_PER_1K = 5_000;
export const OPEN_WATCHDOG_MIN_MS = 60_000;

/**
 * One measurement session: the lifecycle every command shares (run, ramp, limit, compare trials, and what
 * comes next: patterns, shards). It plans the load for the machine, starts the target and its sampler,
 * watches it for a crash, runs one driver whose connections stay open across phases, stitches the
 * per-second timeline, and builds the result header. `close()` stops all of it, is safe at any point,
 * and is idempotent, so a failure half-way through `start()` leaves no process behind.
 */
export class MeasurementSession {
  readonly plan: LoadPlan;
  readonly limits: MachineLimits;
  readonly startedAt = new Date().toISOString();
  readonly env: EnvironmentInfo;
  git: GitInfo = { commit: null, ref: null, dirty: null };
  target: RunningTarget | undefined;
  sampler: ServerSampler | undefined;
  /** Server cost (CPU per message, memory per connection, Go allocations) of the target wsbench started. */
  costMeter: ServerCostMeter | undefined;
  url: string;
  /** Each worker's source addresses, as bound (from the load plan). */
  readonly sourceAddressesByWorker: string[][];
  /** Every second of load so far, across phases, each with the server sample nearest in time. */
  readonly timeline: TimelinePoint[] = [];
  /** Connections established so far (all phases). */
  established = 0;
  /** What the last `openConnections` reported, also when it then failed for want of any connection. */
  lastOpened: OpenSummary | undefined;
  /** Kernel TCP counters over the session, from before opening to before the target stops (after `close()`). */
  tcp: TcpCounters | null = null;
  private tcpBefore: TcpCounters | null = null;
  /** Rejects when the target dies by itself or the run is interrupted; never resolves. */
  readonly broken: Promise<never>;
  private rejectBroken: (error: Error) => void = () => {};
  private readonly deps: SessionDeps;
  /** The target's knobs as started: the SPEC's, with the processes the fd-limit plan needs. */
  private readonly targetKnobs: Record<string, string>;
  /** The target's own network namespace, when its knobs set sysctls or its file limit. */
  private readonly namespace: TargetNamespacePlan | undefined;
  private readonly options: SessionOptions;
  private driverInstance: SessionDriver | undefined;
  private zeroMs = performance.now();
  private phaseDurationMs = 0;
  /** Ends the sampler's quiet period of the last window (its scrapes stay off the server until then). */
  private endScrapeQuiet: (() => void) | undefined;
  private closed = false;
  private closing: Promise<ServerSample[]> | undefined;

  /** Plans the load (a UsageError when the machine cannot run it), before any process starts. */
  constructor(options: SessionOptions) {
    this.options = options;
    this.deps = { ...DEFAULT_SESSION_DEPS, ...options.deps };
    this.url = options.url ?? '';
    this.limits = this.deps.readMachineLimits();
    const planned = planSession(options, this.limits, this.deps);
    this.plan = planned.plan;
    this.namespace = planned.namespace;
    for (const warning of this.plan.warnings) options.emit({ type: 'warning', message: warning });
    this.targetKnobs = planTargetKnobs(options.target, options.definition, this.plan, (message) => options.emit({ type: 'warning', message }));
    this.sourceAddressesByWorker = this.plan.workers.map((worker) => worker.sourceAddresses.map((address) => address.address));
    this.env = this.deps.describeEnvironment(TOOL_VERSION);
    this.broken = new Promise<never>((_, reject) => (this.rejectBroken = reject));
    this.broken.catch(() => {});
    options.signal?.addEventListener('abort', this.onAbort);
  }

  get interrupted(): boolean {
    return this.options.signal?.aborted === true;
  }

  /** The driver; only after `start()`. */
  get driver(): SessionDriver {
    if (this.driverInstance === undefined) throw new Error('MeasurementSession.driver used before start()');
    return this.driverInstance;
  }

  /** Reads git, starts the target (when there is a definition) and its sampler, then the driver's workers. */
  async start(): Promise<void> {
    const { definition, emit } = this.options;
    this.git = await this.deps.readGitInfo();
    if (definition !== undefined) {
      emit({ type: 'stage', stage: 'starting-target', detail: this.options.target?.text ?? definition.name });
      const target = await this.deps.startTarget({
        definition,
        knobs: this.targetKnobs,
        ...(this.options.pinning === undefined ? {} : { pin: this.options.pinning.target }),
        ...(this.namespace === undefined ? {} : { namespace: this.namespace }),
      });
      this.target = target;
      this.url = target.url;
      emit({ type: 'target-ready', pid: target.pid, url: target.url, commandLine: target.commandLine, ...(target.metricsUrl === undefined ? {} : { metricsUrl: target.metricsUrl }) });
      this.watchForDeath(target);
      // A fixture's --procs children serve their own /metrics: the parent's speaks for itself only.
      this.watchServer({ pid: target.pid, metricsUrl: target.metricsUrl, metricsCoverTree: (definition.processCount?.(this.targetKnobs) ?? 1) <= 1 });
    } else if (this.options.watchedServer !== undefined) {
      // The same sampler and cost meter as for a managed target, so both yield the same server figures.
      this.watchServer(this.options.watchedServer);
    }
    this.throwIfInterrupted();
    const driver = this.deps.createDriver({
      url: this.url,
      workers: this.plan.workers.length,
      localAddressesByWorker: this.sourceAddressesByWorker,
      connectionsByWorker: this.plan.workers.map((worker) => worker.connections),
      ...(this.options.handshake === undefined ? {} : { handshake: this.options.handshake }),
      ...(this.options.pinning === undefined ? {} : { pin: this.options.pinning.driver }),
    });
    this.driverInstance = driver;
    driver.on('opening', (progress) => emit({ type: 'opening', progress }));
    driver.on('phase', (window) => {
      const closed = this.costMeter?.scheduleWindow(window.measureFromMs, window.endMs);
      const endQuiet = this.sampler?.quietFrom(window.startMs);
      this.endScrapeQuiet = endQuiet;
      if (endQuiet !== undefined) void (closed ?? Promise.resolve()).then(endQuiet);
    });
    driver.on('second', (second) => {
      // The server sample nearest in time: the sampler and the driver tick once a second each.
      const server = this.sampler?.samples.at(-1);
      const { phaseId: _phaseId, ...point } = second;
      this.timeline.push({ ...point, ...(server === undefined ? {} : { server }) });
      emit({ type: 'second', second, durationMs: this.phaseDurationMs });
    });
    this.tcpBefore = this.readTcp();
  }

  /** A target in a namespace of its own: its namespace's counters, this run's alone; else this host's, everyone's. */
  private readTcp(): TcpCounters | null {
    return this.target?.namespace === undefined ? this.deps.readTcpCounters() : this.deps.readTcpCounters(tcpCounterFilesOf(this.target.pid));
  }

  /** Opens `count` more connections (earlier ones stay open); fails when none at all is open afterwards. */
  async openConnections(count: number, detail = `${count} connections`): Promise<OpenSummary> {
    const { emit } = this.options;
    this.lastOpened = undefined;
    emit({ type: 'stage', stage: 'opening', detail });
    const guard = watchdog(Math.max(OPEN_WATCHDOG_MIN_MS, (count / 1000) * OPEN_WATCHDOG_MS_PER_1K), `Opening ${count} connections`);
    let opened: OpenSummary;
    try {
      opened = await Promise.race([this.driver.open(count), this.broken, guard.promise]);
    } finally {
      guard.cancel();
    }
    this.lastOpened = opened;
    this.costMeter?.afterOpen();
    emit({ type: 'opened', established: opened.established, failed: opened.failed, openMs: opened.openMs });
    this.established += opened.established;
    if (this.established === 0) {
      throw new InfrastructureError('NO_CONNECTIONS', `None of ${opened.attempted} connections to ${this.url} could be opened (${formatCodes(opened.errorsByCode)})`, {
        logTail: this.target?.logTail.last(LOG_TAIL_LINES) ?? [],
      });
    }
    return opened;
  }

  /** One phase of paced load on every open connection; never throws for the ways a phase ends early (run-measured-phase.ts). */
  async runPhase(request: PhaseRequest): Promise<MeasuredPhase> {
    if (this.interrupted) return { phase: undefined, stoppedBy: interruptedError(), overran: false, windowFromMs: this.elapsedMs(), machineLoad: null };
    this.options.emit({ type: 'stage', stage: 'loading', ...(request.detail === undefined ? {} : { detail: request.detail }) });
    this.phaseDurationMs = request.durationMs;
    return runMeasuredPhase(request, { driver: this.driver, broken: this.broken, target: this.target, windowFromMs: this.elapsedMs() + request.warmupMs, watchMachineLoad: this.deps.watchMachineLoad });
  }

  /** `work`, or the reason the session broke first (the target died, Ctrl-C): for waits between phases (a start barrier). */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.broken]);
  }

  /** Milliseconds since the session's time zero (the sampler's `elapsedMs` clock). */
  elapsedMs(): number {
    return performance.now() - this.zeroMs;
  }

  /** Server samples taken after `fromMs` on the session clock. */
  samplesSince(fromMs: number): ServerSample[] {
    return (this.sampler?.samples ?? []).filter((sample) => sample.elapsedMs > fromMs);
  }

  /** A fresh server sample now (RSS after a step), or undefined when the target is gone. */
  async sampleNow(): Promise<ServerSample | undefined> {
    if (this.sampler === undefined || this.target?.hasExited === true) return undefined;
    // After a window, its closing reading goes first; the sampler's quiet ends with it.
    await this.costMeter?.settle();
    this.endScrapeQuiet?.();
    return this.sampler.sampleNow().catch(() => undefined);
  }

  throwIfInterrupted(): void {
    if (this.interrupted) throw interruptedError();
  }

  /** The result header every result file starts with, built from what this session knows. */
  header<Kind extends string>(request: HeaderRequest<Kind>): ResultHeader<Kind> {
    return buildResultHeader(request, {
      startedAt: this.startedAt,
      env: this.env,
      git: this.git,
      target: { spec: this.options.target?.text ?? this.options.url ?? '', url: this.url, command: this.target?.commandLine ?? null, pid: this.target?.pid ?? null },
    });
  }

  /** The server's cost over the last phase's measured window (after `close()`); undefined without a started target. */
  serverCost(figures: WindowFigures): ServerCostReport | undefined {
    return this.costMeter?.summarize(figures);
  }

  /** Stops the sampler, the target and the workers; returns every server sample taken. */
  close(): Promise<ServerSample[]> {
    this.closing ??= this.stopEverything();
    return this.closing;
  }

  private async stopEverything(): Promise<ServerSample[]> {
    this.closed = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.options.emit({ type: 'stage', stage: 'stopping' });
    const samples = this.sampler?.stop() ?? [];
    await this.costMeter?.finish();
    // Read before the target stops: its closing sockets would add resets that are not the measurement's.
    if (this.tcpBefore !== null) {
      const tcp = diffTcpCounters(this.tcpBefore, this.readTcp());
      this.tcp = tcp === null ? null : { ...tcp, scope: this.target?.namespace === undefined ? 'machine' : 'target-namespace' };
    }
    await this.target?.stop();
    await this.driverInstance?.close();
    return samples;
  }

  /** Samples the server's process tree (and /metrics) from now on, and meters its cost per message. */
  private watchServer(server: { pid: number; metricsUrl?: string | undefined; metricsCoverTree: boolean }): void {
    this.zeroMs = performance.now();
    const metrics = server.metricsUrl === undefined ? {} : { metricsUrl: server.metricsUrl };
    this.sampler = this.deps.createSampler({ rootPid: server.pid, timeZeroMs: this.zeroMs, ...metrics });
    this.sampler.on('sample', (sample) => this.options.emit({ type: 'server-sample', sample }));
    this.sampler.start();
    this.costMeter = this.deps.createCostMeter({ pid: server.pid, ...metrics, metricsCoverTree: server.metricsCoverTree });
    this.costMeter.beforeOpen();
  }

  private watchForDeath(target: RunningTarget): void {
    void target.exited.then((exit) => {
      if (exit.stoppedByUs || this.closed) return;
      this.driverInstance?.interrupt();
      this.rejectBroken(new TargetDiedError(target, exit));
    });
  }

  private readonly onAbort = (): void => {
    this.driverInstance?.interrupt();
    this.rejectBroken(interruptedError());
  };
}

function formatCodes(errorsByCode: Record<string, number>): string {
  const entries = Object.entries(errorsByCode);
  return entries.length === 0 ? 'no error codes' : entries.map(([code, count]) => `${code} ×${count}`).join(', ');
}
