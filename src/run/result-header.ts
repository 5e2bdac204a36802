import { InfrastructureError } from '../errors.js';
import type { WsbenchError } from '../errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../tool-info.js';
import type { ResultHeader, RunStatus } from './run-result.js';

export interface HeaderRequest<Kind extends string> {
  kind: Kind;
  /** The schema version of this kind of result (each kind has its own constant). */
  schemaVersion: number;
  status: RunStatus;
  failure: WsbenchError | undefined;
}

/** What the session knows about where and on what the measurement ran. */
export type HeaderContext = Pick<ResultHeader<string>, 'startedAt' | 'env' | 'git' | 'target'>;

/** The status every kind of result shares: interrupted beats errored beats completed. */
export function endStatus(interrupted: boolean, failure: WsbenchError | undefined): RunStatus {
  return interrupted ? 'interrupted' : failure !== undefined ? 'errored' : 'completed';
}

/** The header of a result file: `schemaVersion` first, then kind, status, the failure (if any), tool, env, git, target. */
export function buildResultHeader<Kind extends string>(request: HeaderRequest<Kind>, context: HeaderContext): ResultHeader<Kind> {
  const { failure } = request;
  return {
    schemaVersion: request.schemaVersion,
    kind: request.kind,
    status: request.status,
    ...(failure === undefined ? {} : { error: describeFailure(failure) }),
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    startedAt: context.startedAt,
    env: context.env,
    git: context.git,
    target: context.target,
  };
}

export function describeFailure(failure: WsbenchError): NonNullable<ResultHeader<string>['error']> {
  return { code: failure.code, message: failure.message, ...(failure instanceof InfrastructureError && failure.logTail.length > 0 ? { logTail: [...failure.logTail] } : {}) };
}
