import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/run/run-result.js';
import { expectCompletedOrBusy } from '../support/busy-machine.js';
import { isAlive, readJson, runCli } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-e2e-'));

describe('wsbench run against the echo fixtures', () => {
  it.each([['gobwas:model=goroutine'], ['gobwas:model=epoll'], ['gobwas:model=epoll,write=batch,read-buffer=0'], ['node']])(
    '%s: 200 connections × 10 msg/s × 256 B are all echoed, none time out, latency is recorded, the server is stopped',
    async (target) => {
      const json = path.join(outDir, `${target.replace(/[^a-z0-9]+/gi, '_')}.json`);
      const cli = await runCli(['run', '--target', target, '--connections', '200', '--rate', '10', '--size', '256', '--duration', '5s', '--warmup', '2s', '--json', json, '--quiet']);
      const result = readJson<RunResult>(json);
      expectCompletedOrBusy(cli.exitCode, result, cli.stderr);
      expect(result.schemaVersion).toBe(1);
      expect(Object.keys(result)[0]).toBe('schemaVersion');
      expect(result.connections).toMatchObject({ attempted: 200, established: 200, failed: 0, dropped: 0 });
      // 200 connections × 10 msg/s over the 3 s after warm-up, less the time the generator took to settle
      // (0 on a quiet machine; a busy one can hold the measurement back by a few 250 ms windows).
      // The settling period is reported and bounded (at most half of the time after the warm-up), and
      // every second before the measured window began is flagged, not counted.
      expect(typeof result.generator.settled).toBe('boolean');
      expect(result.generator.settleMs).toBeGreaterThanOrEqual(0);
      expect(result.generator.settleMs).toBeLessThanOrEqual(1500);
      const measuredMs = 3000 - (result.generator.settleMs ?? 0);
      const measureFromSecond = Math.ceil((2000 + result.generator.settleMs!) / 1000);
      for (const point of result.timeline) if (point.second < measureFromSecond) expect(point.warmup).toBe(true);
      expect(result.messages).toMatchObject({ sent: (200 * 10 * measuredMs) / 1000, received: (200 * 10 * measuredMs) / 1000, timedOut: 0 });
      expect(result.throughput.offeredPerSec).toBe(2000);
      // Every echo came back, but which side of the window's edge the last ones land on moves with CPU noise.
      expect(result.throughput.achievedPerSec).toBeGreaterThan(2000 * 0.95);
      expect(result.throughput.achievedPerSec).toBeLessThan(2000 * 1.05);
      expect(result.latencyMs!.p50).toBeGreaterThan(0);
      expect(result.latencyMs!.p99).toBeGreaterThanOrEqual(result.latencyMs!.p50);
      expect(typeof result.histogram).toBe('string');
      expect(result.server.cpuPercent).toBeGreaterThan(0);
      expect(result.server.peakRssBytes).toBeGreaterThan(1024 * 1024);
      expect(result.timeline.length).toBeGreaterThanOrEqual(4);
      expect(result.target.pid).toBeGreaterThan(0);
      expect(isAlive(result.target.pid!)).toBe(false);
      expect(cli.stdout).toMatch(/status: (completed|saturated)/);
    },
  );

  it('scrapes the gobwas fixture\'s /metrics: goroutines follow the connections', async () => {
    const json = path.join(outDir, 'metrics.json');
    const cli = await runCli(['run', '--target', 'gobwas', '--connections', '300', '--rate', '2', '--duration', '3s', '--warmup', '1s', '--json', json, '--quiet']);
    const result = readJson<RunResult>(json);
    expectCompletedOrBusy(cli.exitCode, result, cli.stderr);
    const goroutines = result.server.samples.map((sample) => sample.goroutines ?? 0);
    // One goroutine per connection in the goroutine model.
    expect(Math.max(...goroutines)).toBeGreaterThanOrEqual(300);
    expect(result.server.samples.at(-1)!.openFds).toBeGreaterThanOrEqual(300);
  });
});
