import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { didYouMean } from '../../did-you-mean.js';
import { UsageError } from '../../errors.js';
import type { Flag } from './flag.js';

/** A command's flags: `--name` → its spec. Order is the usage text's order. */
// `any`: a table holds flags of every value type, and a flag's parser is contravariant in nothing useful here.
export type FlagTable = Record<string, Flag<string, any, boolean>>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ValueOf<F> = F extends Flag<string, infer V, boolean> ? V : never;

/** The typed options a table yields: defaulted flags always set, the others set only when given. */
export type FlagOptions<T extends FlagTable> = Simplify<
  { [N in keyof T as T[N] extends Flag<infer K, any, true> ? K : never]: ValueOf<T[N]> } & {
    [N in keyof T as T[N] extends Flag<infer K, any, false> ? K : never]?: ValueOf<T[N]>;
  }
>;

/** What `util.parseArgs` needs for this table. */
export function parseArgsOptions(table: FlagTable): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, flag] of Object.entries(table)) {
    options[name] = { type: flag.placeholder === undefined ? 'boolean' : 'string', ...(flag.multiple ? { multiple: true } : {}), ...(flag.short === undefined ? {} : { short: flag.short }) };
  }
  return options;
}

const HELP_COLUMN = 23;

/**
 * `--rate -5` reads to parseArgs as a flag with no value ("ambiguous"); joined as `--rate=-5`, the value
 * reaches the unit parser, which says what the user needs to hear: it must be positive.
 */
function joinNegativeValues(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const joined: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const next = args[index + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      index++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** The usage lines for this table: `  --name VALUE  help (default D)`, headings where a flag has one. */
export function formatFlagHelp(table: FlagTable): string {
  const lines: string[] = [];
  for (const [name, flag] of Object.entries(table)) {
    if (flag.hidden) continue;
    if (flag.heading !== undefined) lines.push(flag.heading);
    const left = `  --${name}${flag.placeholder === undefined ? '' : ` ${flag.placeholder}`}`;
    const defaultText = flag.defaulted ? ` (default ${flag.showDefault?.(flag.default) ?? String(flag.default)})` : '';
    const [first = '', ...rest] = `${flag.help}${defaultText}`.split('\n');
    lines.push(left.length < HELP_COLUMN - 1 ? `${left.padEnd(HELP_COLUMN)}${first}` : `${left}  ${first}`);
    for (const line of rest) lines.push(`${' '.repeat(HELP_COLUMN)}${line}`);
  }
  return lines.join('\n');
}

/**
 * Parses `args` against the table: `util.parseArgs` errors become UsageErrors that name the flag and point
 * to `--help`; every value is checked by its flag's parser (which names the flag too); defaults fill in.
 */
export function readFlags<T extends FlagTable>(
  command: string,
  args: string[],
  table: T,
  { positionals = 0 } = {},
): { options: FlagOptions<T>; positionals: string[]; /** As typed, by flag name (to pass flags on, e.g. to a pod). */ raw: Partial<Record<keyof T, string | boolean | Array<string | boolean>>> } {
  let parsed: ReturnType<typeof parseArgs>;
  const argsOptions = parseArgsOptions(table);
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, argsOptions), options: argsOptions, strict: true, allowPositionals: positionals > 0 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '--([^']+)'/.exec(message)?.[1];
    if (unknown !== undefined) {
      throw new UsageError('UNKNOWN_FLAG', `unknown option --${unknown}.${didYouMean(unknown, Object.keys(table), (flag) => `--${flag}`)} See wsbench ${command} --help for its options`, { cause: error, command });
    }
    throw new UsageError('INVALID_FLAG', `${message.replace(/\. To specify a positional argument.*$/s, '')}. See wsbench ${command} --help`, { cause: error, command });
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError('UNEXPECTED_ARGUMENT', `takes ${positionals === 0 ? 'no' : `at most ${positionals}`} positional argument${positionals === 1 ? '' : 's'}; got ${parsed.positionals.map((item) => JSON.stringify(item)).join(' ')}. See wsbench ${command} --help`, { command });
  }
  const options: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(table)) {
    const raw = parsed.values[name];
    if (raw === undefined) {
      if (flag.defaulted) options[flag.key] = flag.default;
    } else if (typeof raw === 'boolean') options[flag.key] = raw;
    else if (Array.isArray(raw)) options[flag.key] = raw.map((item) => flag.parse(String(item), `--${name}`));
    else options[flag.key] = flag.parse(raw, `--${name}`);
  }
  return { options: options as FlagOptions<T>, positionals: parsed.positionals, raw: parsed.values as Partial<Record<keyof T, string | boolean | Array<string | boolean>>> };
}

/** The options of `table`'s flags out of a command's parsed options (e.g. the load flags, to override a scenario). */
export function pickFlags<T extends FlagTable>(table: T, options: object): FlagOptions<T> {
  const picked: Record<string, unknown> = {};
  for (const flag of Object.values(table)) {
    const value = (options as Record<string, unknown>)[flag.key];
    if (value !== undefined) picked[flag.key] = value;
  }
  return picked as FlagOptions<T>;
}
