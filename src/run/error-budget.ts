/**
 * The run's error budget: the fraction of messages that may fail (time out, be lost with a dropped
 * connection, or come back different from what was sent) and of connections that may fail to open,
 * before the run fails with exit 1. A load tester's worst failure is a green result on a broken server.
 */

export { DEFAULT_ERROR_BUDGET } from '../scenario/run-options.js';

export interface ErrorBudget {
  /** The fraction allowed. */
  limit: number;
  /** The worse of the failed-message and failed-connection fractions (0 when nothing was attempted). */
  observed: number;
  held: boolean;
  /** What broke, one phrase each ("812 of 4000 messages timed out"); empty when nothing did. */
  breaches: string[];
}

export interface BudgetCounts {
  sent: number;
  timedOut: number;
  mismatched: number;
  connectionsAttempted: number;
  connectionsFailed: number;
  connectionsDropped: number;
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(fraction < 0.01 ? 2 : 1)}%`;

export function judgeErrorBudget(limit: number, counts: BudgetCounts): ErrorBudget {
  const failedMessages = counts.timedOut + counts.mismatched;
  const messageFraction = counts.sent > 0 ? failedMessages / counts.sent : 0;
  const connectionFraction = counts.connectionsAttempted > 0 ? counts.connectionsFailed / counts.connectionsAttempted : 0;
  const observed = Math.max(messageFraction, connectionFraction);
  const held = messageFraction <= limit && connectionFraction <= limit;
  const breaches: string[] = [];
  if (messageFraction > limit) {
    const parts = [
      ...(counts.timedOut > 0 ? [`${counts.timedOut} timed out or were lost`] : []),
      ...(counts.mismatched > 0 ? [`${counts.mismatched} came back different from what was sent`] : []),
    ];
    breaches.push(`${failedMessages} of ${counts.sent} messages failed (${percent(messageFraction)}): ${parts.join(', ')}`);
  }
  if (connectionFraction > limit) breaches.push(`${counts.connectionsFailed} of ${counts.connectionsAttempted} connections failed to open (${percent(connectionFraction)})`);
  if (!held && counts.connectionsDropped > 0) breaches.push(`${counts.connectionsDropped} connections were closed during the load`);
  return { limit, observed, held, breaches };
}

/** "error budget 0.10% exceeded: 4000 of 4000 messages failed (100%) …" */
export function describeBreach(budget: ErrorBudget): string {
  return `Error budget ${percent(budget.limit)} exceeded (observed ${percent(budget.observed)}): ${budget.breaches.join('; ')}. The server is not answering as it should; if this error rate is expected, raise it with --error-budget FRACTION or errorBudget in the scenario`;
}
