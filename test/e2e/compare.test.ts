import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ComparisonReport } from '../../src/compare/comparison-report.js';
import { comparisonUndecidedByBusyMachine } from '../support/busy-machine.js';
import { readJson, runCli } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-compare-'));
// Small and short so the suite stays fast; the second stage is switched off (--budget 0s) to bound the time.
const load = ['--connections', '100', '--rate', '20', '--size', '256', '--duration', '3s', '--warmup', '1s', '--pairs', '4', '--budget', '0s', '--quiet'];

describe('wsbench compare', () => {
  it('does not FAIL an A/A comparison (the same target twice) and exits 0', async () => {
    const json = path.join(outDir, 'aa.json');
    const cli = await runCli(['compare', '--a', 'gobwas', '--b', 'gobwas', '--scenario', 'mid-conn-mid-msg', ...load, '--json', json], { timeoutMs: 170_000 });
    const report = readJson<ComparisonReport>(json);
    expect(report.kind).toBe('compare');
    expect(report.trials.map((trial) => trial.arm)).toEqual(['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
    expect(report.comparison.verdict).not.toBe('FAIL');
    expect(cli.stdout).toMatch(/\| throughput \(msg\/s\) \|/);
    expect(cli.exitCode).toBe(0);
  });

  it('FAILs with exit 1 when B does enough synthetic work per message to cut throughput by half', async () => {
    const json = path.join(outDir, 'slow.json');
    // 2,000 msg/s × 2 ms of CPU each needs four cores; two can echo about 1,000/s.
    const cli = await runCli(['compare', '--a', 'gobwas', '--b', 'gobwas:inject-delay-us=2000', '--scenario', 'mid-conn-mid-msg', ...load, '--json', json], { timeoutMs: 170_000 });
    const report = readJson<ComparisonReport>(json);
    // A shared runner's hypervisor can starve the driver in enough trials to leave too few pairs: then the
    // comparison must say so and stay undecided (exit 0), never PASS.
    if (comparisonUndecidedByBusyMachine(report)) {
      expect(cli.exitCode).toBe(0);
      return;
    }
    const throughput = report.comparison.metrics.find((metric) => metric.metric === 'throughput')!;
    expect(throughput.changePercent, throughput.reason).toBeLessThan(-15);
    expect(report.comparison.verdict).toBe('FAIL');
    expect(cli.stdout).toMatch(/\*\*FAIL\*\*/);
    expect(cli.stderr).toMatch(/Verdict FAIL/);
    expect(cli.exitCode).toBe(1);
  });

  it('refuses a comparison without both arms, naming the missing flag', async () => {
    const cli = await runCli(['compare', '--a', 'gobwas']);
    expect(cli.exitCode).toBe(2);
    expect(cli.stderr).toMatch(/needs both --a SPEC and --b SPEC/);
  });
});
