import { UsageError } from '../errors.js';
import { resolveTargetDefinition } from '../targets/resolve-target.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { parseTargetSpec } from '../targets/target-spec.js';
import type { TargetSpec } from '../targets/target-spec.js';

/** `--target` or `--url` (not both) for the commands that measure one server in place and have no scenario of a config (ramp, limit). */
export function resolveTargetFlags(
  command: string,
  values: { target?: string | undefined; url?: string | undefined },
  configTargets: Record<string, TargetDefinition> = {},
): { target: TargetSpec | undefined; definition: TargetDefinition | undefined } {
  checkTargetFlags(values);
  const target = values.url === undefined ? parseTargetSpec(values.target ?? 'gobwas') : undefined;
  refuseGitRef(command, target);
  return { target, definition: target === undefined ? undefined : resolveTargetDefinition(target, configTargets) };
}

/** Only compare builds a target at a git ref (in a worktree of its own); the others measure the checkout. */
export function refuseGitRef(command: string, target: TargetSpec | undefined): void {
  if (target?.gitRef !== undefined) {
    throw new UsageError('GIT_REF_NOT_SUPPORTED', `--target ${target.text}: a target at a git ref is built in a worktree by \`wsbench compare\`; for \`wsbench ${command}\`, check out ${target.gitRef} and run without @${target.gitRef}`);
  }
}

/** `--target` and `--url` exclude each other, and `--url` must be a WebSocket URL. */
export function checkTargetFlags(values: { target?: string | undefined; url?: string | undefined }): void {
  if (values.target !== undefined && values.url !== undefined) {
    throw new UsageError('CONFLICTING_FLAGS', 'Give either --target (wsbench starts the server) or --url (a server already running), not both');
  }
  if (values.url !== undefined && !/^wss?:\/\/[^/]+/.test(values.url)) {
    throw new UsageError('INVALID_URL', `Expected --url to be a WebSocket URL, e.g. ws://127.0.0.1:8080/ws; got ${JSON.stringify(values.url)}`);
  }
}
