import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createServerCostMeter } from '../../src/metrics/server-cost-meter.js';

/** A meter on this very process (its /proc is real), with a clock the test moves. */
function meterWithClock() {
  let nowMs = 10_000;
  const meter = createServerCostMeter({ pid: process.pid, clock: () => nowMs });
  return { meter, setNow: (ms: number) => (nowMs = ms) };
}

const FIGURES = { windowMs: 1000, messages: 100, connections: 10 };

describe('the server cost meter\'s window', () => {
  it('takes the closing reading at finish when the window is over but its timer has not had its turn', async () => {
    const { meter, setNow } = meterWithClock();
    meter.beforeOpen();
    meter.afterOpen();
    // The opening reading is due now; the closing one in 5 s of real time, which this test does not wait for.
    meter.scheduleWindow(10_000, 15_000);
    await sleep(20);
    setNow(15_001);

    await meter.finish();

    const cost = meter.summarize(FIGURES);
    expect(cost.basis.notes.join(' ')).not.toMatch(/not read at both ends/);
    expect(cost.basis.cpuNs).not.toBeNull();
  });

  it('leaves a window cut short without a closing reading, and says so', async () => {
    const { meter } = meterWithClock();
    meter.scheduleWindow(10_000, 15_000);
    await sleep(20);

    await meter.finish();

    const cost = meter.summarize(FIGURES);
    expect(cost.cpuMicrosPerMessage).toBeNull();
    expect(cost.basis.notes.join(' ')).toMatch(/not read at both ends of the measured window/);
  });

  it('settles a window\'s promise once its closing reading is in, and a replaced or cut-short window\'s at once', async () => {
    const { meter, setNow } = meterWithClock();
    let replacedSettled = false;
    void meter.scheduleWindow(10_000, 15_000).then(() => (replacedSettled = true));
    let closedSettled = false;
    const closed = meter.scheduleWindow(10_000, 15_000).then(() => (closedSettled = true));
    await sleep(20);
    expect(replacedSettled).toBe(true);
    expect(closedSettled).toBe(false);

    setNow(15_001);
    await meter.settle();
    await closed;
    expect(meter.summarize(FIGURES).basis.cpuNs).not.toBeNull();

    const cutShort = meter.scheduleWindow(20_000, 25_000);
    await meter.finish();
    await cutShort; // would time the test out if a cut-short window kept the sampler quiet for ever
  });
});
