import type { HandshakeOptions } from './handshake-options.js';
import type { HeartbeatReport } from './heartbeat.js';
import type { ChurnReport } from './churn.js';
import type { MessageSpec, TrafficPattern } from './message-spec.js';
import type { SlowestSubscriber } from './subscriber-stats.js';

/**
 * The typed messages between the coordinator and its worker processes (over the IPC channel of
 * `child_process.fork`). Times cross processes as epoch milliseconds; each worker converts them to its
 * own monotonic clock.
 */

export interface OpenCommand {
  type: 'open';
  url: string;
  connections: number;
  /** Source addresses to bind, used in turn; empty = let the kernel choose (127.0.0.1). */
  localAddresses: string[];
  handshakeConcurrency: number;
  handshakeTimeoutMs: number;
  handshake: HandshakeOptions;
}

export interface LoadCommand {
  type: 'load';
  phaseId: number;
  startEpochMs: number;
  ratePerConnection: number;
  messageBytes: number;
  durationMs: number;
  warmupMs: number;
  messageTimeoutMs: number;
  /** This worker's shift of the send cadence, workerIndex / workers, so workers' sends interleave. */
  scheduleOffset: number;
  /** Per-connection send-buffer cap: past it a due message is not queued and counts as timed out. */
  maxBufferedBytes: number;
  pacer: Pacer;
  /** This worker's place among the workers: connection `i` of worker `w` is connection `w + i·workers` of the run. */
  workerIndex?: number;
  workers?: number;
  /** What is sent and how replies are paired; absent = the binary echo. */
  message?: MessageSpec;
  pattern?: TrafficPattern;
  /** Broadcast: connections numbered below this publish, the others subscribe. */
  publishers?: number;
  /** Broadcast: a text message each subscriber sends once before the first publish (`{{conn}}` filled in). */
  subscribeTemplate?: string;
  /** Every connection pings this often. */
  pingIntervalMs?: number;
  /** Churn: reconnects per second this worker makes (its share of `--churn-rate`). */
  churnRatePerSec?: number;
  /** Churn: every connection closes and reopens at once this long after the phase start. */
  stormAtMs?: number;
  /** The longest the measured window waits past the warm-up for the send lag to settle (0: not at all). */
  maxSettleMs: number;
}

/**
 * How the worker wakes up for due sends: `timer` uses Node's timers (1 ms granularity: cheap, send lag
 * p99 ≈ 1.1 ms); `precise` adds a helper thread that wakes the loop within ~0.1 ms of each due time
 * (sub-millisecond send lag, at some CPU per message).
 */
export type Pacer = 'timer' | 'precise';

export interface StopCommand {
  type: 'stop';
}

export interface CloseCommand {
  type: 'close';
}

export type CoordinatorMessage = OpenCommand | LoadCommand | StopCommand | CloseCommand;

export interface OpenedReport {
  type: 'opened';
  attempted: number;
  established: number;
  failed: number;
  errorsByCode: Record<string, number>;
  /** Dial-to-open time of the connections established, microseconds, encoded HDR. */
  handshakeHistogram: string;
  openMs: number;
  heapUsedBytes: number;
  rssBytes: number;
}

/** Progress while opening connections, about once a second. */
export interface OpeningReport {
  type: 'opening';
  attempted: number;
  established: number;
  failed: number;
}

export interface PhaseCounters {
  sent: number;
  received: number;
  timedOut: number;
  late: number;
  /** Answered with something other than what was sent: wrong length or bytes (truncated, corrupted). */
  mismatched: number;
  /** Messages received that answer nothing sent: unsolicited, not recognisable as an echo, matched by no
   * request (`--match`), or no broadcast delivery. */
  unmatched: number;
  backpressured: number;
  dropped: number;
}

/** One second of one worker's load, warm-up included (flagged by the coordinator). */
export interface SnapshotReport extends PhaseCounters {
  type: 'snapshot';
  phaseId: number;
  second: number;
  connections: number;
  /** RTT of the echoes received in this second, microseconds, encoded HDR. */
  histogram: string;
  sendLagHistogram: string;
  eventLoopUtilization: number;
  /** Whether this worker's measured window had begun by the start of this second (warm-up over, send lag settled). */
  measuring: boolean;
}

/** The end of one load phase: totals over the measured window (warm-up excluded). */
export interface PhaseReport extends PhaseCounters {
  type: 'phase-done';
  phaseId: number;
  connections: number;
  /** Connection losses during the phase, by close code or error code. */
  dropsByCode: Record<string, number>;
  histogram: string;
  sendLagHistogram: string;
  eventLoopUtilization: number;
  measuredMs: number;
  /** How long past the warm-up the measured window started, waiting for the send lag to settle. */
  settleMs: number;
  /** False when the send lag had not settled within the bound (the window started there anyway). */
  settled: boolean;
  /**
   * Echoes that arrived inside the measured window (after warm-up, before the end of sending). Echoes that
   * trickle in while the phase drains count as received, not as throughput: a server that echoes 1,000/s
   * must not be credited with 2,000/s because its backlog cleared before the timeout.
   */
  receivedInWindow: number;
  /** Bytes of every echo (intact or not) that arrived inside the measured window: byte throughput as delivered. */
  receivedBytesInWindow: number;
  /** CPU time (user + system) this worker used over the whole phase, warm-up included. */
  cpuMicros: number;
  /** Echoes received over the whole phase, warm-up included: the denominator of CPU per message. */
  echoesInPhase: number;
  heapUsedBytes: number;
  rssBytes: number;
  heartbeat?: HeartbeatReport;
  churn?: ChurnReport;
  broadcast?: { publishers: number; subscribers: number; slowestSubscriber: SlowestSubscriber | null };
}

export interface WorkerFailure {
  type: 'failed';
  message: string;
  stack?: string;
}

export type WorkerMessage = OpeningReport | OpenedReport | SnapshotReport | PhaseReport | WorkerFailure;
