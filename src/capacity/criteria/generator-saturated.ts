import type { StopCriterionCheck } from '../stop-criterion.js';

export const generatorSaturated: StopCriterionCheck<'generator-saturated'> = {
  name: 'generator-saturated',
  check: ({ step }) => {
    if (!step.generator.saturated) return undefined;
    const reasons = step.generator.saturationReasons ?? [];
    return `the load generator saturated, so the limit here is the driver, not the server${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`;
  },
};
