import { encodeHistogram, mergeEncodedHistograms, percentileMs, summarizeLatencyMs } from '../metrics/latency-histogram.js';
import type { LoadSecond } from './driver-events.js';
import type { SnapshotReport } from './worker-protocol.js';

/** The workers' snapshots of one second merged exactly (counts summed, histograms merged), and the small sums a phase's summary takes. */
export function mergeSecond(phaseId: number, second: number, snapshots: SnapshotReport[], warmup: boolean): LoadSecond {
  const rtt = mergeEncodedHistograms(snapshots.map((snapshot) => snapshot.histogram));
  const lag = mergeEncodedHistograms(snapshots.map((snapshot) => snapshot.sendLagHistogram));
  const merged: LoadSecond = {
    phaseId,
    second,
    warmup,
    connections: sum(snapshots, (snapshot) => snapshot.connections),
    sent: sum(snapshots, (snapshot) => snapshot.sent),
    received: sum(snapshots, (snapshot) => snapshot.received),
    timedOut: sum(snapshots, (snapshot) => snapshot.timedOut),
    latencyMs: summarizeLatencyMs(rtt),
    sendLagP99Ms: percentileMs(lag, 99),
    sendLagMaxMs: lag.totalCount === 0 ? 0 : lag.maxValue / 1000,
    eventLoopUtilization: Math.max(...snapshots.map((snapshot) => snapshot.eventLoopUtilization)),
    // Kept encoded so that shards' seconds merge exactly later (`wsbench merge`).
    ...(rtt.totalCount === 0 ? {} : { histogram: encodeHistogram(rtt) }),
  };
  rtt.destroy();
  lag.destroy();
  return merged;
}

export function measuredUtilization(seconds: readonly LoadSecond[]): number | undefined {
  const measured = seconds.filter((second) => !second.warmup);
  return measured.length === 0 ? undefined : sum(measured, (second) => second.eventLoopUtilization) / measured.length;
}

export function achievedRate(received: number, measuredMs: number): number {
  return measuredMs <= 0 ? 0 : received / (measuredMs / 1000);
}

/** Splits `total` into `parts` integers that differ by at most one. */
export function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const remainder = total % parts;
  return Array.from({ length: parts }, (_, index) => base + (index < remainder ? 1 : 0));
}

export function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

export function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
