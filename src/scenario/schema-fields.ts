import { z } from 'zod';
import { editDistance } from '../did-you-mean.js';
import { describeValue } from '../errors.js';
import { parseBytes, parseDurationMs } from '../units.js';
import { MIN_MESSAGE_BYTES } from './run-options.js';

/**
 * The config schema's building blocks: fields whose messages read like the flags' (`expected WHAT, got
 * VALUE`), objects that refuse unknown keys with a suggestion, and values parsed by the flags' parsers.
 */

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Messages read `expected WHAT, got VALUE`; a missing key reads `is required: expected WHAT`. */
export function expecting(what: string) {
  return {
    error: (issue: { input?: unknown }) =>
      issue.input === undefined ? `is required: expected ${what}` : `expected ${what}, got ${describeValue(issue.input)}`,
  };
}

/** An object that rejects unknown keys, naming the closest known key. */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKeyMessage(key, known)).join('; ');
      return issue.input === undefined ? 'is required: expected an object' : `expected an object, got ${describeValue(issue.input)}`;
    },
  });
}

export const text = (what = 'a string') => z.string(expecting(what));
export const name = (what: string) => text(what).regex(NAME_PATTERN, expecting(`${what} of letters, digits, '.', '_' or '-'`));
export const positiveInteger = () => z.number(expecting('a positive integer')).int(expecting('a positive integer')).positive(expecting('a positive integer'));
export const positiveNumber = () => z.number(expecting('a positive number')).positive(expecting('a positive number'));
export const percent = () => z.number(expecting('a non-negative percentage, e.g. 5')).nonnegative(expecting('a non-negative percentage, e.g. 5'));

const SIZE_EXPECTED = `a size in bytes of at least ${MIN_MESSAGE_BYTES}, optionally with a unit (B, KB, KiB, MB, MiB), e.g. 256 or "4KiB"`;
/** Bytes as a number or with a unit, like `--size`; the output is a whole number of bytes. */
export const bytes = () =>
  z.union([z.number(), z.string()], expecting(SIZE_EXPECTED)).transform((value, ctx) => {
    const parsed = tryParse(() => parseBytes(value, 'size'));
    if (parsed === undefined || parsed < MIN_MESSAGE_BYTES) {
      ctx.addIssue({ code: 'custom', message: `expected ${SIZE_EXPECTED}, got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    return parsed;
  });

/** A value checked by the same parser as its flag, so the config and the CLI reject it in the same words. */
export const parsedBy = <T>(what: string, parse: (value: string) => T) =>
  text(what).transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: lowerFirst((error as Error).message), input: value });
      return z.NEVER;
    }
  });

/**
 * A duration with a unit (`10s`, `500ms`, `2m`), like `--duration`. A bare number is refused (0 aside):
 * `duration: 10` meant 10 s to whoever wrote it and 10 ms to the old parser.
 */
export const duration = ({ allowZero }: { allowZero: boolean }) => {
  const what = `a duration${allowZero ? '' : ' above zero'} with a unit (ms, s or m), e.g. "10s" or "500ms"`;
  return z.union([z.number(), z.string()], expecting(what)).transform((value, ctx) => {
    if (typeof value === 'number' && !(allowZero && value === 0)) {
      ctx.addIssue({ code: 'custom', message: `a bare number has no unit: write "${value}s" for seconds or "${value}ms" for milliseconds; got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    const parsed = tryParse(() => parseDurationMs(value, 'duration'));
    if (parsed === undefined || (!allowZero && parsed === 0)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    return parsed;
  });
};

export const lowerFirst = (message: string): string => message.charAt(0).toLowerCase() + message.slice(1);

export function tryParse(parse: () => number): number | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

export function compiles(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closest(key, known);
  return suggestion === undefined
    ? `unknown key ${JSON.stringify(key)} (known keys: ${known.join(', ')})`
    : `unknown key ${JSON.stringify(key)}: did you mean ${JSON.stringify(suggestion)}?`;
}

/** The known word within edit distance ⌈length/3⌉ (at most 3) of `word`, if one is. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.ceil(word.length / 3));
  let best: { word: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { word: candidate, distance };
  }
  return best?.word;
}
