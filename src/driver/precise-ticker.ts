import { Worker } from 'node:worker_threads';

/**
 * Wakes the event loop at a chosen moment with sub-millisecond precision. Node's timers have 1 ms
 * granularity and fire 1–1.2 ms late, which alone would put the open-model send lag's p99 above 1 ms. A
 * helper thread sleeps on `Atomics.wait` (a futex, microsecond resolution) until the next send is due
 * and posts a message, which wakes the main loop through its async handle at once. The main loop stays
 * in epoll while it waits, so echoes are still timestamped the moment they arrive.
 */

// Shared state: [0] the next wake time in epoch ms (NaN = stop). The main thread only writes it, never
// signals: a futex wake per send would cost as much as the send. The wake time only ever moves forward
// (the schedule does), so the thread sleeps until it, ticks once, then re-reads every POLL_MS.
const POLL_MS = 0.25;
const MAX_SLEEP_MS = 50;
const TICKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const wakeAt = new Float64Array(workerData.wakeAt);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let tickedFor = Number.NaN;
for (;;) {
  const due = wakeAt[0];
  if (Number.isNaN(due)) break;
  const waitMs = due - (performance.timeOrigin + performance.now());
  if (waitMs > 0) {
    Atomics.wait(sleeper, 0, 0, Math.min(waitMs, ${MAX_SLEEP_MS}));
  } else if (due !== tickedFor) {
    tickedFor = due;
    parentPort.postMessage(0);
  } else {
    Atomics.wait(sleeper, 0, 0, ${POLL_MS});
  }
}
`;

export class PreciseTicker {
  private readonly wakeAt = new Float64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;

  constructor(onTick: () => void) {
    this.wakeAt[0] = Number.POSITIVE_INFINITY;
    this.worker = new Worker(TICKER_SOURCE, { eval: true, workerData: { wakeAt: this.wakeAt.buffer } });
    this.worker.on('message', onTick);
    this.worker.unref();
  }

  /** Sets the next wake-up, in epoch milliseconds (performance.timeOrigin + performance.now()). */
  wakeAtEpochMs(epochMs: number): void {
    this.wakeAt[0] = epochMs;
  }

  async stop(): Promise<void> {
    this.wakeAt[0] = Number.NaN;
    await this.worker.terminate();
  }
}
