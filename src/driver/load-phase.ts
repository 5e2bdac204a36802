import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { ClientConnection, ConnectionListener } from './client-transport.js';
import { InFlightLedger } from './in-flight-ledger.js';
import { emptyCounters, PhaseTotals } from './phase-totals.js';
import { Churn } from './churn.js';
import type { ChurnReport, Redial } from './churn.js';
import { Heartbeat } from './heartbeat.js';
import type { HeartbeatReport } from './heartbeat.js';
import { createMessageCodec } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { createBroadcastFrame, intendedEpochUsOf, writeBroadcastFrame } from './broadcast-frame.js';
import { SubscriberStats } from './subscriber-stats.js';
import { PreciseTicker } from './precise-ticker.js';
import { SendSchedule } from './send-schedule.js';
import { SendLagSettling } from './send-lag-settling.js';
import { createHistogram, encodeHistogram, recordMicros } from '../metrics/latency-histogram.js';
import type { LoadCommand, PhaseCounters, PhaseReport, SnapshotReport } from './worker-protocol.js';

/** Monotonic milliseconds; injected so tests can run a phase on a fake clock. */
export type Clock = () => number;

const TIMEOUT_SWEEP_MS = 100;
const SNAPSHOT_INTERVAL_MS = 1000;
/** Bytes at the head of every payload: the message's sequence number on its connection. */
export const PAYLOAD_HEADER_BYTES = 8;
const PAYLOAD_MAGIC = 0x31425357; // "WSB1", little-endian
/**
 * Sends due within this long of each other go out in one wake-up: fewer wake-ups (each costs a
 * thread hand-off) for at most this much added send lag.
 */
const MIN_WAKE_INTERVAL_MS = 0.5;
/** An interrupted phase waits at most this long for echoes already in flight. */
const INTERRUPT_DRAIN_MS = 1000;
/** A broadcast phase keeps listening this long after the last publish for deliveries still on their way. */
export const BROADCAST_DRAIN_MS = 1000;

export interface LoadPhaseOptions {
  command: LoadCommand;
  connections: readonly ClientConnection[];
  clock?: Clock;
  /** Epoch ms → this process's clock. */
  epochToClock?: (epochMs: number) => number;
  onSnapshot: (snapshot: SnapshotReport) => void;
  /** Connections among `connections` that closed after opening and before this phase (reported as dropped). */
  lostBeforeStart?: number;
  /** Opens a replacement connection, for `--pattern churn`. */
  redial?: Redial;
  onReplaced?: (previous: ClientConnection, next: ClientConnection) => void;
}

/**
 * Drives one phase of open-model load over a worker's connections: sends on the schedule whatever the
 * replies do, records RTT from each message's intended send time and the generator's own send lag, and
 * reports every second. Resolves with the measured-window totals once every message is answered or timed out.
 * In a broadcast the publishers send and the subscribers' deliveries are the "replies", timed from the
 * publisher's intended send time carried in the frame.
 *
 * Connections are numbered by slot (their index here); the phase is the one listener of all of them, so
 * holding 100K connections costs no closure apiece, and their bookkeeping lives in flat arrays.
 */
export class LoadPhase implements ConnectionListener {
  private readonly command: LoadCommand;
  private readonly clock: Clock;
  /** By slot; churn replaces entries. */
  private readonly connections: ClientConnection[];
  private readonly ledger: InFlightLedger;
  /** The slots that send on the schedule: all of them, or a broadcast's publishers. */
  private readonly senders: number[];
  /** A broadcast publisher's frame count (its frames' sequence numbers), by sender. */
  private readonly published: Int32Array | null;
  private readonly schedule: SendSchedule | null;
  private readonly payload: Buffer;
  private readonly codec: MessageCodec | null;
  private readonly broadcast: boolean;
  private readonly subscriberStats: SubscriberStats | null;
  private readonly heartbeat: Heartbeat | null;
  private readonly churn: Churn | null;
  private readonly workerIndex: number;
  private readonly workers: number;
  private readonly startMs: number;
  private readonly settling: SendLagSettling;
  private endMs: number;
  private readonly onSnapshot: (snapshot: SnapshotReport) => void;

