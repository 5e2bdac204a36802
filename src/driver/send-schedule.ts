/**
 * The open-model send schedule of one worker. Connection i sends its k-th message at
 *
 *   intended(k, i) = startMs + (k·N + i + offset) · intervalMs / N
 *
 * i.e. the worker's N connections take turns at a fixed global cadence of N / intervalMs sends per ms, so
 * sends never bunch, and `offset` ∈ [0, 1) shifts this worker's cadence against the other workers'.
 * Sends are walked in global order g = k·N + i, so "what is due now" is one comparison per send: no
 * timer per connection, no heap.
 */
export interface SendScheduleOptions {
  startMs: number;
  ratePerConnection: number;
  connections: number;
  /** Fraction of one global slot by which this worker's sends are shifted (workerIndex / workers). */
  offset?: number;
}

export class SendSchedule {
  readonly startMs: number;
  readonly connections: number;
  /** Time between two sends of the whole worker. */
  readonly slotMs: number;
  private readonly offset: number;
  private nextIndex = 0;

  constructor(options: SendScheduleOptions) {
    if (!(options.ratePerConnection > 0)) throw new RangeError(`ratePerConnection must be > 0, got ${options.ratePerConnection}`);
    if (!(options.connections > 0)) throw new RangeError(`connections must be > 0, got ${options.connections}`);
    this.startMs = options.startMs;
    this.connections = options.connections;
    this.slotMs = 1000 / options.ratePerConnection / options.connections;
    this.offset = options.offset ?? 0;
  }

  /** Intended send time of global send number `index`. */
  intendedMs(index: number): number {
    return this.startMs + (index + this.offset) * this.slotMs;
  }

  /** The connection (0-based slot) that makes global send number `index`. */
  connectionOf(index: number): number {
    return index % this.connections;
  }

  /** The global index of the next send not yet taken. */
  get next(): number {
    return this.nextIndex;
  }

  /**
   * Takes the next send if it is due at `nowMs` (or intended before `aheadUntilMs`, to send it ahead) and
   * intended before `endMs`; returns its index, or -1. The caller loops until -1, so late sends are caught
   * up (and their lag recorded), never skipped.
   */
  takeDue(nowMs: number, endMs: number, aheadUntilMs = nowMs): number {
    const intended = this.intendedMs(this.nextIndex);
    if ((intended > nowMs && intended >= aheadUntilMs) || intended >= endMs) return -1;
    return this.nextIndex++;
  }
}
