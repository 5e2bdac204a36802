import { performance } from 'node:perf_hooks';
import { InfrastructureError } from '../errors.js';
import { encodeHistogram, mergeEncodedHistograms, percentileMs, summarizeLatencyMs } from '../metrics/latency-histogram.js';
import type { Histogram } from '../metrics/latency-histogram.js';
import type { CpuPin } from '../cpu-pin.js';
import { TypedEmitter } from './driver-events.js';
import type { DriverEvents, LoadSecond } from './driver-events.js';
import { WorkerProcess } from './worker-process.js';
import { DEFAULT_HANDSHAKE } from './handshake-options.js';
import type { HandshakeOptions } from './handshake-options.js';
import { mergeBroadcasts, mergeChurn, mergeHeartbeats } from './traffic-merge.js';
import type { BroadcastSummary, ChurnSummary, HeartbeatSummary } from './traffic-merge.js';
import type { LoadCommand, OpenedReport, Pacer, PhaseCounters, PhaseReport, SnapshotReport, WorkerMessage } from './worker-protocol.js';
import { MAX_SETTLE_MS } from './send-lag-settling.js';

export const DEFAULT_HANDSHAKE_CONCURRENCY = 256;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_MESSAGE_TIMEOUT_MS = 5_000;
export const DEFAULT_PACER: Pacer = 'precise';
/** 4 MiB queued on one connection means the server stopped reading; stop queueing there. */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Lead time between "go" and the first intended send, so every worker starts on the same beat. */
const PHASE_START_LEAD_MS = 200;

/** A worker died mid-phase; `partial` is what the other workers measured (never zeroed). */
export class WorkerLostError extends InfrastructureError {
  constructor(
    cause: InfrastructureError,
    readonly partial: PhaseSummary,
    readonly lostWorkers: number[],
  ) {
    super(cause.code, `${cause.message}; what the other workers measured is kept (${lostWorkers.length} worker${lostWorkers.length === 1 ? '' : 's'} lost)`, { cause });
  }
}

export interface DriverOptions {
  url: string;
  workers: number;
  /** Source addresses per worker (whole addresses, never shared, so workers' ports cannot collide). */
  localAddressesByWorker?: string[][];
  /** The most connections each worker will hold (sizes its heap; see workerHeapFlags). */
  connectionsByWorker?: number[];
  handshakeConcurrency?: number;
  handshakeTimeoutMs?: number;
  handshake?: HandshakeOptions;
  /** Run every worker on these CPUs only (taskset), apart from a pinned target. */
  pin?: CpuPin;
}

/** All workers' `opened` reports merged: counts and memory summed, `openMs` the slowest worker's. */
export type OpenSummary = Omit<OpenedReport, 'type'>;

export interface PhaseOptions {
  ratePerConnection: number;
  messageBytes: number;
  durationMs: number;
  warmupMs: number;
  messageTimeoutMs?: number;
  maxBufferedBytes?: number;
  pacer?: Pacer;
  /**
   * Wall clock (epoch ms) of the first intended send, agreed with other shards by a start barrier;
   * default: now plus a short lead, so every worker starts on the same beat.
   */
  startEpochMs?: number;
  /** The traffic shape (message, pattern, heartbeat): the same for every worker. */
  traffic?: PhaseTraffic;
  /** @default MAX_SETTLE_MS — how long the measurement may wait past the warm-up for the send lag to settle. */
  maxSettleMs?: number;
}

/** The parts of a load command that shape the traffic rather than its size and timing. */
export type { BroadcastSummary, ChurnSummary, HeartbeatSummary } from './traffic-merge.js';

export type PhaseTraffic = Pick<LoadCommand, 'message' | 'pattern' | 'publishers' | 'subscribeTemplate' | 'pingIntervalMs' | 'stormAtMs'> & {
  /** Reconnects per second across all workers; each worker takes its share. */
  churnRatePerSec?: number;
};


export interface PhaseSummary extends PhaseCounters {
  phaseId: number;
  /** Wall clock (epoch ms) of second 0 of the phase: what aligns shards' timelines. */
  startEpochMs: number;
  connections: number;
  dropsByCode: Record<string, number>;
  measuredMs: number;
  /** Echoes that arrived inside the measured window, all workers (see PhaseReport.receivedInWindow). */
  receivedInWindow: number;
  /** The longest any worker waited past the warm-up for its send lag to settle (excluded from the figures). */
  settleMs: number;
  /** Whether every worker's send lag settled within the bound. */
  settled: boolean;
  /** Echoes per second that arrived inside the measured window. */
  achievedPerSec: number;
  /** Bytes per second of echoes received inside the measured window, as delivered (a truncated echo counts its own length). */
  achievedBytesPerSec: number;
  /** RTT over the measured window, microseconds; the caller owns (and may encode) it. */
  rtt: Histogram;
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  /** Busiest worker's event-loop utilization, averaged over the measured seconds (whole phase if none). */
  eventLoopUtilization: number;
  workerHeapUsedBytes: number;
  workerRssBytes: number;
  /** Driver CPU (all workers and the coordinator, user + system) per echoed message over the phase; NaN without echoes. */
  cpuMicrosPerEcho: number;
  seconds: LoadSecond[];
  heartbeat?: HeartbeatSummary;
  broadcast?: BroadcastSummary;
  churn?: ChurnSummary;
}