  private readonly warmupEndMs: number;
  /** From the start of the measured window on, once the send lag has settled. */
  private readonly measured = new PhaseTotals();
  /** From the end of the warm-up while the send lag has not settled: the figures only if it never does. */
  private readonly tentative = new PhaseTotals();
  private interval = emptyCounters();
  private readonly intervalRtt = createHistogram();
  private readonly intervalLag = createHistogram();
  private readonly dropsByCode: Record<string, number> = {};
  private liveConnections: number;
  private second = 0;
  private eluAtStart: EventLoopUtilization | undefined;
  private cpuAtStart: NodeJS.CpuUsage | undefined;
  private echoesInPhase = 0;
  private eluAtSnapshot: EventLoopUtilization | undefined;

  private ticker: PreciseTicker | undefined;
  private pacingTimer: NodeJS.Timeout | undefined;
  private readonly epochOffsetMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private finish: ((report: PhaseReport) => void) | undefined;
  private finished = false;
  private drainDeadlineMs = Number.POSITIVE_INFINITY;

  constructor(options: LoadPhaseOptions) {
    const command = options.command;
    this.command = command;
    this.clock = options.clock ?? (() => performance.now());
    const epochToClock = options.epochToClock ?? ((epochMs: number) => epochMs - performance.timeOrigin);
    this.epochOffsetMs = command.startEpochMs - epochToClock(command.startEpochMs);
    this.startMs = epochToClock(command.startEpochMs);
    this.endMs = this.startMs + command.durationMs;
    this.warmupEndMs = this.startMs + command.warmupMs;
    this.settling = new SendLagSettling({ warmupEndMs: this.warmupEndMs, endMs: this.endMs, maxSettleMs: command.maxSettleMs });
    this.onSnapshot = options.onSnapshot;
    this.broadcast = command.pattern === 'broadcast';
    this.codec = this.broadcast || command.message === undefined ? null : createMessageCodec(command.message, command.messageBytes);
    this.workerIndex = command.workerIndex ?? 0;
    this.workers = command.workers ?? 1;
    this.connections = [...options.connections];
    const slots = this.connections.length;
    this.ledger = new InFlightLedger(slots, this.codec?.unordered === true);
    const publishers = command.publishers ?? 1;
    this.senders = [];
    for (let slot = 0; slot < slots; slot++) if (!this.broadcast || this.connId(slot) < publishers) this.senders.push(slot);
    this.published = this.broadcast ? new Int32Array(this.senders.length) : null;
    this.subscriberStats = this.broadcast ? new SubscriberStats(slots) : null;
    this.liveConnections = this.connections.filter((connection) => connection.isOpen).length;
    this.schedule =
      this.senders.length === 0
        ? null
        : new SendSchedule({
            startMs: this.startMs,
            ratePerConnection: command.ratePerConnection,
            connections: this.senders.length,
            offset: command.scheduleOffset,
          });
    if (this.broadcast) {
      this.payload = createBroadcastFrame(command.messageBytes);
    } else {
      this.payload = Buffer.alloc(Math.max(PAYLOAD_HEADER_BYTES, command.messageBytes), 0x61);
      this.payload.writeUInt32LE(PAYLOAD_MAGIC, 4);
    }
    if ((options.lostBeforeStart ?? 0) > 0) {
      this.dropsByCode.CLOSED_BEFORE_LOAD = options.lostBeforeStart!;
      this.countAlways('dropped', options.lostBeforeStart!);
    }
    this.heartbeat = command.pingIntervalMs === undefined ? null : new Heartbeat(() => this.connections, command.pingIntervalMs, this.startMs, this.clock);
    this.churn =
      command.pattern !== 'churn' || options.redial === undefined
        ? null
        : new Churn(
            { count: slots, connectionAt: (slot) => this.connections[slot]!, inFlightOn: (slot) => this.ledger.inFlightOn(slot) },
            {
              ratePerSec: command.churnRatePerSec ?? 0,
              ...(command.stormAtMs === undefined ? {} : { stormAtMs: command.stormAtMs }),
              startMs: this.startMs,
              endMs: this.endMs,
              clock: this.clock,
              redial: options.redial,
              replace: (slot, connection) => {
                this.connections[slot] = connection;
                connection.listen(this, slot);
                this.heartbeat?.replace(slot);
              },
              ...(options.onReplaced === undefined ? {} : { onReplaced: options.onReplaced }),
            },
          );
  }

