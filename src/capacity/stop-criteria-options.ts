/** The stop criteria a ramp knows, and the thresholds that make each one fire (see stop-criteria.ts). */

export const DEFAULT_SLO_P99_MS = 50;
/** Share of sent messages that may time out or be dropped, and of connection attempts that may fail. */
export const DEFAULT_ERROR_BUDGET = 0.01;
/** Achieved below this share of offered means the server (or the path to it) cannot keep up. */
export const DEFAULT_MIN_ACHIEVED_RATIO = 0.95;
/** p99 more than this many times the previous step's p99 is a latency knee. */
export const DEFAULT_KNEE_FACTOR = 3;
/** Below this p99 a jump is noise (0.3 → 1 ms is a factor 3 and means nothing). */
export const DEFAULT_KNEE_FLOOR_MS = 5;
/**
 * Nor is a jump that stays below this share of the SLO a knee: on a shared 2-core machine one step's p99
 * can go from 1.5 to 11 ms on a scheduling hiccup (seen in a 1K → 20K epoll ramp at 8K connections),
 * while a real knee heads for the SLO.
 */
export const KNEE_FLOOR_SLO_FRACTION = 0.25;
export const DEFAULT_MAX_GC_PAUSE_MS = 100;

export const STOP_CRITERIA = ['server-died', 'connect-errors', 'generator-saturated', 'throughput', 'error-rate', 'p99-over-slo', 'gc-pause', 'latency-knee'] as const;
export type StopCriterion = (typeof STOP_CRITERIA)[number];

export interface StopCriteriaOptions {
  sloP99Ms: number;
  errorBudget: number;
  minAchievedRatio: number;
  kneeFactor: number;
  kneeFloorMs: number;
  maxGcPauseMs: number;
}

export const DEFAULT_STOP_CRITERIA: StopCriteriaOptions = {
  sloP99Ms: DEFAULT_SLO_P99_MS,
  errorBudget: DEFAULT_ERROR_BUDGET,
  minAchievedRatio: DEFAULT_MIN_ACHIEVED_RATIO,
  kneeFactor: DEFAULT_KNEE_FACTOR,
  kneeFloorMs: DEFAULT_KNEE_FLOOR_MS,
  maxGcPauseMs: DEFAULT_MAX_GC_PAUSE_MS,
};
