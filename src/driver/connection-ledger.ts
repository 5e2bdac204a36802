import type { ClientConnection } from './client-transport.js';

/**
 * One connection's send/reply bookkeeping. The messages in flight are the sequence numbers [acked, sent),
 * and a ring of their intended send times is all the state needed to measure RTT from the intended time
 * and to time out the oldest. Echoes come back in order; a server that answers requests concurrently
 * (reply matching) may answer out of order, so then a ring of answered flags lets `acked` move past
 * requests answered early.
 */
export class ConnectionLedger {
  sent = 0;
  acked = 0;
  private intended = new Float64Array(8);
  private answered: Uint8Array | null;

  constructor(
    public connection: ClientConnection,
    /** This connection's number across all workers (`{{conn}}`). */
    readonly id: number,
    unordered = false,
  ) {
    this.answered = unordered ? new Uint8Array(8) : null;
  }

  record(sequence: number, intendedMs: number): void {
    if (sequence - this.acked >= this.intended.length) this.grow();
    this.intended[sequence & (this.intended.length - 1)] = intendedMs;
  }

  intendedOf(sequence: number): number {
    return this.intended[sequence & (this.intended.length - 1)]!;
  }

  get inFlight(): number {
    return this.sent - this.acked;
  }

  /** Whether `sequence`, in flight, was answered already (only ever true for unordered replies). */
  isAnswered(sequence: number): boolean {
    return this.answered !== null && this.answered[sequence & (this.answered.length - 1)] === 1;
  }

  /** Marks an in-flight request answered; returns how many requests, this one included, `acked` moved past. */
  answer(sequence: number): void {
    if (this.answered === null || sequence === this.acked) {
      this.acked = sequence + 1;
    } else {
      this.answered[sequence & (this.answered.length - 1)] = 1;
      return;
    }
    this.skipAnswered();
  }

  /** Moves `acked` past requests already answered (out of order). */
  skipAnswered(): void {
    const answered = this.answered;
    if (answered === null) return;
    while (this.acked < this.sent && answered[this.acked & (answered.length - 1)] === 1) {
      answered[this.acked & (answered.length - 1)] = 0;
      this.acked++;
    }
  }

  private grow(): void {
    const size = this.intended.length * 2;
    const intended = new Float64Array(size);
    const answered = this.answered === null ? null : new Uint8Array(size);
    for (let sequence = this.acked; sequence < this.sent; sequence++) {
      intended[sequence & (size - 1)] = this.intendedOf(sequence);
      if (answered !== null) answered[sequence & (size - 1)] = this.answered![sequence & (this.answered!.length - 1)]!;
    }
    this.intended = intended;
    this.answered = answered;
  }
}
