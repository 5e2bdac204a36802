import type { PhaseSummary, PhaseTraffic } from '../driver/load-driver.js';
import type { StormReport } from '../driver/churn.js';
import type { SlowestSubscriber } from '../driver/subscriber-stats.js';
import { summarizeLatencyMs } from '../metrics/latency-histogram.js';
import type { LatencySummaryMs } from '../metrics/latency-histogram.js';
import type { TrafficOptions } from '../scenario/traffic-options.js';

/** Pong RTT of `--ping-interval`, from each ping's send. */
export interface PingRttMs {
  p50: number | null;
  p99: number | null;
  max: number | null;
  pings: number;
  missed: number;
}

/** `--pattern churn`: reconnects made while loaded, how long each took, what failed, and a storm's recovery. */
export interface ChurnResult {
  reconnects: number;
  failed: number;
  /** Failed reopens / attempted reopens. */
  failureRate: number | null;
  failuresByCode: Record<string, number>;
  /** Close-to-open time of each reconnect (a new TCP connection and handshake). */
  openMs: { p50: number; p99: number; max: number } | null;
  /** `--storm`: when it hit, how many reconnected, and how long until the last one was back (null: some never came back). */
  storm?: StormReport;
}

/** A broadcast's fan-out: what should have reached the subscribers, what did, and how late. */
export interface DeliverySummary {
  publishers: number;
  subscribers: number;
  /** Publishes in the measured window × subscribers. */
  expected: number;
  delivered: number;
  deliveredRatio: number | null;
  /** From the publisher's intended send time to the subscriber's receipt. */
  latencyMs: LatencySummaryMs | null;
  slowestSubscriber: SlowestSubscriber | null;
  /** How the latency is timed, for whoever reads the file. */
  clock: string;
}

export const DELIVERY_CLOCK_NOTE = 'publisher and subscribers on this host, one clock: latency = receipt − the intended send time carried in the frame';

/** The traffic part of every load command of a run. */
export function phaseTrafficOf(traffic: TrafficOptions | undefined): PhaseTraffic {
  if (traffic === undefined) return {};
  const message = traffic.messageTemplate !== undefined || traffic.payload !== undefined;
  return {
    ...(message ? { message: { payload: traffic.messageTemplate !== undefined ? 'text' : (traffic.payload ?? 'binary'), ...(traffic.messageTemplate === undefined ? {} : { template: traffic.messageTemplate }), ...(traffic.match === undefined ? {} : { match: traffic.match }) } } : {}),
    ...(traffic.pattern === undefined ? {} : { pattern: traffic.pattern }),
    ...(traffic.pattern === 'broadcast' ? { publishers: traffic.publishers ?? 1 } : {}),
    ...(traffic.subscribeTemplate === undefined ? {} : { subscribeTemplate: traffic.subscribeTemplate }),
    ...(traffic.pingIntervalMs === undefined ? {} : { pingIntervalMs: traffic.pingIntervalMs }),
    ...(traffic.churnRatePerSec === undefined ? {} : { churnRatePerSec: traffic.churnRatePerSec }),
    ...(traffic.stormAtMs === undefined ? {} : { stormAtMs: traffic.stormAtMs }),
  };
}

/** Messages per second the scenario offers: sends for an echo, expected deliveries for a broadcast. */
export function offeredPerSecOf(traffic: TrafficOptions | undefined, connections: number, ratePerConnection: number): number {
  if (traffic?.pattern !== 'broadcast') return connections * ratePerConnection;
  const publishers = traffic.publishers ?? 1;
  return publishers * ratePerConnection * Math.max(0, connections - publishers);
}

export function pingRttOf(phase: PhaseSummary | undefined): { pingRttMs?: PingRttMs } {
  const beat = phase?.heartbeat;
  if (beat === undefined) return {};
  const summary = summarizeLatencyMs(beat.rtt);
  return { pingRttMs: { p50: summary?.p50 ?? null, p99: summary?.p99 ?? null, max: summary?.max ?? null, pings: beat.pings, missed: beat.missed } };
}

/**
 * Expected deliveries count every publish in the measured window once per subscriber connected when the
 * phase started; a subscriber lost during the run is a shortfall, as it is for its user.
 */
export function deliveryOf(phase: PhaseSummary | undefined): { delivery?: DeliverySummary } {
  const broadcast = phase?.broadcast;
  if (phase === undefined || broadcast === undefined) return {};
  const expected = phase.sent * broadcast.subscribers;
  return {
    delivery: {
      publishers: broadcast.publishers,
      subscribers: broadcast.subscribers,
      expected,
      delivered: phase.received,
      deliveredRatio: expected === 0 ? null : phase.received / expected,
      latencyMs: summarizeLatencyMs(phase.rtt),
      slowestSubscriber: broadcast.slowestSubscriber,
      clock: DELIVERY_CLOCK_NOTE,
    },
  };
}

export function churnOf(phase: PhaseSummary | undefined): { churn?: ChurnResult } {
  const churn = phase?.churn;
  if (churn === undefined) return {};
  const open = summarizeLatencyMs(churn.open);
  const attempts = churn.reconnects + churn.failed;
  return {
    churn: {
      reconnects: churn.reconnects,
      failed: churn.failed,
      failureRate: attempts === 0 ? null : churn.failed / attempts,
      failuresByCode: churn.failuresByCode,
      openMs: open === null ? null : { p50: open.p50, p99: open.p99, max: open.max },
      ...(churn.storm === undefined ? {} : { storm: churn.storm }),
    },
  };
}
