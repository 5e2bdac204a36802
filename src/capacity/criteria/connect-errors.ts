import type { StopCriterionCheck } from '../stop-criterion.js';

/** What connect error codes mean at scale, for the finding's detail. */
export const CONNECT_ERROR_MEANINGS: Record<string, string> = {
  EADDRINUSE: 'port exhaustion: no free ephemeral port on a source address',
  EADDRNOTAVAIL: 'port exhaustion: no free local address/port pair',
  EMFILE: 'fd limit: a process ran out of file descriptors',
  ENFILE: 'fd limit: the system file table is full',
  ECONNREFUSED: 'refused: the server is not listening (or its accept queue overflowed)',
  ETIMEDOUT: 'timed out: accept queue full or SYNs dropped (check somaxconn, tcp_max_syn_backlog)',
  ECONNRESET: 'reset during the handshake: the server closed it (its fd limit?)',
};

/** The step's connect errors, with what each code means: "EMFILE ×12 (fd limit: …)". */
export function describeConnectErrors(errorsByCode: Record<string, number>): string {
  const entries = Object.entries(errorsByCode).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return 'no error codes';
  return entries.map(([code, count]) => `${code} ×${count}${CONNECT_ERROR_MEANINGS[code] === undefined ? '' : ` (${CONNECT_ERROR_MEANINGS[code]})`}`).join(', ');
}

/** More of the step's new connections failed than the error budget allows. */
export const connectErrors: StopCriterionCheck<'connect-errors'> = {
  name: 'connect-errors',
  check: ({ step, options }) => {
    const attempted = step.connectAttempted ?? step.established;
    const failures = Object.values(step.connectErrorsByCode).reduce((sum, count) => sum + count, 0);
    if (failures === 0 || failures <= options.errorBudget * Math.max(1, attempted)) return undefined;
    return `${failures} of ${attempted} new connections failed: ${describeConnectErrors(step.connectErrorsByCode)}`;
  },
};
