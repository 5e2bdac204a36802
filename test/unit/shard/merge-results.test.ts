import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/compare/seeded-random.js';
import { summarizeTrial } from '../../../src/compare/trial-summary.js';
import { ConfigError } from '../../../src/errors.js';
import { createHistogram, decodeHistogram, encodeHistogram, recordMicros, summarizeLatencyMs } from '../../../src/metrics/latency-histogram.js';
import type { Histogram } from '../../../src/metrics/latency-histogram.js';
import { renderHtmlReport } from '../../../src/report/html-report.js';
import { renderMarkdownReport } from '../../../src/report/markdown-report.js';
import { parseReportInput } from '../../../src/report/report-input.js';
import type { RunResult, TimelinePoint } from '../../../src/run/run-result.js';
import { mergeShardResults } from '../../../src/shard/merge-results.js';

const TEMPLATE = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'run-result.json'), 'utf8')) as RunResult;
const START_MS = Date.UTC(2026, 11, 1, 12, 0, 0);

/** A shard of 4 s (1 s warm-up) whose every second holds `perSecond` RTT samples drawn from `draw`. */
function shardResult(index: number, count: number, draw: () => number, options: { startMs?: number; clockOffsetMs?: number | null; status?: RunResult['status']; perSecond?: number } = {}): { result: RunResult; samples: number[] } {
  const total = createHistogram();
  const samples: number[] = [];
  const timeline: TimelinePoint[] = [];
  for (let second = 0; second < 4; second++) {
    const histogram = createHistogram();
    for (let i = 0; i < (options.perSecond ?? 500); i++) {
      const micros = draw();
      recordMicros(histogram, micros);
      if (second >= 1) {
        recordMicros(total, micros);
        samples.push(micros);
      }
    }
    timeline.push(point(second, histogram));
  }
  const established = 100 + index;
  const result: RunResult = {
    ...TEMPLATE,
    status: options.status ?? 'completed',
    scenario: { ...TEMPLATE.scenario, name: 'shard-test', connections: established },
    connections: { attempted: established + 2, established, failed: 2, dropped: index, errorsByCode: { ECONNREFUSED: 2 }, openMs: 300 + index * 100 },
    messages: { sent: samples.length + 10, received: samples.length, timedOut: 10, late: index, mismatched: 0, unmatched: 0 },
    errorBudget: { limit: 0.5, observed: 10 / (samples.length + 10), held: true, breaches: [] },
    throughput: { offeredPerSec: 1000, achievedPerSec: samples.length / 3, achievedBytesPerSec: (samples.length / 3) * 256 },
    latencyMs: summarizeLatencyMs(total),
    histogram: encodeHistogram(total),
    generator: { ...TEMPLATE.generator, workers: 1, sourceAddresses: [`127.0.0.${2 + index}`], saturated: false, saturationReasons: [], cpuMicrosPerMessage: 10 + index, heapBytesPerConnection: 20_000 },
    timeline,
    loadStartedAtEpochMs: (options.startMs ?? START_MS) + (options.clockOffsetMs ?? 0),
    shard: { index, count, totalConnections: 100 * count + 10, barrier: 'rendezvous', clockOffsetMs: options.clockOffsetMs ?? 0 },
  };
  total.destroy();
  return { result, samples };
}

function point(second: number, histogram: Histogram): TimelinePoint {
  return {
    second,
    warmup: second < 1,
    connections: 100,
    sent: histogram.totalCount,
    received: histogram.totalCount,
    timedOut: 0,
    latencyMs: summarizeLatencyMs(histogram),
    sendLagP99Ms: 0.5,
    eventLoopUtilization: 0.1,
    histogram: encodeHistogram(histogram),
  };
}

const longTail = (random: () => number) => (): number => (random() < 0.97 ? 200 + random() * 800 : 20_000 + random() * 80_000);

