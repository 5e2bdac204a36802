import { mergeEncodedHistograms } from '../metrics/latency-histogram.js';
import type { Histogram } from '../metrics/latency-histogram.js';
import { slowerOf } from './subscriber-stats.js';
import type { SlowestSubscriber } from './subscriber-stats.js';
import type { StormReport } from './churn.js';
import type { PhaseReport } from './worker-protocol.js';

/** The workers' heartbeat, broadcast and churn reports of one phase, merged exactly. */

export interface HeartbeatSummary {
  /** Pong RTT from each ping's send, microseconds; the caller owns it. */
  rtt: Histogram;
  pings: number;
  missed: number;
}

export interface BroadcastSummary {
  publishers: number;
  subscribers: number;
  slowestSubscriber: SlowestSubscriber | null;
}

export interface ChurnSummary {
  reconnects: number;
  failed: number;
  failuresByCode: Record<string, number>;
  /** Close-to-open time of the reconnects, microseconds; the caller owns it. */
  open: Histogram;
  storm?: StormReport;
}

export function mergeHeartbeats(reports: readonly PhaseReport[]): { heartbeat?: HeartbeatSummary } {
  const beats = reports.flatMap((report) => (report.heartbeat === undefined ? [] : [report.heartbeat]));
  if (beats.length === 0) return {};
  return { heartbeat: { rtt: mergeEncodedHistograms(beats.map((beat) => beat.histogram)), pings: sum(beats, (beat) => beat.pings), missed: sum(beats, (beat) => beat.missed) } };
}

export function mergeBroadcasts(reports: readonly PhaseReport[]): { broadcast?: BroadcastSummary } {
  const parts = reports.flatMap((report) => (report.broadcast === undefined ? [] : [report.broadcast]));
  if (parts.length === 0) return {};
  return {
    broadcast: {
      publishers: sum(parts, (part) => part.publishers),
      subscribers: sum(parts, (part) => part.subscribers),
      slowestSubscriber: parts.reduce<SlowestSubscriber | null>((slowest, part) => slowerOf(slowest, part.slowestSubscriber), null),
    },
  };
}

export function mergeChurn(reports: readonly PhaseReport[]): { churn?: ChurnSummary } {
  const parts = reports.flatMap((report) => (report.churn === undefined ? [] : [report.churn]));
  if (parts.length === 0) return {};
  const failuresByCode: Record<string, number> = {};
  for (const part of parts) for (const [code, count] of Object.entries(part.failuresByCode)) failuresByCode[code] = (failuresByCode[code] ?? 0) + count;
  const storms = parts.flatMap((part) => (part.storm === undefined ? [] : [part.storm]));
  return {
    churn: {
      reconnects: sum(parts, (part) => part.reconnects),
      failed: sum(parts, (part) => part.failed),
      failuresByCode,
      open: mergeEncodedHistograms(parts.map((part) => part.openHistogram)),
      ...(storms.length === 0
        ? {}
        : {
            storm: {
              atMs: Math.min(...storms.map((storm) => storm.atMs)),
              connections: sum(storms, (storm) => storm.connections),
              reopened: sum(storms, (storm) => storm.reopened),
              failed: sum(storms, (storm) => storm.failed),
              // Recovered when the slowest worker's last connection is back.
              recoveredMs: storms.some((storm) => storm.recoveredMs === null) ? null : Math.max(...storms.map((storm) => storm.recoveredMs! + storm.atMs)) - Math.min(...storms.map((storm) => storm.atMs)),
            },
          }),
    },
  };
}


function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
