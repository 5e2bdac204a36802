import { performance } from 'node:perf_hooks';
import type { ClientConnection, ConnectionListener } from './client-transport.js';
import { InFlightLedger } from './in-flight-ledger.js';
import { PhaseAccounts } from './phase-accounts.js';
import type { Churn } from './churn.js';
import { createPhaseChurn } from './phase-churn.js';
import { Heartbeat } from './heartbeat.js';
import { createMessageCodec } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { createBroadcastFrame, intendedEpochUsOf, writeBroadcastFrame } from './broadcast-frame.js';
import { SubscriberStats } from './subscriber-stats.js';
import { broadcastReport, sendSubscriptions } from './broadcast-phase.js';
import { PreciseTicker } from './precise-ticker.js';
import { SendSchedule } from './send-schedule.js';
import { recordMicros } from '../metrics/latency-histogram.js';
import type { LoadCommand, PhaseReport } from './worker-protocol.js';
import { BROADCAST_DRAIN_MS, createEchoPayload, INTERRUPT_DRAIN_MS, PAYLOAD_HEADER_BYTES, PAYLOAD_MAGIC, SEND_AHEAD_MS, TIMEOUT_SWEEP_MS } from './load-phase-options.js';
import type { LoadPhaseOptions } from './load-phase-options.js';

export type { Clock } from './phase-accounts.js';

export { BROADCAST_DRAIN_MS, PAYLOAD_HEADER_BYTES } from './load-phase-options.js';
export type { LoadPhaseOptions } from './load-phase-options.js';

/**
 * Drives one phase of open-model load over a worker's connections: sends on the schedule whatever the
 * replies do (each wake-up up to SEND_AHEAD_MS ahead of it), records RTT from each message's intended send
 * time (or from when it left, if that was earlier) and the generator's own send lag, and
 * reports every second. Resolves with the measured-window totals once every message is answered or timed out.
 * In a broadcast the publishers send and the subscribers' deliveries are the "replies", timed from the
 * publisher's intended send time carried in the frame.
 *
 * Connections are numbered by slot (their index here); the phase is the one listener of all of them, so
 * holding 100K connections costs no closure apiece, and their bookkeeping lives in flat arrays. Which
 * window each message counts in, the snapshots and the closing totals are PhaseAccounts' (phase-accounts.ts).
 */
export class LoadPhase extends PhaseAccounts implements ConnectionListener {
  /** By slot; churn replaces entries. */
  private readonly connections: ClientConnection[];
  protected readonly ledger: InFlightLedger;
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

  private ticker: PreciseTicker | undefined;
  private pacingTimer: NodeJS.Timeout | undefined;
  private readonly epochOffsetMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private finish: ((report: PhaseReport) => void) | undefined;

  constructor(options: LoadPhaseOptions) {
    const command = options.command;
    const epochToClock = options.epochToClock ?? ((epochMs: number) => epochMs - performance.timeOrigin);
    super(command, options.clock ?? (() => performance.now()), epochToClock(command.startEpochMs), options.onSnapshot);
    this.epochOffsetMs = command.startEpochMs - epochToClock(command.startEpochMs);
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
    this.payload = this.broadcast ? createBroadcastFrame(command.messageBytes) : createEchoPayload(command.messageBytes);
    if ((options.lostBeforeStart ?? 0) > 0) {
      this.dropsByCode.CLOSED_BEFORE_LOAD = options.lostBeforeStart!;
      this.countAlways('dropped', options.lostBeforeStart!);
    }
    this.heartbeat = command.pingIntervalMs === undefined ? null : new Heartbeat(() => this.connections, command.pingIntervalMs, this.startMs, this.clock);
    this.churn =
      command.pattern !== 'churn' || options.redial === undefined
        ? null
        : createPhaseChurn(command, { connections: this.connections, ledger: this.ledger, listener: this, heartbeat: this.heartbeat, startMs: this.startMs, endMs: this.endMs, clock: this.clock, redial: options.redial, onReplaced: options.onReplaced });
  }

