import { ConfigError } from '../errors.js';
import { encodeHistogram, mergeEncodedHistograms, summarizeLatencyMs } from '../metrics/latency-histogram.js';
import type { RunResult, RunStatus, ShardEntry } from '../run/run-result.js';
import { CLOCK_OFFSET_WARN_MS, clockWarning } from './clock-offset.js';
import { DEFAULT_ERROR_BUDGET, judgeErrorBudget } from '../run/error-budget.js';
import { correctedStartEpochMs, mergeTimelines } from './merge-timeline.js';
import { mergeServer } from './merge-server.js';
import { shardName } from './shard-spec.js';

/** One file given to `wsbench merge`: its parsed result, or why it could not be read. */
export type ShardInput = { file: string; result: RunResult } | { file: string; unreadable: string };

/** Shards whose loads started further apart than this did not measure one window: named, still merged. */
export const MAX_START_SPREAD_MS = 1_000;

/**
 * Only these states carry a whole measured window; an errored or interrupted shard is named and left out.
 * A `failed` shard (over its error budget) measured to the end: its losses belong in the merged budget.
 */
const MERGEABLE: readonly RunStatus[] = ['completed', 'failed', 'saturated'];

/**
 * Merges the shards of one scenario into one result that reads like a single run: histograms added
 * (exact: every shard records into the same HDR layout, so the merged percentiles are those of the union
 * of all samples), counters summed, timelines aligned by wall-clock second. Any shard saturated marks the
 * result saturated; a shard missing, unreadable or failed makes it `partial` and is named in `shards[]`.
 * Shards of different scenarios are a ConfigError listing every difference.
 */
export function mergeShardResults(inputs: readonly ShardInput[]): RunResult {
  const readable = inputs.flatMap((input) => ('result' in input ? [input] : []));
  if (readable.length === 0) {
    throw new ConfigError('NO_SHARD_RESULTS', 'None of the shard files could be read, so there is nothing to merge', inputs.map((input) => `${input.file}: ${'unreadable' in input ? input.unreadable : ''}`));
  }
  const count = checkSameScenario(readable);
  const byIndex = new Map(readable.map((input) => [input.result.shard!.index, input]));
  const merged = readable.filter((input) => MERGEABLE.includes(input.result.status)).map((input) => input.result);
  const starts = merged.map(correctedStartEpochMs).filter((start): start is number => start !== null);
  const earliest = starts.length === 0 ? null : Math.min(...starts);

  const shards: ShardEntry[] = Array.from({ length: count }, (_, index) => {
    const input = byIndex.get(index);
    if (input === undefined) {
      const unreadable = inputs.filter((item) => 'unreadable' in item).map((item) => item.file);
      return {
        index,
        file: '',
        status: 'missing',
        merged: false,
        connections: 0,
        established: 0,
        loadStartedAtEpochMs: null,
        problem: `${shardName(index, count)}: no result file${unreadable.length > 0 ? ` (unreadable: ${unreadable.join(', ')})` : ''}; killed, or never finished?`,
      };
    }
    return describeShard(input.file, input.result, earliest);
  });

  const first = merged[0] ?? readable[0]!.result;
  const { originEpochMs, timeline } = mergeTimelines(merged);
  const histogram = mergeEncodedHistograms(merged.flatMap((result) => (result.histogram === null ? [] : [result.histogram])));
  const saturationReasons = merged.flatMap((result) => result.generator.saturationReasons.map((reason) => `${shardName(result.shard!.index, count)}: ${reason}`));
  // The budget is judged again on the sums: shards within it may add up to a run that is not.
  const errorBudget = judgeErrorBudget(first.errorBudget?.limit ?? DEFAULT_ERROR_BUDGET, {
    sent: sumOf(merged, (result) => result.messages.sent),
    timedOut: sumOf(merged, (result) => result.messages.timedOut),
    mismatched: sumOf(merged, (result) => result.messages.mismatched ?? 0),
    connectionsAttempted: sumOf(merged, (result) => result.connections.attempted),
    connectionsFailed: sumOf(merged, (result) => result.connections.failed),
    connectionsDropped: sumOf(merged, (result) => result.connections.dropped),
  });
  const saturated = saturationReasons.length > 0 || merged.some((result) => result.generator.saturated);
  const status: RunStatus = merged.length === 0 ? 'errored' : !errorBudget.held ? 'failed' : saturated ? 'saturated' : 'completed';
  const established = sumOf(merged, (result) => result.connections.established);
  const received = sumOf(merged, (result) => result.messages.received);
  const partial = shards.some((shard) => !shard.merged);
  const { shard: _shard, ...header } = first;
  const result: RunResult = {
    ...header,
    status,
    ...(merged.length === 0 ? { error: { code: 'NO_SHARD_MEASURED', message: 'No shard completed its load: nothing was measured' } } : {}),
    startedAt: readable.map((input) => input.result.startedAt).sort()[0]!,
    scenario: { ...first.scenario, connections: first.shard!.totalConnections },
    connections: {
      ...sumNumbers(merged.map((result) => result.connections), first.connections),
      errorsByCode: sumRecords(merged.map((result) => result.connections.errorsByCode)),
      openMs: Math.max(0, ...merged.map((result) => result.connections.openMs)),
    } as RunResult['connections'],
    messages: sumNumbers(merged.map((result) => result.messages), first.messages) as RunResult['messages'],
    errorBudget,
    throughput: sumNumbers(merged.map((result) => result.throughput), first.throughput) as RunResult['throughput'],
    latencyMs: summarizeLatencyMs(histogram),
    histogram: histogram.totalCount === 0 ? null : encodeHistogram(histogram),
    generator: {
      sendLagP99Ms: Math.max(0, ...merged.map((result) => result.generator.sendLagP99Ms)),
      sendLagMaxMs: Math.max(0, ...merged.map((result) => result.generator.sendLagMaxMs)),
      eventLoopUtilization: Math.max(0, ...merged.map((result) => result.generator.eventLoopUtilization)),
      cpuMicrosPerMessage: weighted(merged, (result) => result.generator.cpuMicrosPerMessage, (result) => result.messages.received, received),
      heapBytesPerConnection: weighted(merged, (result) => result.generator.heapBytesPerConnection, (result) => result.connections.established, established),
      workers: sumOf(merged, (result) => result.generator.workers),
      sourceAddresses: merged.flatMap((result) => result.generator.sourceAddresses),
      saturated: status === 'saturated',
      saturationReasons,
    },
    // Every shard loads the same server: one shard's readings, over all shards' work.
    server: mergeServer(merged, first),
    machine: mergeMachine(merged),
    timeline,
    loadStartedAtEpochMs: originEpochMs,
    shards,
    partial,
  };
  histogram.destroy();
  return result;
}

