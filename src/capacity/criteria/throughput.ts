import { formatRate } from '../stop-criterion.js';
import type { StopCriterionCheck } from '../stop-criterion.js';

/** Achieved below `minAchievedRatio` of offered: the server (or the path to it) cannot keep up. */
export const throughput: StopCriterionCheck<'throughput'> = {
  name: 'throughput',
  check: ({ step, options }) => {
    if (!(step.offeredPerSec > 0 && step.achievedPerSec < options.minAchievedRatio * step.offeredPerSec)) return undefined;
    return `achieved ${formatRate(step.achievedPerSec)} msg/s < ${(options.minAchievedRatio * 100).toFixed(0)}% of the ${formatRate(step.offeredPerSec)} offered (${((step.achievedPerSec / step.offeredPerSec) * 100).toFixed(1)}%)`;
  },
};