interface Pending<T> {
  reports: T[];
  resolve: (reports: T[]) => void;
}

/**
 * The coordinator: spreads connections over worker processes, starts each load phase on a common beat,
 * merges the workers' per-second snapshots exactly and emits them, and fails loudly if a worker dies.
 */
export class LoadDriver extends TypedEmitter<DriverEvents> {
  private readonly options: DriverOptions;
  private readonly workers: WorkerProcess[];
  private pendingOpen: Pending<OpenedReport> | undefined;
  private pendingPhase: Pending<PhaseReport> | undefined;
  private readonly openingByWorker = new Map<number, { attempted: number; established: number; failed: number }>();
  private openingTarget = 0;
  private snapshotsBySecond = new Map<number, SnapshotReport[]>();
  private phaseSeconds: LoadSecond[] = [];
  private phaseWarmupMs = 0;
  private phaseId = 0;
  private failure: InfrastructureError | undefined;
  /** Workers that died; during a phase the survivors still report, so their measurements are kept. */
  private readonly dead = new Set<number>();
  private rejectPending: ((error: InfrastructureError) => void) | undefined;
  private readonly exitHook = (): void => this.workers.forEach((worker) => worker.killNow());

  constructor(options: DriverOptions) {
    super();
    if (!(options.workers >= 1)) throw new RangeError(`workers must be ≥ 1, got ${options.workers}`);
    this.options = options;
    this.workers = Array.from({ length: options.workers }, (_, index) => {
      const worker = new WorkerProcess(index, (message) => this.onWorkerMessage(index, message), options.pin, options.connectionsByWorker?.[index] ?? 0);
      void worker.exited.then(({ code, signal }) => {
        if (!worker.isClosing) this.workerDied(index, new InfrastructureError('WORKER_DIED', `driver worker ${index} (pid ${worker.pid}) exited unexpectedly (${signal ?? `code ${code}`}); the measurement is incomplete`));
      });
      return worker;
    });
    process.once('exit', this.exitHook);
  }

  /** Opens `connections` in all, split evenly over the workers; connections already open stay open. */
  async open(connections: number): Promise<OpenSummary> {
    const shares = splitEvenly(connections, this.workers.length);
    this.openingByWorker.clear();
    this.openingTarget = connections;
    const reports = await this.collect<OpenedReport>((pending) => (this.pendingOpen = pending), () => {
      this.workers.forEach((worker, index) =>
        worker.send({
          type: 'open',
          url: this.options.url,
          connections: shares[index]!,
          localAddresses: this.options.localAddressesByWorker?.[index] ?? [],
          handshakeConcurrency: Math.max(1, Math.ceil((this.options.handshakeConcurrency ?? DEFAULT_HANDSHAKE_CONCURRENCY) / this.workers.length)),
          handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
          handshake: this.options.handshake ?? DEFAULT_HANDSHAKE,
        }),
      );
    });
    const errorsByCode: Record<string, number> = {};
    for (const report of reports) for (const [code, count] of Object.entries(report.errorsByCode)) errorsByCode[code] = (errorsByCode[code] ?? 0) + count;
    return {
      attempted: sum(reports, (report) => report.attempted),
      established: sum(reports, (report) => report.established),
      failed: sum(reports, (report) => report.failed),
      errorsByCode,
      handshakeHistogram: encodeHistogram(mergeEncodedHistograms(reports.map((report) => report.handshakeHistogram))),
      openMs: Math.max(...reports.map((report) => report.openMs)),
      heapUsedBytes: sum(reports, (report) => report.heapUsedBytes),
      rssBytes: sum(reports, (report) => report.rssBytes),
    };
  }