  run(): Promise<PhaseReport> {
    return new Promise((resolve) => {
      this.finish = resolve;
      this.connections.forEach((connection, slot) => {
        if (connection.isOpen) connection.listen(this, slot);
      });
      this.subscribe();
      this.heartbeat?.start();
      this.churn?.start();
      this.eluAtStart = performance.eventLoopUtilization();
      this.cpuAtStart = process.cpuUsage();
      this.eluAtSnapshot = this.eluAtStart;
      this.sweepTimer = setInterval(() => this.sweepTimeouts(), TIMEOUT_SWEEP_MS);
      const untilStart = Math.max(0, this.startMs - this.clock());
      this.snapshotTimer = setTimeout(() => this.tickSnapshot(), untilStart + SNAPSHOT_INTERVAL_MS);
      if (this.schedule !== null && this.command.pacer === 'precise') {
        this.ticker = new PreciseTicker(() => this.pace());
        this.ticker.wakeAtEpochMs(this.startMs + this.epochOffsetMs);
      } else if (this.schedule !== null) {
        this.pacingTimer = setTimeout(() => this.pace(), untilStart);
      }
    });
  }

  /** Stops sending now; the phase ends once echoes in flight arrive or a short drain passes. */
  interrupt(): void {
    const now = this.clock();
    if (now < this.endMs) this.endMs = now;
    this.drainDeadlineMs = Math.min(this.drainDeadlineMs, now + INTERRUPT_DRAIN_MS);
  }

  /** The connection's number across all workers (`{{conn}}`, a broadcast's publisher number). */
  private connId(slot: number): number {
    return this.workerIndex + slot * this.workers;
  }

  /** A broadcast's subscribers send `--subscribe` once, before the first publish. */
  private subscribe(): void {
    const template = this.command.subscribeTemplate;
    if (!this.broadcast || template === undefined) return;
    const publishers = this.command.publishers ?? 1;
    this.connections.forEach((connection, slot) => {
      if (connection.isOpen && this.connId(slot) >= publishers) connection.sendText(template.replaceAll('{{conn}}', String(this.connId(slot))));
    });
  }

  /**
   * The totals a message intended at `intendedMs` counts in: none in the warm-up; the tentative ones
   * until the send lag has settled (kept only if it never does); then the measured ones from the start of
   * the measured window, none before it.
   */
  private totalsFor(intendedMs: number): PhaseTotals | undefined {
    if (intendedMs < this.warmupEndMs) return undefined;
    if (!this.settling.decided) return this.tentative;
    return intendedMs >= this.settling.measureFromMs ? this.measured : undefined;
  }

  onMessage(slot: number, data: Buffer): void {
    if (this.broadcast) this.deliver(slot, data);
    else if (this.codec === null) this.receive(slot, data);
    else this.receiveMatched(slot, data);
    // Pacing rides on incoming messages too: under load this wakes the sender far more often than a
    // 1 ms timer could, which keeps send lag well under a millisecond without spinning.
    this.sendDue();
  }

  onClose(slot: number, code: string): void {
    this.liveConnections--;
    this.dropsByCode[code] = (this.dropsByCode[code] ?? 0) + 1;
    this.countAlways('dropped', 1);
    // Nothing more will come back on this connection: what is in flight is lost.
    while (this.ledger.inFlightOn(slot) > 0) this.timeOut(slot);
    this.maybeFinish();
  }

  onPong(slot: number): void {
    this.heartbeat?.ponged(slot);
  }

  private pace(): void {
    this.pacingTimer = undefined;
    this.sendDue();
    if (this.finished || this.schedule === null) return;
    const now = this.clock();
    if (now >= this.endMs) {
      this.maybeFinish();
      return;
    }
    const nextDueMs = Math.max(this.schedule.intendedMs(this.schedule.next), now + MIN_WAKE_INTERVAL_MS);
    if (this.ticker !== undefined) this.ticker.wakeAtEpochMs(nextDueMs + this.epochOffsetMs);
    else this.pacingTimer = setTimeout(() => this.pace(), Math.max(1, Math.floor(nextDueMs - now)));
  }