function describeShard(file: string, result: RunResult, earliest: number | null): ShardEntry {
  const name = shardName(result.shard!.index, result.shard!.count);
  const mergeable = MERGEABLE.includes(result.status);
  const problems: string[] = [];
  if (!mergeable) problems.push(`${name} ${result.status}${result.error === undefined ? '' : ` (${result.error.code}: ${result.error.message.split('\n')[0]})`}; left out of the merge`);
  const offset = result.shard!.clockOffsetMs;
  if (offset !== null && Math.abs(offset) > CLOCK_OFFSET_WARN_MS) problems.push(clockWarning(name, offset));
  const start = correctedStartEpochMs(result);
  if (mergeable && start !== null && earliest !== null && start - earliest > MAX_START_SPREAD_MS) {
    problems.push(`${name} started its load ${Math.round(start - earliest)} ms after the first shard (barrier: ${result.shard!.barrier}); its seconds are aligned by wall clock, but the shards did not measure one window`);
  }
  return {
    index: result.shard!.index,
    file,
    status: result.status,
    merged: mergeable,
    connections: result.scenario.connections,
    established: result.connections.established,
    loadStartedAtEpochMs: result.loadStartedAtEpochMs ?? null,
    ...(problems.length === 0 ? {} : { problem: problems.join('; ') }),
  };
}

/** The shard count; throws, listing every problem, unless all files are shards of one scenario. */
function checkSameScenario(inputs: readonly { file: string; result: RunResult }[]): number {
  const problems: string[] = [];
  const notShards = inputs.filter((input) => input.result.shard === undefined);
  for (const input of notShards) problems.push(`${input.file}: not a shard result (no "shard" field); it was not written by wsbench run --shard I/K or --shards K`);
  if (problems.length > 0) throw new ConfigError('NOT_SHARD_RESULTS', 'takes the result files of one sharded scenario', problems, { command: 'merge' });
  const [reference] = inputs;
  const key = (result: RunResult): string => {
    const { name, ratePerConnection, messageBytes, durationMs, warmupMs } = result.scenario;
    return JSON.stringify({ name, ratePerConnection, messageBytes, durationMs, warmupMs, shards: result.shard!.count, totalConnections: result.shard!.totalConnections });
  };
  for (const input of inputs.slice(1)) {
    if (key(input.result) !== key(reference!.result)) problems.push(`${input.file}: ${key(input.result)} differs from ${reference!.file}: ${key(reference!.result)}`);
  }
  const seen = new Map<number, string>();
  for (const input of inputs) {
    const index = input.result.shard!.index;
    const other = seen.get(index);
    if (other !== undefined) problems.push(`${input.file} and ${other} are both ${shardName(index, input.result.shard!.count)}`);
    seen.set(index, input.file);
  }
  if (problems.length > 0) throw new ConfigError('SHARDS_DISAGREE', 'These shard results are not one scenario split into shards, so merging them would mean nothing', problems);
  return reference!.result.shard!.count;
}

/** Sums every numeric field the objects have (so counters added later by other features are summed too). */
function sumNumbers<T extends object>(items: readonly T[], shape?: T): Record<string, number> {
  // Zeros for every counter of the shape, so that nothing merged still reads as 0, not as missing.
  const total: Record<string, number> = Object.fromEntries(Object.entries(shape ?? {}).flatMap(([key, value]) => (typeof value === 'number' ? [[key, 0]] : [])));
  for (const item of items) {
    for (const [key, value] of Object.entries(item)) if (typeof value === 'number') total[key] = (total[key] ?? 0) + value;
  }
  return total;
}

function sumRecords(records: readonly Record<string, number>[]): Record<string, number> {
  return sumNumbers(records);
}

function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

function weighted(results: readonly RunResult[], value: (result: RunResult) => number | null, weight: (result: RunResult) => number, totalWeight: number): number | null {
  const known = results.filter((result) => value(result) !== null);
  if (known.length === 0 || totalWeight === 0) return null;
  return known.reduce((total, result) => total + value(result)! * weight(result), 0) / sumOf(known, weight);
}

function mergeMachine(results: readonly RunResult[]): RunResult['machine'] {
  const machines = results.flatMap((result) => (result.machine === null || result.machine === undefined ? [] : [result.machine]));
  if (machines.length === 0) return null;
  return {
    otherCpuPercent: Math.max(...machines.map((machine) => machine.otherCpuPercent)),
    stealPercent: Math.max(...machines.map((machine) => machine.stealPercent)),
    noisy: machines.some((machine) => machine.noisy),
  };
}