  /** Runs one phase of paced load on every open connection; resolves with the merged measurement. */
  async runPhase(phase: PhaseOptions): Promise<PhaseSummary> {
    const phaseId = ++this.phaseId;
    this.snapshotsBySecond = new Map();
    this.phaseSeconds = [];
    this.phaseWarmupMs = phase.warmupMs;
    const startEpochMs = phase.startEpochMs ?? performance.timeOrigin + performance.now() + PHASE_START_LEAD_MS;
    const startMs = startEpochMs - performance.timeOrigin;
    this.emit('phase', { phaseId, startMs, measureFromMs: startMs + phase.warmupMs, endMs: startMs + phase.durationMs });
    // The coordinator's own work (IPC, merging snapshots) is driver cost too.
    const coordinatorCpuAtStart = process.cpuUsage();
    const reports = await this.collect<PhaseReport>((pending) => (this.pendingPhase = pending), () => {
      this.workers.forEach((worker, index) =>
        worker.send({
          type: 'load',
          phaseId,
          startEpochMs,
          ratePerConnection: phase.ratePerConnection,
          messageBytes: phase.messageBytes,
          durationMs: phase.durationMs,
          warmupMs: phase.warmupMs,
          messageTimeoutMs: phase.messageTimeoutMs ?? DEFAULT_MESSAGE_TIMEOUT_MS,
          scheduleOffset: index / this.workers.length,
          maxBufferedBytes: phase.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
          pacer: phase.pacer ?? DEFAULT_PACER,
          workerIndex: index,
          workers: this.workers.length,
          ...(phase.traffic ?? {}),
          ...(phase.traffic?.churnRatePerSec === undefined ? {} : { churnRatePerSec: phase.traffic.churnRatePerSec / this.workers.length }),
          maxSettleMs: phase.maxSettleMs ?? MAX_SETTLE_MS,
        }),
      );
    });
    this.flushSeconds(true);
    const rtt = mergeEncodedHistograms(reports.map((report) => report.histogram));
    const sendLag = mergeEncodedHistograms(reports.map((report) => report.sendLagHistogram));
    const dropsByCode: Record<string, number> = {};
    for (const report of reports) for (const [code, count] of Object.entries(report.dropsByCode)) dropsByCode[code] = (dropsByCode[code] ?? 0) + count;
    const summary: PhaseSummary = {
      phaseId,
      startEpochMs,
      connections: sum(reports, (report) => report.connections),
      sent: sum(reports, (report) => report.sent),
      received: sum(reports, (report) => report.received),
      timedOut: sum(reports, (report) => report.timedOut),
      late: sum(reports, (report) => report.late),
      mismatched: sum(reports, (report) => report.mismatched),
      unmatched: sum(reports, (report) => report.unmatched),
      backpressured: sum(reports, (report) => report.backpressured),
      dropped: sum(reports, (report) => report.dropped),
      dropsByCode,
      measuredMs: Math.max(...reports.map((report) => report.measuredMs)),
      receivedInWindow: sum(reports, (report) => report.receivedInWindow),
      settleMs: Math.max(...reports.map((report) => report.settleMs)),
      settled: reports.every((report) => report.settled),
      // Each worker's window starts when its own send lag settled: rates add up, counts over one window would not.
      achievedPerSec: sum(reports, (report) => achievedRate(report.receivedInWindow, report.measuredMs)),
      achievedBytesPerSec: sum(reports, (report) => achievedRate(report.receivedBytesInWindow, report.measuredMs)),
      rtt,
      sendLagP99Ms: percentileMs(sendLag, 99),
      sendLagMaxMs: sendLag.totalCount === 0 ? 0 : sendLag.maxValue / 1000,
      eventLoopUtilization: measuredUtilization(this.phaseSeconds) ?? Math.max(...reports.map((report) => report.eventLoopUtilization)),
      workerHeapUsedBytes: sum(reports, (report) => report.heapUsedBytes),
      workerRssBytes: sum(reports, (report) => report.rssBytes),
      cpuMicrosPerEcho: (sum(reports, (report) => report.cpuMicros) + cpuMicros(process.cpuUsage(coordinatorCpuAtStart))) / sum(reports, (report) => report.echoesInPhase),
      seconds: this.phaseSeconds,
      ...mergeHeartbeats(reports),
      ...mergeBroadcasts(reports),
      ...mergeChurn(reports),
    };
    sendLag.destroy();
    // A worker died during the phase: the survivors' figures are kept, and the measurement is still incomplete.
    if (this.failure !== undefined) throw new WorkerLostError(this.failure, summary, [...this.dead]);
    return summary;
  }

  /** Stops sending at once (Ctrl-C, a crashed target); the running phase resolves after a short drain. */
  interrupt(): void {
    for (const worker of this.workers) worker.send({ type: 'stop' });
  }