describe('wsbench merge of shard results', () => {
  it('sums the counters and takes the percentiles from the merged histogram, equal to a histogram of the union of the samples', () => {
    const random = seededRandom(7);
    const shards = [0, 1, 2].map((index) => shardResult(index, 3, longTail(random)));
    const merged = mergeShardResults(shards.map(({ result }, index) => ({ file: `shard-${index}.json`, result })));

    const union = createHistogram();
    for (const { samples } of shards) for (const micros of samples) recordMicros(union, micros);
    const mergedHistogram = decodeHistogram(merged.histogram!);
    expect(mergedHistogram.totalCount).toBe(union.totalCount);
    for (const percentile of [0, 50, 90, 99, 99.9, 100]) expect(mergedHistogram.getValueAtPercentile(percentile)).toBe(union.getValueAtPercentile(percentile));
    // Encoding keeps buckets, not raw extremes (as between workers): compare with the union as encoded.
    const unionAsEncoded = decodeHistogram(encodeHistogram(union));
    expect(merged.latencyMs).toEqual(summarizeLatencyMs(unionAsEncoded));
    unionAsEncoded.destroy();
    // The shards' own p99s say nothing about the merged one: it is not their mean or max.
    expect(merged.latencyMs!.p99).toBe(union.getValueAtPercentile(99) / 1000);

    const sum = (pick: (result: RunResult) => number): number => shards.reduce((total, { result }) => total + pick(result), 0);
    expect(merged.connections).toEqual({
      attempted: sum((r) => r.connections.attempted),
      established: sum((r) => r.connections.established),
      failed: sum((r) => r.connections.failed),
      dropped: sum((r) => r.connections.dropped),
      errorsByCode: { ECONNREFUSED: 6 },
      openMs: 500,
    });
    expect(merged.messages).toEqual({ sent: sum((r) => r.messages.sent), received: sum((r) => r.messages.received), timedOut: 30, late: 3, mismatched: 0, unmatched: 0 });
    expect(merged.throughput.offeredPerSec).toBe(3000);
    expect(merged.scenario.connections).toBe(310);
    expect(merged.generator.workers).toBe(3);
    expect(merged.generator.sourceAddresses).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(merged.partial).toBe(false);
    expect(merged.status).toBe('completed');
    expect(merged.shards!.map((shard) => [shard.index, shard.merged, shard.file])).toEqual([[0, true, 'shard-0.json'], [1, true, 'shard-1.json'], [2, true, 'shard-2.json']]);
    expect(merged.shard).toBeUndefined();
    union.destroy();
    mergedHistogram.destroy();
  });

  it('aligns timelines by wall-clock second, correcting each shard by its measured clock offset', () => {
    const random = seededRandom(8);
    // Shard 1 started two seconds later; shard 2's clock runs 5 s ahead but it started with shard 0.
    const a = shardResult(0, 3, longTail(random));
    const b = shardResult(1, 3, longTail(random), { startMs: START_MS + 2000 });
    const c = shardResult(2, 3, longTail(random), { clockOffsetMs: 5000 });
    const merged = mergeShardResults([a, b, c].map(({ result }, index) => ({ file: `s${index}.json`, result })));
    expect(merged.loadStartedAtEpochMs).toBe(START_MS);
    expect(merged.timeline.map((p) => p.second)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(merged.timeline.map((p) => p.sent)).toEqual([1000, 1000, 1500, 1500, 500, 500]);
    expect(merged.timeline.map((p) => p.connections)).toEqual([200, 200, 300, 300, 100, 100]);
    // A merged second's percentiles are those of its merged histogram.
    const second1 = decodeHistogram(merged.timeline[1]!.histogram!);
    expect(merged.timeline[1]!.latencyMs).toEqual(summarizeLatencyMs(second1));
    second1.destroy();
    expect(merged.shards![1]!.problem).toMatch(/shard 1\/3 started its load 2000 ms after the first shard/);
    expect(merged.shards![2]!.problem).toMatch(/shard 2\/3's clock is 5000 ms ahead of shard 0's/);
  });

  it('a missing shard and a failed shard make the result partial and are named; saturation of any shard marks it', () => {
    const random = seededRandom(9);
    const ok = shardResult(0, 4, longTail(random));
    const saturated = shardResult(1, 4, longTail(random));
    saturated.result.generator = { ...saturated.result.generator, saturated: true, saturationReasons: ['send lag p99 80 ms > 10 ms'] };
    saturated.result.status = 'saturated';
    const failed = shardResult(3, 4, longTail(random), { status: 'errored' });
    failed.result.error = { code: 'SHARD_LATE', message: 'shard 3/4 reached the start barrier 900 ms after --start-at' };
    const merged = mergeShardResults([
      { file: 'a.json', result: ok.result },
      { file: 'b.json', result: saturated.result },
      { file: 'd.json', result: failed.result },
      { file: 'c.json', unreadable: 'no such file' },
    ]);
    expect(merged.partial).toBe(true);
    expect(merged.status).toBe('saturated');
    expect(merged.generator.saturationReasons).toEqual(['shard 1/4: send lag p99 80 ms > 10 ms']);
    expect(merged.shards!.map((shard) => [shard.index, shard.status, shard.merged])).toEqual([[0, 'completed', true], [1, 'saturated', true], [2, 'missing', false], [3, 'errored', false]]);
    expect(merged.shards![2]!.problem).toMatch(/shard 2\/4: no result file \(unreadable: c\.json\)/);
    expect(merged.shards![3]!.problem).toMatch(/shard 3\/4 errored \(SHARD_LATE: shard 3\/4 reached the start barrier/);
    expect(merged.messages.received).toBe(ok.result.messages.received + saturated.result.messages.received);
    expect(renderMarkdownReport(merged)).toContain('| shards | 2 of 4 merged — PARTIAL: shard 2/4 missing, shard 3/4 errored |');
  });

  it('refuses files that are not shards of one scenario, listing every problem', () => {
    const random = seededRandom(10);
    const a = shardResult(0, 2, longTail(random)).result;
    const b = shardResult(0, 2, longTail(random)).result;
    const other = { ...shardResult(1, 2, longTail(random)).result, scenario: { ...a.scenario, ratePerConnection: 99 } };
    const plain: RunResult = { ...a, shard: undefined } as RunResult;
    delete (plain as { shard?: unknown }).shard;
    expect(() => mergeShardResults([{ file: 'a.json', result: a }, { file: 'plain.json', result: plain }])).toThrow(/plain\.json: not a shard result/);
    let error: unknown;
    try {
      mergeShardResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }, { file: 'o.json', result: other }]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SHARDS_DISAGREE');
    expect((error as ConfigError).problems.join('\n')).toMatch(/o\.json: .*"ratePerConnection":99/);
    expect((error as ConfigError).problems.join('\n')).toMatch(/b\.json and a\.json are both shard 0\/2/);
  });

  it('is a run result like any other: report renders it and the gate summarizes it', () => {
    const random = seededRandom(11);
    const merged = mergeShardResults([0, 1].map((index) => ({ file: `${index}.json`, result: shardResult(index, 2, longTail(random)).result })));
    const roundTripped = parseReportInput(JSON.parse(JSON.stringify(merged)), 'merged.json');
    expect(roundTripped.kind).toBe('run');
    expect(renderMarkdownReport(roundTripped)).toContain('shard-test');
    expect(renderHtmlReport(roundTripped)).toContain('<svg');
    const trial = summarizeTrial(merged, 'a', 0);
    expect(trial.p99Ms).toBe(merged.latencyMs!.p99);
    expect(trial.achievedPerSec).toBe(merged.throughput.achievedPerSec);
  });
});
