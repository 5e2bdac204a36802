import { expect } from 'vitest';
import type { CliResult } from './cli.js';

/**
 * The run measured what it was asked to: exit 0, or exit 3 only because the driver saturated. On a busy
 * 2-core machine the send lag of a light load can still exceed the saturation threshold for a moment;
 * that is the generator's verdict on itself, not a failure of the feature under test.
 */
export function expectMeasured(cli: CliResult, result: { status: string }): void {
  if (cli.exitCode === 3 && result.status === 'saturated') return;
  expect(cli.stderr).toBe('');
  expect(cli.exitCode).toBe(0);
  expect(result.status).toBe('completed');
}
