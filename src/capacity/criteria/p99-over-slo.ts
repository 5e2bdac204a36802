import { formatMs } from '../../format-numbers.js';
import type { StopCriterionCheck } from '../stop-criterion.js';

export const p99OverSlo: StopCriterionCheck<'p99-over-slo'> = {
  name: 'p99-over-slo',
  check: ({ step, options }) => {
    const p99 = step.latencyMs?.p99;
    return p99 !== undefined && p99 > options.sloP99Ms ? `p99 ${formatMs(p99)} > SLO ${formatMs(options.sloP99Ms)}` : undefined;
  },
};
