import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LoadPhase } from '../../src/driver/load-phase.js';
import { SEND_AHEAD_MS } from '../../src/driver/load-phase-options.js';
import type { LoadCommand, SnapshotReport } from '../../src/driver/worker-protocol.js';
import { decodeHistogram } from '../../src/metrics/latency-histogram.js';
import { FakeConnection } from '../support/fake-connection.js';

function command(overrides: Partial<LoadCommand> = {}): LoadCommand {
  return {
    type: 'load',
    phaseId: 1,
    startEpochMs: performance.timeOrigin + performance.now() + 50,
    ratePerConnection: 20,
    messageBytes: 64,
    durationMs: 1000,
    warmupMs: 0,
    messageTimeoutMs: 300,
    scheduleOffset: 0,
    maxBufferedBytes: 1024 * 1024,
    pacer: 'precise',
    maxSettleMs: 10_000,
    ...overrides,
  };
}

/** Echoes after 1 ms, noting when each message left and how long its echo took from then. */
class TimedConnection extends FakeConnection {
  constructor(
    private readonly sentAt: number[],
    private readonly echoTook: number[],
  ) {
    super({ echoDelayMs: 1 });
  }

  override send(payload: Buffer): void {
    const atMs = performance.now();
    this.sentAt.push(atMs);
    setTimeout(() => this.echoTook.push(performance.now() - atMs), 1);
    super.send(payload);
  }
}