  run(): Promise<PhaseReport> {
    return new Promise((resolve) => {
      this.finish = resolve;
      this.connections.forEach((connection, slot) => {
        if (connection.isOpen) connection.listen(this, slot);
      });
      if (this.broadcast) sendSubscriptions(this.command, this.connections, (slot) => this.connId(slot));
      this.heartbeat?.start();
      this.churn?.start();
      this.startAccounts();
      this.sweepTimer = setInterval(() => this.sweepTimeouts(), TIMEOUT_SWEEP_MS);
      const untilStart = Math.max(0, this.startMs - this.clock());
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

  /** A pacer's wake-up: sends what is due and what is intended within SEND_AHEAD_MS, then sleeps until the next. */
  private pace(): void {
    this.pacingTimer = undefined;
    this.sendDue(SEND_AHEAD_MS);
    if (this.finished || this.schedule === null) return;
    const now = this.clock();
    if (now >= this.endMs) {
      this.maybeFinish();
      return;
    }
    const nextMs = this.schedule.intendedMs(this.schedule.next);
    if (this.ticker !== undefined) this.ticker.wakeAtEpochMs(nextMs + this.epochOffsetMs);
    // Node's timers fire up to ~1.2 ms late: aim one send-ahead early, so a late timer still sends on time.
    else this.pacingTimer = setTimeout(() => this.pace(), Math.max(1, Math.ceil(nextMs - SEND_AHEAD_MS - now)));
  }

  /** Sends every message due now or intended within `aheadMs`, in intended order (late ones first). */
  private sendDue(aheadMs = 0): void {
    const schedule = this.schedule;
    if (schedule === null || this.finished) return;
    const now = this.clock();
    // Never ahead across the end of the warm-up (the start, without one): a message intended in the
    // measured part is sent there and counts there, so every connection's share of it stays exact.
    const aheadUntilMs = now < this.warmupEndMs ? Math.min(now + aheadMs, this.warmupEndMs) : now + aheadMs;
    let sent = false;
    for (let index = schedule.takeDue(now, this.endMs, aheadUntilMs); index >= 0; index = schedule.takeDue(now, this.endMs, aheadUntilMs)) {
      this.sendOne(schedule.connectionOf(index), schedule.intendedMs(index), now);
      sent = true;
    }
    // Sends made from an echo's callback move the ticker's wake time too, so while echoes flow it
    // rarely has to wake the loop itself.
    if (sent && this.ticker !== undefined) this.ticker.wakeAtEpochMs(schedule.intendedMs(schedule.next) + this.epochOffsetMs);
  }

  private sendOne(sender: number, intendedMs: number, nowMs: number): void {
    const slot = this.senders[sender]!;
    const connection = this.connections[slot]!;
    // The moment this message is timed from: its intended send time, or now if it goes out ahead of it
    // (SEND_AHEAD_MS). Its window, its RTT and the send time a frame carries all start there.
    const fromMs = Math.min(intendedMs, nowMs);
    const lagMs = nowMs - fromMs;
    this.settling.observe(nowMs, lagMs);
    const totals = this.totalsFor(fromMs);
    const lagMicros = lagMs * 1000;
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
      writeBroadcastFrame(this.payload, this.published[sender]!++, (fromMs + this.epochOffsetMs) * 1000, this.connId(slot));
      connection.send(this.payload);
      return;
    }
    const sequence = this.ledger.record(slot, fromMs);
    const codec = this.codec;
    if (codec === null) {
      this.payload.writeUInt32LE(sequence, 0);
      connection.send(this.payload);
      return;
    }
    const message = codec.build(sequence, this.connId(slot), (fromMs + this.epochOffsetMs) * 1000);
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

  protected maybeFinish(): void {
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
    void this.ticker?.stop();
    clearTimeout(this.pacingTimer);
    const heartbeat = this.heartbeat?.stop();
    const churn = this.churn?.stop();
    const report = this.closeAccounts({
      ...(heartbeat === undefined ? {} : { heartbeat }),
      ...(churn === undefined ? {} : { churn }),
      ...(this.broadcast ? { broadcast: broadcastReport(this.command, this.connections.length, this.senders.length, this.subscriberStats!, (slot) => this.connId(slot)) } : {}),
    });
    this.finish?.(report);
  }
}
