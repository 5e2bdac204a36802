import { createProgressReporter } from '../report/progress-reporter.js';
import type { CapacityListener } from '../capacity/capacity-events.js';

/** Where a command writes: the result on stdout, progress and errors on stderr (so stdout can be piped). */
export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  interactive: boolean;
}

export const processOutput: CommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true && process.env.CI === undefined,
};

/** The live progress reporter for a command, or a silent listener with `--quiet`. */
export function progressFor(output: CommandOutput, quiet: boolean, label?: () => string | undefined): CapacityListener & { finish: () => void } {
  if (quiet) return Object.assign(() => {}, { finish: () => {} });
  return createProgressReporter({ write: output.stderr, interactive: output.interactive, ...(label === undefined ? {} : { label }) });
}
