import type { CpuPin } from '../cpu-pin.js';
import type { Histogram } from '../metrics/latency-histogram.js';
import type { LoadSecond } from './driver-events.js';
import type { HandshakeOptions } from './handshake-options.js';
import type { BroadcastSummary, ChurnSummary, HeartbeatSummary } from './traffic-merge.js';
import type { LoadCommand, OpenedReport, Pacer, PhaseCounters } from './worker-protocol.js';

/** What the driver is created with, what each phase is asked for, and what the driver reports back. */

export const DEFAULT_HANDSHAKE_CONCURRENCY = 256;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_MESSAGE_TIMEOUT_MS = 5_000;
export const DEFAULT_PACER: Pacer = 'precise';
/** 4 MiB queued on one connection means the server stopped reading; stop queueing there. */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface DriverOptions {
  url: string;
  workers: number;
  /** Source addresses per worker (whole addresses, never shared, so workers' ports cannot collide). */
  localAddressesByWorker?: string[][];
  /** The most connections each worker will hold (sizes its heap; see workerHeapFlags). */
  connectionsByWorker?: number[];
  handshakeConcurrency?: number;
  handshakeTimeoutMs?: number;
  handshake?: HandshakeOptions;
  /** Run every worker on these CPUs only (taskset), apart from a pinned target. */
  pin?: CpuPin;
}

/** All workers' `opened` reports merged: counts and memory summed, `openMs` the slowest worker's. */
export type OpenSummary = Omit<OpenedReport, 'type'>;

export interface PhaseOptions {
  ratePerConnection: number;
  messageBytes: number;
  durationMs: number;
  warmupMs: number;
  messageTimeoutMs?: number;
  maxBufferedBytes?: number;
  pacer?: Pacer;
  /**
   * Wall clock (epoch ms) of the first intended send, agreed with other shards by a start barrier;
   * default: now plus a short lead, so every worker starts on the same beat.
   */
  startEpochMs?: number;
  /** The traffic shape (message, pattern, heartbeat): the same for every worker. */
  traffic?: PhaseTraffic;
  /** @default MAX_SETTLE_MS — how long the measurement may wait past the warm-up for the send lag to settle. */
  maxSettleMs?: number;
}

/** The parts of a load command that shape the traffic rather than its size and timing. */
export type PhaseTraffic = Pick<LoadCommand, 'message' | 'pattern' | 'publishers' | 'subscribeTemplate' | 'pingIntervalMs' | 'stormAtMs'> & {
  /** Reconnects per second across all workers; each worker takes its share. */
  churnRatePerSec?: number;
};

export interface PhaseSummary extends PhaseCounters {
  phaseId: number;
  /** Wall clock (epoch ms) of second 0 of the phase: what aligns shards' timelines. */
  startEpochMs: number;
  connections: number;
  dropsByCode: Record<string, number>;
  measuredMs: number;
  /** Echoes that arrived inside the measured window, all workers (see PhaseReport.receivedInWindow). */
  receivedInWindow: number;
  /** The longest any worker waited past the warm-up for its send lag to settle (excluded from the figures). */
  settleMs: number;
  /** Whether every worker's send lag settled within the bound. */
  settled: boolean;
  /** Echoes per second that arrived inside the measured window. */
  achievedPerSec: number;
  /** Bytes per second of echoes received inside the measured window, as delivered (a truncated echo counts its own length). */
  achievedBytesPerSec: number;
  /** RTT over the measured window, microseconds; the caller owns (and may encode) it. */
  rtt: Histogram;
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  /** Busiest worker's event-loop utilization, averaged over the measured seconds (whole phase if none). */
  eventLoopUtilization: number;
  workerHeapUsedBytes: number;
  workerRssBytes: number;
  /** Driver CPU (all workers and the coordinator, user + system) per echoed message over the phase; NaN without echoes. */
  cpuMicrosPerEcho: number;
  seconds: LoadSecond[];
  heartbeat?: HeartbeatSummary;
  broadcast?: BroadcastSummary;
  churn?: ChurnSummary;
}
