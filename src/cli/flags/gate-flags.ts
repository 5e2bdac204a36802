import { METRIC_SPECS } from '../../compare/metric-catalog.js';
import { repeatableFlag, switchFlag, text } from './flag.js';

/** `--gate` overrides and real-time scheduling of the trials: compare and bench. */
export const GATE_FLAGS = {
  // Kept raw: parseGateFlags reports every bad entry of every --gate at once.
  gate: repeatableFlag('gateEntries', 'METRIC=PCT', `override a gate (repeatable, or comma-separated), e.g. --gate cpuPerMessage=3,p99=25;\nmetrics: ${METRIC_SPECS.map((spec) => spec.metric).join(', ')} (errors in percentage points)`, text),
  'no-realtime': switchFlag('noRealtime', 'run the trials at normal priority (default: real-time SCHED_RR 1 when allowed, so other\nwork on the machine cannot delay an echo; see the report\'s scheduling line)'),
};

/** Pinning the target and the driver apart: compare, bench and baseline record (cpu-pinning.ts). */
export const PIN_FLAG = {
  'no-pin': switchFlag('noPin', 'do not pin the target and the driver to separate CPUs (on ≥ 2 CPUs they are, with\ntaskset: the target on the first half, the driver\'s workers on the rest)'),
};
