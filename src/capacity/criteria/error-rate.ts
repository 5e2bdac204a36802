import type { StopCriterionCheck } from '../stop-criterion.js';

/** Timed-out or dropped messages above the error budget. */
export const errorRate: StopCriterionCheck<'error-rate'> = {
  name: 'error-rate',
  check: ({ step, options }) => {
    const failed = step.timedOut + (step.dropped ?? 0);
    if (!(step.sent > 0 && failed > options.errorBudget * step.sent)) return undefined;
    return `${failed} of ${step.sent} messages timed out or were dropped (${((failed / step.sent) * 100).toFixed(2)}% > budget ${(options.errorBudget * 100).toFixed(2)}%)`;
  },
};
