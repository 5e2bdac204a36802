import { performance } from 'node:perf_hooks';
import type { DriverEvents, LoadSecond } from '../../src/driver/driver-events.js';
import type { DriverOptions, OpenSummary, PhaseOptions, PhaseSummary } from '../../src/driver/load-driver.js';
import { createHistogram, encodeHistogram, recordMicros } from '../../src/metrics/latency-histogram.js';
import type { EnvironmentInfo } from '../../src/metrics/environment.js';
import type { ServerCostMeter } from '../../src/metrics/server-cost-meter.js';
import { computeServerCost } from '../../src/metrics/server-cost.js';
import type { ServerSampler, ServerSamplerOptions } from '../../src/metrics/server-sampler.js';
import type { ServerSample } from '../../src/metrics/server-sample.js';
import type { SessionDeps, SessionDriver } from '../../src/run/session-deps.js';
import type { TargetDefinition } from '../../src/targets/target-definition.js';
import { LogTail } from '../../src/targets/log-tail.js';
import type { RunningTarget, StartTargetOptions, TargetExit } from '../../src/targets/target-process.js';
import { MACHINE } from './machine.js';

/**
 * A world without processes or sockets for the decision code above the measurement session: fake targets
 * whose behaviour is a model (latency and capacity as functions of the offered load, death at a connection
 * count), a driver that "measures" that model exactly, and a sampler that reads the model's memory.
 * Everything else (the session, the result builders, ramps, limits, comparisons) is the real code.
 */

export interface FakeServer {
  /** RTT p50 and p99 in ms at this offered load (messages per second over all connections). */
  latencyMs: (offeredPerSec: number, connections: number) => { p50: number; p99: number };
  /** The most echoes per second it returns; beyond, the rest time out. @default Infinity */
  capacityPerSec?: number;
  /** It is SIGKILLed (as by the OOM killer) while loaded with at least this many connections. */
  diesAtConnections?: number;
  /** Connections past this many are refused. @default Infinity */
  maxConnections?: number;
  /** Server CPU in percent of a core per 1000 echoes per second. @default 5 */
  cpuPercentPer1kPerSec?: number;
  /** RSS per open connection. @default 10 KiB */
  bytesPerConnection?: number;
}

export const FAKE_ENV: EnvironmentInfo = { node: 'v20.0.0', os: 'linux', kernel: '6.0.0', cpuModel: 'fake', cores: 2, memBytes: MACHINE.totalMemoryBytes, fingerprint: 'fake-env' };

interface FakeTargetState {
  server: FakeServer;
  target: RunningTarget;
  connections: number;
  echoesPerSec: number;
  die: (exit: TargetExit) => void;
}

export interface FakeWorld {
  deps: SessionDeps;
  /** Every target started, in order, with the knobs it was started with. */
  started: Array<{ definition: string; knobs: Record<string, string>; target: RunningTarget }>;
  /** Targets still running: a session must stop every one it started. */
  running: () => number;
  /** Drivers created and not closed. */
  openDrivers: () => number;
  /** What each driver was created with (handshake, workers, pinning), in order. */
  drivers: DriverOptions[];
  /** What each phase was run with (rate, pacer, traffic), in order. */
  phases: PhaseOptions[];
}

