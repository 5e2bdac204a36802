import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LimitResult } from '../../src/capacity/limit-result.js';
import { descendantsOf, startCli, readJson, survivors } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-limit-'));

describe('wsbench limit', () => {
  // 2000 µs of CPU per message: one core echoes at most 500 msg/s, this machine's two at most 1000.
  it('finds a max rate that brackets the server\'s known CPU capacity, within the probe budget', async () => {
    const json = path.join(outDir, 'limit.json');
    const cli = startCli(['limit', '--target', 'gobwas:inject-delay-us=2000', '--connections', '50', '--size', '1KB', '--max-probes', '7', '--hold', '3s', '--start-rate', '2', '--json', json]);
    const pending = new Promise<number[]>((resolve) => setTimeout(() => resolve(descendantsOf(cli.pid!)), 3000));
    const result = await cli;
    expect(result.exitCode, result.all).toBe(0);
    const written = readJson<LimitResult>(json);
    expect(written.kind).toBe('limit');
    expect(written.established).toBe(50);
    expect(written.probes.length).toBeLessThanOrEqual(7);
    expect(written.probes.some((probe) => probe.passed)).toBe(true);
    expect(written.probes.some((probe) => !probe.passed)).toBe(true);
    expect(written.maxBytesPerSec).toBeCloseTo(written.maxMessagesPerSec! * 1000, 0);
    // A shared runner's other work can starve the driver first, or driver and server together fill both cores:
    // then the limit must be named the machine's, and the bracket says nothing about the server's capacity.
    if (written.limitedBy === 'machine') {
      expect(written.summary).toMatch(/the limit is this machine, not the server( alone)?: ((other processes used|the hypervisor took) \d+% of a core|server CPU \d+% of one core .*together they used the machine's cores)/);
    } else {
      expect(written.limitedBy).toBe('server');
      expect(written.maxMessagesPerSec).toBeGreaterThan(250);
      expect(written.maxMessagesPerSec).toBeLessThan(1000);
      expect(written.firstFailingRatePerConnection! * 50).toBeLessThanOrEqual(2000);
    }
    expect(result.stdout).toMatch(/limit: 50 connections sustain [\d.]+k? msg\/s \([\d.]+ per connection, [\d.]+ KiB\/s\) at p99 ≤ 50\.0 ms/);
    expect(result.stdout).toMatch(/probe 1\/7: 2\/s per conn/);
    expect(await survivors(await pending)).toEqual([]);
  });
});
