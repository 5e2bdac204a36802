import { expect } from 'vitest';
import type { RampResult } from '../../src/capacity/ramp-result.js';
import type { ComparisonReport } from '../../src/compare/comparison-report.js';
import type { RunResult } from '../../src/run/run-result.js';

/** What every busy-machine message starts with (machine-load.ts: describeMachineBusy). */
const BUSY = /the machine was busy: (other processes used|the hypervisor took) \d+% of a core/;

/**
 * Exit 0 and `completed` on a quiet machine. On a machine other processes keep busy (CI runners are shared),
 * the driver may wait for CPU past its send-lag limit: then the run is rightly `saturated` with exit 3, and
 * it must say the machine was busy (from `machine.otherCpuPercent` and `stealPercent`). Either way the echoes themselves hold.
 */
export function expectCompletedOrBusy(exitCode: number | undefined, result: RunResult, stderr = ''): void {
  if (exitCode === 3 && result.status === 'saturated') {
    expect(result.machine?.noisy, `saturated on a quiet machine: ${result.generator.saturationReasons.join('; ')}`).toBe(true);
    expect(stderr).toMatch(BUSY);
    return;
  }
  expect(exitCode, stderr).toBe(0);
  expect(result.status).toBe('completed');
}

/**
 * The ramp stopped at a step of at most `connections`, measured while the machine was busy (other processes, or
 * the hypervisor's steal starving the driver), and its verdict says so. Then the steps a test wanted to reach
 * were never offered, and nothing about them can be checked; on a quiet machine this is false and the test goes on.
 */
export function rampStoppedByBusyMachine(written: RampResult, connections: number): boolean {
  const last = written.steps.at(-1);
  if (last === undefined || last.connections > connections || last.stopReasons.length === 0 || last.machine?.noisy !== true) return false;
  expect(written.verdict.evidence.join('\n')).toMatch(BUSY);
  expect(written.verdict.summary).toMatch(/the machine was busy/);
  return true;
}

/**
 * The comparison could not decide because the generator saturated in trials run while the machine was busy: it
 * is INCONCLUSIVE (exit 0), and each such exclusion names the busy machine. A quiet machine gives false here.
 */
export function comparisonUndecidedByBusyMachine(report: ComparisonReport): boolean {
  const { comparison } = report;
  const busyExclusions = comparison.excluded.filter((trial) => BUSY.test(trial.reason));
  if (comparison.verdict !== 'INCONCLUSIVE' || busyExclusions.length === 0) return false;
  expect(busyExclusions.every((trial) => trial.reason.startsWith('the load generator saturated'))).toBe(true);
  return true;
}
