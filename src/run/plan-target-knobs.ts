import { UsageError } from '../errors.js';
import type { LoadPlan } from '../plan/preflight.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import type { TargetSpec } from '../targets/target-spec.js';

/**
 * The fd-limit plan applied to the target: a fixture that one process cannot serve under this limit is
 * started with the processes the plan needs (the warning says so); one the user gave fewer is refused
 * before anything starts, naming the number it needs.
 */
export function planTargetKnobs(
  target: TargetSpec | undefined,
  definition: TargetDefinition | undefined,
  plan: LoadPlan,
  warn: (message: string) => void,
): Record<string, string> {
  const knobs = target?.knobs ?? {};
  if (definition?.processCount === undefined || !Object.hasOwn(definition.knobs, 'procs')) return knobs;
  const needs = plan.recommendedTargetProcs;
  if (definition.processCount(knobs) >= needs) return knobs;
  if (knobs.procs !== undefined) {
    throw new UsageError(
      'TARGET_PROCS_TOO_FEW',
      `${plan.connections} connections need the target to run at least ${needs} processes under this machine's fd limit (${plan.maxSocketsPerProcess} sockets each); ${target?.text} gives procs=${knobs.procs}. Give procs=${needs}, fewer --connections, or raise \`ulimit -n\``,
    );
  }
  warn(`starting the target with procs=${needs}: one process cannot hold ${plan.connections} connections under the fd limit (${plan.maxSocketsPerProcess} sockets each)`);
  return { ...knobs, procs: String(needs) };
}
