import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { runLimit } from '../../src/capacity/limit.js';
import { LIMIT_SCHEMA_VERSION } from '../../src/capacity/limit-result.js';
import { runRamp } from '../../src/capacity/ramp.js';
import { resolveRampOptions } from '../../src/capacity/ramp-options.js';
import { RAMP_SCHEMA_VERSION } from '../../src/capacity/ramp-result.js';
import type { FakeServer } from '../support/fake-session.js';
import { fakeWorld } from '../support/fake-session.js';
import { FAKE_SPEC, fakeDefinition } from '../support/fake-targets.js';

const ramp = (overrides: Partial<Parameters<typeof resolveRampOptions>[0]> = {}) =>
  resolveRampOptions({ target: FAKE_SPEC, from: 100, step: 100, to: 1000, holdMs: 2000, ratePerConnection: 1, ...overrides });

/** p99 grows with the connection count: 10 ms per 100 connections. */
const slowingServer = (): FakeServer => ({ latencyMs: (_offered, connections) => ({ p50: connections / 20, p99: connections / 10 }) });

describe('runRamp (decisions, on a modelled server)', () => {
  it('stops at the first step whose p99 is over the SLO and names latency as the limit', async () => {
    const world = fakeWorld(slowingServer);
    const { result, failure } = await runRamp(ramp({ criteria: { sloP99Ms: 45 } }), { definition: fakeDefinition(), deps: world.deps });
    expect(failure).toBeUndefined();
    expect(result).toMatchObject({ schemaVersion: RAMP_SCHEMA_VERSION, kind: 'ramp', status: 'completed' });
    expect(result.steps.map((step) => step.connections)).toEqual([100, 200, 300, 400, 500]);
    expect(result.steps.at(-1)?.stopCriteria).toContain('p99-over-slo');
    expect(result.verdict.maxConnections).toBe(400);
    expect(result.timeline).toHaveLength(5 * 2);
    expect(world.started).toHaveLength(1);
    expect(world.running()).toBe(0);
  });

  it('records a server killed at a step as its finding, with the OOM hint, not as a failure', async () => {
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }), diesAtConnections: 300 }));
    const { result, failure } = await runRamp(ramp(), { definition: fakeDefinition(), deps: world.deps });
    expect(failure).toBeUndefined();
    expect(result.serverDeath).toMatchObject({ step: 2, connections: 300, description: 'killed by SIGKILL (likely the OOM killer)' });
    expect(result.steps.at(-1)?.stopCriteria).toContain('server-died');
    expect(result.verdict.bottleneck).toBe('server-died');
    expect(result.verdict.maxConnections).toBe(200);
  });

  it('names refused connections as the first limit', async () => {
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }), maxConnections: 250 }));
    const { result } = await runRamp(ramp(), { definition: fakeDefinition(), deps: world.deps });
    expect(result.steps.at(-1)?.stopCriteria).toContain('connect-errors');
    expect(result.steps.at(-1)?.connectErrorsByCode).toEqual({ ECONNREFUSED: 50 });
  });

  it('ends interrupted on Ctrl-C between steps, keeping the steps measured', async () => {
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }) }));
    const controller = new AbortController();
    const { result, failure } = await runRamp(ramp(), {
      definition: fakeDefinition(),
      deps: world.deps,
      signal: controller.signal,
      onEvent: (event) => event.type === 'ramp-step-done' && event.step.index === 1 && controller.abort(),
    });
    expect(failure).toBeInstanceOf(InterruptedError);
    expect(result.status).toBe('interrupted');
    expect(result.steps).toHaveLength(2);
    expect(world.running()).toBe(0);
  });
});

describe('runLimit (decisions, on a modelled server)', () => {
  const limit = { target: FAKE_SPEC, connections: 100, messageBytes: 64, holdMs: 2000, settleMs: 0 };

  it('finds the highest rate a server with a fixed capacity sustains, and says the server is the limit', async () => {
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }), capacityPerSec: 5000 }));
    const { result, failure } = await runLimit(limit, { definition: fakeDefinition(), deps: world.deps });
    expect(failure).toBeUndefined();
    expect(result).toMatchObject({ schemaVersion: LIMIT_SCHEMA_VERSION, kind: 'limit', status: 'completed', limitedBy: 'server', established: 100 });
    // 100 connections × r ≤ 5000 / 0.95 achieved: the search brackets 50 per connection within its precision.
    expect(result.maxRatePerConnection).toBeGreaterThanOrEqual(45);
    expect(result.maxRatePerConnection).toBeLessThanOrEqual(52.6);
    expect(result.firstFailingRatePerConnection).toBeGreaterThan(result.maxRatePerConnection!);
    expect(result.probes.length).toBeLessThanOrEqual(8);
    expect(world.running()).toBe(0);
  });

  it('fails a probe on p99 over the SLO even when the throughput holds', async () => {
    const world = fakeWorld(() => ({ latencyMs: (offered) => ({ p50: 1, p99: offered / 100 }) }));
    const { result } = await runLimit({ ...limit, sloP99Ms: 20 }, { definition: fakeDefinition(), deps: world.deps });
    expect(result.maxRatePerConnection).toBeLessThanOrEqual(20);
    expect(result.probes.find((probe) => !probe.passed)?.reasons.join(' ')).toMatch(/p99-over-slo/);
  });

  it('stops the search when the server dies and says so', async () => {
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }), diesAtConnections: 1 }));
    const { result, failure } = await runLimit(limit, { definition: fakeDefinition(), deps: world.deps });
    expect(failure).toBeUndefined();
    expect(result.limitedBy).toBe('server-died');
    expect(result.probes).toHaveLength(1);
    expect(result.probes[0]?.reasons[0]).toMatch(/^server-died: .*likely the OOM killer/);
  });
});
