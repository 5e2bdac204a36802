import { UsageError } from '../errors.js';
import { BUILTIN_TARGETS } from './builtin-targets.js';
import type { TargetDefinition } from './target-definition.js';
import type { TargetSpec } from './target-spec.js';

/** Finds the definition a SPEC names: the config's targets first, then the built-ins. */
export function resolveTargetDefinition(spec: TargetSpec, configTargets: Record<string, TargetDefinition> = {}): TargetDefinition {
  const definition = configTargets[spec.name] ?? BUILTIN_TARGETS[spec.name];
  if (definition === undefined) {
    const known = [...new Set([...Object.keys(configTargets), ...Object.keys(BUILTIN_TARGETS)])];
    throw new UsageError('UNKNOWN_TARGET', `Unknown target ${JSON.stringify(spec.name)} in --target ${spec.text}; known targets: ${known.join(', ')} (define others in wsbench.config.ts or wsbench.yaml, or use --url)`);
  }
  return definition;
}