  private sendDue(): void {
    const schedule = this.schedule;
    if (schedule === null || this.finished) return;
    const now = this.clock();
    let sent = false;
    for (let index = schedule.takeDue(now, this.endMs); index >= 0; index = schedule.takeDue(now, this.endMs)) {
      this.sendOne(schedule.connectionOf(index), schedule.intendedMs(index), now);
      sent = true;
    }
    // Sends made from an echo's callback move the ticker's wake time too, so while echoes flow it
    // rarely has to wake the loop itself.
    if (sent && this.ticker !== undefined) {
      this.ticker.wakeAtEpochMs(Math.max(schedule.intendedMs(schedule.next), now + MIN_WAKE_INTERVAL_MS) + this.epochOffsetMs);
    }
  }

  private sendOne(sender: number, intendedMs: number, nowMs: number): void {
    const slot = this.senders[sender]!;
    const connection = this.connections[slot]!;
    this.settling.observe(nowMs, nowMs - intendedMs);
    const totals = this.totalsFor(intendedMs);
    const lagMicros = (nowMs - intendedMs) * 1000;
    recordMicros(this.intervalLag, lagMicros);
    if (totals !== undefined) recordMicros(totals.sendLag, lagMicros);
    this.count('sent', 1, totals);
    if (!connection.isOpen) {
      // A lost connection cannot carry its scheduled messages; they are failures, not skipped.
      this.count('timedOut', 1, totals);
      return;
    }
    if (connection.bufferedAmount > this.command.maxBufferedBytes) {
      // The server stopped reading; queueing without bound would exhaust the generator's memory.
      this.count('backpressured', 1, totals);
      this.count('timedOut', 1, totals);
      return;
    }
    if (this.published !== null) {
      // Deliveries are counted where they land; the publisher keeps nothing in flight.
      writeBroadcastFrame(this.payload, this.published[sender]!++, (intendedMs + this.epochOffsetMs) * 1000, this.connId(slot));
      connection.send(this.payload);
      return;
    }
    const sequence = this.ledger.record(slot, intendedMs);
    const codec = this.codec;
    if (codec === null) {
      this.payload.writeUInt32LE(sequence, 0);
      connection.send(this.payload);
      return;
    }
    const message = codec.build(sequence, this.connId(slot), (intendedMs + this.epochOffsetMs) * 1000);
    if (codec.text) connection.sendText(message);
    else connection.send(message as Buffer);
  }

  private receive(slot: number, data: Buffer): void {
    if (data.length < PAYLOAD_HEADER_BYTES || data.readUInt32LE(4) !== PAYLOAD_MAGIC) {
      // Not one of our messages: unsolicited (a greeting, a broadcast) or mangled past recognition.
      this.count('unmatched', 1, this.totalsFor(this.clock()));
      return;
    }
    const sequence = data.readUInt32LE(0);
    if (!this.ledger.isInFlight(slot, sequence)) {
      // Already counted as timed out (or not ours): too late to be a latency sample.
      this.countAlways('late', 1);
      return;
    }
    // Echoes are in order; anything skipped over was lost by the server.
    while (this.ledger.oldestOn(slot) < sequence) this.timeOut(slot);
    this.answered(this.ledger.resolveOldest(slot), data, this.echoesIntact(data));
    if (this.ledger.inFlight === 0) this.maybeFinish();
  }

  /** Same length and the same bytes after the header (the header's sequence number was checked already): one memcmp. */
  private echoesIntact(data: Buffer): boolean {
    const length = this.payload.length;
    return data.length === length && data.compare(this.payload, PAYLOAD_HEADER_BYTES, length, PAYLOAD_HEADER_BYTES, length) === 0;
  }

  /** A reply found by the codec: an echo of a text payload, or a server's own answer paired by `--match`. */
  private receiveMatched(slot: number, data: Buffer): void {
    const codec = this.codec!;
    const sequence = codec.sequenceOf(data);
    if (sequence < 0) {
      // Not an answer to anything we sent (a greeting, a push, a reply the match cannot read).
      this.count('unmatched', 1, this.totalsFor(this.clock()));
      return;
    }
    if (!this.ledger.isInFlight(slot, sequence) || this.ledger.isAnswered(slot, sequence)) {
      this.countAlways('late', 1);
      return;
    }
    if (!codec.unordered) while (this.ledger.oldestOn(slot) < sequence) this.timeOut(slot);
    this.answered(this.ledger.answer(slot, sequence), data, codec.echoBytes === null || data.length === codec.echoBytes);
    if (this.ledger.inFlight === 0) this.maybeFinish();
  }

