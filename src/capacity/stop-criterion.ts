import type { RampStep } from './ramp-result.js';
import type { StopCriteriaOptions, StopCriterion } from './stop-criteria-options.js';

/** The server's exit, when it died during the step. */
export interface ServerDeath {
  description: string;
}

/** What a stop criterion looks at: one held step, the step before it (for the knee), the thresholds. */
export interface StopCheckInput {
  step: RampStep;
  previous: RampStep | undefined;
  options: StopCriteriaOptions;
  death: ServerDeath | undefined;
}

/**
 * One stop criterion of a ramp: its name (its place in STOP_CRITERIA is its rank) and a pure check
 * that says, with the numbers, why it fires for a step, or returns undefined when it does not.
 */
export interface StopCriterionCheck<Name extends StopCriterion = StopCriterion> {
  readonly name: Name;
  readonly check: (input: StopCheckInput) => string | undefined;
}

/** `1234` msg/s, `57.9` msg/s: whole numbers from 100 up. */
export function formatRate(perSec: number): string {
  return perSec >= 100 ? perSec.toFixed(0) : perSec.toFixed(1);
}
