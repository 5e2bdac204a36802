import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistogram, decodeHistogram, summarizeLatencyMs } from '../../src/metrics/latency-histogram.js';
import type { RunResult } from '../../src/run/run-result.js';
import { resolveTargetDefinition } from '../../src/targets/resolve-target.js';
import { startTarget } from '../../src/targets/target-process.js';
import type { RunningTarget } from '../../src/targets/target-process.js';
import { parseTargetSpec } from '../../src/targets/target-spec.js';
import { readJson, runCli } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-shards-'));
let target: RunningTarget;

beforeAll(async () => {
  const spec = parseTargetSpec('gobwas:model=epoll');
  target = await startTarget({ definition: resolveTargetDefinition(spec), knobs: spec.knobs });
});
afterAll(async () => {
  await target?.stop();
});

const SCENARIO = ['--connections', '301', '--rate', '5', '--size', '128', '--duration', '4s', '--warmup', '1s', '--quiet'];

describe('one scenario as two shards against one target, merged', () => {
  it('each shard opens its share from its own addresses, both start together at the rendezvous, and the merge sums them exactly', async () => {
    const port = 20_000 + (process.pid % 20_000);
    const shard = (index: number) =>
      runCli(['run', '--url', target.url, ...SCENARIO, '--shard', `${index}/2`, '--rendezvous', `127.0.0.1:${port}`, '--barrier-timeout', '60s', '--json', path.join(outDir, `shard-${index}.json`)]);
    const runs = await Promise.all([shard(0), shard(1)]);
    const shards = [0, 1].map((index) => readJson<RunResult>(path.join(outDir, `shard-${index}.json`)));
    // A busy shared machine may saturate a generator (exit 3, named); the merge must carry that, not hide it.
    const saturated = shards.some((result) => result.status === 'saturated');
    for (const [index, run] of runs.entries()) {
      expect(shards[index]!.status).toMatch(/^(completed|saturated)$/);
      expect(run.exitCode).toBe(shards[index]!.status === 'saturated' ? 3 : 0);
      if (run.exitCode === 0) expect(run.stderr).toBe('');
    }
    expect(shards.map((result) => result.shard)).toEqual([
      { index: 0, count: 2, totalConnections: 301, barrier: 'rendezvous', clockOffsetMs: 0 },
      { index: 1, count: 2, totalConnections: 301, barrier: 'rendezvous', clockOffsetMs: expect.any(Number) },
    ]);
    expect(shards.map((result) => result.connections.established)).toEqual([151, 150]);
    // Disjoint source addresses: two processes on one machine never compete for one address's ports.
    expect(shards[0]!.generator.sourceAddresses.filter((address) => shards[1]!.generator.sourceAddresses.includes(address))).toEqual([]);
    // The barrier started both loads on one beat (the same wall-clock start, give or take the clock estimate).
    expect(Math.abs(shards[0]!.loadStartedAtEpochMs! - (shards[1]!.loadStartedAtEpochMs! - shards[1]!.shard!.clockOffsetMs!))).toBeLessThan(50);

    const mergedFile = path.join(outDir, 'merged.json');
    const merge = await runCli(['merge', ...[0, 1].map((index) => path.join(outDir, `shard-${index}.json`)), '--json', mergedFile, '--md', path.join(outDir, 'merged.md')]);
    expect(merge.exitCode).toBe(saturated ? 3 : 0);
    expect(merge.stderr).toMatch(saturated ? /saturated/ : /^$/);
    expect(merge.stdout).toMatch(/shards {6}2 of 2 merged/);
    const merged = readJson<RunResult>(mergedFile);
    expect(merged.partial).toBe(false);
    expect(merged.status).toBe(saturated ? 'saturated' : 'completed');
    expect(merged.scenario.connections).toBe(301);
    expect(merged.connections.established).toBe(301);
    for (const key of ['sent', 'received', 'timedOut'] as const) expect(merged.messages[key]).toBe(shards[0]!.messages[key] + shards[1]!.messages[key]);
    expect(merged.messages.received).toBeGreaterThan(0);
    // The merged percentiles are the merged histogram's, which holds exactly the shards' samples.
    const union = createHistogram();
    for (const result of shards) union.add(decodeHistogram(result.histogram!));
    const mergedHistogram = decodeHistogram(merged.histogram!);
    expect(mergedHistogram.totalCount).toBe(shards[0]!.messages.received + shards[1]!.messages.received);
    expect(mergedHistogram.totalCount).toBe(union.totalCount);
    expect(merged.latencyMs).toEqual(summarizeLatencyMs(union));
    expect(merged.latencyMs).toEqual(summarizeLatencyMs(mergedHistogram));
    // Seconds line up: as many merged seconds as each shard has, each the sum of the two.
    expect(merged.timeline.length).toBe(Math.max(shards[0]!.timeline.length, shards[1]!.timeline.length));
    expect(merged.timeline.reduce((sum, point) => sum + point.sent, 0)).toBe(shards.reduce((sum, result) => sum + result.timeline.reduce((s, point) => s + point.sent, 0), 0));

    const report = await runCli(['report', mergedFile]);
    expect(report.exitCode).toBe(0);
  });

  it('a shard that never reaches the barrier is named by shard 0; the merge of what exists is partial and names the missing shard', async () => {
    const port = 20_000 + ((process.pid + 7) % 20_000);
    const only = await runCli(['run', '--url', target.url, ...SCENARIO, '--shard', '0/2', '--rendezvous', `127.0.0.1:${port}`, '--barrier-timeout', '3s', '--json', path.join(outDir, 'alone-0.json')]);
    expect(only.exitCode).toBe(3);
    expect(only.stderr).toMatch(/shard 1\/2 never reached the start barrier \(all connections open\) within 3 s/);
    const alone = readJson<RunResult>(path.join(outDir, 'alone-0.json'));
    expect(alone.status).toBe('errored');
    expect(alone.error?.code).toBe('BARRIER_TIMEOUT');

    const late = await runCli(['run', '--url', target.url, ...SCENARIO, '--shard', '1/2', '--start-at', String(Date.now() - 1000), '--json', path.join(outDir, 'late-1.json')]);
    expect(late.exitCode).toBe(3);
    expect(late.stderr).toMatch(/shard 1\/2 reached the start barrier \d+ ms after --start-at/);

    const merge = await runCli(['merge', path.join(outDir, 'alone-0.json'), path.join(outDir, 'late-1.json'), '--json', path.join(outDir, 'partial.json')]);
    expect(merge.exitCode).toBe(3);
    expect(merge.stderr).toMatch(/The merged result is partial: shard 0\/2, shard 1\/2 are not in it/);
    expect(merge.stdout).toMatch(/✗ shard 0\/2 errored/);
    expect(merge.stdout).toMatch(/SHARD_LATE/);
    const partial = readJson<RunResult>(path.join(outDir, 'partial.json'));
    expect(partial.partial).toBe(true);
  });
});
