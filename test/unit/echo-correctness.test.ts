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
    messageBytes: 256,
    durationMs: 500,
    warmupMs: 0,
    messageTimeoutMs: 200,
    scheduleOffset: 0,
    maxBufferedBytes: 1024 * 1024,
    pacer: 'timer',
    maxSettleMs: 10_000,
    ...overrides,
  };
}

async function phaseWith(answer: (payload: Buffer) => Buffer[]) {
  const connections = Array.from({ length: 4 }, () => new FakeConnection({ echoDelayMs: 1, answer }));
  return new LoadPhase({ command: command(), connections, onSnapshot: () => {} }).run();
}

describe('echo correctness', () => {
  it('counts an echo truncated to its header as mismatched, not received, and not as a latency sample', async () => {
    const report = await phaseWith((payload) => [payload.subarray(0, 8)]);
    expect(report.sent).toBe(40);
    expect(report.mismatched).toBe(40);
    expect(report.received).toBe(0);
    // Answered (if wrongly), so not also timed out.
    expect(report.timedOut).toBe(0);
    expect(decodeHistogram(report.histogram).totalCount).toBe(0);
  });

  it('counts an echo with one byte changed as mismatched', async () => {
    const report = await phaseWith((payload) => {
      const copy = Buffer.from(payload);
      copy[200] = 0;
      return [copy];
    });
    expect(report.mismatched).toBe(40);
    expect(report.received).toBe(0);
  });

  it('counts an echo padded past what was sent as mismatched', async () => {
    const report = await phaseWith((payload) => [Buffer.concat([payload, Buffer.from('x')])]);
    expect(report.mismatched).toBe(40);
  });

  it('counts unsolicited messages as unmatched without disturbing the echoes they arrive between', async () => {
    const report = await phaseWith((payload) => [Buffer.from('{"type":"tick"}'), payload]);
    expect(report.received).toBe(40);
    expect(report.unmatched).toBe(40);
    expect(report.mismatched).toBe(0);
    expect(report.timedOut).toBe(0);
  });

  it('measures byte throughput from the bytes that came back, not from the size asked for', async () => {
    const intact = await phaseWith((payload) => [payload]);
    const truncated = await phaseWith((payload) => [payload.subarray(0, 8)]);
    expect(intact.receivedBytesInWindow).toBe(intact.receivedInWindow * 256);
    expect(truncated.receivedBytesInWindow).toBeGreaterThan(0);
    expect(truncated.receivedBytesInWindow).toBeLessThanOrEqual(40 * 8);
  });
});

describe('connections lost before the load', () => {
  it('still owe their scheduled messages, counted as timed out, and are reported as dropped once', async () => {
    const connections = [new FakeConnection({ echoDelayMs: 1 }), new FakeConnection({ echoDelayMs: 1 })];
    connections[1]!.drop('CLOSE_1002');
    const report = await new LoadPhase({ command: command(), connections, lostBeforeStart: 1, onSnapshot: () => {} }).run();
    expect(report.sent).toBe(20);
    expect(report.received).toBe(10);
    expect(report.timedOut).toBe(10);
    expect(report.dropped).toBe(1);
    expect(report.dropsByCode).toEqual({ CLOSED_BEFORE_LOAD: 1 });
  });
});
