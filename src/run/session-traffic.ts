import { UsageError } from '../errors.js';
import { checkTraffic, resolveHandshake, watchedServerOf } from '../scenario/traffic-options.js';
import type { TrafficOptions } from '../scenario/traffic-options.js';
import type { SessionOptions } from './session-options.js';

/** What a session takes from the traffic options: every connection's upgrade and the `--url` server it samples. */
export function sessionTrafficOf(traffic: TrafficOptions | undefined, url: string | undefined): Pick<SessionOptions, 'handshake' | 'watchedServer'> {
  return { handshake: resolveHandshake(traffic ?? {}, url), watchedServer: watchedServerOf(traffic) };
}

/**
 * The traffic options checked against each other and the load, before any load, for every command
 * that opens a session (run, ramp, limit): the same words whichever command was given them.
 */
export function checkSessionTraffic(traffic: TrafficOptions | undefined, load: { connections: number; messageBytes: number; durationMs?: number; url: string | undefined }): void {
  checkTraffic(traffic ?? {}, load);
  if (load.url === undefined && (traffic?.serverPid !== undefined || traffic?.serverMetricsUrl !== undefined)) {
    throw new UsageError('SERVER_PID_WITH_TARGET', '--server-pid and --server-metrics name the server behind --url; a --target is sampled already');
  }
}
