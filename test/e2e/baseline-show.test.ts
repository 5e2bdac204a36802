import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASELINE_SCHEMA_VERSION, writeBaseline, type Baseline } from '../../src/compare/baseline-store.js';
import type { TrialSummary } from '../../src/compare/trial-summary.js';
import { runCli } from '../support/cli.js';

const trial = (index: number, p99Ms: number, extra: Partial<TrialSummary> = {}): Baseline['trials'][number] => ({
  summary: { arm: 'a', index, status: 'completed', achievedPerSec: 5000, p50Ms: 0.4, p99Ms, errors: 0, attempted: 41_000, errorRate: 0, saturated: false, saturationReasons: [], machine: { otherCpuPercent: 1, stealPercent: 1 }, ...extra },
  histogram: null,
});

describe('wsbench baseline show', () => {
  it('gives the medians of the trials bench judges against: a saturated or busy trial is counted but not used', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baseline-show-'));
    writeBaseline(dir, {
      schemaVersion: BASELINE_SCHEMA_VERSION,
      kind: 'baseline',
      target: 'gobwas',
      scenario: 'mid-conn-mid-msg',
      load: { connections: 1000, ratePerConnection: 5, messageBytes: 1024, durationMs: 10_000, warmupMs: 2_000 },
      commit: 'a'.repeat(40),
      tag: 'baseline-test',
      recordedAt: '2026-12-03T10:00:00.000Z',
      env: { node: '20.20.2', os: 'linux', kernel: '6.1', cpuModel: 'cpu', cores: 2, memBytes: 1, fingerprint: 'f1' },
      tool: { name: 'wsbench', version: '0.1.0' },
      trials: [trial(0, 2), trial(1, 3), trial(2, 40, { machine: { otherCpuPercent: 1, stealPercent: 48 } }), trial(3, 50, { saturated: true, saturationReasons: ['send lag p99 12 ms > 10 ms'] }), trial(4, 4)],
    });
    const cli = await runCli(['baseline', 'show', '--dir', dir]);
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/gobwas · mid-conn-mid-msg · aaaaaaaaaaaa \(baseline-test\) · 2026-12-03T10:00:00 · 3 usable trials of 5 · median 5000\/s, p99 3\.00 ms · fingerprint f1$/m);
  });
});
