import type { LatencySummaryMs, ResultHeader } from '../run/run-result.js';
import type { JudgedMachineLoad } from '../metrics/machine-load.js';
import type { TrafficRecord } from '../scenario/traffic-record.js';

/** The version of the limit result's schema; fields may be added, never renamed or removed without bumping it. */
export const LIMIT_SCHEMA_VERSION = 1;

/** One probe of a limit search: a fixed offered rate held on every connection. */
export interface LimitProbe {
  index: number;
  ratePerConnection: number;
  offeredPerSec: number;
  achievedPerSec: number;
  sent: number;
  received: number;
  timedOut: number;
  latencyMs: LatencySummaryMs | null;
  serverCpuPercent: number | null;
  /** `cpuPercent`: the driver's CPU over the probe, percent of one core (absent in results before it was recorded). */
  generator: { sendLagP99Ms: number; eventLoopUtilization: number; saturated: boolean; cpuPercent?: number | null };
  passed: boolean;
  /** Why it failed, "criterion: detail"; empty when it passed. */
  reasons: string[];
  /** Cut short by Ctrl-C: kept as measured, neither a pass nor a fail. */
  partial?: boolean;
  /** CPU other processes used during the probe; `noisy` past 25% of a core (see metrics/machine-load.ts). */
  machine?: JudgedMachineLoad | null;
}

export interface LimitResult extends ResultHeader<'limit'> {
  /** Interrupted: the summary says what the finished probes showed, not a limit. */
  partial?: boolean;
  /** `traffic`: the traffic options given (handshake, message); absent for a plain binary echo. */
  search: { connections: number; messageBytes: number; sloP99Ms: number; minAchievedRatio: number; maxProbes: number; holdMs: number; startRatePerConnection: number; traffic?: TrafficRecord };
  /** Connections actually open during the probes. */
  established: number;
  probes: LimitProbe[];
  /** Highest passing rate per connection; null when none passed. */
  maxRatePerConnection: number | null;
  maxMessagesPerSec: number | null;
  maxBytesPerSec: number | null;
  /** Lowest failing rate per connection above the maximum; null when none failed. */
  firstFailingRatePerConnection: number | null;
  /**
   * What stopped the rate from going higher. A saturated generator is the `server`'s limit when the server took
   * the machine's cores from the driver, the `machine`'s when other processes did or driver and server together
   * used every core, and the `generator`'s only when nobody else did (bottleneck.ts whoStarvedTheGenerator).
   */
  limitedBy: 'server' | 'generator' | 'machine' | 'server-died' | 'probe-budget' | null;
  summary: string;
}
