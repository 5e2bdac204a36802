import { EMPTY_SERVER_COST } from '../metrics/server-cost.js';
import type { ServerCostBasis } from '../metrics/server-cost.js';
import type { RunResult, RunServer } from '../run/run-result.js';
import { shardName } from './shard-spec.js';

/**
 * The server of a merged result. Every shard watched the same server over the same window (the barrier),
 * so one shard's readings speak for it: its CPU and RSS samples, its CPU and Go-counter growth over the
 * window. What those readings are divided by is the merged work: every shard's echoes and connections.
 * Memory per connection spans the earliest shard's RSS before opening to the latest one's after (shards
 * open in parallel, so no single shard saw all connections open). `mergedFrom` says all of this.
 */
export function mergeServer(merged: readonly RunResult[], fallback: RunResult): RunServer {
  const sampled = merged.filter((result) => result.server.cpuPercent !== null);
  const speaker = sampled.find((result) => result.server.costBasis?.cpuNs != null) ?? sampled[0];
  if (speaker === undefined) return { ...fallback.server, ...EMPTY_SERVER_COST };
  const count = speaker.shard!.count;
  const name = shardName(speaker.shard!.index, count);
  const basis = speaker.server.costBasis ?? null;
  const messages = sumOf(merged, (result) => result.server.costBasis?.messages ?? result.messages.received);
  const connections = sumOf(merged, (result) => result.server.costBasis?.connections ?? result.connections.established);
  const notes: string[] = [`merged: ${name} sampled the server for all ${merged.length} merged shards; its readings are divided by their ${messages} echoes and ${connections} connections`];
  if (basis === null) notes.push(`${name} recorded no cost basis, so the per-message and per-connection figures cannot be recomputed over the merged work: null`);

  const rssBefore = minOf(merged.map((result) => result.server.costBasis?.rssBeforeOpenBytes ?? null));
  const rssAfter = maxOf(merged.map((result) => result.server.costBasis?.rssAfterOpenBytes ?? null));
  const perMessage = (value: number | null | undefined, scale = 1): number | null => (value == null || basis === null || messages <= 0 ? null : (value / messages) * scale);
  const cpuMicrosPerMessage = perMessage(basis?.cpuNs === null || basis?.cpuNs === undefined ? null : basis.cpuNs / 1000);
  const mergedBasis: ServerCostBasis | null =
    basis === null ? null : { ...basis, messages, connections, rssBeforeOpenBytes: rssBefore, rssAfterOpenBytes: rssAfter, notes: [...notes, ...basis.notes] };
  return {
    ...speaker.server,
    cpuMicrosPerMessage,
    capacityPerCoreMessagesPerSec: cpuMicrosPerMessage === null || cpuMicrosPerMessage <= 0 ? null : 1e6 / cpuMicrosPerMessage,
    memoryBytesPerConnection: basis === null || rssBefore === null || rssAfter === null || connections <= 0 ? null : (rssAfter - rssBefore) / connections,
    allocBytesPerMessage: perMessage(basis?.allocBytes),
    allocsPerMessage: perMessage(basis?.mallocs),
    gcPer10kMessages: perMessage(basis?.gcCycles, 10_000),
    costBasis: mergedBasis,
    mergedFrom: {
      shard: speaker.shard!.index,
      messages,
      connections,
      note: `CPU, RSS and Go counters as ${name} read them (every shard loads the same server); per message and per connection over all merged shards' work`,
    },
  };
}

function sumOf(results: readonly RunResult[], value: (result: RunResult) => number): number {
  return results.reduce((total, result) => total + value(result), 0);
}

function minOf(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : Math.min(...known);
}

function maxOf(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : Math.max(...known);
}
