import { performance } from 'node:perf_hooks';
import { InfrastructureError, InterruptedError, UsageError } from '../errors.js';
import { planLoad, readMachineLimits } from '../plan/preflight.js';
import type { LoadPlan, MachineLimits } from '../plan/preflight.js';
import { LoadDriver } from '../driver/load-driver.js';
import { createServerSampler } from '../metrics/server-sampler.js';
import type { ServerSampler } from '../metrics/server-sampler.js';
import type { ServerSample } from '../metrics/server-sample.js';
import { describeExit, startTarget, LOG_TAIL_LINES } from '../targets/target-process.js';
import type { RunningTarget, TargetExit } from '../targets/target-process.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import type { TargetSpec } from '../targets/target-spec.js';
import type { RunListener } from '../run/run-events.js';

/**
 * What a ramp and a limit search share: one target process, its sampler and one driver whose
 * connections stay open across steps or probes. `close()` stops all of it and is safe at any point,
 * so a failure half-way through `start()` still leaves no process behind.
 */

/** The server died by itself; a ramp treats that as its finding, not as a failure. */
export class TargetDiedError extends InfrastructureError {
  readonly exit: TargetExit;

  constructor(target: RunningTarget, exit: TargetExit) {
    const oom = exit.signal === 'SIGKILL' ? ' (likely the OOM killer; dmesg is not readable here to confirm)' : '';
    super('TARGET_CRASHED', `The target (pid ${target.pid}) exited during the run (${describeExit(exit)}${oom}): \`${target.commandLine}\``, {
      logTail: target.logTail.last(LOG_TAIL_LINES),
    });
    this.exit = exit;
  }
}

export interface SessionOptions {
  target: TargetSpec | undefined;
  url: string | undefined;
  workers: number | undefined;
  /** The most connections the session will open (the plan is made for these). */
  maxConnections: number;
  definition: TargetDefinition | undefined;
  signal: AbortSignal | undefined;
  emit: RunListener;
}

export class CapacitySession {
  readonly plan: LoadPlan;
  readonly limits: MachineLimits;
  target: RunningTarget | undefined;
  sampler: ServerSampler | undefined;
  driver: LoadDriver | undefined;
  url: string;
  /** Each worker's source addresses, as bound (from the load plan). */
  sourceAddressesByWorker: string[][] = [];
  /** The sampler's time zero (performance.now), so steps can pick their samples by `elapsedMs`. */
  readonly zeroMs = performance.now();
  /** Rejects when the target dies by itself or the run is interrupted; never resolves. */
  readonly broken: Promise<never>;
  private rejectBroken: (error: Error) => void = () => {};
  private readonly options: SessionOptions;
  private closed = false;

  constructor(options: SessionOptions) {
    this.options = options;
    this.url = options.url ?? '';
    this.limits = readMachineLimits();
    this.plan = planSession(options, this.limits);
    this.broken = new Promise<never>((_, reject) => (this.rejectBroken = reject));
    this.broken.catch(() => {});
    options.signal?.addEventListener('abort', this.onAbort);
  }

  get interrupted(): boolean {
    return this.options.signal?.aborted === true;
  }

  async start(): Promise<void> {
    const { definition, emit } = this.options;
    if (definition !== undefined) {
      emit({ type: 'stage', stage: 'starting-target', detail: this.options.target?.text ?? definition.name });
      this.target = await startTarget({ definition, knobs: this.options.target?.knobs ?? {} });
      const target = this.target;
      this.url = target.url;
      emit({ type: 'target-ready', pid: target.pid, url: target.url, commandLine: target.commandLine, ...(target.metricsUrl === undefined ? {} : { metricsUrl: target.metricsUrl }) });
      this.sampler = createServerSampler({ rootPid: target.pid, timeZeroMs: this.zeroMs, ...(target.metricsUrl === undefined ? {} : { metricsUrl: target.metricsUrl }) });
      this.sampler.on('sample', (sample) => emit({ type: 'server-sample', sample }));
      this.sampler.start();
      void target.exited.then((exit) => {
        if (exit.stoppedByUs || this.closed) return;
        this.driver?.interrupt();
        this.rejectBroken(new TargetDiedError(target, exit));
      });
    }
    this.throwIfInterrupted();
    this.sourceAddressesByWorker = this.plan.workers.map((worker) => worker.sourceAddresses.map((address) => address.address));
    this.driver = new LoadDriver({
      url: this.url,
      workers: this.plan.workers.length,
      localAddressesByWorker: this.sourceAddressesByWorker,
    });
    this.driver.on('opening', (progress) => emit({ type: 'opening', progress }));
  }

  /** Milliseconds since the session's time zero (the sampler's `elapsedMs` clock). */
  elapsedMs(): number {
    return performance.now() - this.zeroMs;
  }

  /** A fresh server sample now (RSS after the step), or undefined when the target is gone. */
  async sampleNow(): Promise<ServerSample | undefined> {
    if (this.sampler === undefined || this.target?.hasExited === true) return undefined;
    return this.sampler.sampleNow().catch(() => undefined);
  }

  throwIfInterrupted(): void {
    if (this.interrupted) throw new InterruptedError('INTERRUPTED', 'Interrupted; the measurements taken so far are in the result');
  }

  /** Stops the sampler, the target and the workers; returns every server sample taken. */
  async close(): Promise<ServerSample[]> {
    if (this.closed) return this.sampler?.samples.slice() ?? [];
    this.closed = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.options.emit({ type: 'stage', stage: 'stopping' });
    const samples = this.sampler?.stop() ?? [];
    await this.target?.stop();
    await this.driver?.close();
    return samples;
  }

  private readonly onAbort = (): void => {
    this.driver?.interrupt();
    this.rejectBroken(new InterruptedError('INTERRUPTED', 'Interrupted; the measurements taken so far are in the result'));
  };
}

function planSession(options: SessionOptions, limits: MachineLimits): LoadPlan {
  const targetProcs = options.definition?.processCount?.(options.target?.knobs ?? {});
  const plan = planLoad(
    {
      connections: options.maxConnections,
      targetIsFixture: options.definition?.processCount !== undefined,
      ...(targetProcs === undefined ? {} : { targetProcs }),
      ...(options.workers === undefined ? {} : { workersRequested: options.workers }),
    },
    limits,
  );
  if (plan.errors.length > 0) throw new UsageError('IMPOSSIBLE_PLAN', `This machine cannot run ${options.maxConnections} connections as asked:\n  - ${plan.errors.join('\n  - ')}`);
  for (const warning of plan.warnings) options.emit({ type: 'warning', message: warning });
  return plan;
}

/** Rejects after `ms` with a STEP_TIMEOUT error, so a stuck step cannot hang the command. */
export function watchdog(ms: number, what: string): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InfrastructureError('STEP_TIMEOUT', `${what} did not finish within ${Math.round(ms / 1000)} s; stopping so the command cannot hang`)), ms);
  });
  promise.catch(() => {});
  return { promise, cancel: () => clearTimeout(timer) };
}
