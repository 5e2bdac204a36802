import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { ClientConnection } from './client-transport.js';
import { ConnectionLedger } from './connection-ledger.js';
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

const emptyCounters = (): PhaseCounters => ({ sent: 0, received: 0, timedOut: 0, late: 0, mismatched: 0, unmatched: 0, backpressured: 0, dropped: 0 });

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
 */
export class LoadPhase {
  private readonly command: LoadCommand;
  private readonly clock: Clock;
  private readonly ledgers: ConnectionLedger[];
  /** The connections that send on the schedule: all of them, or a broadcast's publishers. */
  private readonly senders: ConnectionLedger[];
  private readonly schedule: SendSchedule | null;
  private readonly payload: Buffer;
  private readonly codec: MessageCodec | null;
  private readonly broadcast: boolean;
  private readonly subscriberStats: SubscriberStats | null;
  private readonly heartbeat: Heartbeat | null;
  private readonly churn: Churn | null;
  private readonly startMs: number;
  private readonly measureFromMs: number;
  private endMs: number;
  private readonly onSnapshot: (snapshot: SnapshotReport) => void;

  private readonly total = emptyCounters();
  private interval = emptyCounters();
  private readonly rtt = createHistogram();
  private readonly sendLag = createHistogram();
  private intervalRtt = createHistogram();
  private intervalLag = createHistogram();
  private readonly dropsByCode: Record<string, number> = {};
  private inFlight = 0;
  private liveConnections: number;
  private second = 0;
  private eluAtStart: EventLoopUtilization | undefined;
  private cpuAtStart: NodeJS.CpuUsage | undefined;
  private echoesInPhase = 0;
  private receivedInWindow = 0;
  private receivedBytesInWindow = 0;
  private eluAtSnapshot: EventLoopUtilization | undefined;

  private ticker: PreciseTicker | undefined;
  private pacingTimer: NodeJS.Timeout | undefined;
  private readonly epochOffsetMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private finish: ((report: PhaseReport) => void) | undefined;
  private finished = false;

