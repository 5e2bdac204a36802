import { createHistogram } from '../metrics/latency-histogram.js';
import type { Histogram } from '../metrics/latency-histogram.js';
import type { PhaseCounters } from './worker-protocol.js';

export const emptyCounters = (): PhaseCounters => ({ sent: 0, received: 0, timedOut: 0, late: 0, mismatched: 0, unmatched: 0, backpressured: 0, dropped: 0 });

/** What one window of a phase accumulates: counters, RTT and send-lag histograms, echoes that arrived in it. */
export class PhaseTotals {
  readonly counters = emptyCounters();
  readonly rtt: Histogram = createHistogram();
  readonly sendLag: Histogram = createHistogram();
  receivedInWindow = 0;
  receivedBytesInWindow = 0;

  destroy(): void {
    this.rtt.destroy();
    this.sendLag.destroy();
  }
}
