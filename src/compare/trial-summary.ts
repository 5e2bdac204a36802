import type { RunResult, RunStatus } from '../run/run-result.js';
import type { Arm } from './schedule.js';
import { decodeHistogram } from '../metrics/latency-histogram.js';
import { sketchLatency, type LatencySketch } from './latency-sketch.js';
import type { MachineLoad } from '../metrics/machine-load.js';

/** What the comparison needs from one trial (one fresh server process, one run). */
export interface TrialSummary {
  arm: Arm;
  /** Position in run order, from 0: the schedule's index, which decides the pair. */
  index: number;
  status: RunStatus;
  achievedPerSec: number;
  /** Null when no echo came back, so there is no latency to compare. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** The trial's latency quantiles (latency-sketch.ts), so the p99 gate can pool trials; absent in older summaries. */
  latencySketch?: LatencySketch | null;
  /** failed + dropped connections + timed-out messages. */
  errors: number;
  /** Connection attempts + messages sent. */
  attempted: number;
  /** errors / attempted; 0 when nothing was attempted. */
  errorRate: number;
  /** The generator (not the server) was the bottleneck: the trial says nothing about the server. */
  saturated: boolean;
  saturationReasons: string[];
  /** What the server spent, shown beside the gated cost figures: mean CPU over the measured window and peak RSS. */
  serverCpuPercent?: number | null;
  serverPeakRssBytes?: number | null;
  /**
   * What the server spent per unit of work over the measured window (result `server.*`); null when not
   * measured for this target. Optional only so summaries stored before they existed still read.
   */
  serverCpuMicrosPerMessage?: number | null;
  serverMemoryBytesPerConnection?: number | null;
  serverAllocBytesPerMessage?: number | null;
  serverAllocsPerMessage?: number | null;
  serverGcPer10kMessages?: number | null;
  /** GC cycles counted in the window and the echoes it held (`server.costBasis`), for the GC rate test. */
  serverGcCycles?: number | null;
  serverMessages?: number | null;
  /**
   * CPU others took while the trial ran (result `machine`): other processes and the hypervisor's steal. Judged
   * against a stored baseline, a busy trial is left out (trial-design.ts). Absent in older summaries.
   */
  machine?: MachineLoad | null;
}


/**
 * Reduces a run to the numbers the gate compares. A failed connection and a timed-out message each count as
 * one failed attempt: the error rate is a gate on "did anything go wrong more often", not a model of either.
 */
export function summarizeTrial(result: RunResult, arm: Arm, index: number): TrialSummary {
  const errors = result.connections.failed + result.connections.dropped + result.messages.timedOut;
  const attempted = result.connections.attempted + result.messages.sent;
  return {
    arm,
    index,
    status: result.status,
    achievedPerSec: result.throughput.achievedPerSec,
    p50Ms: result.latencyMs?.p50 ?? null,
    p99Ms: result.latencyMs?.p99 ?? null,
    latencySketch: sketchOf(result.histogram),
    errors,
    attempted,
    errorRate: attempted > 0 ? errors / attempted : 0,
    saturated: result.status === 'saturated' || result.generator.saturated,
    saturationReasons: [...result.generator.saturationReasons],
    serverCpuPercent: result.server?.cpuPercent ?? null,
    serverPeakRssBytes: result.server?.peakRssBytes ?? null,
    serverCpuMicrosPerMessage: result.server?.cpuMicrosPerMessage ?? null,
    serverMemoryBytesPerConnection: result.server?.memoryBytesPerConnection ?? null,
    serverAllocBytesPerMessage: result.server?.allocBytesPerMessage ?? null,
    serverAllocsPerMessage: result.server?.allocsPerMessage ?? null,
    serverGcPer10kMessages: result.server?.gcPer10kMessages ?? null,
    serverGcCycles: result.server?.costBasis?.gcCycles ?? null,
    serverMessages: result.server?.costBasis?.messages ?? null,
    machine: result.machine == null ? null : { otherCpuPercent: result.machine.otherCpuPercent, stealPercent: result.machine.stealPercent },
  };
}

function sketchOf(encoded: string | null | undefined): LatencySketch | null {
  if (typeof encoded !== 'string' || encoded.length === 0) return null;
  try {
    const histogram = decodeHistogram(encoded);
    const sketch = sketchLatency(histogram.totalCount, (percent) => histogram.getValueAtPercentile(percent) / 1000);
    histogram.destroy();
    return sketch;
  } catch {
    // A histogram that does not decode leaves the p99 gate to each trial's own p99.
    return null;
  }
}