/** `serverFor` says how the target started with these knobs behaves (arms, variants). */
export function fakeWorld(serverFor: (definition: TargetDefinition, knobs: Record<string, string>) => FakeServer): FakeWorld {
  const started: FakeWorld['started'] = [];
  const byUrl = new Map<string, FakeTargetState>();
  let openDrivers = 0;
  const drivers: DriverOptions[] = [];
  const phases: PhaseOptions[] = [];

  const startTarget = async ({ definition, knobs }: StartTargetOptions): Promise<RunningTarget> => {
    const pid = 10_000 + started.length;
    let resolveExit: (exit: TargetExit) => void = () => {};
    let hasExited = false;
    const exited = new Promise<TargetExit>((resolve) => (resolveExit = resolve));
    const finish = (exit: TargetExit): void => {
      if (hasExited) return;
      hasExited = true;
      resolveExit(exit);
    };
    const url = `ws://127.0.0.1:${pid}/fake`;
    const target: RunningTarget = {
      pid,
      url,
      metricsUrl: undefined,
      commandLine: `fake-${definition.name} ${Object.entries(knobs).map(([key, value]) => `--${key} ${value}`).join(' ')}`.trim(),
      logTail: new LogTail(),
      exited,
      get hasExited() {
        return hasExited;
      },
      stop: async () => {
        finish({ exitCode: 0, signal: null, stoppedByUs: true });
        return exited;
      },
    };
    started.push({ definition: definition.name, knobs, target });
    byUrl.set(url, { server: serverFor(definition, knobs), target, connections: 0, echoesPerSec: 0, die: finish });
    return target;
  };

  const createDriver = (options: DriverOptions): SessionDriver => {
    openDrivers++;
    drivers.push(options);
    const state = byUrl.get(options.url);
    if (state === undefined) throw new Error(`fake driver: no fake target at ${options.url}`);
    return new FakeDriver(state, () => openDrivers--, phases);
  };

  const createSampler = (options: ServerSamplerOptions): ServerSampler => fakeSampler(options.timeZeroMs ?? performance.now(), () => [...byUrl.values()].find((s) => !s.target.hasExited));

  return {
    deps: {
      startTarget,
      createDriver,
      createSampler,
      readMachineLimits: () => MACHINE,
      readGitInfo: async () => ({ commit: null, ref: null, dirty: null }),
      describeEnvironment: () => FAKE_ENV,
      readTcpCounters: () => null,
      usedNamespaceSubnets: () => new Set<number>(),
      // The modelled machine is quiet: the decisions under test must not see the real one's steal.
      watchMachineLoad: () => ({ stop: () => ({ otherCpuPercent: 0, stealPercent: 0 }) }),
      createCostMeter: () => fakeCostMeter(() => [...byUrl.values()].find((state) => !state.target.hasExited)),
    },
    started,
    running: () => started.filter((entry) => !entry.target.hasExited).length,
    openDrivers: () => openDrivers,
    drivers,
    phases,
  };
}

type Listeners = { [K in keyof DriverEvents]: Array<(...args: DriverEvents[K]) => void> };

class FakeDriver implements SessionDriver {
  private readonly listeners: Listeners = { opening: [], phase: [], second: [] };
  private phaseId = 0;
  private interrupted = false;

  constructor(
    private readonly state: FakeTargetState,
    private readonly onClose: () => void,
    private readonly phases: PhaseOptions[],
  ) {}

  on<K extends keyof DriverEvents & string>(event: K, listener: (...args: DriverEvents[K]) => void): this {
    (this.listeners[event] as Array<(...args: DriverEvents[K]) => void>).push(listener);
    return this;
  }

  async open(count: number): Promise<OpenSummary> {
    const room = Math.max(0, (this.state.server.maxConnections ?? Infinity) - this.state.connections);
    const established = Math.min(count, room);
    this.state.connections += established;
    const failed = count - established;
    const handshakes = createHistogram();
    for (let i = 0; i < established; i++) recordMicros(handshakes, 500);
    const handshakeHistogram = encodeHistogram(handshakes);
    return { attempted: count, established, failed, errorsByCode: failed > 0 ? { ECONNREFUSED: failed } : {}, handshakeHistogram, openMs: count / 10, heapUsedBytes: this.state.connections * 2048, rssBytes: this.state.connections * 4096 };
  }

