import { EventEmitter } from 'node:events';
import type { LatencySummaryMs } from '../metrics/latency-histogram.js';

/** What the driver counts in one second of load, merged across workers. */
export interface LoadSecondCounts {
  /** Seconds since the start of the load (warm-up included). */
  second: number;
  /** Not measured: inside the warm-up, or before the generator's send lag settled (see generator.settleMs). */
  warmup: boolean;
  connections: number;
  sent: number;
  received: number;
  timedOut: number;
  latencyMs: LatencySummaryMs | null;
  sendLagP99Ms: number;
  /** The latest send of this second, past its intended time (absent in results from before it was recorded). */
  sendLagMaxMs?: number;
  eventLoopUtilization: number;
  /** This second's RTT histogram (encoded like the result's `histogram`), absent when no echo arrived: merges shards' seconds exactly. */
  histogram?: string;
}

/**
 * One second of load across all workers, merged exactly (histograms added, counters summed): a point of
 * the result's timeline before the server's sample is attached. `eventLoopUtilization` is the busiest worker's.
 */
export interface LoadSecond extends LoadSecondCounts {
  phaseId: number;
}

export interface OpeningProgress {
  attempted: number;
  established: number;
  failed: number;
  target: number;
}

/** When a phase's load runs, on the coordinator's `performance.now()` clock (what samplers align to). */
export interface PhaseWindow {
  phaseId: number;
  startMs: number;
  /** The measured window: warm-up over … last intended send. */
  measureFromMs: number;
  endMs: number;
}

/** What the driver tells its listeners (reporters); the driver itself never prints. */
export interface DriverEvents {
  opening: [OpeningProgress];
  /** A phase was scheduled: emitted before its first send. */
  phase: [PhaseWindow];
  second: [LoadSecond];
}

/** An EventEmitter whose event names and payloads are checked by the compiler. */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly emitter = new EventEmitter();

  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  protected emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    this.emitter.emit(event, ...args);
  }
}
