import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LoadPhase } from '../../src/driver/load-phase.js';
import type { LoadCommand } from '../../src/driver/worker-protocol.js';
import { decodeHistogram } from '../../src/metrics/latency-histogram.js';
import { FakeConnection } from '../support/fake-connection.js';

function command(overrides: Partial<LoadCommand> = {}): LoadCommand {
  return {
    type: 'load',
    phaseId: 1,
    startEpochMs: performance.timeOrigin + performance.now() + 50,
    ratePerConnection: 20,
    messageBytes: 64,
    durationMs: 600,
    warmupMs: 0,
    // Far above any echo delay here, so a stall of a busy machine (GC, another process) cannot time a message out.
    messageTimeoutMs: 2000,
    scheduleOffset: 0,
    maxBufferedBytes: 1024 * 1024,
    pacer: 'timer',
    // Traffic shapes, not settling: measure from the end of the warm-up whatever the send lag does.
    maxSettleMs: 0,
    ...overrides,
  };
}

/** A JSON request/response server: answers {"id":N} with {"id":N,"result":…} of another size, in reverse pairs. */
function jsonServer(): FakeConnection {
  let held: Buffer | null = null;
  const connection: FakeConnection = new FakeConnection({
    respond: (payload) => {
      const { id } = JSON.parse(payload.toString()) as { id: number };
      const reply = Buffer.from(JSON.stringify({ id, result: 'r'.repeat(10) }));
      // Answer every second request before the one before it: replies out of order.
      if (held === null) {
        held = reply;
        return null;
      }
      const first = held;
      held = null;
      setTimeout(() => connection.push(first), 1);
      return reply;
    },
  });
  return connection;
}

describe('LoadPhase traffic shapes', () => {
  it('--payload text: sends text frames and pairs every echo', async () => {
    const connections = Array.from({ length: 4 }, () => new FakeConnection({ echoDelayMs: 1 }));
    const report = await new LoadPhase({ command: command({ message: { payload: 'text' } }), connections, onSnapshot: () => {} }).run();
    expect(report.sent).toBe(48);
    expect(report.received).toBe(48);
    expect(report.mismatched + report.unmatched + report.timedOut).toBe(0);
    expect(connections.every((connection) => connection.texts === 12)).toBe(true);
  });

  it('--message/--match: pairs replies of another size, out of order, and counts what matches nothing', async () => {
    const connections = [jsonServer(), jsonServer()];
    const phase = new LoadPhase({
      command: command({ message: { payload: 'text', template: '{"id":{{seq}},"op":"ping","pad":"{{pad}}"}', match: { kind: 'json', path: ['id'] } } }),
      connections,
      onSnapshot: () => {},
    });
    const running = phase.run();
    // A greeting and an unknown id: never mistaken for answers.
    setTimeout(() => {
      connections[0]!.push(Buffer.from('{"hello":true}'));
      connections[1]!.push(Buffer.from('{"id":999999}'));
    }, 100);
    const report = await running;
    expect(report.sent).toBe(24);
    expect(report.received).toBe(24);
    expect(report.timedOut).toBe(0);
    expect(report.unmatched).toBe(1);
    expect(report.late).toBe(1);
    expect(report.mismatched).toBe(0);
    expect(decodeHistogram(report.histogram).totalCount).toBe(24);
  });

  it('broadcast: publishers send, every other connection counts each delivery from the intended send time', async () => {
    const connections: FakeConnection[] = [];
    const hub = (from: FakeConnection) => (payload: Buffer) => {
      for (const other of connections) if (other !== from) setTimeout(() => other.push(payload), 2);
      return null;
    };
    for (let index = 0; index < 5; index++) {
      const connection: FakeConnection = new FakeConnection({ respond: (payload) => hub(connection)(payload) });
      connections.push(connection);
    }
    const report = await new LoadPhase({ command: command({ pattern: 'broadcast', publishers: 1, subscribeTemplate: 'sub {{conn}}' }), connections, onSnapshot: () => {} }).run();
    // One publisher × 20/s × 0.6 s = 12 publishes, 4 subscribers each.
    expect(report.sent).toBe(12);
    expect(report.received).toBe(48);
    expect(report.broadcast).toMatchObject({ publishers: 1, subscribers: 4 });
    expect(report.broadcast!.slowestSubscriber!.delivered).toBe(12);
    expect(decodeHistogram(report.histogram).minNonZeroValue).toBeGreaterThanOrEqual(1000);
    // Subscribers sent their subscribe message (text), the publisher did not.
    expect(connections.map((connection) => connection.texts)).toEqual([0, 1, 1, 1, 1]);
  });

  it('--ping-interval: every connection pings, pongs are timed, silence counts as missed', async () => {
    const connections = [new FakeConnection({ pongDelayMs: 1 }), new FakeConnection({ pongDelayMs: null })];
    const report = await new LoadPhase({ command: command({ pingIntervalMs: 100 }), connections, onSnapshot: () => {} }).run();
    const beat = report.heartbeat!;
    expect(connections[0]!.pings).toBeGreaterThanOrEqual(5);
    // The silent connection's last ping, younger than an interval at the end, is neither missed nor counted.
    expect(beat.missed).toBeGreaterThanOrEqual(connections[1]!.pings - 1);
    expect(beat.missed).toBeLessThanOrEqual(connections[1]!.pings);
    expect(beat.pings - beat.missed).toBeGreaterThanOrEqual(connections[0]!.pings - 1);
    expect(beat.pings - beat.missed).toBeLessThanOrEqual(connections[0]!.pings);
    expect(decodeHistogram(beat.histogram).totalCount).toBe(beat.pings - beat.missed);
  });
});

