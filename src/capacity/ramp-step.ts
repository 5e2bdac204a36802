import type { OpenSummary, PhaseSummary } from '../driver/load-driver.js';
import { summarizeLatencyMs } from '../metrics/latency-histogram.js';
import { summarizeServerSamples } from '../metrics/server-sampler.js';
import type { ServerSample } from '../metrics/server-sample.js';
import { driverCpuPercent, saturationReasons } from '../run/generator-health.js';
import type { RampStep } from './ramp-result.js';

/** What one step measured, before the stop criteria are applied. */
export interface StepMeasurement {
  index: number;
  connections: number;
  ratePerConnection: number;
  messageBytes: number;
  holdMs: number;
  warmupMs: number;
  workers: number;
  /** This step's `open()` (undefined when nothing new was opened or the open did not finish). */
  opened: OpenSummary | undefined;
  /** Connections open before this step. */
  establishedBefore: number;
  /** The driver's heap after the last completed open (after GC), for steps that opened nothing. */
  lastHeapUsedBytes: number;
  lastRssBytes: number;
  phase: PhaseSummary | undefined;
  /** Server samples taken during this step's measured window (sampler clock). */
  samples: readonly ServerSample[];
}

/** Builds a RampStep (with no stop reasons yet) from the driver's and the sampler's reports. */
export function buildRampStep(m: StepMeasurement): RampStep {
  const { phase, opened } = m;
  const established = m.establishedBefore + (opened?.established ?? 0);
  const achievedPerSec = phase?.achievedPerSec ?? 0;
  const eventLoopUtilization = phase?.eventLoopUtilization ?? 0;
  const sendLagP99Ms = phase?.sendLagP99Ms ?? 0;
  const reasons = phase === undefined ? [] : saturationReasons({ sendLagP99Ms, eventLoopUtilization, workers: m.workers });
  const server = summarizeServerSamples(m.samples);
  const last = m.samples.at(-1);
  const heapUsedBytes = opened?.heapUsedBytes ?? m.lastHeapUsedBytes;
  return {
    index: m.index,
    connections: m.connections,
    established: phase?.connections ?? established,
    connectAttempted: opened?.attempted ?? 0,
    connectErrorsByCode: { ...(opened?.errorsByCode ?? {}) },
    openMs: Math.round(opened?.openMs ?? 0),
    ratePerConnection: m.ratePerConnection,
    messageBytes: m.messageBytes,
    holdMs: m.holdMs,
    offeredPerSec: (phase?.connections ?? established) * m.ratePerConnection,
    achievedPerSec,
    sent: phase?.sent ?? 0,
    received: phase?.received ?? 0,
    timedOut: phase?.timedOut ?? 0,
    dropped: phase?.dropped ?? 0,
    droppedConnections: Object.values(phase?.dropsByCode ?? {}).reduce((sum, count) => sum + count, 0),
    latencyMs: phase === undefined || phase.rtt.totalCount === 0 ? null : summarizeLatencyMs(phase.rtt),
    server: {
      cpuPercent: server.cpuPercent,
      rssBytes: last?.rssBytes ?? null,
      openFds: server.peakOpenFds,
      goroutines: server.peakGoroutines,
      heapInuseBytes: server.peakHeapInuseBytes,
      gcPauseMaxMs: server.gcPauseMaxMs,
      gcPauseP50Ms: last?.gcPauseP50Ms ?? null,
      processes: server.peakProcesses,
    },
    generator: {
      sendLagP99Ms,
      ...(phase === undefined ? {} : { settleMs: Math.round(phase.settleMs), settled: phase.settled }),
      eventLoopUtilization,
      saturated: reasons.length > 0,
      saturationReasons: reasons,
      heapUsedBytes,
      heapUsedBytesPerConnection: established > 0 && heapUsedBytes > 0 ? heapUsedBytes / established : null,
      rssBytes: opened?.rssBytes ?? m.lastRssBytes,
      cpuPercent: driverCpuPercent(phase),
    },
    stopReasons: [],
    stopCriteria: [],
  };
}
