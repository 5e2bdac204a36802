import type { LoadSecondCounts } from '../driver/driver-events.js';
import type { EnvironmentInfo } from '../metrics/environment.js';
import type { LatencySummaryMs } from '../metrics/latency-histogram.js';
import type { ServerSample } from '../metrics/server-sample.js';
import type { TcpCounters } from '../metrics/tcp-counters.js';

export type { EnvironmentInfo, LatencySummaryMs };

/**
 * The result of one scenario run: the contract in DESIGN.md "Result JSON". `schemaVersion` comes first;
 * fields may be added, never renamed or removed without bumping it.
 */
export const RESULT_SCHEMA_VERSION = 1;

/** How the run ended; a result is data tagged by state, written whatever the state. */
export type RunStatus = 'completed' | 'saturated' | 'errored' | 'interrupted';

/** One second of the result's timeline: the driver's merged second, with the server's sample attached. */
export interface TimelinePoint extends LoadSecondCounts {
  server?: ServerSample;
}

/** What every result file (run, ramp, limit) starts with: its kind, how it ended, and where it was measured. */
export interface ResultHeader<Kind extends string> {
  schemaVersion: number;
  /** What kind of result file this is. */
  kind: Kind;
  status: RunStatus;
  /** Why the measurement did not complete, when it did not. */
  error?: { code: string; message: string; logTail?: string[] };
  tool: { name: string; version: string };
  startedAt: string;
  env: EnvironmentInfo;
  git: { commit: string | null; ref: string | null; dirty: boolean | null };
  target: { spec: string; url: string; command: string | null; pid: number | null };
}

export interface RunResult extends ResultHeader<'run'> {
  scenario: {
    name: string;
    connections: number;
    ratePerConnection: number;
    messageBytes: number;
    durationMs: number;
    warmupMs: number;
  };
  connections: {
    attempted: number;
    established: number;
    failed: number;
    dropped: number;
    errorsByCode: Record<string, number>;
    openMs: number;
    /** Dial-to-open time of the established connections (TCP, TLS and upgrade); null when none opened. */
    handshakeMs?: HandshakeSummaryMs | null;
    /** Handshakes that failed, by errno, `HTTP_<status>` or `HANDSHAKE_TIMEOUT`. */
    handshakeFailuresByCode?: Record<string, number>;
    /** Connections closed while loaded without wsbench asking, by close code or socket error. */
    abnormalClosures?: AbnormalClosures;
  };
  messages: { sent: number; received: number; timedOut: number; late: number };
  throughput: { offeredPerSec: number; achievedPerSec: number; achievedBytesPerSec: number };
  latencyMs: LatencySummaryMs | null;
  /** HDR histogram of RTT in microseconds, compressed base64 (hdr-histogram-js `encodeIntoCompressedBase64`). */
  histogram: string | null;
  generator: {
    sendLagP99Ms: number;
    sendLagMaxMs: number;
    eventLoopUtilization: number;
    /** Driver CPU (user + system, all workers) per echoed message, in microseconds. */
    cpuMicrosPerMessage: number | null;
    /** Driver JS heap after opening (workers measured after a full GC), per established connection, base heap included. */
    heapBytesPerConnection: number | null;
    workers: number;
    sourceAddresses: string[];
    saturated: boolean;
    saturationReasons: string[];
  };
  server: { cpuPercent: number | null; peakRssBytes: number | null; samples: ServerSample[] };
  /** CPU used on this machine by everything outside wsbench's process tree during the load (null: /proc unreadable). */
  machine: { otherCpuPercent: number; stealPercent: number; noisy: boolean } | null;
  /** Kernel TCP counters, deltas from before opening to the end of the load, machine-wide (null: /proc/net unreadable). */
  tcp?: TcpCounters | null;
  timeline: TimelinePoint[];
}

export interface HandshakeSummaryMs {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface AbnormalClosures {
  total: number;
  byCode: Record<string, number>;
}