describe('LoadPhase churn', () => {
  it('--churn-rate: closes idle connections and reopens them while loaded, losing no message to its own closes', async () => {
    const connections = Array.from({ length: 10 }, () => new FakeConnection({ echoDelayMs: 1 }));
    const opened: FakeConnection[] = [];
    const redial = async (): Promise<FakeConnection> => {
      await new Promise((resolve) => setTimeout(resolve, 3));
      const connection = new FakeConnection({ echoDelayMs: 1 });
      opened.push(connection);
      return connection;
    };
    const report = await new LoadPhase({ command: command({ pattern: 'churn', churnRatePerSec: 20, durationMs: 1000 }), connections, onSnapshot: () => {}, redial }).run();
    // 20 reconnects a second for 1 s (the last tick may fall just short).
    expect(report.churn!.reconnects).toBeGreaterThanOrEqual(18);
    expect(report.churn!.reconnects).toBe(opened.length);
    expect(report.churn!.failed).toBe(0);
    expect(report.sent).toBe(200);
    expect(report.received).toBe(200);
    expect(report.timedOut + report.dropped).toBe(0);
    expect(Object.keys(report.dropsByCode)).toHaveLength(0);
    // Messages went out on the new connections too.
    expect(opened.reduce((sum, connection) => sum + connection.sent, 0)).toBeGreaterThan(0);
  });

  it('--storm: every connection reconnects at once; the recovery time covers the slowest reopen; a failed reopen is a drop', async () => {
    const connections = Array.from({ length: 6 }, () => new FakeConnection({ echoDelayMs: 1 }));
    let dials = 0;
    const redial = async (): Promise<FakeConnection> => {
      const attempt = dials++;
      await new Promise((resolve) => setTimeout(resolve, 20 + attempt * 5));
      if (attempt === 5) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      return new FakeConnection({ echoDelayMs: 1 });
    };
    const report = await new LoadPhase({ command: command({ pattern: 'churn', stormAtMs: 200, durationMs: 800 }), connections, onSnapshot: () => {}, redial }).run();
    const storm = report.churn!.storm!;
    expect(storm).toMatchObject({ connections: 6, reopened: 5, failed: 1, recoveredMs: null });
    expect(storm.atMs).toBeGreaterThanOrEqual(200);
    expect(report.churn!.failuresByCode).toEqual({ ECONNREFUSED: 1 });
    expect(report.dropsByCode).toEqual({ 'reconnect:ECONNREFUSED': 1 });
  });
});
