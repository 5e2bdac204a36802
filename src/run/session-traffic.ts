import { UsageError } from '../errors.js';
import { checkTraffic, resolveHandshake, watchedServerOf } from '../scenario/traffic-options.js';
import type { TrafficOptions } from '../scenario/traffic-options.js';
import type { SessionOptions } from './session-options.js';

/** What run, ramp and limit each open a session with: the target, the driver's workers and the traffic. */
export interface SessionSource {
  target?: SessionOptions['target'];
  url?: string | undefined;
  workers?: number | undefined;
  traffic?: TrafficOptions | undefined;
}

/** What a command's caller adds: the target's definition, Ctrl-C, and replacements in tests. */
export type SessionContext = Partial<Pick<SessionOptions, 'definition' | 'signal' | 'deps'>>;

/**
 * A session's options from a command's options and context, for at most `maxConnections` at once. The
 * traffic gives every connection's upgrade and the `--url` server the session samples.
 */
export function sessionOptionsOf(source: SessionSource, context: SessionContext, emit: SessionOptions['emit'], maxConnections: number): SessionOptions {
  return {
    target: source.target,
    url: source.url,
    workers: source.workers,
    maxConnections,
    definition: context.definition,
    signal: context.signal,
    deps: context.deps,
    emit,
    handshake: resolveHandshake(source.traffic ?? {}, source.url),
    watchedServer: watchedServerOf(source.traffic),
  };
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
