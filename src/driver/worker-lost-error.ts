import { InfrastructureError } from '../errors.js';
import type { PhaseSummary } from './driver-options.js';

/** A worker died mid-phase; `partial` is what the other workers measured (never zeroed). */
export class WorkerLostError extends InfrastructureError {
  constructor(
    cause: InfrastructureError,
    readonly partial: PhaseSummary,
    readonly lostWorkers: number[],
  ) {
    super(cause.code, `${cause.message}; what the other workers measured is kept (${lostWorkers.length} worker${lostWorkers.length === 1 ? '' : 's'} lost)`, { cause });
  }
}
