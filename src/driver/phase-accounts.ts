import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { createHistogram, encodeHistogram, recordMicros } from '../metrics/latency-histogram.js';
import type { InFlightLedger } from './in-flight-ledger.js';
import { emptyCounters, PhaseTotals } from './phase-totals.js';
import { SendLagSettling } from './send-lag-settling.js';
import type { LoadCommand, PhaseCounters, PhaseReport, SnapshotReport } from './worker-protocol.js';

/** Monotonic milliseconds; injected so tests can run a phase on a fake clock. */
export type Clock = () => number;

export const SNAPSHOT_INTERVAL_MS = 1000;

/**
 * The bookkeeping of one load phase, apart from driving it (load-phase.ts): which window a message counts
 * in (none in the warm-up, tentative until the send lag settles, then measured), the counters and
 * histograms of each, timeouts of what is in flight, the per-second snapshots and the closing totals. LoadPhase extends it, so
 * the per-message calls stay plain method calls on one object.
 */
export abstract class PhaseAccounts {
  protected readonly command: LoadCommand;
  protected readonly clock: Clock;
  protected readonly startMs: number;
  protected endMs: number;
  protected readonly warmupEndMs: number;
  protected readonly settling: SendLagSettling;
  /** From the start of the measured window on, once the send lag has settled. */
  protected readonly measured = new PhaseTotals();
  /** From the end of the warm-up while the send lag has not settled: the figures only if it never does. */
  protected readonly tentative = new PhaseTotals();
  protected interval = emptyCounters();
  protected readonly intervalRtt = createHistogram();
  protected readonly intervalLag = createHistogram();
  protected readonly dropsByCode: Record<string, number> = {};
  protected liveConnections = 0;
  protected echoesInPhase = 0;
  protected finished = false;
  /** After this, every message still in flight counts as timed out. */
  protected drainDeadlineMs = Number.POSITIVE_INFINITY;
  /** Which messages are in flight on which connection, with their intended send times. */
  protected abstract readonly ledger: InFlightLedger;
  protected snapshotTimer: NodeJS.Timeout | undefined;
  private readonly onSnapshot: (snapshot: SnapshotReport) => void;
  private second = 0;
  private eluAtStart: EventLoopUtilization | undefined;
  private cpuAtStart: NodeJS.CpuUsage | undefined;
  private eluAtSnapshot: EventLoopUtilization | undefined;

  protected constructor(command: LoadCommand, clock: Clock, startMs: number, onSnapshot: (snapshot: SnapshotReport) => void) {
    this.command = command;
    this.clock = clock;
    this.startMs = startMs;
    this.endMs = startMs + command.durationMs;
    this.warmupEndMs = startMs + command.warmupMs;
    this.settling = new SendLagSettling({ warmupEndMs: this.warmupEndMs, endMs: this.endMs, maxSettleMs: command.maxSettleMs });
    this.onSnapshot = onSnapshot;
  }

  /** Marks the phase's start for its event-loop and CPU figures, and arms the first snapshot. */
  protected startAccounts(): void {
    this.eluAtStart = performance.eventLoopUtilization();
    this.cpuAtStart = process.cpuUsage();
    this.eluAtSnapshot = this.eluAtStart;
    const untilStart = Math.max(0, this.startMs - this.clock());
    this.snapshotTimer = setTimeout(() => this.tickSnapshot(), untilStart + SNAPSHOT_INTERVAL_MS);
  }

  /**
   * The totals a message intended at `intendedMs` counts in: none in the warm-up; the tentative ones
   * until the send lag has settled (kept only if it never does); then the measured ones from the start of
   * the measured window, none before it.
   */
  protected totalsFor(intendedMs: number): PhaseTotals | undefined {
    if (intendedMs < this.warmupEndMs) return undefined;
    if (!this.settling.decided) return this.tentative;
    return intendedMs >= this.settling.measureFromMs ? this.measured : undefined;
  }

  /**
   * Counts a reply to a message intended at `intendedMs`: an intact one as received with its latency, one
   * answered with other bytes as mismatched (a failure, not a latency sample). Returns whether it was an
   * intact reply counted in the reported totals.
   */
  protected answered(intendedMs: number, data: Buffer, intact: boolean): boolean {
    const totals = intendedMs < this.endMs ? this.totalsFor(intendedMs) : undefined;
    const now = this.clock();
    const window = now <= this.endMs ? this.totalsFor(now) : undefined;
    if (window !== undefined) window.receivedBytesInWindow += data.length;
    if (!intact) {
      this.count('mismatched', 1, totals);
      return false;
    }
    if (window !== undefined) window.receivedInWindow++;
    const rttMicros = (now - intendedMs) * 1000;
    recordMicros(this.intervalRtt, rttMicros);
    if (totals !== undefined) recordMicros(totals.rtt, rttMicros);
    this.count('received', 1, totals);
    this.echoesInPhase++;
    return totals !== undefined;
  }

