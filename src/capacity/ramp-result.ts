import type { StopCriteriaOptions, StopCriterion } from './stop-criteria-options.js';
import type { LatencySummaryMs, ResultHeader, TimelinePoint } from '../run/run-result.js';
import type { JudgedMachineLoad } from '../metrics/machine-load.js';
import type { TrafficRecord } from '../scenario/traffic-record.js';

/** The version of the ramp result's schema; fields may be added, never renamed or removed without bumping it. */
export const RAMP_SCHEMA_VERSION = 1;

/** One step of a connection ramp: the load held at this connection count, and what it cost. */
export interface RampStep {
  index: number;
  /** Connections asked for at this step (earlier steps' connections stay open). */
  connections: number;
  established: number;
  /** New connections tried at this step (the step's increment). */
  connectAttempted?: number;
  connectErrorsByCode: Record<string, number>;
  /** Wall time to open this step's new connections. */
  openMs?: number;
  ratePerConnection: number;
  messageBytes: number;
  holdMs: number;
  offeredPerSec: number;
  achievedPerSec: number;
  sent: number;
  received: number;
  timedOut: number;
  /** Messages dropped on connections that closed under load. */
  dropped?: number;
  /** Connections that closed during the hold. */
  droppedConnections?: number;
  latencyMs: LatencySummaryMs | null;
  server: {
    cpuPercent: number | null;
    rssBytes: number | null;
    openFds: number | null;
    goroutines: number | null;
    heapInuseBytes: number | null;
    gcPauseMaxMs: number | null;
    gcPauseP50Ms?: number | null;
    /** Processes in the target's tree (its `--procs`). */
    processes?: number | null;
  };
  generator: {
    sendLagP99Ms: number;
    /** Time past the warm-up this step waited for the generator's send lag to settle (excluded from its figures). */
    settleMs?: number;
    /** False when it had not settled within the bound. */
    settled?: boolean;
    eventLoopUtilization: number;
    saturated: boolean;
    saturationReasons?: string[];
    /** Driver heap (all workers) after GC with this step's connections open and idle. */
    heapUsedBytes: number;
    heapUsedBytesPerConnection?: number | null;
    rssBytes?: number;
    /** Driver CPU (all workers) in percent of one core during the hold. */
    cpuPercent?: number | null;
  };
  /**
   * CPU other processes used during this step's hold (see metrics/machine-load.ts); `noisy` past 25% of a
   * core. A limit found on a busy machine may be that machine's, not the server's: the verdict says so.
   */
  machine?: JudgedMachineLoad | null;
  /** Stop criteria that fired at this step, "criterion: detail"; empty when the step held. */
  stopReasons: string[];
  /** The same, as data. */
  stopCriteria?: StopCriterion[];
  /** Cut short (Ctrl-C): kept as measured, but not judged and never the capacity. */
  partial?: boolean;
}

export type Bottleneck = 'machine-cpu' | 'server-cpu' | 'server-memory' | 'gc' | 'fd-limit' | 'port-exhaustion' | 'generator' | 'server-died' | 'latency' | 'errors' | 'none';

/** The capacity answer, with its evidence. */
export interface CapacityVerdict {
  /** The last step that met every criterion. */
  maxConnections: number | null;
  maxMessagesPerSec: number | null;
  sloP99Ms: number;
  firstLimit: { criterion: string; step: number; detail: string } | null;
  bottleneck: Bottleneck;
  evidence: string[];
  /** Server RSS slope, bytes per connection (least squares over the steps). */
  memoryPerConnectionBytes: number | null;
  /** Server CPU per message, microseconds (CPU% × 10^4 / achieved msg/s, averaged over the steps). */
  cpuMicrosPerMessage: number | null;
  /** One sentence: "holds N connections and M msg/s at p99 ≤ SLO; first limit: … at step K; evidence: …". */
  summary: string;
  /** Where the limit is: the server under test, the machine it shares with the driver, or the driver. */
  limitedBy?: 'server' | 'machine' | 'generator' | null;
  /** The ramp was interrupted: the answer covers only the steps measured to the end, and is no capacity claim. */
  partial?: boolean;
}

export interface RampResult extends ResultHeader<'ramp'> {
  /** `traffic`: the traffic options given (handshake, message); absent for a plain binary echo. */
  ramp: { from: number; step: number; to: number; holdMs: number; ratePerConnection: number; messageBytes: number; traffic?: TrafficRecord };
  steps: RampStep[];
  verdict: CapacityVerdict;
  /** The stop criteria in force. */
  criteria?: StopCriteriaOptions;
  /** Set when the server died during the ramp: at which step, how, and its last output lines. */
  serverDeath?: { step: number; connections: number; description: string; logTail: string[] };
  generator?: { workers: number; sourceAddresses: string[] };
  timeline: TimelinePoint[];
}
