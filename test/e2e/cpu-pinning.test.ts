import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ComparisonReport } from '../../src/compare/comparison-report.js';
import { findTaskset, readAllowedCpus } from '../../src/plan/cpu-pinning.js';
import { readJson, runCli } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-e2e-pin-'));
const canPin = findTaskset() !== undefined && readAllowedCpus().length >= 2;
const LOAD = ['--connections', '50', '--rate', '5', '--size', '256', '--duration', '2s', '--warmup', '1s', '--pairs', '2', '--budget', '0s'];

async function compare(name: string, extra: string[] = []): Promise<{ report: ComparisonReport; stdout: string; stderr: string }> {
  const json = path.join(outDir, `${name}.json`);
  const cli = await runCli(['compare', '--a', 'gobwas', '--b', 'gobwas', ...LOAD, '--json', json, ...extra]);
  // A/A: PASS or INCONCLUSIVE (exit 0); a busy machine may leave too few usable trials (exit 3).
  expect([0, 3], cli.stderr).toContain(cli.exitCode);
  return { report: readJson<ComparisonReport>(json), stdout: cli.stdout, stderr: cli.stderr };
}

describe.skipIf(!canPin)('compare pins the target and the driver to separate CPUs', () => {
  it('runs every trial\'s target under taskset on the first CPU and the driver on the rest, and says so', async () => {
    const { report, stdout, stderr } = await compare('pinned');
    const [first, ...rest] = readAllowedCpus();

    expect(stderr).toContain(`target pinned to CPU ${first}, driver workers to CPU ${rest.join(',')} (taskset); --no-pin turns it off`);
    expect(report.pinning).toBe(`target pinned to CPU ${first}, driver workers to CPU ${rest.join(',')} (taskset)`);
    expect(stdout).toContain(`CPUs: target pinned to CPU ${first}`);
    expect(report.trials).toHaveLength(4);
    for (const { result } of report.trials) {
      expect(result.cpuPinning).toEqual({ targetCpus: [first], driverCpus: rest });
      expect(result.target.command).toMatch(new RegExp(`^\\S*taskset -c ${first} `));
    }
  });

  it('--no-pin leaves them unpinned and the report says so', async () => {
    const { report, stdout } = await compare('unpinned', ['--no-pin', '--quiet']);

    expect(report.pinning).toBe('target and driver not pinned (they shared every core)');
    expect(stdout).toContain('CPUs: target and driver not pinned');
    for (const { result } of report.trials) {
      expect(result.cpuPinning).toBeNull();
      expect(result.target.command).not.toMatch(/taskset/);
    }
  });
});
