import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { PreciseTicker } from '../../src/driver/precise-ticker.js';

const epochNow = (): number => performance.timeOrigin + performance.now();

describe('PreciseTicker', () => {
  it('ticks once for each wake time, never before it, also for wake times set while its helper is parked', async () => {
    const wakeTimes: number[] = [];
    const tickTimes: number[] = [];
    let ticker: PreciseTicker;
    const done = new Promise<void>((resolve) => {
      ticker = new PreciseTicker(() => {
        tickTimes.push(epochNow());
        if (tickTimes.length === 20) return resolve();
        // Each tick leaves the helper parked until the next wake time arrives from this thread.
        const next = epochNow() + 1;
        wakeTimes.push(next);
        ticker.wakeAtEpochMs(next);
      });
    });
    const first = epochNow() + 1;
    wakeTimes.push(first);
    ticker!.wakeAtEpochMs(first);
    await done;
    await ticker!.stop();
    expect(tickTimes).toHaveLength(20);
    tickTimes.forEach((tickedAt, index) => expect(tickedAt).toBeGreaterThanOrEqual(wakeTimes[index]!));
  });

  // Half a second apart, so that even a busy machine cannot let the first wake time pass between the two calls.
  it('moving the wake time later before it is due gives one tick, at the later time', async () => {
    let ticks = 0;
    let tickedAt = 0;
    let later = 0;
    const ticked = new Promise<void>((resolve) => {
      const ticker = new PreciseTicker(() => {
        ticks++;
        tickedAt = epochNow();
        void ticker.stop().then(resolve);
      });
      const start = epochNow();
      ticker.wakeAtEpochMs(start + 500);
      ticker.wakeAtEpochMs(start + 600);
      later = start + 600;
    });
    await ticked;
    expect(ticks).toBe(1);
    expect(tickedAt).toBeGreaterThanOrEqual(later);
  });
});
