import type { Arm } from './schedule.js';
import type { Comparison } from './comparison.js';
import type { RunResult } from '../run/run-result.js';

/** The version of the comparison report's schema; fields may be added, never renamed or removed without bumping it. */
export const COMPARE_SCHEMA_VERSION = 1;

/** What `wsbench compare` writes: the verdict and every trial behind it, so a report can be redrawn later. */
export interface ComparisonReport {
  kind: 'compare';
  schemaVersion: typeof COMPARE_SCHEMA_VERSION;
  comparison: Comparison;
  /** Every trial in run order, usable or not; `index` is the schedule position (see schedule.ts). */
  trials: Array<{ arm: Arm; index: number; result: RunResult }>;
  /** How the trials were scheduled (real-time priority or not, and why); absent in older reports. */
  scheduling?: { realtime: boolean; note: string };
  /** Where the target and the driver ran, one line (reports written before it lack it). */
  pinning?: string;
}