  /** Ends the phase once its time is up and nothing it waits for is outstanding. */
  protected abstract maybeFinish(): void;

  /** The oldest message in flight on `slot` is lost: a timeout, counted in the window of its send time. */
  protected timeOut(slot: number): void {
    this.count('timedOut', 1, this.totalsFor(this.ledger.resolveOldest(slot)));
  }

  protected sweepTimeouts(): void {
    const now = this.clock();
    const expire = (slot: number): void => this.timeOut(slot);
    this.ledger.expireBefore(now - this.command.messageTimeoutMs, expire);
    if (now >= this.drainDeadlineMs) this.ledger.expireBefore(Number.POSITIVE_INFINITY, expire);
    this.maybeFinish();
  }

  protected count(counter: keyof PhaseCounters, amount: number, totals: PhaseTotals | undefined): void {
    this.interval[counter] += amount;
    if (totals !== undefined) totals.counters[counter] += amount;
  }

  /** What is not tied to a send time (a drop, a late echo) counts whichever window is reported. */
  protected countAlways(counter: keyof PhaseCounters, amount: number): void {
    this.interval[counter] += amount;
    this.measured.counters[counter] += amount;
    this.tentative.counters[counter] += amount;
  }

  private tickSnapshot(): void {
    // The timer's own lateness counts like a send's: at low rates it may be the only sign of a stall.
    const now = this.clock();
    this.settling.observe(now, now - this.snapshotDueMs());
    this.emitSnapshot();
    if (!this.finished) this.snapshotTimer = setTimeout(() => this.tickSnapshot(), Math.max(0, this.snapshotDueMs() - this.clock()));
  }

  /** When the snapshot of the current second is due. */
  private snapshotDueMs(): number {
    return this.startMs + (this.second + 1) * SNAPSHOT_INTERVAL_MS;
  }

  protected emitSnapshot(): void {
    const second = this.second++;
    const elu = performance.eventLoopUtilization(this.eluAtSnapshot);
    this.eluAtSnapshot = performance.eventLoopUtilization();
    this.onSnapshot({
      type: 'snapshot',
      phaseId: this.command.phaseId,
      second,
      connections: this.liveConnections,
      ...this.interval,
      histogram: encodeHistogram(this.intervalRtt),
      sendLagHistogram: encodeHistogram(this.intervalLag),
      eventLoopUtilization: elu.utilization,
      measuring: this.settling.decided && this.settling.measureFromMs <= this.startMs + second * SNAPSHOT_INTERVAL_MS,
    });
    this.interval = emptyCounters();
    // Reused, not rebuilt: two fresh 70 KiB count arrays a second are garbage for nothing.
    this.intervalRtt.reset();
    this.intervalLag.reset();
  }

  /**
   * The phase's totals, once it has finished: the last, partial second is reported first; a phase that
   * never settled (short, interrupted, cut by a crash) reports what came after the warm-up, as not settled.
   * The histograms are freed afterwards.
   */
  protected closeAccounts(extra: Pick<PhaseReport, 'heartbeat' | 'churn' | 'broadcast'>): PhaseReport {
    clearTimeout(this.snapshotTimer);
    if (this.interval.sent + this.interval.received + this.interval.timedOut > 0) this.emitSnapshot();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(this.cpuAtStart);
    const decided = this.settling.decided;
    const totals = decided ? this.measured : this.tentative;
    const measureFromMs = decided ? this.settling.measureFromMs : this.warmupEndMs;
    const report: PhaseReport = {
      type: 'phase-done',
      phaseId: this.command.phaseId,
      connections: this.liveConnections,
      ...totals.counters,
      dropsByCode: this.dropsByCode,
      histogram: encodeHistogram(totals.rtt),
      sendLagHistogram: encodeHistogram(totals.sendLag),
      eventLoopUtilization: performance.eventLoopUtilization(this.eluAtStart).utilization,
      measuredMs: Math.max(0, this.endMs - measureFromMs),
      settleMs: Math.max(0, measureFromMs - this.warmupEndMs),
      settled: this.settling.settled === true,
      receivedInWindow: totals.receivedInWindow,
      receivedBytesInWindow: totals.receivedBytesInWindow,
      cpuMicros: cpu.user + cpu.system,
      echoesInPhase: this.echoesInPhase,
      heapUsedBytes: memory.heapUsed,
      rssBytes: memory.rss,
      ...extra,
    };
    this.measured.destroy();
    this.tentative.destroy();
    this.intervalRtt.destroy();
    this.intervalLag.destroy();
    return report;
  }
}