  /** Closes every connection and stops every worker process; safe to call more than once. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
    process.off('exit', this.exitHook);
  }

  private collect<T>(register: (pending: Pending<T> | undefined) => void, start: () => void): Promise<T[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<T[]>((resolve, reject) => {
      this.rejectPending = reject;
      register({
        reports: [],
        resolve: (reports) => {
          register(undefined);
          this.rejectPending = undefined;
          resolve(reports);
        },
      });
      start();
    });
  }

  /**
   * A worker died. Mid-phase, with others alive, the phase still ends with what the survivors measured
   * (they are told to stop and report); it then rejects with a WorkerLostError that carries it.
   */
  private workerDied(index: number, error: InfrastructureError): void {
    this.dead.add(index);
    const pending = this.pendingPhase;
    if (pending === undefined || this.dead.size >= this.workers.length || this.failure !== undefined) {
      this.fail(error);
      return;
    }
    this.failure = error;
    this.interrupt();
    if (pending.reports.length >= this.workers.length - this.dead.size) pending.resolve(pending.reports);
  }

  private fail(error: InfrastructureError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.rejectPending?.(error);
  }

  private onWorkerMessage(index: number, message: WorkerMessage): void {
    switch (message.type) {
      case 'opening': {
        this.openingByWorker.set(index, message);
        const progress = [...this.openingByWorker.values()];
        this.emit('opening', {
          attempted: sum(progress, (item) => item.attempted),
          established: sum(progress, (item) => item.established),
          failed: sum(progress, (item) => item.failed),
          target: this.openingTarget,
        });
        return;
      }
      case 'opened':
        this.accept(this.pendingOpen, message);
        return;
      case 'snapshot':
        this.addSnapshot(message);
        return;
      case 'phase-done':
        this.accept(this.pendingPhase, message);
        return;
      case 'failed':
        this.fail(new InfrastructureError('WORKER_FAILED', `driver worker ${index} failed: ${message.message}`));
    }
  }

  private accept<T>(pending: Pending<T> | undefined, report: T): void {
    if (pending === undefined) return;
    pending.reports.push(report);
    if (pending.reports.length >= this.workers.length - this.dead.size) pending.resolve(pending.reports);
  }

  private addSnapshot(snapshot: SnapshotReport): void {
    if (snapshot.phaseId !== this.phaseId) return;
    const list = this.snapshotsBySecond.get(snapshot.second) ?? [];
    list.push(snapshot);
    this.snapshotsBySecond.set(snapshot.second, list);
    if (list.length === this.workers.length) this.flushSeconds(false);
  }

  /** Emits, in order, every second all workers have reported (or, at the end, whatever arrived). */
  private flushSeconds(final: boolean): void {
    const seconds = [...this.snapshotsBySecond.keys()].sort((a, b) => a - b);
    for (const second of seconds) {
      const list = this.snapshotsBySecond.get(second)!;
      if (!final && list.length < this.workers.length) return;
      this.snapshotsBySecond.delete(second);
      const merged = mergeSecond(this.phaseId, second, list, second * 1000 < this.phaseWarmupMs || !list.every((snapshot) => snapshot.measuring));
      this.phaseSeconds.push(merged);
      this.emit('second', merged);
    }
  }
}

function mergeSecond(phaseId: number, second: number, snapshots: SnapshotReport[], warmup: boolean): LoadSecond {
  const rtt = mergeEncodedHistograms(snapshots.map((snapshot) => snapshot.histogram));
  const lag = mergeEncodedHistograms(snapshots.map((snapshot) => snapshot.sendLagHistogram));
  const merged: LoadSecond = {
    phaseId,
    second,
    warmup,
    connections: sum(snapshots, (snapshot) => snapshot.connections),
    sent: sum(snapshots, (snapshot) => snapshot.sent),
    received: sum(snapshots, (snapshot) => snapshot.received),
    timedOut: sum(snapshots, (snapshot) => snapshot.timedOut),
    latencyMs: summarizeLatencyMs(rtt),
    sendLagP99Ms: percentileMs(lag, 99),
    sendLagMaxMs: lag.totalCount === 0 ? 0 : lag.maxValue / 1000,
    eventLoopUtilization: Math.max(...snapshots.map((snapshot) => snapshot.eventLoopUtilization)),
    // Kept encoded so that shards' seconds merge exactly later (`wsbench merge`).
    ...(rtt.totalCount === 0 ? {} : { histogram: encodeHistogram(rtt) }),
  };
  rtt.destroy();
  lag.destroy();
  return merged;
}

function measuredUtilization(seconds: readonly LoadSecond[]): number | undefined {
  const measured = seconds.filter((second) => !second.warmup);
  return measured.length === 0 ? undefined : sum(measured, (second) => second.eventLoopUtilization) / measured.length;
}

function achievedRate(received: number, measuredMs: number): number {
  return measuredMs <= 0 ? 0 : received / (measuredMs / 1000);
}

/** Splits `total` into `parts` integers that differ by at most one. */
export function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const remainder = total % parts;
  return Array.from({ length: parts }, (_, index) => base + (index < remainder ? 1 : 0));
}

function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
