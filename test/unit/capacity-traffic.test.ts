import { describe, expect, it } from 'vitest';
import { runLimit } from '../../src/capacity/limit.js';
import { runRamp } from '../../src/capacity/ramp.js';
import { resolveRampOptions } from '../../src/capacity/ramp-options.js';
import { limitCommand } from '../../src/cli/commands/limit-command.js';
import { rampCommand } from '../../src/cli/commands/ramp-command.js';
import type { CommandOutput } from '../../src/cli/output.js';
import type { TrafficOptions } from '../../src/scenario/traffic-options.js';
import { fakeWorld } from '../support/fake-session.js';
import { FAKE_SPEC, fakeDefinition } from '../support/fake-targets.js';

const traffic: TrafficOptions = { headers: [['X-Tenant', 'blue']], subprotocol: 'chat', payload: 'text', pingIntervalMs: 500 };
const server = () => ({ latencyMs: () => ({ p50: 1, p99: 2 }), capacityPerSec: 5000 });
const silent: CommandOutput = { stdout: () => {}, stderr: () => {}, interactive: false };

describe('ramp and limit take run\'s traffic options', () => {
  it('gives every ramp step the handshake, the text payload, the heartbeat and the pacer', async () => {
    const world = fakeWorld(server);
    const options = resolveRampOptions({ target: FAKE_SPEC, from: 10, step: 10, to: 20, holdMs: 1000, messageBytes: 64, pacer: 'timer', traffic });
    const { failure } = await runRamp(options, { definition: fakeDefinition(), deps: world.deps });
    expect(failure).toBeUndefined();
    expect(world.drivers).toHaveLength(1);
    expect(world.drivers[0]?.handshake).toMatchObject({ headers: [['X-Tenant', 'blue']], subprotocol: 'chat' });
    expect(world.phases).toHaveLength(2);
    for (const phase of world.phases) {
      expect(phase.pacer).toBe('timer');
      expect(phase.traffic).toMatchObject({ message: { payload: 'text' }, pingIntervalMs: 500 });
    }
  });

  it('gives every limit probe the same', async () => {
    const world = fakeWorld(server);
    await runLimit({ target: FAKE_SPEC, connections: 10, messageBytes: 64, holdMs: 1000, maxProbes: 2, settleMs: 0, pacer: 'timer', traffic }, { definition: fakeDefinition(), deps: world.deps });
    expect(world.drivers[0]?.handshake).toMatchObject({ headers: [['X-Tenant', 'blue']], subprotocol: 'chat' });
    expect(world.phases).toHaveLength(2);
    for (const phase of world.phases) expect(phase.traffic).toMatchObject({ message: { payload: 'text' }, pingIntervalMs: 500 });
  });

  it('refuses a broadcast or churn pattern before any target starts, naming the command that measures it', async () => {
    const world = fakeWorld(server);
    expect(() => resolveRampOptions({ target: FAKE_SPEC, from: 10, step: 10, traffic: { pattern: 'broadcast' } })).toThrow(/ramp step counts each connection's own echoes.*wsbench run --pattern broadcast/);
    await expect(runLimit({ target: FAKE_SPEC, connections: 10, messageBytes: 64, traffic: { pattern: 'churn', churnRatePerSec: 5 } }, { definition: fakeDefinition(), deps: world.deps })).rejects.toThrow(/limit probe counts each connection's own echoes/);
    expect(world.started).toHaveLength(0);
  });

  it('checks the traffic flags on the command line as run does, before any load', async () => {
    await expect(rampCommand(['--from', '10', '--step', '10', '--message', '{"id":{{seq}}}'], silent)).rejects.toMatchObject({ code: 'MESSAGE_WITHOUT_MATCH' });
    await expect(limitCommand(['--connections', '10', '--target', 'gobwas', '--server-pid', '1'], silent)).rejects.toMatchObject({ code: 'SERVER_PID_WITH_TARGET' });
    await expect(rampCommand(['--from', '10', '--step', '10', '--pattern', 'broadcast'], silent)).rejects.toThrow(/unknown option --pattern/);
  });
});
