import type { RampStep } from './ramp-result.js';
import { formatMs } from '../format-numbers.js';
import { KNEE_FLOOR_SLO_FRACTION } from './stop-criteria-options.js';
import type { StopCriteriaOptions, StopCriterion } from './stop-criteria-options.js';

/**
 * When does a ramp stop? Each criterion looks at one held step (and the step before it, for the knee)
 * and, when it fires, says why with the numbers. Several can fire at once; they are returned in
 * `STOP_CRITERIA` order, the most fundamental first (a dead server explains a slow one, not the reverse).
 */

export interface StopFinding {
  criterion: StopCriterion;
  detail: string;
}

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

/** The server's exit, when it died during the step. */
export interface ServerDeath {
  description: string;
}

/** Every criterion that fires for `step`, in `STOP_CRITERIA` order; empty when the step held. */
export function evaluateStopCriteria(step: RampStep, previous: RampStep | undefined, options: StopCriteriaOptions, death?: ServerDeath): StopFinding[] {
  const findings: StopFinding[] = [];
  const add = (criterion: StopCriterion, detail: string): void => void findings.push({ criterion, detail });

  if (death !== undefined) add('server-died', `the server died at ${step.connections} connections: ${death.description}`);

  const attempted = step.connectAttempted ?? step.established;
  const connectFailures = Object.values(step.connectErrorsByCode).reduce((sum, count) => sum + count, 0);
  if (connectFailures > 0 && connectFailures > options.errorBudget * Math.max(1, attempted)) {
    add('connect-errors', `${connectFailures} of ${attempted} new connections failed: ${describeConnectErrors(step.connectErrorsByCode)}`);
  }

  if (step.generator.saturated) {
    const reasons = step.generator.saturationReasons ?? [];
    add('generator-saturated', `the load generator saturated, so the limit here is the driver, not the server${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`);
  }

  if (step.offeredPerSec > 0 && step.achievedPerSec < options.minAchievedRatio * step.offeredPerSec) {
    add('throughput', `achieved ${formatRate(step.achievedPerSec)} msg/s < ${(options.minAchievedRatio * 100).toFixed(0)}% of the ${formatRate(step.offeredPerSec)} offered (${((step.achievedPerSec / step.offeredPerSec) * 100).toFixed(1)}%)`);
  }

  const failedMessages = step.timedOut + (step.dropped ?? 0);
  if (step.sent > 0 && failedMessages > options.errorBudget * step.sent) {
    add('error-rate', `${failedMessages} of ${step.sent} messages timed out or were dropped (${((failedMessages / step.sent) * 100).toFixed(2)}% > budget ${(options.errorBudget * 100).toFixed(2)}%)`);
  }

  const p99 = step.latencyMs?.p99;
  if (p99 !== undefined && p99 > options.sloP99Ms) add('p99-over-slo', `p99 ${formatMs(p99)} > SLO ${formatMs(options.sloP99Ms)}`);

  const gcPause = step.server.gcPauseMaxMs;
  if (gcPause !== null && gcPause > options.maxGcPauseMs) add('gc-pause', `GC pause max ${formatMs(gcPause)} > ${formatMs(options.maxGcPauseMs)}`);

  const knee = detectKnee(previous?.latencyMs?.p99, p99, options);
  if (knee !== undefined) add('latency-knee', knee);
  return findings;
}

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

export function formatRate(perSec: number): string {
  return perSec >= 100 ? perSec.toFixed(0) : perSec.toFixed(1);
}
