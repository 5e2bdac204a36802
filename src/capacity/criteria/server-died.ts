import type { StopCriterionCheck } from '../stop-criterion.js';

export const serverDied: StopCriterionCheck<'server-died'> = {
  name: 'server-died',
  check: ({ step, death }) => (death === undefined ? undefined : `the server died at ${step.connections} connections: ${death.description}`),
};
