import type { RunEvent } from '../run/run-events.js';
import type { LimitProbe } from './limit-result.js';
import type { RampStep } from './ramp-result.js';

/** What a ramp or a limit search tells its reporters: a run's events, plus where the search is. */
export type CapacityEvent =
  | RunEvent
  /** A ramp step begins: `index` from 0, of `total` planned (fewer when a stop criterion fires). */
  | { type: 'ramp-step'; index: number; total: number; connections: number }
  | { type: 'ramp-step-done'; step: RampStep; total: number }
  /** A limit-search probe begins / ends. */
  | { type: 'limit-probe'; index: number; maxProbes: number; ratePerConnection: number; connections: number }
  | { type: 'limit-probe-done'; probe: LimitProbe; maxProbes: number };

export type CapacityListener = (event: CapacityEvent) => void;
