import { UsageError, describeValue } from '../errors.js';
import { didYouMean } from '../did-you-mean.js';
import { parseBytes, parsePositiveInteger } from '../units.js';
import type { RevisionCheckout } from './git-checkout.js';

/** A knob that sets something around the server (a sysctl of its namespace, its file limit), not a flag of it. */
export type HostSetting = { sysctl: string } | { rlimit: 'nofile' };

/** A knob of a target: a `KEY=VALUE` in the target SPEC that becomes a command-line flag of the server. */
export interface KnobDefinition {
  /** The server's flag, e.g. `--model`; absent for a knob that sets the server's surroundings (`host`). */
  flag?: string;
  /** Set around the server instead of passed to it: a sysctl of its own network namespace, its file limit. */
  host?: HostSetting;
  description: string;
  /** Checks a value and returns it as the flag's argument; throws a UsageError naming the knob. */
  parse: (raw: string, knob: string) => string;
}

/**
 * How to run one server under test. `args` may hold `{port}`, `{host}` and `{metricsAddr}` (filled in per
 * run: every trial gets fresh ports, so trials can never talk to a stale server).
 */
export interface TargetDefinition {
  name: string;
  description: string;
  /** Makes the executable available (e.g. builds the Go fixture, cached) and returns the command to run. */
  prepare?: () => Promise<string>;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  knobs: Record<string, KnobDefinition>;
  /** The WebSocket path to dial. */
  wsPath: string;
  /** A line on stdout or stderr that says the server is ready (besides its port accepting connections). */
  readyLine?: RegExp;
  /** Whether `{metricsAddr}` in args makes the server serve Prometheus `/metrics` there. */
  servesMetrics: boolean;
  /** Checks knobs that are only wrong together (each already parsed); throws a UsageError. */
  checkKnobs?: (knobs: Record<string, string>) => void;
  /** How many processes the server runs for these knobs (1 unless a procs knob says otherwise). */
  processCount?: (knobs: Record<string, string>) => number;
  /** The same target built from a checkout of another commit (`NAME@GITREF`). */
  atRevision?: (checkout: RevisionCheckout) => TargetDefinition;
}

export function enumKnob(flag: string, values: readonly string[], description: string): KnobDefinition {
  return {
    flag,
    description,
    parse: (raw, knob) => {
      if (!values.includes(raw)) throw new UsageError('INVALID_KNOB_VALUE', `Expected knob ${knob} to be one of ${values.join(' | ')}; got ${describeValue(raw)}.${didYouMean(raw, values, (value) => `${knob}=${value}`) || ` Give e.g. ${knob}=${values[0]}`}`);
      return raw;
    },
  };
}

/** An upper bound that names the server's own limit, so a value it would refuse fails before the target starts. */
export interface KnobLimit {
  max?: number;
}

export function bytesKnob(flag: string, description: string, { max }: KnobLimit = {}): KnobDefinition {
  return {
    flag,
    description,
    parse: (raw, knob) => String(checkMax(parseBytes(raw, `knob ${knob}`), max, knob, raw, 'bytes')),
  };
}

export function countKnob(flag: string, description: string, { allowZero = false, max }: { allowZero?: boolean } & KnobLimit = {}): KnobDefinition {
  return {
    flag,
    description,
    parse: (raw, knob) => String(checkMax(allowZero && raw.trim() === '0' ? 0 : parsePositiveInteger(raw, `knob ${knob}`), max, knob, raw)),
  };
}

function checkMax(value: number, max: number | undefined, knob: string, raw: string, unit = ''): number {
  if (max !== undefined && value > max) {
    throw new UsageError('INVALID_KNOB_VALUE', `Expected knob ${knob} to be at most ${max}${unit === '' ? '' : ` ${unit}`}; got ${describeValue(raw)}. Use a smaller value`);
  }
  return value;
}

/** Turns the SPEC's knob values into flags, rejecting knobs the target does not have. */
export function knobArguments(definition: TargetDefinition, knobs: Record<string, string>): string[] {
  const args: string[] = [];
  for (const [knob, raw] of Object.entries(knobs)) {
    const knobDefinition = Object.hasOwn(definition.knobs, knob) ? definition.knobs[knob] : undefined;
    if (knobDefinition === undefined) {
      const known = Object.keys(definition.knobs);
      throw new UsageError(
        'UNKNOWN_KNOB',
        `Target ${definition.name} has no knob ${JSON.stringify(knob)}.${didYouMean(knob, known)} Its knobs are: ${known.length === 0 ? '(none)' : known.join(', ')}`,
      );
    }
    const value = knobDefinition.parse(raw, knob);
    if (knobDefinition.flag !== undefined) args.push(knobDefinition.flag, value);
  }
  definition.checkKnobs?.(knobs);
  return args;
}

/** Fills `{port}`, `{host}`, `{metricsAddr}` in the definition's arguments. */
export function fillPlaceholders(args: readonly string[], values: { port: number; host: string; metricsAddr: string | undefined }): string[] {
  return args.map((arg) =>
    arg
      .replaceAll('{port}', String(values.port))
      .replaceAll('{host}', values.host)
      .replaceAll('{metricsAddr}', values.metricsAddr ?? ''),
  );
}

/** Checks every knob of a SPEC against its target (names and values) before anything is built or started. */
export function validateKnobs(definition: TargetDefinition, knobs: Record<string, string>): void {
  knobArguments(definition, knobs);
}
