import { Worker } from 'node:worker_threads';

/**
 * Wakes the event loop at a chosen moment with sub-millisecond precision. Node's timers have 1 ms
 * granularity and fire 1–1.2 ms late, which alone would put the open-model send lag's p99 above 1 ms. A
 * helper thread sleeps on `Atomics.wait` (a futex, microsecond resolution) until the next send is due,
 * then bumps a shared counter and notifies it; the main thread awaits that counter with
 * `Atomics.waitAsync`, which wakes its loop through the platform's task queue (cheaper than a
 * MessagePort message: no serialization, no event object). The main loop stays in epoll while it waits,
 * so echoes are still timestamped the moment they arrive.
 *
 * The main thread only writes the wake time; it signals the helper only when the helper has ticked and is
 * parked waiting for a new one (once per park), so a wake-up costs one notify each way and nothing polls.
 */

// Int32 slots of the shared signal array.
const TICKS = 0; // bumped by the helper at every tick; the main thread waits on it
const CHANGES = 1; // bumped by the main thread when it sets a wake time while the helper is parked
const PARKED = 2; // 1 while the helper waits for a new wake time
const MAX_SLEEP_MS = 50;

// The wake time is a Float64 the helper re-reads after every sleep; an aligned 8-byte store is not torn on
// the 64-bit platforms Node runs on, and a stale read only costs one extra sleep.
const TICKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const wakeAt = new Float64Array(workerData.wakeAt);
const signal = new Int32Array(workerData.signal);
let tickedFor = Number.NaN;
for (;;) {
  const due = wakeAt[0];
  if (Number.isNaN(due)) break;
  const waitMs = due - (performance.timeOrigin + performance.now());
  if (waitMs > 0) {
    Atomics.wait(signal, ${CHANGES}, Atomics.load(signal, ${CHANGES}), Math.min(waitMs, ${MAX_SLEEP_MS}));
  } else if (due !== tickedFor) {
    tickedFor = due;
    Atomics.add(signal, ${TICKS}, 1);
    Atomics.notify(signal, ${TICKS});
  } else {
    const seen = Atomics.load(signal, ${CHANGES});
    Atomics.store(signal, ${PARKED}, 1);
    if (wakeAt[0] === due) Atomics.wait(signal, ${CHANGES}, seen, ${MAX_SLEEP_MS});
    Atomics.store(signal, ${PARKED}, 0);
  }
}
`;

/** Node ≥ 16 has Atomics.waitAsync; TypeScript declares it only from lib es2024 on. */
type WaitAsync = (array: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class PreciseTicker {
  private readonly wakeAt = new Float64Array(new SharedArrayBuffer(8));
  private readonly signal = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  private readonly worker: Worker;
  private ticksSeen = 0;
  private stopped = false;

  constructor(private readonly onTick: () => void) {
    this.wakeAt[0] = Number.POSITIVE_INFINITY;
    this.worker = new Worker(TICKER_SOURCE, { eval: true, workerData: { wakeAt: this.wakeAt.buffer, signal: this.signal.buffer } });
    this.worker.unref();
    this.awaitTick();
  }

  /** Sets the next wake-up, in epoch milliseconds (performance.timeOrigin + performance.now()). */
  wakeAtEpochMs(epochMs: number): void {
    this.wakeAt[0] = epochMs;
    // Taking PARKED back (a compare-exchange, not a load) does two things. It orders the store above
    // before the read: with a plain load the store could still sit in this core's store buffer while the
    // helper parks and reads the old wake time, and it would sleep through this change (up to
    // MAX_SLEEP_MS late). And only the first change after a park notifies: at 30K msg/s the wake time
    // moves on nearly every send, and each notify takes V8's global futex lock.
    if (Atomics.compareExchange(this.signal, PARKED, 1, 0) === 1) {
      Atomics.add(this.signal, CHANGES, 1);
      Atomics.notify(this.signal, CHANGES);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeAt[0] = Number.NaN;
    Atomics.add(this.signal, CHANGES, 1);
    Atomics.notify(this.signal, CHANGES);
    // Releases our own pending waitAsync too, so no waiter outlives the phase.
    Atomics.notify(this.signal, TICKS);
    await this.worker.terminate();
  }

  private awaitTick(): void {
    const waiting = waitAsync(this.signal, TICKS, this.ticksSeen);
    if (waiting.async) void waiting.value.then(this.woken);
    else setImmediate(this.fire);
  }

  /**
   * The wake-up arrives as a platform task, and Node runs platform tasks in a loop until none is left: a
   * tick sent while we send would run inside that same loop, and at a high rate sending could go on
   * there for good, starving the sockets and the timers. So leave at once and send from the check phase,
   * after the loop has polled the sockets.
   */
  private readonly woken = (): void => {
    setImmediate(this.fire);
  };

  private readonly fire = (): void => {
    if (this.stopped) return;
    this.ticksSeen = Atomics.load(this.signal, TICKS);
    this.onTick();
    this.awaitTick();
  };
}
