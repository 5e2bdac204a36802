/** The slowest subscriber of a broadcast: the one whose deliveries took longest on average. */
export interface SlowestSubscriber {
  conn: number;
  delivered: number;
  meanMs: number;
  maxMs: number;
}

/** Per-subscriber delivery counts and latency sums in flat arrays: one slot per connection of the worker. */
export class SubscriberStats {
  private readonly delivered: Uint32Array;
  private readonly sumUs: Float64Array;
  private readonly maxUs: Float64Array;

  constructor(size: number) {
    this.delivered = new Uint32Array(size);
    this.sumUs = new Float64Array(size);
    this.maxUs = new Float64Array(size);
  }

  record(slot: number, latencyUs: number): void {
    this.delivered[slot]!++;
    this.sumUs[slot]! += latencyUs;
    if (latencyUs > this.maxUs[slot]!) this.maxUs[slot] = latencyUs;
  }

  /** Over the subscribers given as (slot, conn): the highest mean latency; fewest deliveries breaks ties. */
  slowest(subscribers: ReadonlyArray<{ slot: number; conn: number }>): SlowestSubscriber | null {
    let worst: SlowestSubscriber | null = null;
    for (const { slot, conn } of subscribers) {
      const delivered = this.delivered[slot]!;
      const meanMs = delivered === 0 ? Number.POSITIVE_INFINITY : this.sumUs[slot]! / delivered / 1000;
      const candidate = { conn, delivered, meanMs, maxMs: this.maxUs[slot]! / 1000 };
      if (worst === null || candidate.meanMs > worst.meanMs || (candidate.meanMs === worst.meanMs && delivered < worst.delivered)) worst = candidate;
    }
    // JSON has no Infinity: a subscriber that got nothing reads as meanMs null-like 0 with 0 delivered.
    return worst === null ? null : { ...worst, meanMs: Number.isFinite(worst.meanMs) ? worst.meanMs : 0 };
  }
}

/** The slower of two workers' slowest subscribers. */
export function slowerOf(a: SlowestSubscriber | null, b: SlowestSubscriber | null): SlowestSubscriber | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.delivered === 0 || b.delivered === 0) return a.delivered <= b.delivered ? a : b;
  return a.meanMs >= b.meanMs ? a : b;
}
