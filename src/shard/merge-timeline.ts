import { encodeHistogram, mergeEncodedHistograms, summarizeLatencyMs } from '../metrics/latency-histogram.js';
import type { RunResult, TimelinePoint } from '../run/run-result.js';

/**
 * Shards' timelines on one wall clock: a shard's second s happened at its load start + s, its load start
 * corrected by the clock offset its barrier measured. Points that fall in the same wall-clock second are
 * merged like the driver merges its workers: counters summed, histograms added (exact), the busiest
 * event loop and the worst send lag kept.
 */
export function mergeTimelines(shards: readonly RunResult[]): { originEpochMs: number | null; timeline: TimelinePoint[] } {
  const starts = shards.map(correctedStartEpochMs);
  const known = starts.filter((start): start is number => start !== null);
  if (known.length === 0) return { originEpochMs: null, timeline: [] };
  const originEpochMs = Math.min(...known);
  const bySecond = new Map<number, TimelinePoint[]>();
  shards.forEach((shard, index) => {
    const start = starts[index];
    if (start === null || start === undefined) return;
    for (const point of shard.timeline) {
      const second = Math.round((start - originEpochMs) / 1000 + point.second);
      const list = bySecond.get(second) ?? [];
      list.push(point);
      bySecond.set(second, list);
    }
  });
  const timeline = [...bySecond.entries()].sort(([a], [b]) => a - b).map(([second, points]) => mergePoints(second, points));
  return { originEpochMs, timeline };
}

/** A shard's load start on the coordinator's clock (its own clock when no offset was measured). */
export function correctedStartEpochMs(shard: RunResult): number | null {
  if (shard.loadStartedAtEpochMs === null || shard.loadStartedAtEpochMs === undefined) return null;
  return shard.loadStartedAtEpochMs - (shard.shard?.clockOffsetMs ?? 0);
}

function mergePoints(second: number, points: TimelinePoint[]): TimelinePoint {
  const encoded = points.flatMap((point) => (point.histogram === undefined ? [] : [point.histogram]));
  const rtt = mergeEncodedHistograms(encoded);
  const server = points.find((point) => point.server !== undefined)?.server;
  const merged: TimelinePoint = {
    second,
    warmup: points.every((point) => point.warmup),
    connections: sum(points, (point) => point.connections),
    sent: sum(points, (point) => point.sent),
    received: sum(points, (point) => point.received),
    timedOut: sum(points, (point) => point.timedOut),
    // Without per-second histograms (older shard files) the worst shard's percentiles are the honest bound.
    latencyMs: encoded.length > 0 && encoded.length === points.filter((point) => point.latencyMs !== null).length ? summarizeLatencyMs(rtt) : worstLatency(points),
    sendLagP99Ms: Math.max(...points.map((point) => point.sendLagP99Ms)),
    eventLoopUtilization: Math.max(...points.map((point) => point.eventLoopUtilization)),
    ...(rtt.totalCount === 0 ? {} : { histogram: encodeHistogram(rtt) }),
    ...(server === undefined ? {} : { server }),
  };
  rtt.destroy();
  return merged;
}

function worstLatency(points: TimelinePoint[]): TimelinePoint['latencyMs'] {
  const summaries = points.flatMap((point) => (point.latencyMs === null ? [] : [point.latencyMs]));
  if (summaries.length === 0) return null;
  const worst = (key: keyof NonNullable<TimelinePoint['latencyMs']>): number => Math.max(...summaries.map((summary) => summary[key]));
  return { min: Math.min(...summaries.map((summary) => summary.min)), p50: worst('p50'), p90: worst('p90'), p99: worst('p99'), p999: worst('p999'), max: worst('max'), mean: worst('mean') };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
