import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { didYouMean } from '../did-you-mean.js';

export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * `util.parseArgs` with its errors turned into UsageErrors that name the flag and point to `--help`.
 * Values stay strings here; each command parses them with the unit parsers, which name the flag too.
 */
export type FlagValues<T extends FlagOptions> = {
  [K in keyof T]?: T[K] extends { multiple: true } ? (T[K]['type'] extends 'boolean' ? boolean[] : string[]) : T[K]['type'] extends 'boolean' ? boolean : string;
};

/**
 * `--rate -5` reads to parseArgs as a flag with no value ("ambiguous"); joined as `--rate=-5`, the value
 * reaches the unit parser, which says what the user needs to hear: it must be positive.
 */
function joinNegativeValues(args: readonly string[], options: FlagOptions): string[] {
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

export function parseFlags<T extends FlagOptions>(command: string, args: string[], options: T, { positionals = 0 } = {}): { values: FlagValues<T>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: joinNegativeValues(args, options), options, strict: true, allowPositionals: positionals > 0 });
    if (parsed.positionals.length > positionals) {
      throw new UsageError('UNEXPECTED_ARGUMENT', `wsbench ${command} takes ${positionals === 0 ? 'no' : `at most ${positionals}`} positional argument${positionals === 1 ? '' : 's'}; got ${parsed.positionals.map((item) => JSON.stringify(item)).join(' ')}. See wsbench ${command} --help`);
    }
    return { values: parsed.values as FlagValues<T>, positionals: parsed.positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '--([^']+)'/.exec(message)?.[1];
    if (unknown !== undefined) {
      const flags = Object.keys(options);
      throw new UsageError('UNKNOWN_FLAG', `wsbench ${command}: unknown option --${unknown}.${didYouMean(unknown, flags, (flag) => `--${flag}`)} See wsbench ${command} --help for its options`, { cause: error });
    }
    throw new UsageError('INVALID_FLAG', `wsbench ${command}: ${message.replace(/\. To specify a positional argument.*$/s, '')}. See wsbench ${command} --help`, { cause: error });
  }
}
