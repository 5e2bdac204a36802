import type { LoadSecondCounts } from '../driver/driver-events.js';
import type { EnvironmentInfo } from '../metrics/environment.js';
import type { LatencySummaryMs } from '../metrics/latency-histogram.js';
import type { ServerSample } from '../metrics/server-sample.js';
import type { TcpCounters } from '../metrics/tcp-counters.js';
import type { ServerCost, ServerCostBasis } from '../metrics/server-cost.js';
import type { ChurnResult, DeliverySummary, PingRttMs } from './traffic-result.js';
import type { ErrorBudget } from './error-budget.js';
import type { JudgedMachineLoad } from '../metrics/machine-load.js';
import type { TrafficRecord } from '../scenario/traffic-record.js';

export type { EnvironmentInfo, LatencySummaryMs };

/**
 * The result of one scenario run: the contract in DESIGN.md "Result JSON". `schemaVersion` comes first;
 * fields may be added, never renamed or removed without bumping it.
 */
export const RESULT_SCHEMA_VERSION = 1;

/**
 * How the run ended; a result is data tagged by state, written whatever the state. `failed`: measured to the
 * end, but the server broke the error budget (messages lost, unanswered or answered wrong): exit 1.
 */
export type RunStatus = 'completed' | 'failed' | 'saturated' | 'errored' | 'interrupted';

/** One second of the result's timeline: the driver's merged second, with the server's sample attached. */
export interface TimelinePoint extends LoadSecondCounts {
  server?: ServerSample;
}

/** Which part of a sharded scenario a result measured (`wsbench run --shard I/K`). */
export interface ShardInfo {
  /** 0-based, like Kubernetes' JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
  /** The whole scenario's connections; `scenario.connections` is this shard's share. */
  totalConnections: number;
  /** How the shards agreed on a start: a fixed `--start-at`, a rendezvous, or none (each started alone). */
  barrier: 'start-at' | 'rendezvous' | 'none';
  /** This shard's clock minus the rendezvous coordinator's, estimated over the barrier connection; null without one. */
  clockOffsetMs: number | null;
}

/** One shard as a merged result lists it: where it came from and whether it counted. */
export interface ShardEntry {
  index: number;
  /** The file it was read from (or expected at). */
  file: string;
  status: RunStatus | 'missing' | 'unreadable';
  /** Included in the merged counts and histogram. */
  merged: boolean;
  connections: number;
  established: number;
  loadStartedAtEpochMs: number | null;
  /** Why it is not merged, or what is wrong with it, e.g. its error message. */
  problem?: string;
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

/**
 * What the server did and cost. The cost figures (DESIGN.md turn 2) are over the measured window, per
 * echoed message or per connection, null when not measurable (a `--url` server without a PID, a run that
 * ended early); results written before they existed lack them, so readers take a missing one as null.
 */
export interface RunServer extends ServerCost {
  /** Mean CPU of the process tree over the measured seconds, percent of one core. */
  cpuPercent: number | null;
  peakRssBytes: number | null;
  samples: ServerSample[];
  /** The readings the cost figures come from, and why any of them is null. */
  costBasis: ServerCostBasis | null;
  /**
   * A merged result only: the shard whose readings these are (every shard watched the same server) and the
   * merged work they are divided by (src/shard/merge-server.ts).
   */
  mergedFrom?: { shard: number; messages: number; connections: number; note: string };
}

export interface RunResult extends ResultHeader<'run'> {
  scenario: {
    name: string;
    connections: number;
    ratePerConnection: number;
    messageBytes: number;
    durationMs: number;
    warmupMs: number;
    /** The traffic options given (handshake, message, pattern); absent for a plain binary echo. */
    traffic?: TrafficRecord;
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
  /** In a broadcast, `sent` counts publishes and `received` deliveries. */
  messages: {
    sent: number;
    /** Echoes that came back intact (same length and bytes as sent). */
    received: number;
    timedOut: number;
    late: number;
    /** Answered with something other than what was sent (truncated, padded, corrupted). */
    mismatched: number;
    /** Received but answering nothing sent (unsolicited, or unrecognisable). */
    unmatched: number;
  };
  /** The failures allowed (limit) and seen (observed, a fraction); a run that does not hold it is `failed`. */
  errorBudget: ErrorBudget;
  /** achievedBytesPerSec counts the bytes actually received, not the size asked for. */
  throughput: { offeredPerSec: number; achievedPerSec: number; achievedBytesPerSec: number };
  latencyMs: LatencySummaryMs | null;
  /** HDR histogram of RTT in microseconds, compressed base64 (hdr-histogram-js `encodeIntoCompressedBase64`). */
  histogram: string | null;
  generator: {
    sendLagP99Ms: number;
    sendLagMaxMs: number;
    /**
     * How long past the warm-up the measurement waited for the generator's send lag to settle (the
     * busiest worker's); that time is excluded from every statistic, like the warm-up.
     */
    settleMs?: number;
    /** False when the send lag had not settled within the bound: the start-up transient may be in the figures. */
    settled?: boolean;
    eventLoopUtilization: number;
    /** Driver CPU (user + system: the workers and the coordinator, its samplers included) per echoed message, in microseconds. */
    cpuMicrosPerMessage: number | null;
    /** Driver JS heap after opening (workers measured after a full GC), per established connection, base heap included. */
    heapBytesPerConnection: number | null;
    workers: number;
    sourceAddresses: string[];
    saturated: boolean;
    saturationReasons: string[];
  };
  server: RunServer;
  /** CPU used on this machine by everything outside wsbench's process tree during the load (null: /proc unreadable). */
  machine: JudgedMachineLoad | null;
  /** The CPUs the target and the driver's workers were pinned to (compare and bench); null: not pinned. */
  cpuPinning?: { targetCpus: number[]; driverCpus: number[] } | null;
  /** Kernel TCP counters, deltas from before opening to the end of the load, machine-wide (null: /proc/net unreadable). */
  tcp?: TcpCounters | null;
  /** `--ping-interval`: pong RTT and missed pongs. */
  pingRttMs?: PingRttMs;
  /** `--pattern broadcast`: deliveries expected and made, fan-out latency, the slowest subscriber. */
  delivery?: DeliverySummary;
  /** `--pattern churn`: reconnect open latency, failures and a storm's recovery time. */
  churn?: ChurnResult;
  timeline: TimelinePoint[];
  /** Wall clock (epoch ms) of the load's second 0 (warm-up included); null when no load ran. Aligns shards' timelines. */
  loadStartedAtEpochMs: number | null;
  /** Present on a shard's own result. */
  shard?: ShardInfo;
  /** Present on a merged result (`wsbench merge`): every expected shard, merged or not. */
  shards?: ShardEntry[];
  /** A merged result missing at least one shard (named in `shards[]`): its counts cover only part of the scenario. */
  partial?: boolean;
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
