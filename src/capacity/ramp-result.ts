import type { EnvironmentInfo, LatencySummaryMs, RunResult, RunStatus, TimelinePoint } from '../run/run-result.js';

/** One step of a connection ramp: the load held at this connection count, and what it cost. */
export interface RampStep {
  index: number;
  /** Connections asked for at this step (earlier steps' connections stay open). */
  connections: number;
  established: number;
  connectErrorsByCode: Record<string, number>;
  ratePerConnection: number;
  messageBytes: number;
  holdMs: number;
  offeredPerSec: number;
  achievedPerSec: number;
  sent: number;
  received: number;
  timedOut: number;
  latencyMs: LatencySummaryMs | null;
  server: {
    cpuPercent: number | null;
    rssBytes: number | null;
    openFds: number | null;
    goroutines: number | null;
    heapInuseBytes: number | null;
    gcPauseMaxMs: number | null;
  };
  generator: { sendLagP99Ms: number; eventLoopUtilization: number; saturated: boolean; heapUsedBytes: number };
  /** Stop criteria that fired at this step; empty when the step held. */
  stopReasons: string[];
}

export type Bottleneck = 'server-cpu' | 'server-memory' | 'gc' | 'fd-limit' | 'port-exhaustion' | 'generator' | 'server-died' | 'latency' | 'errors' | 'none';

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
}

export interface RampResult {
  schemaVersion: number;
  kind: 'ramp';
  status: RunStatus;
  error?: RunResult['error'];
  tool: RunResult['tool'];
  startedAt: string;
  env: EnvironmentInfo;
  git: RunResult['git'];
  target: RunResult['target'];
  ramp: { from: number; step: number; to: number; holdMs: number; ratePerConnection: number; messageBytes: number };
  steps: RampStep[];
  verdict: CapacityVerdict;
  timeline: TimelinePoint[];
}
