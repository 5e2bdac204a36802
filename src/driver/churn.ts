import type { ClientConnection } from './client-transport.js';
import { dialErrorCode } from './client-transport.js';
import { ReconnectingConnection } from './reconnecting-connection.js';
import { createHistogram, encodeHistogram, recordMicros } from '../metrics/latency-histogram.js';
import type { Histogram } from '../metrics/latency-histogram.js';

const CHURN_TICK_MS = 10;

/** Opens a replacement connection (the worker's dial with the run's URL, handshake and source addresses). */
export type Redial = () => Promise<ClientConnection>;

export interface ChurnOptions {
  /** Reconnects per second this worker makes (its share of `--churn-rate`); 0 = none. */
  ratePerSec: number;
  /** When, after the phase start, every connection of this worker closes and reopens at once. */
  stormAtMs?: number;
  startMs: number;
  endMs: number;
  clock: () => number;
  redial: Redial;
  /** Puts `connection` (the stand-in, then the new connection) in `slot` and routes it to the phase. */
  replace: (slot: number, connection: ClientConnection) => void;
  /** Told when a connection is replaced, so the worker closes the new one at the end. */
  onReplaced?: (previous: ClientConnection, next: ClientConnection) => void;
}

/** The phase's connections as churn sees them: one per slot, each with its messages in flight. */
export interface ChurnSlots {
  readonly count: number;
  connectionAt(slot: number): ClientConnection;
  inFlightOn(slot: number): number;
}

/** `--storm`: when it hit, how many reconnected, and how long until the last one was back (null: some never came back). */
export interface StormReport {
  atMs: number;
  connections: number;
  reopened: number;
  failed: number;
  recoveredMs: number | null;
}

export interface ChurnReport {
  reconnects: number;
  failed: number;
  failuresByCode: Record<string, number>;
  /** Close-to-open time of each reconnect, microseconds, encoded HDR. */
  openHistogram: string;
  storm?: StormReport;
}

/**
 * Closes and reopens connections while the load runs: `ratePerSec` of them a second, spread evenly, each
 * one idle at the time (nothing in flight, so no reply is lost to our own close), or all at once at
 * `stormAtMs`. Closes are wsbench's own (code 1000) and never count as abnormal.
 */
export class Churn {
  private readonly histogram: Histogram = createHistogram();
  private readonly failuresByCode: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  private done = 0;
  private cursor = 0;
  private reconnects = 0;
  private failed = 0;
  private stopped = false;
  private storm: ChurnReport['storm'];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly slots: ChurnSlots,
    private readonly options: ChurnOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), CHURN_TICK_MS);
  }

  /** Reconnects are still in progress: the phase waits for them before it reports. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Stops reconnecting and reports (call once `busy` is false, or accept the reconnects in progress as unfinished). */
  stop(): ChurnReport {
    this.stopped = true;
    clearInterval(this.timer);
    const report: ChurnReport = { reconnects: this.reconnects, failed: this.failed, failuresByCode: this.failuresByCode, openHistogram: encodeHistogram(this.histogram), ...(this.storm === undefined ? {} : { storm: this.storm }) };
    this.histogram.destroy();
    return report;
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.options.clock();
    if (now < this.options.startMs || now >= this.options.endMs) return;
    const { stormAtMs } = this.options;
    if (stormAtMs !== undefined && this.storm === undefined && now >= this.options.startMs + stormAtMs) this.startStorm(now);
    const due = Math.floor(((now - this.options.startMs) * this.options.ratePerSec) / 1000);
    let tries = 0;
    const count = this.slots.count;
    while (this.done < due && tries < count) {
      const slot = this.cursor++ % count;
      tries++;
      const connection = this.slots.connectionAt(slot);
      if (this.slots.inFlightOn(slot) > 0 || !connection.isOpen || connection instanceof ReconnectingConnection) continue;
      this.done++;
      this.reopen(slot);
    }
  }

  private startStorm(now: number): void {
    const storm = { atMs: now - this.options.startMs, connections: 0, reopened: 0, failed: 0, recoveredMs: null as number | null };
    this.storm = storm;
    const reopening: Array<Promise<boolean>> = [];
    for (let slot = 0; slot < this.slots.count; slot++) {
      const connection = this.slots.connectionAt(slot);
      if (!connection.isOpen || connection instanceof ReconnectingConnection) continue;
      storm.connections++;
      reopening.push(this.reopen(slot));
    }
    const all = Promise.all(reopening).then((results) => {
      storm.reopened = results.filter(Boolean).length;
      storm.failed = results.length - storm.reopened;
      storm.recoveredMs = storm.failed === 0 ? this.options.clock() - this.options.startMs - storm.atMs : null;
    });
    this.track(all);
  }

  /** Replaces the connection in `slot` with a fresh one; resolves true when it opened. */
  private reopen(slot: number): Promise<boolean> {
    const previous = this.slots.connectionAt(slot);
    const standIn = new ReconnectingConnection();
    this.options.replace(slot, standIn);
    // The old connection keeps its listener and slot: a reply already on its way still counts.
    previous.close();
    const startedMs = this.options.clock();
    const attempt = this.options.redial().then(
      (next) => {
        recordMicros(this.histogram, (this.options.clock() - startedMs) * 1000);
        this.reconnects++;
        this.options.replace(slot, next);
        standIn.flushTo(next);
        this.options.onReplaced?.(previous, next);
        return true;
      },
      (error: unknown) => {
        const code = dialErrorCode(error);
        this.failed++;
        this.failuresByCode[code] = (this.failuresByCode[code] ?? 0) + 1;
        standIn.fail(`reconnect:${code}`);
        return false;
      },
    );
    this.track(attempt);
    return attempt;
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.then(() => {}).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
