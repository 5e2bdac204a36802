import type { z } from 'zod';
import { BUILTIN_TARGETS } from '../targets/builtin-targets.js';
import { parseTargetSpec } from '../targets/target-spec.js';
import { parseBytes } from '../units.js';
import { expandMatrix } from './expand-matrix.js';
import { formatPath } from './format-issue.js';
import { matchesPattern } from './match-pattern.js';
import type { ResolvedMatrix } from './resolved-scenario.js';
import { closest, lowerFirst, tryParse } from './schema-fields.js';

type Ctx = z.core.$RefinementCtx<unknown>;
type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const entriesOf = (value: unknown): Array<[number, Loose]> =>
  Array.isArray(value) ? value.flatMap((item, index) => (isObject(item) ? [[index, item] as [number, Loose]] : [])) : [];

/**
 * Checks that need more than one field: target SPECs name known targets and knobs, names are unique
 * (matrix names included), profile globs match something. Runs even when fields failed, on what parsed.
 */
export function checkAcrossFields(config: unknown, ctx: Ctx): void {
  if (!isObject(config)) return;
  const configTargets = isObject(config.targets) ? config.targets : {};
  for (const key of ['scenarios', 'matrix'] as const) {
    for (const [index, entry] of entriesOf(config[key])) {
      if (typeof entry.target === 'string') checkTarget(entry.target, configTargets, [key, index, 'target'], ctx);
    }
  }
  const names = new Map<string, string>();
  const tags = new Set<string>();
  const claim = (scenarioName: string, path: PropertyKey[], origin: string): void => {
    const first = names.get(scenarioName);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path, message: `${origin} ${JSON.stringify(scenarioName)} is already the name of ${first}; names must be unique` });
    else names.set(scenarioName, formatPath(path));
  };
  for (const [index, entry] of entriesOf(config.scenarios)) {
    if (typeof entry.name === 'string') claim(entry.name, ['scenarios', index, 'name'], 'scenario name');
    if (Array.isArray(entry.tags)) for (const tag of entry.tags) tags.add(String(tag));
  }
  for (const [index, entry] of entriesOf(config.matrix)) {
    if (Array.isArray(entry.tags)) for (const tag of entry.tags) tags.add(String(tag));
    // An entry that failed its own checks is left untransformed; its names can wait for the fix.
    if (!('ratePerConnection' in entry)) continue;
    const expanded = expandMatrix(entry as unknown as ResolvedMatrix);
    for (const scenario of expanded) claim(scenario.name, ['matrix', index, 'name'], 'matrix scenario');
  }
  if (!isObject(config.profiles)) return;
  for (const [profile, definition] of Object.entries(config.profiles)) {
    if (!isObject(definition) || !Array.isArray(definition.scenarios)) continue;
    definition.scenarios.forEach((pattern: unknown, index) => {
      if (typeof pattern !== 'string') return;
      const matches = [...names.keys()].some((n) => matchesPattern(pattern, n, [])) || (pattern.startsWith('tag:') && tags.has(pattern.slice(4)));
      if (!matches) {
        const known = pattern.startsWith('tag:') ? `tags: ${[...tags].join(', ') || '(none)'}` : `scenarios: ${[...names.keys()].join(', ') || '(none)'}`;
        ctx.addIssue({ code: 'custom', path: ['profiles', profile, 'scenarios', index], message: `${JSON.stringify(pattern)} matches no scenario; ${known}` });
      }
    });
  }
}

function checkTarget(specText: string, configTargets: Loose, path: PropertyKey[], ctx: Ctx): void {
  let spec;
  try {
    spec = parseTargetSpec(specText, 'target');
  } catch (error) {
    ctx.addIssue({ code: 'custom', path, message: lowerFirst((error as Error).message) });
    return;
  }
  const configTarget = configTargets[spec.name];
  const builtin = BUILTIN_TARGETS[spec.name];
  if (configTarget === undefined && builtin === undefined) {
    const known = [...new Set([...Object.keys(BUILTIN_TARGETS), ...Object.keys(configTargets)])];
    const suggestion = closest(spec.name, known);
    ctx.addIssue({ code: 'custom', path, message: `unknown target ${JSON.stringify(spec.name)}${suggestion === undefined ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`}; known targets: ${known.join(', ')} (define it under targets:, or use one of those)` });
    return;
  }
  for (const [knob, value] of Object.entries(spec.knobs)) {
    const problem = isObject(configTarget) ? checkConfigKnob(configTarget, knob, value) : checkBuiltinKnob(spec.name, knob, value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path, message: lowerFirst(problem) });
  }
}

function checkBuiltinKnob(targetName: string, knob: string, value: string): string | undefined {
  const definition = BUILTIN_TARGETS[targetName]!;
  const knobDefinition = definition.knobs[knob];
  if (knobDefinition === undefined) return `target ${targetName} has no knob ${JSON.stringify(knob)}; its knobs are: ${Object.keys(definition.knobs).join(', ')}`;
  try {
    knobDefinition.parse(value, knob);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function checkConfigKnob(target: Loose, knob: string, value: string): string | undefined {
  const knobs = isObject(target.knobs) ? target.knobs : {};
  const definition = knobs[knob];
  if (!isObject(definition)) return `this target has no knob ${JSON.stringify(knob)}; its knobs are: ${Object.keys(knobs).join(', ') || '(none)'}`;
  if (Array.isArray(definition.values) && !definition.values.includes(value)) return `knob ${knob} takes ${definition.values.join(' | ')}; got ${JSON.stringify(value)}`;
  if (definition.type === 'bytes' && tryParse(() => parseBytes(value, knob)) === undefined) return `knob ${knob} takes a size in bytes; got ${JSON.stringify(value)}`;
  if (definition.type === 'count' && !/^\d+$/.test(value)) return `knob ${knob} takes a whole number; got ${JSON.stringify(value)}`;
  return undefined;
}
