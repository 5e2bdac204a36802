import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerCostBasis } from '../../../src/metrics/server-cost.js';
import { renderMarkdownReport } from '../../../src/report/markdown-report.js';
import type { RunResult } from '../../../src/run/run-result.js';
import { mergeShardResults } from '../../../src/shard/merge-results.js';

const TEMPLATE = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'run-result.json'), 'utf8')) as RunResult;

const basis = (messages: number, connections: number, extra: Partial<ServerCostBasis> = {}): ServerCostBasis => ({
  windowMs: 3000,
  messages,
  connections,
  cpuReadMs: 3000,
  cpuNs: 600_000_000,
  cpuSource: 'schedstat',
  threads: 8,
  exitedThreads: 0,
  exitedProcesses: 0,
  rssBeforeOpenBytes: 10_000_000,
  rssAfterOpenBytes: 20_000_000,
  allocBytes: 30_000_000,
  mallocs: 300_000,
  gcCycles: 6,
  notes: [],
  ...extra,
});

/** Shard `index` of `count` whose server readings are `costBasis` (every shard watched one server). */
function shard(index: number, count: number, messages: number, connections: number, costBasis: ServerCostBasis | null): RunResult {
  const perMessage = (value: number | null) => (value === null ? null : value / messages);
  return {
    ...TEMPLATE,
    status: 'completed',
    scenario: { ...TEMPLATE.scenario, name: 'merge-server', connections },
    connections: { ...TEMPLATE.connections, attempted: connections, established: connections, failed: 0, dropped: 0, errorsByCode: {} },
    messages: { ...TEMPLATE.messages, sent: messages, received: messages, timedOut: 0 },
    server: {
      ...TEMPLATE.server,
      cpuPercent: costBasis === null ? null : 20,
      // What the shard alone would claim: the whole server's readings over its own share of the work.
      cpuMicrosPerMessage: costBasis === null ? null : perMessage(costBasis.cpuNs! / 1000),
      capacityPerCoreMessagesPerSec: null,
      memoryBytesPerConnection: costBasis === null ? null : (costBasis.rssAfterOpenBytes! - costBasis.rssBeforeOpenBytes!) / connections,
      allocBytesPerMessage: costBasis === null ? null : perMessage(costBasis.allocBytes),
      allocsPerMessage: costBasis === null ? null : perMessage(costBasis.mallocs),
      gcPer10kMessages: costBasis === null ? null : perMessage(costBasis.gcCycles)! * 10_000,
      costBasis,
    },
    shard: { index, count, totalConnections: 400, barrier: 'rendezvous', clockOffsetMs: 0 },
  };
}

describe('the server of a merged result', () => {
  it('divides the server-wide readings by every shard\'s echoes and connections, not the first shard\'s', () => {
    // Two shards of one server: 6,000 + 4,000 echoes, 100 + 300 connections; the server spent 600 ms of CPU.
    const a = shard(0, 2, 6000, 100, basis(6000, 100));
    const b = shard(1, 2, 4000, 300, basis(4000, 300, { rssBeforeOpenBytes: 12_000_000, rssAfterOpenBytes: 26_000_000 }));
    const merged = mergeShardResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }]);
    const server = merged.server;
    expect(a.server.cpuMicrosPerMessage).toBe(100);
    expect(server.cpuMicrosPerMessage).toBe(60);
    expect(server.capacityPerCoreMessagesPerSec).toBeCloseTo(1e6 / 60, 6);
    expect(server.allocBytesPerMessage).toBe(3000);
    expect(server.allocsPerMessage).toBe(30);
    expect(server.gcPer10kMessages).toBeCloseTo(6, 9);
    // Shards open in parallel: from the earliest RSS before opening to the latest after, over all connections.
    expect(server.memoryBytesPerConnection).toBe((26_000_000 - 10_000_000) / 400);
    expect(server.costBasis).toMatchObject({ messages: 10_000, connections: 400, rssBeforeOpenBytes: 10_000_000, rssAfterOpenBytes: 26_000_000, cpuNs: 600_000_000 });
    expect(server.mergedFrom).toMatchObject({ shard: 0, messages: 10_000, connections: 400 });
    expect(server.costBasis!.notes[0]).toMatch(/shard 0\/2 sampled the server for all 2 merged shards; its readings are divided by their 10000 echoes and 400 connections/);
    // The samples (CPU %, RSS over time) are the reading shard's own: the same server seen once.
    expect(server.samples).toEqual(a.server.samples);
    expect(renderMarkdownReport(merged)).toMatch(/read by shard 0; costs over all shards' 10000 echoes and 400 connections/);
  });

  it('speaks from a shard that sampled the server when the first did not, and says so', () => {
    const blind = shard(0, 2, 5000, 200, null);
    const seeing = shard(1, 2, 5000, 200, basis(5000, 200));
    const merged = mergeShardResults([{ file: 'a.json', result: blind }, { file: 'b.json', result: seeing }]);
    expect(merged.server.mergedFrom?.shard).toBe(1);
    expect(merged.server.cpuMicrosPerMessage).toBe(60);
    expect(merged.server.cpuPercent).toBe(20);
  });

  it('has no per-message figures when no shard could sample the server (a --url target)', () => {
    const merged = mergeShardResults([0, 1].map((index) => ({ file: `${index}.json`, result: shard(index, 2, 5000, 200, null) })));
    expect(merged.server).toMatchObject({ cpuPercent: null, cpuMicrosPerMessage: null, allocBytesPerMessage: null, memoryBytesPerConnection: null });
    expect(merged.server.mergedFrom).toBeUndefined();
  });
});
