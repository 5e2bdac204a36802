import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeBaseline } from '../../src/compare/baseline-store.js';
import { benchScenario } from '../../src/compare/bench-scenario.js';
import { SEND_AHEAD_MS } from '../../src/driver/load-phase-options.js';
import { summarizeTrial } from '../../src/compare/trial-summary.js';
import { runScenario } from '../../src/run/run-scenario.js';
import type { PlannedScenario } from '../../src/scenario/matrix.js';
import { resolveRunOptions } from '../../src/scenario/run-options.js';
import { FAKE_ENV, fakeWorld } from '../support/fake-session.js';
import { FAKE_SPEC, fakeDefinition, steadyServer } from '../support/fake-targets.js';

const load = { connections: 50, ratePerConnection: 10, messageBytes: 64, durationMs: 3000, warmupMs: 1000 };
const planned: PlannedScenario = {
  name: 'fake-50c',
  target: 'fake',
  options: load,
  gates: {},
  errorBudget: 0.01,
  tags: [],
  description: undefined,
  pairs: 3,
  scaling: undefined,
  offeredMessagesPerSec: 500,
  offeredBytesPerSec: 32_000,
  estimatedTrialMs: 5000,
  warnings: [],
};
const targets = { fake: fakeDefinition() };

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Records a baseline of `pairs` trials measured on `server` (through the real run, on the fake world). */
async function recordBaseline(server: ReturnType<typeof steadyServer>, pairs: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-baselines-'));
  dirs.push(dir);
  const world = fakeWorld(server);
  const trials = [];
  for (let k = 0; k < pairs; k++) {
    const { result } = await runScenario(resolveRunOptions({ ...load, target: FAKE_SPEC, scenarioName: planned.name }), { definition: targets.fake, deps: world.deps });
    trials.push({ summary: summarizeTrial(result, 'a', 2 * k), histogram: result.histogram });
  }
  writeBaseline(dir, { schemaVersion: 1, kind: 'baseline', target: 'fake', scenario: planned.name, load: { ...load, sendAheadMs: SEND_AHEAD_MS }, commit: 'c0ffee0000000000', tag: null, recordedAt: '2026-12-01T00:00:00Z', env: FAKE_ENV, tool: { name: 'wsbench', version: 'test' }, cpuPinning: null, trials });
  return dir;
}

describe('benchScenario (decisions, on a modelled server)', () => {
  it('skips a scenario this machine cannot run, saying why, without starting anything', async () => {
    const world = fakeWorld(steadyServer(1, 2, 0, 1));
    const outcome = await benchScenario({ ...planned, skipReason: 'needs 4 cores' }, { targets, mode: { kind: 'none' }, deps: world.deps });
    expect(outcome).toMatchObject({ verdict: 'SKIPPED', message: 'skipped: needs 4 cores' });
    expect(world.started).toHaveLength(0);
  });

  it('measures once and reports NO BASELINE when none is asked for, with the error budget judged', async () => {
    const world = fakeWorld(steadyServer(1, 2, 0, 1));
    const outcome = await benchScenario(planned, { targets, mode: { kind: 'none' }, deps: world.deps });
    expect(outcome.verdict).toBe('NO BASELINE');
    expect(outcome.run?.status).toBe('completed');
    expect(outcome.errorBudgetHeld).toBe(true);
    expect(world.started).toHaveLength(1);
  });

  it('judges fresh head trials against a recorded baseline of the same load and environment', async () => {
    const dir = await recordBaseline(steadyServer(1, 2, 0.02, 11), 3);
    const slower = fakeWorld(steadyServer(2, 4, 0.02, 12));
    const outcome = await benchScenario(planned, { targets, mode: { kind: 'stored', dir }, deps: slower.deps });
    expect(outcome.verdict).toBe('FAIL');
    expect(outcome.message).toContain(`against the baseline in ${dir}`);
    // Unpaired against every stored trial: the 3 recorded ones are A (0–2), the 3 fresh ones B (3–5).
    expect(outcome.comparison?.comparison.design).toBe('unpaired');
    expect(outcome.comparison?.trials.map((trial) => trial.index)).toEqual([3, 4, 5]);
    expect(outcome.comparison?.comparison.trials.map((trial) => `${trial.arm}${trial.index}`)).toEqual(['a0', 'a1', 'a2', 'b3', 'b4', 'b5']);
    expect(slower.started).toHaveLength(3);
  });

  it('does not FAIL a slower server against a stored baseline when the hypervisor took the CPU: the trials are left out, and it says why', async () => {
    const dir = await recordBaseline(steadyServer(1, 2, 0.02, 11), 3);
    const slower = fakeWorld(steadyServer(2, 4, 0.02, 12));
    const stolenFrom = { ...slower.deps, watchMachineLoad: () => ({ stop: () => ({ otherCpuPercent: 0, stealPercent: 55 }) }) };
    const outcome = await benchScenario(planned, { targets, mode: { kind: 'stored', dir }, deps: stolenFrom });
    expect(outcome.verdict).toBe('INCONCLUSIVE');
    const excluded = outcome.comparison?.comparison.excluded ?? [];
    // Each busy trial is replaced by one more, up to twice the count: 6 run, all left out.
    expect(excluded.map((trial) => `${trial.arm}${trial.index}`)).toEqual(['b3', 'b4', 'b5', 'b6', 'b7', 'b8']);
    expect(slower.started).toHaveLength(6);
    expect(excluded[0]!.reason).toMatch(/the machine was busy: the hypervisor took 55\.0% of a core \(steal; judging against a stored baseline needs at most 1%\)/);
  });

  it('runs one more fresh trial for each the baseline cannot be judged against, and judges the quiet ones', async () => {
    const dir = await recordBaseline(steadyServer(1, 2, 0.02, 11), 3);
    const slower = fakeWorld(steadyServer(2, 4, 0.02, 12));
    let trialsRun = 0;
    const stolenFromOnce = { ...slower.deps, watchMachineLoad: () => ({ stop: () => ({ otherCpuPercent: 0, stealPercent: trialsRun++ === 1 ? 4 : 0 }) }) };
    const outcome = await benchScenario(planned, { targets, mode: { kind: 'stored', dir }, deps: stolenFromOnce });
    expect(slower.started).toHaveLength(4);
    expect(outcome.comparison?.comparison.excluded.map((trial) => `${trial.arm}${trial.index}`)).toEqual(['b4']);
    expect(outcome.verdict).toBe('FAIL');
  });

  it('treats a baseline from another environment as none', async () => {
    const dir = await recordBaseline(steadyServer(1, 2, 0.02, 11), 3);
    const world = fakeWorld(steadyServer(1, 2, 0.02, 13));
    const elsewhere = { ...world.deps, describeEnvironment: () => ({ ...FAKE_ENV, fingerprint: 'other-machine' }) };
    const outcome = await benchScenario(planned, { targets, mode: { kind: 'stored', dir }, deps: elsewhere });
    expect(outcome.verdict).toBe('NO BASELINE');
    expect(outcome.message).toMatch(/no usable baseline for fake × fake-50c: BASELINE_OTHER_MACHINE/);
    expect(outcome.warnings).toEqual([expect.stringMatching(/^BASELINE_OTHER_MACHINE: .* was recorded on another machine class \(fingerprint .* ≠ this machine's other-machine\)/)]);
  });
});
