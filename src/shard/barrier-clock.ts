import { InterruptedError } from '../errors.js';

/** Wall clock in epoch ms; injected so barrier tests can give a shard a clock that is off. */
export type WallClock = () => number;

export const systemClock: WallClock = () => Date.now();

/**
 * The load command must reach every worker before the first intended send; the barrier returns this long
 * before the common start (the driver's own lead when it picks the start itself).
 */
export const BARRIER_RETURN_LEAD_MS = 200;

/** Sleeps until `epochMs` on `clock` (re-checked, timers drift); rejects when `signal` aborts. */
export async function sleepUntil(epochMs: number, clock: WallClock, signal?: AbortSignal): Promise<void> {
  for (;;) {
    if (signal?.aborted === true) throw new InterruptedError('INTERRUPTED', 'Interrupted while waiting at the start barrier');
    const remaining = epochMs - clock();
    if (remaining <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(remaining, 1000));
      function done(): void {
        signal?.removeEventListener('abort', done);
        clearTimeout(timer);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
