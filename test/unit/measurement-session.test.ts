import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { MeasurementSession } from '../../src/run/measurement-session.js';
import type { RunEvent } from '../../src/run/run-events.js';
import { runScenario } from '../../src/run/run-scenario.js';
import { RESULT_SCHEMA_VERSION } from '../../src/run/run-result.js';
import { TargetDiedError } from '../../src/run/target-died-error.js';
import { resolveRunOptions } from '../../src/scenario/run-options.js';
import { fakeWorld } from '../support/fake-session.js';
import { FAKE_SPEC, fakeDefinition } from '../support/fake-targets.js';

const steady = () => ({ latencyMs: () => ({ p50: 1, p99: 3 }) });
const load = resolveRunOptions({ target: FAKE_SPEC, scenarioName: 'fake-run', connections: 100, ratePerConnection: 10, durationMs: 3000, warmupMs: 1000 });

describe('MeasurementSession', () => {
  it('plans before starting anything: an impossible load is a usage error with no process started', () => {
    const world = fakeWorld(steady);
    expect(() => new MeasurementSession({ target: FAKE_SPEC, url: undefined, workers: 1, maxConnections: 10_000_000, definition: fakeDefinition(), emit: () => {}, deps: world.deps })).toThrow(/cannot run 10000000 connections/);
    expect(world.started).toHaveLength(0);
  });

  it('stitches every second of every phase into one timeline and stops the target and the driver once', async () => {
    const world = fakeWorld(steady);
    const events: RunEvent[] = [];
    const session = new MeasurementSession({ target: FAKE_SPEC, url: undefined, workers: 1, maxConnections: 200, definition: fakeDefinition(), emit: (event) => events.push(event), deps: world.deps });
    await session.start();
    await session.openConnections(100);
    await session.runPhase({ label: 'first', ratePerConnection: 1, messageBytes: 64, durationMs: 2000, warmupMs: 0 });
    await session.openConnections(100);
    const second = await session.runPhase({ label: 'second', ratePerConnection: 1, messageBytes: 64, durationMs: 3000, warmupMs: 0 });
    expect(second.phase?.connections).toBe(200);
    expect(session.timeline.map((point) => point.connections)).toEqual([100, 100, 200, 200, 200]);
    expect(session.timeline.every((point) => point.server !== undefined)).toBe(true);
    await Promise.all([session.close(), session.close()]);
    expect(world.running()).toBe(0);
    expect(world.openDrivers()).toBe(0);
    expect(events.filter((event) => event.type === 'stage' && event.stage === 'stopping')).toHaveLength(1);
  });

  it('reports a target SIGKILLed mid-phase as died, with the OOM hint, and keeps what was measured', async () => {
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }), diesAtConnections: 50 }));
    const session = new MeasurementSession({ target: FAKE_SPEC, url: undefined, workers: 1, maxConnections: 100, definition: fakeDefinition(), emit: () => {}, deps: world.deps });
    await session.start();
    await session.openConnections(100);
    const measured = await session.runPhase({ label: 'phase', ratePerConnection: 1, messageBytes: 64, durationMs: 2000, warmupMs: 0 });
    expect(measured.stoppedBy).toBeInstanceOf(TargetDiedError);
    expect(measured.stoppedBy?.message).toMatch(/exited during the run \(killed by SIGKILL \(likely the OOM killer\)\)/);
    expect(measured.phase).toBeDefined();
    await session.close();
  });
});

describe('runScenario on the session', () => {
  it('writes a completed run result with the header built once', async () => {
    const world = fakeWorld(steady);
    const { result, failure } = await runScenario(load, { definition: fakeDefinition(), deps: world.deps });
    expect(failure).toBeUndefined();
    expect(result).toMatchObject({ schemaVersion: RESULT_SCHEMA_VERSION, kind: 'run', status: 'completed', target: { spec: 'fake', pid: world.started[0]!.target.pid } });
    expect(Object.keys(result)[0]).toBe('schemaVersion');
    expect(result.latencyMs?.p99).toBeCloseTo(3, 1);
    expect(result.connections.established).toBe(100);
    expect(result.timeline).toHaveLength(3);
    // The session's cost meter: the model's 5% of a core per 1k msg/s is 50 µs per message, 10 KiB per connection.
    expect(result.server).toMatchObject({ cpuMicrosPerMessage: 50, memoryBytesPerConnection: 10 * 1024 });
    expect(world.running()).toBe(0);
  });

  it('fails a run whose target crashed with exit 3, keeping the result and the crash in it', async () => {
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }), diesAtConnections: 1 }));
    const { result, failure } = await runScenario(load, { definition: fakeDefinition(), deps: world.deps });
    expect(failure?.exitCode).toBe(3);
    expect(result.status).toBe('errored');
    expect(result.error?.code).toBe('TARGET_CRASHED');
    expect(result.error?.message).toContain('likely the OOM killer');
  });

  it('fails with exit 3 when no connection opens, and still reports what every attempt met', async () => {
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }), maxConnections: 0 }));
    const { result, failure } = await runScenario(load, { definition: fakeDefinition(), deps: world.deps });
    expect(failure?.code).toBe('NO_CONNECTIONS');
    expect(failure?.exitCode).toBe(3);
    expect(result.connections).toMatchObject({ attempted: 100, established: 0, failed: 100, handshakeFailuresByCode: { ECONNREFUSED: 100 } });
  });

  it('is interrupted, not errored, when the signal aborts, and still stops the target', async () => {
    const world = fakeWorld(steady);
    const controller = new AbortController();
    const { result, failure } = await runScenario(load, {
      definition: fakeDefinition(),
      deps: world.deps,
      signal: controller.signal,
      onEvent: (event) => event.type === 'opened' && controller.abort(),
    });
    expect(failure).toBeInstanceOf(InterruptedError);
    expect(result.status).toBe('interrupted');
    expect(world.running()).toBe(0);
  });
});
