import { UsageError } from '../errors.js';
import { checkSessionTraffic } from '../run/session-traffic.js';
import type { TrafficOptions } from '../scenario/traffic-options.js';

/**
 * A ramp or a limit search takes run's traffic flags, checked as run checks them, but drives echo-style
 * load only: churn reconnects would move the very connection count a step or a probe holds, and a
 * broadcast's offered deliveries are not what the steps' and probes' offered-vs-achieved judge.
 */
export function checkCapacityTraffic(traffic: TrafficOptions | undefined, load: { connections: number; messageBytes: number; durationMs: number; url: string | undefined }, command: 'ramp' | 'limit'): void {
  const pattern = traffic?.pattern ?? 'echo';
  if (pattern !== 'echo') {
    throw new UsageError('PATTERN_NOT_SUPPORTED', `a ${command === 'ramp' ? 'ramp step' : 'limit probe'} counts each connection's own echoes, so --pattern ${pattern} is measured by wsbench run (e.g. wsbench run --pattern ${pattern} ${pattern === 'churn' ? '--churn-rate 200' : '--publishers 1'})`, { command });
  }
  checkSessionTraffic(traffic, load);
}
