import { formatMs } from '../../format-numbers.js';
import type { StopCriterionCheck } from '../stop-criterion.js';
import { KNEE_FLOOR_SLO_FRACTION } from '../stop-criteria-options.js';
import type { StopCriteriaOptions } from '../stop-criteria-options.js';

/**
 * A latency knee: p99 jumped by more than `kneeFactor` over the previous step, above the noise floor —
 * the larger of `kneeFloorMs` and a quarter of the SLO.
 */
export function detectKnee(
  previousP99Ms: number | undefined,
  p99Ms: number | undefined,
  options: Pick<StopCriteriaOptions, 'kneeFactor' | 'kneeFloorMs'> & { sloP99Ms?: number },
): string | undefined {
  if (previousP99Ms === undefined || p99Ms === undefined || previousP99Ms <= 0) return undefined;
  if (p99Ms < Math.max(options.kneeFloorMs, (options.sloP99Ms ?? 0) * KNEE_FLOOR_SLO_FRACTION)) return undefined;
  const factor = p99Ms / previousP99Ms;
  return factor > options.kneeFactor ? `p99 ${formatMs(p99Ms)} is ${factor.toFixed(1)}× the previous step's ${formatMs(previousP99Ms)} (knee factor ${options.kneeFactor})` : undefined;
}

export const latencyKnee: StopCriterionCheck<'latency-knee'> = {
  name: 'latency-knee',
  check: ({ step, previous, options }) => detectKnee(previous?.latencyMs?.p99, step.latencyMs?.p99, options),
};
