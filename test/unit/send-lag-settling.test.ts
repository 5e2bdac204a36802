import { describe, expect, it } from 'vitest';
import { SendLagSettling, SETTLE_WINDOW_MS } from '../../src/driver/send-lag-settling.js';

/** Sends every `everyMs` from `fromMs` to `toMs`, each `lagMs(at)` late. */
function sends(settling: SendLagSettling, fromMs: number, toMs: number, everyMs: number, lagMs: (atMs: number) => number): void {
  for (let at = fromMs; at < toMs; at += everyMs) settling.observe(at, lagMs(at));
}

describe('SendLagSettling', () => {
  it('measures from exactly the end of the warm-up when the send lag was calm', () => {
    const settling = new SendLagSettling({ warmupEndMs: 1000, endMs: 10_000 });
    sends(settling, 0, 2000, 10, () => 0.3);
    expect(settling.measureFromMs).toBe(1000);
    expect(settling.settled).toBe(true);
  });

  it('waits past a start-up transient until two windows in a row were calm', () => {
    const settling = new SendLagSettling({ warmupEndMs: 1000, endMs: 10_000 });
    // Sends run 40 ms late until 1.3 s after the warm-up ended.
    sends(settling, 0, 5000, 10, (at) => (at < 2300 ? 40 : 0.3));
    // The window holding 2.3 s ([2250, 2500)) is the last late one; [2500, 2750) and [2750, 3000) are calm.
    expect(settling.measureFromMs).toBe(3000);
    expect(settling.settled).toBe(true);
  });

  it('is not held back by a single hiccup among many sends', () => {
    const settling = new SendLagSettling({ warmupEndMs: 1000, endMs: 10_000 });
    // 100 sends per window; one of them, just before the warm-up ends, 30 ms late (a GC pause).
    sends(settling, 0, 2000, 2.5, (at) => (at === 900 ? 30 : 0.3));
    expect(settling.measureFromMs).toBe(1000);
  });

  it('counts a stall in which nothing was sent, from the lag of the send that ended it', () => {
    const settling = new SendLagSettling({ warmupEndMs: 1000, endMs: 10_000 });
    sends(settling, 0, 900, 10, () => 0.3);
    // The loop is blocked from 0.92 s to 1.4 s: no send at all, then one 480 ms late, then calm.
    settling.observe(1400, 480);
    sends(settling, 1410, 3000, 10, () => 0.3);
    // Windows ending after 0.925 s were stalled ([750, 1000) and [1000, 1250)); [1250, 1500) holds the late send.
    expect(settling.measureFromMs).toBe(1000 + 4 * SETTLE_WINDOW_MS);
  });

  it('gives up at its bound and says the lag never settled', () => {
    const settling = new SendLagSettling({ warmupEndMs: 1000, endMs: 5000 });
    sends(settling, 0, 5000, 10, () => 50);
    // At most half of the 4 s after the warm-up is spent waiting.
    expect(settling.maxSettleMs).toBe(2000);
    expect(settling.measureFromMs).toBe(3000);
    expect(settling.settled).toBe(false);
  });

  it('judges a phase with no warm-up from its first send', () => {
    const settling = new SendLagSettling({ warmupEndMs: 0, endMs: 1000 });
    settling.observe(0, 0.2);
    expect(settling.measureFromMs).toBe(0);
  });

  it('measures from the start of a phase without warm-up even when its first send is late', () => {
    const settling = new SendLagSettling({ warmupEndMs: 0, endMs: 1000 });
    // The first send, intended at 0, goes out 300 ms late: the stall began after the measurement did.
    settling.observe(300, 300);
    expect(settling.measureFromMs).toBe(0);
    expect(settling.settled).toBe(true);
  });

  it('needs no send to judge a first observation long after the warm-up', () => {
    const settling = new SendLagSettling({ warmupEndMs: 1000, endMs: 60_000 });
    settling.observe(30_000, 0.5);
    expect(settling.measureFromMs).toBe(1000);
  });
});