describe('LoadPhase', () => {
  it.each([['precise' as const], ['timer' as const]])('sends exactly the scheduled messages and records an RTT for every echo (%s pacer)', async (pacer) => {
    const connections = Array.from({ length: 10 }, () => new FakeConnection({ echoDelayMs: 2 }));
    const snapshots: SnapshotReport[] = [];
    const report = await new LoadPhase({ command: command({ pacer }), connections, onSnapshot: (snapshot) => snapshots.push(snapshot) }).run();
    // 10 connections × 20 msg/s × 1 s, each connection exactly its share.
    expect(report.sent).toBe(200);
    expect(connections.map((connection) => connection.sent)).toEqual(Array(10).fill(20));
    expect(report.received).toBe(200);
    expect(report.timedOut).toBe(0);
    const rtt = decodeHistogram(report.histogram);
    expect(rtt.totalCount).toBe(200);
    // An echo delayed by a 2 ms timer (libuv timers run on a whole-millisecond loop clock, so it may fire
    // after just over 1 ms) cannot come back sooner than that after its intended send time.
    expect(rtt.minNonZeroValue).toBeGreaterThanOrEqual(1000);
    expect(snapshots.reduce((sum, snapshot) => sum + snapshot.received, 0)).toBe(200);
  });

  it('measures RTT from the intended send time, so a late send shows up in latency and in send lag', async () => {
    const connections = [new FakeConnection({ echoDelayMs: 0 })];
    const phase = new LoadPhase({ command: command({ ratePerConnection: 100, durationMs: 500 }), connections, onSnapshot: () => {} });
    const running = phase.run();
    // Block the event loop for 100 ms after the phase starts: the sends due in that time go out late.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const blockedUntil = performance.now() + 100;
    while (performance.now() < blockedUntil);
    const report = await running;
    expect(report.sent).toBe(50);
    expect(decodeHistogram(report.histogram).maxValue).toBeGreaterThanOrEqual(90_000);
    expect(decodeHistogram(report.sendLagHistogram).maxValue).toBeGreaterThanOrEqual(90_000);
  });

  it.each([['precise' as const], ['timer' as const]])(
    'sends at most SEND_AHEAD_MS ahead of the intended time and times such a send from when it left (%s pacer)',
    async (pacer) => {
      // 10 connections × 200 msg/s: a send every 0.5 ms, so each wake-up has sends to make ahead.
      const cmd = command({ pacer, ratePerConnection: 200, durationMs: 400 });
      const startMs = cmd.startEpochMs - performance.timeOrigin;
      const sentAt: number[] = [];
      const echoTook: number[] = [];
      const connections = Array.from({ length: 10 }, () => new TimedConnection(sentAt, echoTook));
      const report = await new LoadPhase({ command: cmd, connections, onSnapshot: () => {} }).run();
      expect(report.sent).toBe(800);
      // Sends are made in intended order: the k-th one is intended at start + k × 0.5 ms.
      sentAt.sort((a, b) => a - b);
      sentAt.forEach((atMs, index) => expect(atMs).toBeGreaterThan(startMs + index * 0.5 - SEND_AHEAD_MS));
      // No RTT shorter than the fastest echo measured from its actual send: an RTT timed from an intended
      // time later than the send would be. (×0.99: the histogram keeps 3 significant digits.)
      expect(decodeHistogram(report.histogram).minNonZeroValue).toBeGreaterThanOrEqual(Math.floor(Math.min(...echoTook) * 1000 * 0.99));
    },
  );

  it('counts messages that are never echoed as timed out, not as lost silence', async () => {
    const connections = [new FakeConnection({ echoDelayMs: 0 }), new FakeConnection({ echoDelayMs: null })];
    const report = await new LoadPhase({ command: command({ ratePerConnection: 10, durationMs: 600, messageTimeoutMs: 200 }), connections, onSnapshot: () => {} }).run();
    expect(report.sent).toBe(12);
    expect(report.received).toBe(6);
    expect(report.timedOut).toBe(6);
  });

  it('counts an echo that arrives after its timeout as late, and keeps it out of the latency histogram', async () => {
    const connections = [new FakeConnection({ echoDelayMs: 250 })];
    const report = await new LoadPhase({ command: command({ ratePerConnection: 10, durationMs: 300, messageTimeoutMs: 100 }), connections, onSnapshot: () => {} }).run();
    expect(report.sent).toBe(3);
    expect(report.timedOut).toBe(3);
    expect(report.received).toBe(0);
    expect(decodeHistogram(report.histogram).totalCount).toBe(0);
  });

  it('reports a connection dropped mid-phase, and its in-flight and later messages as timed out', async () => {
    const steady = new FakeConnection({ echoDelayMs: 0 });
    const dropping = new FakeConnection({ echoDelayMs: null });
    setTimeout(() => dropping.drop('CLOSE_1006'), 300);
    const report = await new LoadPhase({ command: command({ ratePerConnection: 10, durationMs: 1000 }), connections: [steady, dropping], onSnapshot: () => {} }).run();
    expect(report.dropped).toBe(1);
    expect(report.dropsByCode).toEqual({ CLOSE_1006: 1 });
    expect(report.sent).toBe(20);
    expect(report.received).toBe(10);
    expect(report.timedOut).toBe(10);
  });

  it('credits throughput only with echoes that arrive inside the measured window, not with a backlog drained later', async () => {
    // Echoes take 500 ms: those of the last half second arrive after sending has stopped.
    const connections = Array.from({ length: 10 }, () => new FakeConnection({ echoDelayMs: 500 }));
    const report = await new LoadPhase({ command: command({ ratePerConnection: 20, durationMs: 1000, messageTimeoutMs: 2000 }), connections, onSnapshot: () => {} }).run();
    expect(report.received).toBe(200);
    expect(report.receivedInWindow).toBeGreaterThan(70);
    expect(report.receivedInWindow).toBeLessThan(130);
  });

  it('excludes the warm-up from the totals but not from the per-second snapshots', async () => {
    const connections = Array.from({ length: 4 }, () => new FakeConnection({ echoDelayMs: 0 }));
    const snapshots: SnapshotReport[] = [];
    const report = await new LoadPhase({
      // Exact counts: no settling wait, whatever a busy machine does to the lag.
      command: command({ ratePerConnection: 10, durationMs: 1500, warmupMs: 500, maxSettleMs: 0 }),
      connections,
      onSnapshot: (snapshot) => snapshots.push(snapshot),
    }).run();
    expect(report.sent).toBe(40);
    expect(report.received).toBe(40);
    expect(report.measuredMs).toBe(1000);
    expect(snapshots.reduce((sum, snapshot) => sum + snapshot.sent, 0)).toBe(60);
  });

  it('stops sending when interrupted and finishes after the echoes in flight', async () => {
    const connections = [new FakeConnection({ echoDelayMs: 0 })];
    const phase = new LoadPhase({ command: command({ ratePerConnection: 100, durationMs: 10_000 }), connections, onSnapshot: () => {} });
    const running = phase.run();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const interruptedAt = performance.now();
    phase.interrupt();
    const report = await running;
    expect(performance.now() - interruptedAt).toBeLessThan(1500);
    expect(report.sent).toBeGreaterThan(10);
    expect(report.sent).toBeLessThan(60);
    expect(report.received).toBe(report.sent);
  });

  it('starts measuring only once the send lag has settled after the warm-up, and says how long that took', async () => {
    const connections = [new FakeConnection({ echoDelayMs: 0 })];
    const snapshots: SnapshotReport[] = [];
    const phase = new LoadPhase({ command: command({ ratePerConnection: 100, durationMs: 2500, warmupMs: 200 }), connections, onSnapshot: (snapshot) => snapshots.push(snapshot) });
    const running = phase.run();
    // The phase starts 50 ms from now; block the loop across the end of its warm-up (150–300 ms into it).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const blockedUntil = performance.now() + 150;
    while (performance.now() < blockedUntil);
    const report = await running;
    // The blocked window and at least the two calm windows after it are excluded (a busy machine can only add to that)…
    expect(report.settleMs).toBeGreaterThanOrEqual(500);
    expect(report.measuredMs).toBe(2300 - report.settleMs);
    // …and exactly the sends intended from there on are measured: 100 msg/s from 200 ms + settleMs to 2.5 s.
    expect(report.sent).toBe((2300 - report.settleMs) / 10);
    // The per-second lag still shows what the block did.
    expect(decodeHistogram(snapshots[0]!.sendLagHistogram).maxValue).toBeGreaterThanOrEqual(100_000);
    expect(snapshots[0]!.measuring).toBe(false);
  });

  it('keeps what came after the warm-up, marked not settled, when the phase ends before the send lag settles', async () => {
    const connections = [new FakeConnection({ echoDelayMs: 0 })];
    const phase = new LoadPhase({ command: command({ ratePerConnection: 100, durationMs: 10_000, warmupMs: 100 }), connections, onSnapshot: () => {} });
    const running = phase.run();
    // The loop stalls 150 ms in every 200: the lag never settles.
    const staller = setInterval(() => {
      const until = performance.now() + 150;
      while (performance.now() < until);
    }, 50);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    clearInterval(staller);
    phase.interrupt();
    const report = await running;
    expect(report.settled).toBe(false);
    expect(report.settleMs).toBe(0);
    expect(report.sent).toBeGreaterThan(0);
    expect(report.received).toBeGreaterThan(0);
  });
});