  constructor(options: LoadPhaseOptions) {
    const command = options.command;
    this.command = command;
    this.clock = options.clock ?? (() => performance.now());
    const epochToClock = options.epochToClock ?? ((epochMs: number) => epochMs - performance.timeOrigin);
    this.epochOffsetMs = command.startEpochMs - epochToClock(command.startEpochMs);
    this.startMs = epochToClock(command.startEpochMs);
    this.measureFromMs = this.startMs + command.warmupMs;
    this.endMs = this.startMs + command.durationMs;
    this.onSnapshot = options.onSnapshot;
    this.broadcast = command.pattern === 'broadcast';
    this.codec = this.broadcast || command.message === undefined ? null : createMessageCodec(command.message, command.messageBytes);
    const workerIndex = command.workerIndex ?? 0;
    const workers = command.workers ?? 1;
    this.ledgers = options.connections.map((connection, index) => new ConnectionLedger(connection, workerIndex + index * workers, this.codec?.unordered === true));
    this.senders = this.broadcast ? this.ledgers.filter((ledger) => ledger.id < (command.publishers ?? 1)) : this.ledgers;
    this.subscriberStats = this.broadcast ? new SubscriberStats(this.ledgers.length) : null;
    this.liveConnections = this.ledgers.filter((ledger) => ledger.connection.isOpen).length;
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
      this.count('dropped', options.lostBeforeStart!, true);
    }
    this.heartbeat = command.pingIntervalMs === undefined ? null : new Heartbeat(() => this.ledgers.map((ledger) => ledger.connection), command.pingIntervalMs, this.startMs, this.clock);
    this.churn =
      command.pattern !== 'churn' || options.redial === undefined
        ? null
        : new Churn(this.ledgers, {
            ratePerSec: command.churnRatePerSec ?? 0,
            ...(command.stormAtMs === undefined ? {} : { stormAtMs: command.stormAtMs }),
            startMs: this.startMs,
            endMs: this.endMs,
            clock: this.clock,
            redial: options.redial,
            relisten: (ledger) => {
              const slot = this.ledgers.indexOf(ledger);
              this.listen(ledger, slot);
              this.heartbeat?.replace(slot, ledger.connection);
            },
            ...(options.onReplaced === undefined ? {} : { onReplaced: options.onReplaced }),
          });
  }

  run(): Promise<PhaseReport> {
    return new Promise((resolve) => {
      this.finish = resolve;
      this.ledgers.forEach((ledger, slot) => {
        if (ledger.connection.isOpen) this.listen(ledger, slot);
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

  private drainDeadlineMs = Number.POSITIVE_INFINITY;

  /** A broadcast's subscribers send `--subscribe` once, before the first publish. */
  private subscribe(): void {
    const template = this.command.subscribeTemplate;
    if (!this.broadcast || template === undefined) return;
    for (const ledger of this.ledgers) {
      if (ledger.connection.isOpen && !this.senders.includes(ledger)) ledger.connection.sendText(template.replaceAll('{{conn}}', String(ledger.id)));
    }
  }

  private listen(ledger: ConnectionLedger, slot: number): void {
    const onReply = this.broadcast ? (data: Buffer) => this.deliver(ledger, slot, data) : this.codec === null ? (data: Buffer) => this.receive(ledger, data) : (data: Buffer) => this.receiveMatched(ledger, data);
    ledger.connection.onMessage((data) => {
      onReply(data);
      // Pacing rides on incoming messages too: under load this wakes the sender far more often than a
      // 1 ms timer could, which keeps send lag well under a millisecond without spinning.
      this.sendDue();
    });
    ledger.connection.onClose((code) => {
      this.liveConnections--;
      this.dropsByCode[code] = (this.dropsByCode[code] ?? 0) + 1;
      this.count('dropped', 1, true);
      // Nothing more will come back on this connection: what is in flight is lost.
      while (ledger.acked < ledger.sent) this.timeOut(ledger);
    });
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
      this.sendOne(this.senders[schedule.connectionOf(index)]!, schedule.intendedMs(index), now);
      sent = true;
    }
    // Sends made from an echo's callback move the ticker's wake time too, so while echoes flow it
    // rarely has to wake the loop itself.
    if (sent && this.ticker !== undefined) {
      this.ticker.wakeAtEpochMs(Math.max(schedule.intendedMs(schedule.next), now + MIN_WAKE_INTERVAL_MS) + this.epochOffsetMs);
    }
  }

  private sendOne(ledger: ConnectionLedger, intendedMs: number, nowMs: number): void {
    const measured = intendedMs >= this.measureFromMs;
    const lagMicros = (nowMs - intendedMs) * 1000;
    recordMicros(this.intervalLag, lagMicros);
    if (measured) recordMicros(this.sendLag, lagMicros);
    this.count('sent', 1, measured);
    if (!ledger.connection.isOpen) {
      // A lost connection cannot carry its scheduled messages; they are failures, not skipped.
      this.count('timedOut', 1, measured);
      return;
    }
    if (ledger.connection.bufferedAmount > this.command.maxBufferedBytes) {
      // The server stopped reading; queueing without bound would exhaust the generator's memory.
      this.count('backpressured', 1, measured);
      this.count('timedOut', 1, measured);
      return;
    }
    if (this.broadcast) {
      // Deliveries are counted where they land; the publisher keeps nothing in flight.
      writeBroadcastFrame(this.payload, ledger.sent++, (intendedMs + this.epochOffsetMs) * 1000, ledger.id);
      ledger.connection.send(this.payload);
      return;
    }
    const sequence = ledger.sent++;
    ledger.record(sequence, intendedMs);
    this.inFlight++;
    const codec = this.codec;
    if (codec === null) {
      this.payload.writeUInt32LE(sequence, 0);
      ledger.connection.send(this.payload);
      return;
    }
    const message = codec.build(sequence, ledger.id, (intendedMs + this.epochOffsetMs) * 1000);
    if (codec.text) ledger.connection.sendText(message);
    else ledger.connection.send(message as Buffer);
  }

  private receive(ledger: ConnectionLedger, data: Buffer): void {
    if (data.length < PAYLOAD_HEADER_BYTES || data.readUInt32LE(4) !== PAYLOAD_MAGIC) {
      // Not one of our messages: unsolicited (a greeting, a broadcast) or mangled past recognition.
      this.count('unmatched', 1, this.clock() >= this.measureFromMs);
      return;
    }
    const sequence = data.readUInt32LE(0);
    if (sequence < ledger.acked || sequence >= ledger.sent) {
      // Already counted as timed out (or not ours): too late to be a latency sample.
      this.count('late', 1, true);
      return;
    }
    // Echoes are in order; anything skipped over was lost by the server.
    while (ledger.acked < sequence) this.timeOut(ledger);
    this.answered(ledger.intendedOf(sequence), data, this.echoesIntact(data));
    ledger.acked = sequence + 1;
    this.inFlight--;
    if (this.inFlight === 0) this.maybeFinish();
  }

  /** Same length and the same bytes after the header (the header's sequence number was checked already): one memcmp. */
  private echoesIntact(data: Buffer): boolean {
    const length = this.payload.length;
    return data.length === length && data.compare(this.payload, PAYLOAD_HEADER_BYTES, length, PAYLOAD_HEADER_BYTES, length) === 0;
  }

  /** A reply found by the codec: an echo of a text payload, or a server's own answer paired by `--match`. */
  private receiveMatched(ledger: ConnectionLedger, data: Buffer): void {
    const codec = this.codec!;
    const sequence = codec.sequenceOf(data);
    if (sequence < 0) {
      // Not an answer to anything we sent (a greeting, a push, a reply the match cannot read).
      this.count('unmatched', 1, this.clock() >= this.measureFromMs);
      return;
    }
    if (sequence < ledger.acked || sequence >= ledger.sent || ledger.isAnswered(sequence)) {
      this.count('late', 1, true);
      return;
    }
    if (!codec.unordered) while (ledger.acked < sequence) this.timeOut(ledger);
    this.answered(ledger.intendedOf(sequence), data, codec.echoBytes === null || data.length === codec.echoBytes);
    ledger.answer(sequence);
    this.inFlight--;
    if (this.inFlight === 0) this.maybeFinish();
  }

  /** A broadcast frame reaching a subscriber: its latency runs from the publisher's intended send time. */
  private deliver(ledger: ConnectionLedger, slot: number, data: Buffer): void {
    if (ledger.id < (this.command.publishers ?? 1)) return;
    const intendedEpochUs = intendedEpochUsOf(data);
    if (Number.isNaN(intendedEpochUs)) {
      this.count('unmatched', 1, this.clock() >= this.measureFromMs);
      return;
    }
    const intendedMs = intendedEpochUs / 1000 - this.epochOffsetMs;
    if (this.answered(intendedMs, data, true)) this.subscriberStats!.record(slot, (this.clock() - intendedMs) * 1000);
  }

  /**
   * Counts a reply to a message intended at `intendedMs`: an intact one as received with its latency, one
   * answered with other bytes as mismatched (a failure, not a latency sample). Returns whether it was an
   * intact reply inside the measured window.
   */
  private answered(intendedMs: number, data: Buffer, intact: boolean): boolean {
    const measured = intendedMs >= this.measureFromMs && intendedMs < this.endMs;
    const now = this.clock();
    const inWindow = now >= this.measureFromMs && now <= this.endMs;
    if (inWindow) this.receivedBytesInWindow += data.length;
    if (!intact) {
      this.count('mismatched', 1, measured);
      return false;
    }
    if (inWindow) this.receivedInWindow++;
    const rttMicros = (now - intendedMs) * 1000;
    recordMicros(this.intervalRtt, rttMicros);
    if (measured) recordMicros(this.rtt, rttMicros);
    this.count('received', 1, measured);
    this.echoesInPhase++;
    return measured;
  }

  private timeOut(ledger: ConnectionLedger): void {
    const measured = ledger.intendedOf(ledger.acked) >= this.measureFromMs;
    ledger.acked++;
    ledger.skipAnswered();
    this.inFlight--;
    this.count('timedOut', 1, measured);
  }

  private sweepTimeouts(): void {
    const now = this.clock();
    const deadline = now - this.command.messageTimeoutMs;
    for (const ledger of this.ledgers) {
      while (ledger.acked < ledger.sent && ledger.intendedOf(ledger.acked) < deadline) this.timeOut(ledger);
    }
    if (now >= this.drainDeadlineMs) {
      for (const ledger of this.ledgers) while (ledger.acked < ledger.sent) this.timeOut(ledger);
    }
    this.maybeFinish();
  }

  private count(counter: keyof PhaseCounters, amount: number, measured: boolean): void {
    this.interval[counter] += amount;
    if (measured) this.total[counter] += amount;
  }

  private tickSnapshot(): void {
    this.emitSnapshot();
    if (!this.finished) this.snapshotTimer = setTimeout(() => this.tickSnapshot(), this.nextSnapshotDelay());
  }

  private nextSnapshotDelay(): number {
    const nextAt = this.startMs + (this.second + 1) * SNAPSHOT_INTERVAL_MS;
    return Math.max(0, nextAt - this.clock());
  }

  private emitSnapshot(): void {
    const elu = performance.eventLoopUtilization(this.eluAtSnapshot);
    this.eluAtSnapshot = performance.eventLoopUtilization();
    this.onSnapshot({
      type: 'snapshot',
      phaseId: this.command.phaseId,
      second: this.second++,
      connections: this.liveConnections,
      ...this.interval,
      histogram: encodeHistogram(this.intervalRtt),
      sendLagHistogram: encodeHistogram(this.intervalLag),
      eventLoopUtilization: elu.utilization,
    });
    this.interval = emptyCounters();
    this.intervalRtt.destroy();
    this.intervalLag.destroy();
    this.intervalRtt = createHistogram();
    this.intervalLag = createHistogram();
  }

  private maybeFinish(): void {
    const now = this.clock();
    if (this.finished || now < this.endMs) return;
    const scheduleDone = this.schedule === null || this.schedule.intendedMs(this.schedule.next) >= this.endMs;
    if (!scheduleDone || this.inFlight > 0) {
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
    const report: PhaseReport = {
      type: 'phase-done',
      phaseId: this.command.phaseId,
      connections: this.liveConnections,
      ...this.total,
      dropsByCode: this.dropsByCode,
      histogram: encodeHistogram(this.rtt),
      sendLagHistogram: encodeHistogram(this.sendLag),
      eventLoopUtilization: performance.eventLoopUtilization(this.eluAtStart).utilization,
      measuredMs: Math.max(0, this.endMs - this.measureFromMs),
      receivedInWindow: this.receivedInWindow,
      receivedBytesInWindow: this.receivedBytesInWindow,
      cpuMicros: cpu.user + cpu.system,
      echoesInPhase: this.echoesInPhase,
      heapUsedBytes: memory.heapUsed,
      rssBytes: memory.rss,
      ...(heartbeat === undefined ? {} : { heartbeat }),
      ...(churn === undefined ? {} : { churn }),
      ...(this.broadcast ? this.broadcastReport() : {}),
    };
    this.rtt.destroy();
    this.sendLag.destroy();
    this.finish?.(report);
  }

  private broadcastReport(): Pick<PhaseReport, 'broadcast'> {
    const subscribers = this.ledgers.flatMap((ledger, slot) => (this.senders.includes(ledger) ? [] : [{ slot, conn: ledger.id }]));
    return { broadcast: { publishers: this.senders.length, subscribers: subscribers.length, slowestSubscriber: this.subscriberStats!.slowest(subscribers) } };
  }
}
