import { performance } from 'node:perf_hooks';
import { achievedRate, cpuMicros, measuredUtilization, mergeSecond, splitEvenly, sum } from './merge-second.js';
import { DEFAULT_HANDSHAKE_CONCURRENCY, DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MESSAGE_TIMEOUT_MS, DEFAULT_PACER } from './driver-options.js';
import { WorkerLostError } from './worker-lost-error.js';
import type { DriverOptions, OpenSummary, PhaseOptions, PhaseSummary } from './driver-options.js';
import { InfrastructureError } from '../errors.js';
import { encodeHistogram, mergeEncodedHistograms, percentileMs } from '../metrics/latency-histogram.js';
import { TypedEmitter } from './driver-events.js';
import type { DriverEvents, LoadSecond } from './driver-events.js';
import { WorkerProcess } from './worker-process.js';
import { DEFAULT_HANDSHAKE } from './handshake-options.js';
import { mergeBroadcasts, mergeChurn, mergeHeartbeats } from './traffic-merge.js';
import type { BroadcastSummary, ChurnSummary, HeartbeatSummary } from './traffic-merge.js';
import type { OpenedReport, PhaseReport, SnapshotReport, WorkerMessage } from './worker-protocol.js';
import { MAX_SETTLE_MS } from './send-lag-settling.js';

export { DEFAULT_HANDSHAKE_CONCURRENCY, DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MESSAGE_TIMEOUT_MS, DEFAULT_PACER } from './driver-options.js';
export type { DriverOptions, OpenSummary, PhaseOptions, PhaseSummary, PhaseTraffic } from './driver-options.js';
export type { BroadcastSummary, ChurnSummary, HeartbeatSummary } from './traffic-merge.js';
export { splitEvenly } from './merge-second.js';
export { WorkerLostError } from './worker-lost-error.js';

/** Lead time between "go" and the first intended send, so every worker starts on the same beat. */
const PHASE_START_LEAD_MS = 200;

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
