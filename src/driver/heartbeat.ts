import type { ClientConnection } from './client-transport.js';
import { createHistogram, encodeHistogram, recordMicros } from '../metrics/latency-histogram.js';
import type { Histogram } from '../metrics/latency-histogram.js';

/** How often the heartbeat looks for pings due: one timer for all connections, never one per connection. */
const PING_TICK_MS = 20;

export interface HeartbeatReport {
  /** Pong RTT from each ping's actual send, microseconds, encoded HDR. */
  histogram: string;
  pings: number;
  /** Pings with no pong before the next ping of the connection was due (or by the end). */
  missed: number;
}

/**
 * Every connection pings once per interval, the connections spread evenly over it. A ping whose pong has
 * not come back when the connection's next ping is due counts as missed. Pong RTT is measured from the
 * ping's actual send: pings are not on the open-model schedule, they are what keeps a connection alive.
 */
export class Heartbeat {
  private readonly sentAtMs: Float64Array;
  private readonly histogram: Histogram = createHistogram();
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private pings = 0;
  private missed = 0;

  constructor(
    private readonly connections: () => readonly ClientConnection[],
    private readonly intervalMs: number,
    private readonly startMs: number,
    private readonly clock: () => number,
  ) {
    this.sentAtMs = new Float64Array(connections().length).fill(Number.NaN);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), PING_TICK_MS);
  }

  /** A connection replaced (churn) keeps its slot; its outstanding ping is forgotten, not missed. */
  replace(index: number): void {
    this.sentAtMs[index] = Number.NaN;
  }

  /** The pong of connection `index` came back (the phase's listener routes it here). */
  ponged(index: number): void {
    const sentAt = this.sentAtMs[index]!;
    if (Number.isNaN(sentAt)) return;
    recordMicros(this.histogram, (this.clock() - sentAt) * 1000);
    this.sentAtMs[index] = Number.NaN;
  }

  stop(): HeartbeatReport {
    clearInterval(this.timer);
    // A ping still out at the end is missed only if its pong had the whole interval to come back;
    // a younger one is not counted at all.
    const now = this.clock();
    for (const sentAt of this.sentAtMs) {
      if (Number.isNaN(sentAt)) continue;
      if (now - sentAt >= this.intervalMs) this.missed++;
      else this.pings--;
    }
    const report = { histogram: encodeHistogram(this.histogram), pings: this.pings, missed: this.missed };
    this.histogram.destroy();
    return report;
  }

  private tick(): void {
    const connections = this.connections();
    const count = connections.length;
    if (count === 0) return;
    const now = this.clock();
    const slotMs = this.intervalMs / count;
    // Ping k·count + i is due at startMs + (k·count + i) · slotMs: connection i once per interval.
    while (this.startMs + this.next * slotMs <= now) {
      const index = this.next % count;
      this.next++;
      const connection = connections[index]!;
      if (!connection.isOpen) continue;
      if (!Number.isNaN(this.sentAtMs[index]!)) this.missed++;
      this.sentAtMs[index] = now;
      this.pings++;
      connection.ping();
    }
  }
}