  /** A broadcast frame reaching a subscriber: its latency runs from the publisher's intended send time. */
  private deliver(slot: number, data: Buffer): void {
    if (this.connId(slot) < (this.command.publishers ?? 1)) return;
    const intendedEpochUs = intendedEpochUsOf(data);
    if (Number.isNaN(intendedEpochUs)) {
      this.count('unmatched', 1, this.totalsFor(this.clock()));
      return;
    }
    const intendedMs = intendedEpochUs / 1000 - this.epochOffsetMs;
    if (this.answered(intendedMs, data, true)) this.subscriberStats!.record(slot, (this.clock() - intendedMs) * 1000);
  }

  /**
   * Counts a reply to a message intended at `intendedMs`: an intact one as received with its latency, one
   * answered with other bytes as mismatched (a failure, not a latency sample). Returns whether it was an
   * intact reply counted in the reported totals.
   */
  private answered(intendedMs: number, data: Buffer, intact: boolean): boolean {
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

  private timeOut(slot: number): void {
    this.count('timedOut', 1, this.totalsFor(this.ledger.resolveOldest(slot)));
  }

  private sweepTimeouts(): void {
    const now = this.clock();
    const expire = (slot: number): void => this.timeOut(slot);
    this.ledger.expireBefore(now - this.command.messageTimeoutMs, expire);
    if (now >= this.drainDeadlineMs) this.ledger.expireBefore(Number.POSITIVE_INFINITY, expire);
    this.maybeFinish();
  }

  private count(counter: keyof PhaseCounters, amount: number, totals: PhaseTotals | undefined): void {
    this.interval[counter] += amount;
    if (totals !== undefined) totals.counters[counter] += amount;
  }

  /** What is not tied to a send time (a drop, a late echo) counts whichever window is reported. */
  private countAlways(counter: keyof PhaseCounters, amount: number): void {
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

  private emitSnapshot(): void {
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

  private maybeFinish(): void {
    const now = this.clock();
    if (this.finished || now < this.endMs) return;
    const scheduleDone = this.schedule === null || this.schedule.intendedMs(this.schedule.next) >= this.endMs;
    if (!scheduleDone || this.ledger.inFlight > 0) {
      if (this.drainDeadlineMs === Number.POSITIVE_INFINITY) this.drainDeadlineMs = this.endMs + this.command.messageTimeoutMs;
      return;
    }
    if (this.broadcast && now < Math.min(this.endMs + BROADCAST_DRAIN_MS, this.drainDeadlineMs)) return;
    // A reconnect still in progress carries queued messages; wait for it (bounded by the handshake timeout).
    if (this.churn?.busy === true && now < this.drainDeadlineMs) return;
    this.finished = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.snapshotTimer);
    void this.ticker?.stop();
    clearTimeout(this.pacingTimer);
    const heartbeat: HeartbeatReport | undefined = this.heartbeat?.stop();
    const churn: ChurnReport | undefined = this.churn?.stop();
    // The last, partial second still holds echoes: report it before the totals.
    if (this.interval.sent + this.interval.received + this.interval.timedOut > 0) this.emitSnapshot();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(this.cpuAtStart);
    // Never settled (the phase was short, interrupted, or cut by a crash): what came after the warm-up
    // is all there is, and it is reported as not settled.
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
      ...(heartbeat === undefined ? {} : { heartbeat }),
      ...(churn === undefined ? {} : { churn }),
      ...(this.broadcast ? this.broadcastReport() : {}),
    };
    this.measured.destroy();
    this.tentative.destroy();
    this.intervalRtt.destroy();
    this.intervalLag.destroy();
    this.finish?.(report);
  }

  private broadcastReport(): Pick<PhaseReport, 'broadcast'> {
    const publishers = this.command.publishers ?? 1;
    const subscribers: Array<{ slot: number; conn: number }> = [];
    for (let slot = 0; slot < this.connections.length; slot++) if (this.connId(slot) >= publishers) subscribers.push({ slot, conn: this.connId(slot) });
    return { broadcast: { publishers: this.senders.length, subscribers: subscribers.length, slowestSubscriber: this.subscriberStats!.slowest(subscribers) } };
  }
}
