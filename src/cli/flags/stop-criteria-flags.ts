import { DEFAULT_STOP_CRITERIA } from '../../capacity/stop-criteria-options.js';
import type { StopCriteriaOptions } from '../../capacity/stop-criteria-options.js';
import { durationFlag, fractionFlag, numberFlag, under } from './flag.js';

const D = DEFAULT_STOP_CRITERIA;

/** The thresholds of a ramp's stop criteria (and the two a limit probe shares with them). */
export const STOP_CRITERIA_FLAGS = {
  'slo-p99': under('stop criteria (any one ends the ramp):', durationFlag('sloP99Ms', 'D', `p99 latency above this (default ${D.sloP99Ms}ms)`)),
  'error-budget': fractionFlag('errorBudget', 'F', `timed-out/dropped messages or failed connects above this share (default ${D.errorBudget})`),
  'min-achieved': fractionFlag('minAchievedRatio', 'F', `achieved below this share of offered (default ${D.minAchievedRatio})`),
  'knee-factor': numberFlag('kneeFactor', 'X', `p99 more than X × the previous step's, above ${D.kneeFloorMs} ms and a quarter of the SLO (default ${D.kneeFactor})`),
  'max-gc-pause': durationFlag('maxGcPauseMs', 'D', `server GC pause above this (default ${D.maxGcPauseMs}ms)`),
};

/** What fires without a threshold, said after the flags above. */
export const OTHER_STOP_CRITERIA = '  also: the server died (or was OOM-killed), connect errors, the load generator saturated';

/** The criteria the user set; the rest take DEFAULT_STOP_CRITERIA in resolveRampOptions. */
export function stopCriteriaOf(options: Partial<StopCriteriaOptions>): Partial<StopCriteriaOptions> {
  const criteria: Partial<StopCriteriaOptions> = {};
  for (const key of Object.keys(D) as Array<keyof StopCriteriaOptions>) if (options[key] !== undefined) criteria[key] = options[key];
  return criteria;
}
