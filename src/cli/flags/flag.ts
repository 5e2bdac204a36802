import { UsageError } from '../../errors.js';
import { parseBytes, parseDurationMs, parseFraction, parsePositiveInteger, parsePositiveNumber } from '../../units.js';

/**
 * One command-line flag, declared once: the key it fills in the command's options object, its parser,
 * its help line and its default. The `parseArgs` options, the usage text and the typed options object
 * are all generated from a table of these (see flag-table.ts), so adding a flag is adding one entry.
 */
export interface Flag<Key extends string = string, Value = unknown, Defaulted extends boolean = boolean> {
  /** The field of the options object this flag sets, e.g. `ratePerConnection` for `--rate`. */
  readonly key: Key;
  /** The value's placeholder in the usage text (`N`, `D`, `SPEC`); undefined for a switch. */
  readonly placeholder: string | undefined;
  readonly help: string;
  /** Checks one raw value and converts it; throws a UsageError naming `option`. */
  readonly parse: (raw: string, option: string) => Value;
  /** Taken when the flag is absent (and said in the help); absent flags without one stay absent. */
  readonly default: Defaulted extends true ? Value : undefined;
  /** How the default reads in the help, e.g. `5s` for 5000 ms. */
  readonly showDefault: ((value: Value) => string) | undefined;
  /** A repeatable flag (`--header A --header B`): its value is the list of parsed values. */
  readonly multiple: boolean;
  readonly short: string | undefined;
  /** A heading printed above this flag in the usage text, to group the ones after it. */
  readonly heading: string | undefined;
  /** Left out of the usage text (`--help` itself). */
  readonly hidden: boolean;
  /** Whether `default` is set: the options field is then always present. */
  readonly defaulted: Defaulted;
}

// `any`: the wrappers take a flag of any value type (its parser and default printer are contravariant).
type AnyFlag = Flag<string, any, boolean>;

type Parser<Value> = (raw: string, option: string) => Value;

interface FlagInit<Value> {
  placeholder?: string;
  showDefault?: (value: Value) => string;
  short?: string;
  heading?: string;
}

/** A flag that takes a value, parsed by `parse`. */
export function valueFlag<Key extends string, Value>(key: Key, placeholder: string, help: string, parse: Parser<Value>, init: Omit<FlagInit<Value>, 'placeholder'> = {}): Flag<Key, Value, false> {
  return { key, placeholder, help, parse, default: undefined, showDefault: init.showDefault, multiple: false, short: init.short, heading: init.heading, hidden: false, defaulted: false };
}

/** The same flag, defaulted when absent: its options field is then always set. */
export function withDefault<Key extends string, Value>(flag: Flag<Key, Value, false>, value: Value): Flag<Key, Value, true> {
  return { ...flag, default: value, defaulted: true };
}

/** The same flag, left out of the usage text. */
export function hidden<F extends AnyFlag>(flag: F): F {
  return { ...flag, hidden: true };
}

/** The same flag under a heading in the usage text. */
export function under<F extends AnyFlag>(heading: string, flag: F): F {
  return { ...flag, heading };
}

/** A flag that may be given several times; its field is the list, in the order given. */
export function repeatableFlag<Key extends string, Item>(key: Key, placeholder: string, help: string, parse: Parser<Item>): Flag<Key, Item[], false> {
  return { key, placeholder, help, parse: parse as unknown as Parser<Item[]>, default: undefined, showDefault: undefined, multiple: true, short: undefined, heading: undefined, hidden: false, defaulted: false };
}

/** A switch: present is true; its field is absent otherwise. */
export function switchFlag<Key extends string>(key: Key, help: string, init: { short?: string } = {}): Flag<Key, boolean, false> {
  return { key, placeholder: undefined, help, parse: () => true, default: undefined, showDefault: undefined, multiple: false, short: init.short, heading: undefined, hidden: false, defaulted: false };
}

export const text = (raw: string): string => raw;

export const stringFlag = <Key extends string>(key: Key, placeholder: string, help: string) => valueFlag(key, placeholder, help, text);
export const integerFlag = <Key extends string>(key: Key, placeholder: string, help: string) => valueFlag(key, placeholder, help, parsePositiveInteger);
export const numberFlag = <Key extends string>(key: Key, placeholder: string, help: string) => valueFlag(key, placeholder, help, parsePositiveNumber);
export const fractionFlag = <Key extends string>(key: Key, placeholder: string, help: string) => valueFlag(key, placeholder, help, parseFraction);
export const bytesFlag = <Key extends string>(key: Key, placeholder: string, help: string) => valueFlag(key, placeholder, help, parseBytes);
export const durationFlag = <Key extends string>(key: Key, placeholder: string, help: string) => valueFlag(key, placeholder, help, parseDurationMs, { showDefault: showDurationMs });

/** One of a fixed set of words, e.g. `--pacer precise|timer`. */
export function choiceFlag<Key extends string, Choice extends string>(key: Key, choices: readonly Choice[], help: string): Flag<Key, Choice, false> {
  return valueFlag(key, choices.join('|'), help, (raw, option) => {
    if (!(choices as readonly string[]).includes(raw)) {
      const expected = `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
      throw new UsageError('INVALID_CHOICE', `Expected ${option} to be ${expected}; got ${JSON.stringify(raw)}. Give ${choices.map((choice) => `${option} ${choice}`).join(' or ')}`);
    }
    return raw as Choice;
  });
}

/** 5000 → "5s", 90000 → "90s", 300000 → "5m", 50 → "50ms": how a user would type it. */
export function showDurationMs(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
