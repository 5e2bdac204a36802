import { UsageError } from '../errors.js';
import { BUILTIN_TARGETS } from './builtin-targets.js';
import { validateKnobs } from './target-definition.js';
import type { TargetDefinition } from './target-definition.js';
import { didYouMean } from '../did-you-mean.js';
import type { TargetSpec } from './target-spec.js';
import { checkoutRevision } from './git-checkout.js';
import { checkNamespaceSupport } from './target-namespace.js';

/** Finds the definition a SPEC names: the config's targets first, then the built-ins. */
export function resolveTargetDefinition(spec: TargetSpec, configTargets: Record<string, TargetDefinition> = {}): TargetDefinition {
  const own = (table: Record<string, TargetDefinition>): TargetDefinition | undefined => (Object.hasOwn(table, spec.name) ? table[spec.name] : undefined);
  const definition = own(configTargets) ?? own(BUILTIN_TARGETS);
  if (definition === undefined) {
    const known = [...new Set([...Object.keys(configTargets), ...Object.keys(BUILTIN_TARGETS)])];
    throw new UsageError('UNKNOWN_TARGET', `Unknown target ${JSON.stringify(spec.name)}${spec.text === spec.name ? '' : ` (in ${spec.text})`}.${didYouMean(spec.name, known)} Known targets: ${known.join(', ')} (define others in wsbench.config.ts or wsbench.yaml, or use --url)`);
  }
  // Knob names and values are checked here, before any build, start or trial.
  try {
    validateKnobs(definition, spec.knobs);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.code, `${spec.text}: ${error.message}`, { cause: error });
    throw error;
  }
  // Knobs that need a network namespace: refused here (exit 2) on a machine that cannot make one.
  if (Object.values(definition.knobs).some((knob) => knob.host !== undefined)) checkNamespaceSupport(spec.text, spec.knobs);
  return definition;
}

/**
 * The definition for a SPEC, at its git ref when it has one (checked out and built from there).
 * Returns the definition and, for a ref, the commit it resolved to.
 */
export async function resolveTargetAtRevision(
  spec: TargetSpec,
  configTargets: Record<string, TargetDefinition> = {},
  cwd: string = process.cwd(),
): Promise<{ definition: TargetDefinition; commit?: string }> {
  const definition = resolveTargetDefinition(spec, configTargets);
  if (spec.gitRef === undefined) return { definition };
  if (definition.atRevision === undefined) {
    throw new UsageError('NO_REVISION_SUPPORT', `Target ${spec.name} cannot be built at a git ref (@${spec.gitRef}): it has no sources in this repository`);
  }
  const checkout = await checkoutRevision(spec.gitRef, cwd);
  return { definition: definition.atRevision(checkout), commit: checkout.commit };
}
