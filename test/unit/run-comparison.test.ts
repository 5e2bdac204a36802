import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import { COMPARE_SCHEMA_VERSION } from '../../src/compare/comparison-report.js';
import { runComparison } from '../../src/compare/run-comparison.js';
import type { TrialEvent } from '../../src/compare/run-comparison.js';
import { resolveRunOptions } from '../../src/scenario/run-options.js';
import { parseTargetSpec } from '../../src/targets/target-spec.js';
import type { FakeServer } from '../support/fake-session.js';
import { fakeWorld } from '../support/fake-session.js';
import { fakeDefinition, steadyServer } from '../support/fake-targets.js';

const scenario = resolveRunOptions({ scenarioName: 'ab', connections: 50, ratePerConnection: 10, durationMs: 3000, warmupMs: 1000 });
const arms = { a: { spec: parseTargetSpec('fake-a'), definition: fakeDefinition('fake-a') }, b: { spec: parseTargetSpec('fake-b'), definition: fakeDefinition('fake-b') } };

/** Arm A and arm B as two modelled servers. */
function twoServers(a: () => FakeServer, b: () => FakeServer) {
  return fakeWorld((definition) => (definition.name === 'fake-a' ? a() : b()));
}

describe('runComparison (decisions, on modelled servers)', () => {
  it('runs the arms interleaved A B B A …, each trial on a fresh server, and fails a 50% latency rise', async () => {
    const world = twoServers(steadyServer(1, 2, 0.02, 1), steadyServer(1.5, 3, 0.02, 2));
    const { report, failure } = await runComparison({ scenario, ...arms, pairs: 5, deps: world.deps });
    expect(failure).toBeUndefined();
    expect(report.schemaVersion).toBe(COMPARE_SCHEMA_VERSION);
    expect(world.started.map((entry) => entry.definition.slice(-1)).join('')).toBe('abbaabbaab');
    expect(report.comparison.verdict).toBe('FAIL');
    expect(report.comparison.metrics.find((metric) => metric.metric === 'p99')?.verdict).toBe('FAIL');
    expect(world.running()).toBe(0);
  });

  it('passes two arms that measure the same within the noise', async () => {
    const world = twoServers(steadyServer(1, 2, 0.01, 3), steadyServer(1, 2, 0.01, 4));
    const { report } = await runComparison({ scenario, ...arms, pairs: 5, deps: world.deps });
    expect(report.comparison.verdict).not.toBe('FAIL');
  });

  it('runs the pre-declared second stage when the first is inconclusive, continuing the schedule', async () => {
    const world = twoServers(steadyServer(1, 2, 0.4, 5), steadyServer(1.05, 2.1, 0.4, 6));
    const events: TrialEvent[] = [];
    const { report } = await runComparison({ scenario, ...arms, pairs: 3, deps: world.deps, onTrial: (event) => events.push(event) });
    const stage2 = events.filter((event) => event.type === 'trial-start' && event.stage === 2);
    // Up to twice stage 1's 3 pairs, as the budget allows.
    expect(stage2.map((event) => event.index)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(report.trials).toHaveLength(18);
    expect(report.comparison.stage.stage).toBe(2);
  });

  it('gives up on an arm that cannot start, naming the arm, after its first trial', async () => {
    const world = twoServers(steadyServer(1, 2, 0.01, 7), steadyServer(1, 2, 0.01, 8));
    const deps = {
      ...world.deps,
      startTarget: async (options: Parameters<typeof world.deps.startTarget>[0]) => {
        if (options.definition.name === 'fake-b') throw new InfrastructureError('TARGET_START_FAILED', 'fake-b does not start');
        return world.deps.startTarget(options);
      },
    };
    const { report, failure } = await runComparison({ scenario, ...arms, pairs: 5, deps });
    expect(failure?.message).toMatch(/^Arm B \(fake-b\) cannot be measured: fake-b does not start/);
    expect(failure?.exitCode).toBe(3);
    expect(report.trials.map((trial) => trial.arm)).toEqual(['a', 'b']);
    expect(world.running()).toBe(0);
  });
});
