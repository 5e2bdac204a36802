/**
 * When does a phase's measurement begin? Not before the warm-up ends, and not before the generator's own
 * send lag has settled: right after 100K connections open, a worker spends seconds catching up (first
 * sends on cold sockets, a major GC of the heap the handshakes left), and RTTs taken then describe the
 * driver's start-up, not the server. Measurement begins at the first point from the end of the warm-up
 * at which the last SETTLE_WINDOWS windows of SETTLE_WINDOW_MS each were calm: at most 1% of their sends
 * more than SETTLED_SEND_LAG_MS late (the saturation threshold), and no stall of STALL_MS or more across
 * them. Single hiccups of a busy machine do not hold it back; a start-up transient does. It waits at most
 * `maxSettleMs`, and says so when the lag never settled.
 *
 * The windows are anchored at the end of the warm-up, so a calm phase measures from exactly there. A
 * window is judged once a later moment is observed; a send intended after a point is made after it, so
 * whether that send is measured is always known when it is made.
 */
export const SETTLE_WINDOW_MS = 250;
export const SETTLE_WINDOWS = 2;
export const SETTLED_SEND_LAG_MS = 10;
/** A window may hold this share of sends later than SETTLED_SEND_LAG_MS and still be calm (a p99). */
export const LATE_SHARE = 0.01;
/** A send this late means the loop was stuck: every window since its intended time was not calm. */
export const STALL_MS = 100;
/** The most a phase waits for its send lag to settle, past the warm-up, by default… */
export const MAX_SETTLE_MS = 10_000;
/** …and at most this share of the time after the warm-up, so some of it is always measured. */
export const MAX_SETTLE_SHARE = 0.5;

export interface SettlingOptions {
  /** The end of the warm-up on the phase's clock: the earliest measurement start. */
  warmupEndMs: number;
  /** The end of the phase on the same clock. */
  endMs: number;
  /** The longest wait past the warm-up (0: measure from the warm-up's end whatever the lag). */
  maxSettleMs?: number;
}

export class SendLagSettling {
  /** Measurement start on the phase's clock; +Infinity until decided. */
  measureFromMs = Number.POSITIVE_INFINITY;
  /** Whether the lag settled (false: the wait hit its bound); undefined until decided. */
  settled: boolean | undefined;
  readonly maxSettleMs: number;
  private readonly warmupEndMs: number;
  /** Index of the window being filled, counted from the end of the warm-up (negative before it). */
  private window: number | undefined;
  private windowSends = 0;
  private windowLateSends = 0;
  private cleanWindows = 0;

  constructor(options: SettlingOptions) {
    this.warmupEndMs = options.warmupEndMs;
    this.maxSettleMs = Math.max(0, Math.min(options.maxSettleMs ?? MAX_SETTLE_MS, (options.endMs - options.warmupEndMs) * MAX_SETTLE_SHARE));
  }

  get decided(): boolean {
    return this.settled !== undefined;
  }

  /** Something the loop did at `nowMs`, `lagMs` after it was due: a send, or a timer firing. */
  observe(nowMs: number, lagMs: number): void {
    if (this.decided) return;
    // A send this late means the loop could not send since about its intended time: every window in
    // between was stalled, even those in which nothing at all was sent.
    this.advance(nowMs, lagMs >= STALL_MS ? nowMs - lagMs : Number.POSITIVE_INFINITY);
    this.windowSends++;
    if (lagMs > SETTLED_SEND_LAG_MS) this.windowLateSends++;
  }

  /** Judges every window that ended by `nowMs` (those ending after `stalledFromMs` as not calm), deciding when a boundary qualifies. */
  advance(nowMs: number, stalledFromMs = Number.POSITIVE_INFINITY): void {
    if (this.decided) return;
    const current = Math.floor((nowMs - this.warmupEndMs) / SETTLE_WINDOW_MS);
    // Nothing happened before the first call: judge from SETTLE_WINDOWS windows before the warm-up's end
    // (or before now, if that is earlier), so the stall rule alone decides which of them were calm.
    this.window ??= Math.min(current, 0) - SETTLE_WINDOWS;
    while (this.window < current && !this.decided) {
      const windowEndMs = this.warmupEndMs + (this.window + 1) * SETTLE_WINDOW_MS;
      const calm = this.windowLateSends <= Math.floor(this.windowSends * LATE_SHARE) && windowEndMs <= stalledFromMs;
      this.cleanWindows = calm ? this.cleanWindows + 1 : 0;
      this.windowSends = 0;
      this.windowLateSends = 0;
      this.window++;
      this.decideAt(this.window);
    }
  }

  /** At the start of window `index` (a boundary), decides if it is past the warm-up and calm or past the bound. */
  private decideAt(index: number): void {
    if (index < 0) return;
    const boundaryMs = this.warmupEndMs + index * SETTLE_WINDOW_MS;
    if (this.cleanWindows >= SETTLE_WINDOWS) {
      this.measureFromMs = boundaryMs;
      this.settled = true;
    } else if (boundaryMs - this.warmupEndMs >= this.maxSettleMs) {
      this.measureFromMs = boundaryMs;
      this.settled = false;
    }
  }
}