  async runPhase(phase: PhaseOptions): Promise<PhaseSummary> {
    this.phases.push(phase);
    const { server } = this.state;
    const phaseId = ++this.phaseId;
    this.interrupted = false;
    const connections = this.state.connections;
    const offeredPerSec = connections * phase.ratePerConnection;
    const achievedPerSec = Math.min(offeredPerSec, server.capacityPerSec ?? Infinity);
    this.state.echoesPerSec = achievedPerSec;
    const dies = server.diesAtConnections !== undefined && connections >= server.diesAtConnections;
    const latency = server.latencyMs(offeredPerSec, connections);
    const seconds = Math.max(1, Math.round(phase.durationMs / 1000));
    const measuredSeconds = dies ? 0 : Math.max(1, Math.round((phase.durationMs - phase.warmupMs) / 1000));
    // Let the session see the death (and interrupt us) before the phase reports what it measured.
    if (dies) this.state.die({ exitCode: null, signal: 'SIGKILL', stoppedByUs: false });
    await new Promise((resolve) => setTimeout(resolve, 1));
    const rtt = createHistogram();
    if (!dies && achievedPerSec > 0) {
      for (let i = 0; i < 98; i++) recordMicros(rtt, latency.p50 * 1000);
      for (let i = 0; i < 2; i++) recordMicros(rtt, latency.p99 * 1000);
    }
    const points: LoadSecond[] = [];
    for (let second = 0; second < (dies ? 1 : seconds); second++) {
      const point: LoadSecond = { phaseId, second, warmup: second < seconds - measuredSeconds, connections, sent: offeredPerSec, received: achievedPerSec, timedOut: offeredPerSec - achievedPerSec, latencyMs: null, sendLagP99Ms: 0.1, eventLoopUtilization: 0.2 };
      points.push(point);
      for (const listener of this.listeners.second) listener(point);
    }
    const sent = Math.round(offeredPerSec * measuredSeconds);
    const received = Math.round(achievedPerSec * measuredSeconds);
    return {
      phaseId,
      startEpochMs: phase.startEpochMs ?? Date.now(),
      settleMs: 0,
      settled: true,
      connections,
      sent,
      received,
      timedOut: sent - received,
      late: 0,
      mismatched: 0,
      unmatched: 0,
      backpressured: 0,
      dropped: 0,
      dropsByCode: {},
      measuredMs: measuredSeconds * 1000,
      receivedInWindow: received,
      achievedPerSec: dies ? 0 : achievedPerSec,
      achievedBytesPerSec: dies ? 0 : achievedPerSec * phase.messageBytes,
      rtt,
      sendLagP99Ms: 0.1,
      sendLagMaxMs: 0.5,
      eventLoopUtilization: 0.2,
      workerHeapUsedBytes: connections * 2048,
      workerRssBytes: connections * 4096,
      cpuMicrosPerEcho: 10,
      seconds: points,
    };
  }

  interrupt(): void {
    this.interrupted = true;
  }

  async close(): Promise<void> {
    this.onClose();
  }
}

function fakeSampler(zeroMs: number, current: () => FakeTargetState | undefined): ServerSampler {
  const samples: ServerSample[] = [];
  const listeners: Array<(sample: ServerSample) => void> = [];
  const take = (): ServerSample => {
    const state = current();
    const server = state?.server;
    const sample: ServerSample = {
      elapsedMs: performance.now() - zeroMs,
      intervalMs: 1000,
      cpuPercent: ((state?.echoesPerSec ?? 0) / 1000) * (server?.cpuPercentPer1kPerSec ?? 5),
      rssBytes: 8 * 1024 * 1024 + (state?.connections ?? 0) * (server?.bytesPerConnection ?? 10 * 1024),
      openFds: 10 + (state?.connections ?? 0),
      threads: 4,
      processes: 1,
    };
    samples.push(sample);
    for (const listener of listeners) listener(sample);
    return sample;
  };
  return {
    start: () => void take(),
    stop: () => samples.slice(),
    sampleNow: async () => take(),
    get samples() {
      return samples;
    },
    scrape: { attempts: 0, failures: 0, lastError: null, parseErrors: 0 },
    lastSampleError: null,
    quietFrom: () => () => {},
    on: (_event, listener) => {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
  };
}

/** The model's cost: CPU per message from its CPU per 1k msg/s, memory per connection from its RSS slope. */
function fakeCostMeter(current: () => FakeTargetState | undefined): ServerCostMeter {
  const server = current()?.server;
  const cpuMicrosPerMessage = (server?.cpuPercentPer1kPerSec ?? 5) * 10;
  return {
    beforeOpen: () => {},
    afterOpen: () => {},
    scheduleWindow: async () => {},
    read: async () => {},
    settle: async () => {},
    finish: async () => {},
    summarize: (figures) => {
      const report = computeServerCost({ ...figures, cpu: null, rssBeforeOpenBytes: 0, rssAfterOpenBytes: figures.connections * (server?.bytesPerConnection ?? 10 * 1024), countersAtStart: null, countersAtEnd: null, countersCoverTree: true, notes: ['modelled'] });
      return { ...report, cpuMicrosPerMessage, capacityPerCoreMessagesPerSec: 1e6 / cpuMicrosPerMessage };
    },
  };
}
