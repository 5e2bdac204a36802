import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/run/run-result.js';
import { readJson, runCli } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-e2e-cost-'));

async function run(target: string, extra: string[] = []): Promise<RunResult> {
  const json = path.join(outDir, `${target.replace(/[^a-z0-9]+/gi, '_')}.json`);
  const cli = await runCli(['run', '--target', target, '--connections', '200', '--rate', '10', '--size', '256', '--duration', '4s', '--warmup', '1s', '--json', json, '--quiet', ...extra]);
  const result = readJson<RunResult>(json);
  // On a busy shared machine the driver may fall behind (exit 3, saturated): its latencies are then not
  // the server's, but what the server spent per echo it did is measured all the same.
  expect([0, 3], cli.stderr).toContain(cli.exitCode);
  expect(['completed', 'saturated']).toContain(result.status);
  return result;
}

describe('server cost per message and per connection', () => {
  it('gobwas: CPU, capacity per core, memory per connection, allocations and GCs over the measured window', async () => {
    const result = await run('gobwas');
    const { server } = result;

    // Every figure measured, from the window's own readings.
    expect(server.costBasis).toMatchObject({ windowMs: 3000, connections: 200, cpuSource: 'schedstat', exitedProcesses: 0, notes: [] });
    // The echoes inside the 3 s window: 200 × 10/s × 3 s, give or take the edges.
    expect(server.costBasis!.messages).toBeGreaterThan(5800);
    expect(server.costBasis!.messages).toBeLessThanOrEqual(6200);
    expect(server.cpuMicrosPerMessage).toBeGreaterThan(0);
    expect(server.capacityPerCoreMessagesPerSec).toBeCloseTo(1e6 / server.cpuMicrosPerMessage!, 6);
    // A goroutine per connection with its stack and buffers: kilobytes, not bytes or megabytes.
    expect(server.memoryBytesPerConnection).toBeGreaterThan(1024);
    expect(server.memoryBytesPerConnection).toBeLessThan(1024 * 1024);
    expect(server.allocsPerMessage).not.toBeNull();
    expect(server.allocBytesPerMessage).not.toBeNull();
    expect(server.gcPer10kMessages).toBeGreaterThanOrEqual(0);
    // The older figures are still there.
    expect(server.cpuPercent).toBeGreaterThan(0);
    expect(server.samples.length).toBeGreaterThan(0);
  });

  it('gobwas: 300 µs of injected CPU per message shows as ≥ 250 µs more CPU per message', async () => {
    // The fixture spins on its thread's CPU clock, so a busy machine cannot shrink the injected cost.
    const base = await run('gobwas');
    const slow = await run('gobwas:inject-delay-us=300');

    expect(slow.server.cpuMicrosPerMessage! - base.server.cpuMicrosPerMessage!).toBeGreaterThan(250);
  });

  it('gobwas: 4 KiB of injected garbage per message shows in the allocated bytes per message', async () => {
    const base = await run('gobwas');
    const allocating = await run('gobwas:inject-alloc-bytes=4096');

    expect(allocating.server.allocBytesPerMessage! - base.server.allocBytesPerMessage!).toBeGreaterThan(3500);
    expect(allocating.server.allocBytesPerMessage! - base.server.allocBytesPerMessage!).toBeLessThan(6000);
    expect(allocating.server.gcPer10kMessages).toBeGreaterThan(0);
  });

  it('node: CPU and memory per connection, and no Go allocation figures, with the reason', async () => {
    const { server } = await run('node');

    expect(server.cpuMicrosPerMessage).toBeGreaterThan(0);
    expect(server.memoryBytesPerConnection).not.toBeNull();
    expect(server.allocBytesPerMessage).toBeNull();
    expect(server.allocsPerMessage).toBeNull();
    expect(server.costBasis!.notes.join(' ')).toMatch(/go_memstats_alloc_bytes_total/);
  });

  it('gobwas with two processes: CPU of both, no allocation figures from one process\'s /metrics', async () => {
    const { server } = await run('gobwas:procs=2');

    expect(server.cpuMicrosPerMessage).toBeGreaterThan(0);
    expect(server.allocBytesPerMessage).toBeNull();
    expect(server.costBasis!.notes.join(' ')).toMatch(/one of the server's processes/);
  });
});
