import { formatMs } from '../../format-numbers.js';
import type { StopCriterionCheck } from '../stop-criterion.js';

/** The server's longest GC pause (Go targets with /metrics) above `maxGcPauseMs`. */
export const gcPause: StopCriterionCheck<'gc-pause'> = {
  name: 'gc-pause',
  check: ({ step, options }) => {
    const pause = step.server.gcPauseMaxMs;
    return pause !== null && pause > options.maxGcPauseMs ? `GC pause max ${formatMs(pause)} > ${formatMs(options.maxGcPauseMs)}` : undefined;
  },
};
