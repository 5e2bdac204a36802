/**
 * The send/echo bookkeeping of every connection of one worker, in a few flat typed arrays rather than an
 * object per connection: at 100K connections per machine, per-connection objects are heap the garbage
 * collector has to trace on every major GC, and a timer that visits every connection is a stall.
 *
 * Echoes come back in order on a connection, so its messages in flight are the sequence numbers
 * [acked, sent), and the intended send times of those few are all the state RTT needs. Every connection
 * gets `slotsPerConnection` slots for them (a power of two, grown for all when one connection needs more).
 * Messages are sent in the order of their intended times, so a queue of (connection, sequence) in send
 * order yields the oldest message first: timing out is popping its head, never a sweep of all connections.
 * A server that answers requests concurrently (reply matching) may answer out of order: then a flag per
 * slot marks requests answered early, and `acked` moves past them once the older ones resolve.
 */
const INITIAL_SLOTS_PER_CONNECTION = 2;
const INITIAL_QUEUE_LENGTH = 1024;

export class InFlightLedger {
  /** Messages sent on each connection (the next sequence number). */
  private readonly sent: Int32Array;
  /** Messages resolved (echoed or timed out) on each connection: the oldest one in flight. */
  private readonly acked: Int32Array;
  private slotsPerConnection = INITIAL_SLOTS_PER_CONNECTION;
  private intended: Float64Array;
  /** Answered ahead of older requests (unordered replies only; null when replies come in order). */
  private answered: Uint8Array | null;
  // The send-order queue: a ring of `queued` entries starting at `queueHead`.
  private queueConnection = new Int32Array(INITIAL_QUEUE_LENGTH);
  private queueSequence = new Int32Array(INITIAL_QUEUE_LENGTH);
  private queueHead = 0;
  private queued = 0;
  private total = 0;

  constructor(
    readonly connections: number,
    unordered = false,
  ) {
    this.sent = new Int32Array(connections);
    this.acked = new Int32Array(connections);
    this.intended = new Float64Array(connections * this.slotsPerConnection);
    this.answered = unordered ? new Uint8Array(connections * this.slotsPerConnection) : null;
  }

  /** Messages in flight over all connections. */
  get inFlight(): number {
    return this.total;
  }

  inFlightOn(connection: number): number {
    return this.sent[connection]! - this.acked[connection]!;
  }

  /** Records a message sent now on `connection`; returns its sequence number there. */
  record(connection: number, intendedMs: number): number {
    const sequence = this.sent[connection]!;
    if (sequence - this.acked[connection]! >= this.slotsPerConnection) this.growSlots();
    this.intended[this.slot(connection, sequence)] = intendedMs;
    this.sent[connection] = sequence + 1;
    this.total++;
    this.enqueue(connection, sequence);
    return sequence;
  }

  /** Whether `sequence` is still awaited on `connection` (not yet echoed, not timed out, not from the future). */
  isInFlight(connection: number, sequence: number): boolean {
    return sequence >= this.acked[connection]! && sequence < this.sent[connection]!;
  }

  /** The sequence number of the oldest message in flight on `connection` (meaningful when one is). */
  oldestOn(connection: number): number {
    return this.acked[connection]!;
  }

  intendedOf(connection: number, sequence: number): number {
    return this.intended[this.slot(connection, sequence)]!;
  }

  /** Resolves the oldest message in flight on `connection`; returns its intended send time. */
  resolveOldest(connection: number): number {
    const intendedMs = this.intendedOf(connection, this.acked[connection]!);
    this.acked[connection]!++;
    this.total--;
    this.skipAnswered(connection);
    return intendedMs;
  }

  /** Whether `sequence`, in flight on `connection`, was answered already (only ever true for unordered replies). */
  isAnswered(connection: number, sequence: number): boolean {
    return this.answered !== null && this.answered[this.slot(connection, sequence)] === 1;
  }

  /**
   * Resolves `sequence` on `connection`, in flight and not answered yet; returns its intended send time.
   * In order (or the oldest) it moves `acked`; out of order it is flagged until the older ones resolve.
   */
  answer(connection: number, sequence: number): number {
    if (sequence === this.acked[connection]) return this.resolveOldest(connection);
    if (this.answered === null) throw new RangeError(`reply ${sequence} on connection ${connection} is not the oldest in flight (${this.acked[connection]}); time the older ones out first`);
    this.answered[this.slot(connection, sequence)] = 1;
    this.total--;
    return this.intendedOf(connection, sequence);
  }

  /** Moves `acked` past requests already answered out of order. */
  private skipAnswered(connection: number): void {
    const answered = this.answered;
    if (answered === null) return;
    let acked = this.acked[connection]!;
    const sent = this.sent[connection]!;
    while (acked < sent && answered[this.slot(connection, acked)] === 1) {
      answered[this.slot(connection, acked)] = 0;
      acked++;
    }
    this.acked[connection] = acked;
  }

  /**
   * Calls `expire(connection)` for every message still in flight whose intended time is before
   * `deadlineMs`, oldest first; `expire` must resolve that message (resolveOldest). Cost: the messages
   * sent since the last call, not the connections.
   */
  expireBefore(deadlineMs: number, expire: (connection: number) => void): void {
    while (this.queued > 0) {
      const connection = this.queueConnection[this.queueHead]!;
      const sequence = this.queueSequence[this.queueHead]!;
      if (sequence >= this.acked[connection]!) {
        // Still in flight: the queue is in intended order, so nothing after it is older.
        if (this.intendedOf(connection, sequence) >= deadlineMs) return;
        expire(connection);
      }
      this.queueHead = (this.queueHead + 1) & (this.queueConnection.length - 1);
      this.queued--;
    }
  }

  private slot(connection: number, sequence: number): number {
    return connection * this.slotsPerConnection + (sequence & (this.slotsPerConnection - 1));
  }

  private growSlots(): void {
    const slots = this.slotsPerConnection * 2;
    const larger = new Float64Array(this.connections * slots);
    const answered = this.answered === null ? null : new Uint8Array(this.connections * slots);
    for (let connection = 0; connection < this.connections; connection++) {
      for (let sequence = this.acked[connection]!; sequence < this.sent[connection]!; sequence++) {
        larger[connection * slots + (sequence & (slots - 1))] = this.intendedOf(connection, sequence);
        if (answered !== null) answered[connection * slots + (sequence & (slots - 1))] = this.answered![this.slot(connection, sequence)]!;
      }
    }
    this.intended = larger;
    this.answered = answered;
    this.slotsPerConnection = slots;
  }

  private enqueue(connection: number, sequence: number): void {
    if (this.queued === this.queueConnection.length) this.growQueue();
    const at = (this.queueHead + this.queued) & (this.queueConnection.length - 1);
    this.queueConnection[at] = connection;
    this.queueSequence[at] = sequence;
    this.queued++;
  }

  private growQueue(): void {
    const mask = this.queueConnection.length - 1;
    const connections = new Int32Array(this.queueConnection.length * 2);
    const sequences = new Int32Array(this.queueConnection.length * 2);
    for (let index = 0; index < this.queued; index++) {
      connections[index] = this.queueConnection[(this.queueHead + index) & mask]!;
      sequences[index] = this.queueSequence[(this.queueHead + index) & mask]!;
    }
    this.queueConnection = connections;
    this.queueSequence = sequences;
    this.queueHead = 0;
  }
}
