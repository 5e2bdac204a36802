import { InfrastructureError, InterruptedError } from '../errors.js';
import type { RunOutcome } from '../run/run-scenario.js';
import type { RunResult } from '../run/run-result.js';
import type { Baseline } from './baseline-store.js';
import { unusableAgainstBaseline } from './trial-design.js';
import { summarizeTrial } from './trial-summary.js';

export interface RecordedTrials {
  trials: Baseline['trials'];
  usable: number;
}

export interface RecordedTrial {
  /** 0-based. */
  index: number;
  usable: number;
  result: RunResult;
  /** Why bench will not use it, or null. */
  unused: string | null;
}

/**
 * Trials run per usable trial wanted, at most: a moment of steal is replaced, a machine busy for half the
 * recording ends it (tooFewToRecord). `bench` replaces its unusable fresh trials under the same bound.
 */
export const MAX_TRIALS_PER_USABLE = 2;

/**
 * Runs the trials of one scenario's baseline until `wanted` are usable, at most MAX_TRIALS_PER_USABLE times that many. Usable means what
 * bench will judge against (`unusableAgainstBaseline`: not saturated, a quiet machine by the stored-baseline bar);
 * the others are kept in the file too, and bench leaves them out again when it reads it.
 */
export async function recordBaselineTrials(scenario: string, wanted: number, runTrial: () => Promise<RunOutcome>, onTrial: (trial: RecordedTrial) => void): Promise<RecordedTrials> {
  const trials: Baseline['trials'] = [];
  let usable = 0;
  for (let index = 0; usable < wanted && index < MAX_TRIALS_PER_USABLE * wanted; index++) {
    const { result, failure } = await runTrial();
    if (failure instanceof InterruptedError) throw failure;
    if (failure !== undefined && failure.code !== 'GENERATOR_SATURATED') {
      throw new InfrastructureError(failure.code, `Recording ${scenario} failed in trial ${index + 1}: ${failure.message}`, { cause: failure });
    }
    const summary = summarizeTrial(result, 'a', index);
    const unused = unusableAgainstBaseline(summary);
    if (unused === null) usable++;
    trials.push({ summary, histogram: result.histogram });
    onTrial({ index, usable, result, unused });
  }
  return { trials, usable };
}

/** Fewer than half usable: the spread such a file would give bench describes the machine's other tenants. */
export function tooFewToRecord(usable: number, wanted: number): boolean {
  return usable < Math.ceil(wanted / 2);
}
