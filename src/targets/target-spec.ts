import { UsageError } from '../errors.js';

/** A parsed target SPEC, `NAME[@GITREF][:KEY=VALUE,...]` (DESIGN.md "CLI"). */
export interface TargetSpec {
  name: string;
  gitRef?: string;
  knobs: Record<string, string>;
  /** The text as the user wrote it, for reports. */
  text: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const KNOB_PATTERN = /^[a-z][a-z0-9-]*$/;

export function parseTargetSpec(text: string, flag = '--target'): TargetSpec {
  const invalid = (problem: string): UsageError =>
    new UsageError('INVALID_TARGET_SPEC', `Expected ${flag} to be NAME[@GITREF][:KEY=VALUE,...] (e.g. gobwas:model=epoll,read-buffer=4096), got ${JSON.stringify(text)}: ${problem}`);
  const colon = text.indexOf(':');
  const head = colon === -1 ? text : text.slice(0, colon);
  const knobText = colon === -1 ? '' : text.slice(colon + 1);
  const at = head.indexOf('@');
  const name = at === -1 ? head : head.slice(0, at);
  const gitRef = at === -1 ? undefined : head.slice(at + 1);
  if (!NAME_PATTERN.test(name)) throw invalid(name === '' ? 'the target name is missing' : `${JSON.stringify(name)} is not a target name`);
  if (gitRef !== undefined && gitRef.trim() === '') throw invalid('the git ref after @ is empty');
  const knobs: Record<string, string> = {};
  if (colon !== -1) {
    if (knobText.trim() === '') throw invalid('nothing follows the colon; give KEY=VALUE pairs or drop the colon');
    for (const pair of knobText.split(',')) {
      const equals = pair.indexOf('=');
      const key = equals === -1 ? pair : pair.slice(0, equals);
      if (equals === -1 || !KNOB_PATTERN.test(key) || pair.slice(equals + 1) === '') throw invalid(`${JSON.stringify(pair)} is not KEY=VALUE`);
      if (Object.hasOwn(knobs, key)) throw invalid(`knob ${key} is given twice`);
      knobs[key] = pair.slice(equals + 1);
    }
  }
  return { name, ...(gitRef === undefined ? {} : { gitRef }), knobs, text };
}

export function formatTargetSpec(spec: Pick<TargetSpec, 'name' | 'gitRef' | 'knobs'>): string {
  const knobs = Object.entries(spec.knobs).map(([key, value]) => `${key}=${value}`);
  return `${spec.name}${spec.gitRef === undefined ? '' : `@${spec.gitRef}`}${knobs.length === 0 ? '' : `:${knobs.join(',')}`}`;
}
