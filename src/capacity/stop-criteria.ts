import type { RampStep } from './ramp-result.js';
import { connectErrors } from './criteria/connect-errors.js';
import { errorRate } from './criteria/error-rate.js';
import { gcPause } from './criteria/gc-pause.js';
import { generatorSaturated } from './criteria/generator-saturated.js';
import { latencyKnee } from './criteria/latency-knee.js';
import { p99OverSlo } from './criteria/p99-over-slo.js';
import { serverDied } from './criteria/server-died.js';
import { throughput } from './criteria/throughput.js';
import type { ServerDeath, StopCriterionCheck } from './stop-criterion.js';
import { STOP_CRITERIA } from './stop-criteria-options.js';
import type { StopCriteriaOptions, StopCriterion } from './stop-criteria-options.js';

export { CONNECT_ERROR_MEANINGS, describeConnectErrors } from './criteria/connect-errors.js';
export { detectKnee } from './criteria/latency-knee.js';
export { formatRate } from './stop-criterion.js';
export type { ServerDeath } from './stop-criterion.js';

/**
 * When does a ramp stop? Each criterion (one file in criteria/) looks at one held step (and the step
 * before it, for the knee) and, when it fires, says why with the numbers. Several can fire at once; they
 * are returned in STOP_CRITERIA order, the most fundamental first (a dead server explains a slow one,
 * not the reverse). A new criterion is its file and its entry here; tsc refuses a name missing from
 * either this table or STOP_CRITERIA.
 */
const STOP_CHECKS: { readonly [Name in StopCriterion]: StopCriterionCheck<Name> } = {
  'server-died': serverDied,
  'connect-errors': connectErrors,
  'generator-saturated': generatorSaturated,
  throughput,
  'error-rate': errorRate,
  'p99-over-slo': p99OverSlo,
  'gc-pause': gcPause,
  'latency-knee': latencyKnee,
};

export interface StopFinding {
  criterion: StopCriterion;
  detail: string;
}

/** Every criterion that fires for `step`, in `STOP_CRITERIA` order; empty when the step held. */
export function evaluateStopCriteria(step: RampStep, previous: RampStep | undefined, options: StopCriteriaOptions, death?: ServerDeath): StopFinding[] {
  const findings: StopFinding[] = [];
  for (const criterion of STOP_CRITERIA) {
    const detail = STOP_CHECKS[criterion].check({ step, previous, options, death });
    if (detail !== undefined) findings.push({ criterion, detail });
  }
  return findings;
}
