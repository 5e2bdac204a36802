/**
 * Every failure wsbench reports is one of these classes. Each carries a stable `code` (for tests and
 * tools) and the process exit code its class maps to (DESIGN.md "Exit codes"); `cause` is kept.
 * Nothing below the CLI calls `process.exit`: errors travel up and are printed once.
 */

export const EXIT_OK = 0;
export const EXIT_GATE_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INFRASTRUCTURE = 3;
export const EXIT_INTERRUPTED = 130;

export type ExitCode =
  | typeof EXIT_OK
  | typeof EXIT_GATE_FAILED
  | typeof EXIT_USAGE
  | typeof EXIT_INFRASTRUCTURE
  | typeof EXIT_INTERRUPTED;

export interface WsbenchErrorOptions {
  cause?: unknown;
  /** The command the error is about (`run`, `ramp`): the CLI prints it as `wsbench run: …`. */
  command?: string;
}

export abstract class WsbenchError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly code: string;
  readonly command: string | undefined;

  constructor(code: string, message: string, options?: WsbenchErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.command = options?.command;
    this.name = new.target.name;
  }

  /** How the CLI prints it: after the command it is about (`wsbench run: …`), else after the tool's name. */
  get printedMessage(): string {
    return `${this.command === undefined ? 'wsbench' : `wsbench ${this.command}`}: ${this.message}`;
  }
}

/** A flag, argument or value the user gave is wrong; the message names it and the fix. */
export class UsageError extends WsbenchError {
  readonly exitCode = EXIT_USAGE;
}

/** The config file (or a baseline file) cannot be used; lists every problem with its path. */
export class ConfigError extends WsbenchError {
  readonly exitCode = EXIT_USAGE;
  readonly problems: readonly string[];

  constructor(code: string, message: string, problems: readonly string[] = [], options?: WsbenchErrorOptions) {
    super(code, problems.length > 0 ? `${message}\n  - ${problems.join('\n  - ')}` : message, options);
    this.problems = problems;
  }
}

/**
 * The measurement could not be made or cannot be trusted: the target did not build, start or stay up,
 * a worker died, the generator saturated. `logTail` carries the target's last output lines when known.
 */
export class InfrastructureError extends WsbenchError {
  readonly exitCode = EXIT_INFRASTRUCTURE;
  readonly logTail: readonly string[];

  constructor(code: string, message: string, options?: WsbenchErrorOptions & { logTail?: readonly string[] }) {
    super(code, message, options);
    this.logTail = options?.logTail ?? [];
  }
}

/** A gate was breached: regression verdict FAIL, SLO or error budget exceeded. */
export class GateFailure extends WsbenchError {
  readonly exitCode = EXIT_GATE_FAILED;
}

/** The user pressed Ctrl-C (SIGINT) or the run was sent SIGTERM; partial results are still written. */
export class InterruptedError extends WsbenchError {
  readonly exitCode = EXIT_INTERRUPTED;
}

/** Describes a received value for error messages: `"fast" (string)`, `-1 (number)`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'object') return `${JSON.stringify(value)} (${Array.isArray(value) ? 'array' : 'object'})`;
  return `${String(value)} (${typeof value})`;
}
