import { describe, expect, it } from 'vitest';
import { recordBaselineTrials, tooFewToRecord, type RecordedTrial } from '../../src/compare/baseline-recording.js';
import { runScenario } from '../../src/run/run-scenario.js';
import { resolveRunOptions } from '../../src/scenario/run-options.js';
import { fakeWorld } from '../support/fake-session.js';
import { FAKE_SPEC, fakeDefinition, steadyServer } from '../support/fake-targets.js';

const options = resolveRunOptions({ connections: 50, ratePerConnection: 10, messageBytes: 64, durationMs: 3000, warmupMs: 1000, target: FAKE_SPEC, scenarioName: 'fake-50c' });

/** Runs trials on a modelled server whose machine reports `stealByTrial[k]` percent of a core of steal in trial k. */
function recorder(stealByTrial: readonly number[]) {
  const world = fakeWorld(steadyServer(1, 2, 0.02, 21));
  let trial = 0;
  const deps = { ...world.deps, watchMachineLoad: () => ({ stop: () => ({ otherCpuPercent: 0, stealPercent: stealByTrial[trial++] ?? 0 }) }) };
  return { world, runTrial: () => runScenario(options, { definition: fakeDefinition(), deps }) };
}

describe('recordBaselineTrials (by the bar bench will judge the trials by)', () => {
  it('keeps a trial with more than 1% steal, does not count it, and runs one more in its place', async () => {
    const { world, runTrial } = recorder([0.4, 3.7, 0.8, 0]);
    const seen: RecordedTrial[] = [];
    const recorded = await recordBaselineTrials('fake-50c', 3, runTrial, (trial) => seen.push(trial));
    expect(world.started).toHaveLength(4);
    expect(recorded.usable).toBe(3);
    expect(recorded.trials.map((trial) => trial.summary.machine?.stealPercent)).toEqual([0.4, 3.7, 0.8, 0]);
    expect(seen.map((trial) => trial.usable)).toEqual([1, 1, 2, 3]);
    expect(seen[1]!.unused).toMatch(/^the machine was busy: the hypervisor took 3\.7% of a core \(steal; judging against a stored baseline needs at most 1%\)/);
  });

  it('stops at twice the count on a machine that never gets quiet, and says that is too few to write', async () => {
    const { world, runTrial } = recorder([5, 12, 0.5, 30, 2, 8]);
    const recorded = await recordBaselineTrials('fake-50c', 3, runTrial, () => {});
    expect(world.started).toHaveLength(6);
    expect(recorded.usable).toBe(1);
    expect(tooFewToRecord(recorded.usable, 3)).toBe(true);
    expect(tooFewToRecord(2, 3)).toBe(false);
  });
});
