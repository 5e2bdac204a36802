import { EventEmitter } from 'node:events';
import type { TimelinePoint } from '../run/run-result.js';

/**
 * One second of load across all workers, merged exactly (histograms added, counters summed): a point of
 * the result's timeline before the server's sample is attached. `eventLoopUtilization` is the busiest worker's.
 */
export interface LoadSecond extends Omit<TimelinePoint, 'server'> {
  phaseId: number;
}

export interface OpeningProgress {
  attempted: number;
  established: number;
  failed: number;
  target: number;
}

/** What the driver tells its listeners (reporters); the driver itself never prints. */
export interface DriverEvents {
  opening: [OpeningProgress];
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
