import { InfrastructureError } from '../errors.js';

/** One output a command writes after measuring: a name to report it by and how to write it (returns the paths written). */
export interface OutputTask {
  label: string;
  write: () => readonly string[];
}

export interface OutputsWritten {
  written: string[];
  /** Outputs that could not be written; the others were. */
  failures: Array<{ label: string; message: string }>;
}

/**
 * Writes every output, each on its own: one that fails (a full disk, a folder removed mid-run) does not
 * stop the others, so what was measured survives in every form that can still be written.
 */
export function writeOutputs(tasks: readonly OutputTask[]): OutputsWritten {
  const written: string[] = [];
  const failures: OutputsWritten['failures'] = [];
  for (const task of tasks) {
    try {
      written.push(...task.write());
    } catch (error) {
      failures.push({ label: task.label, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { written, failures };
}

/** The error a command ends with when some outputs could not be written (exit 3: the measurement is fine, the disk is not). */
export function outputFailure(failures: OutputsWritten['failures']): InfrastructureError | undefined {
  if (failures.length === 0) return undefined;
  return new InfrastructureError(
    'OUTPUT_WRITE_FAILED',
    `Could not write ${failures.length === 1 ? 'an output' : `${failures.length} outputs`} (the others were written):\n  - ${failures.map((failure) => `${failure.label}: ${failure.message}`).join('\n  - ')}\n  Fix the path or free space and re-render from the result JSON with wsbench report, or run again`,
  );
}
