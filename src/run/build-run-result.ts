import type { OpenSummary, PhaseSummary } from '../driver/load-driver.js';
import { decodeHistogram, encodeHistogram, percentileMs, summarizeLatencyMs } from '../metrics/latency-histogram.js';
import type { JudgedMachineLoad } from '../metrics/machine-load.js';
import { summarizeServerSamples } from '../metrics/server-sampler.js';
import type { ServerSample } from '../metrics/server-sample.js';
import { EMPTY_SERVER_COST } from '../metrics/server-cost.js';
import type { ServerCostReport } from '../metrics/server-cost.js';
import type { TcpCounters } from '../metrics/tcp-counters.js';
import type { ResolvedRunOptions } from '../scenario/run-options.js';
import { judgeErrorBudget } from './error-budget.js';
import { saturationReasons } from './generator-health.js';
import { churnOf, deliveryOf, offeredPerSecOf, pingRttOf } from './traffic-result.js';
import type { AbnormalClosures, HandshakeSummaryMs, ResultHeader, RunResult, ShardInfo, TimelinePoint } from './run-result.js';
import { recordTraffic } from '../scenario/traffic-record.js';

/** What one run measured, for its result. */
export interface RunMeasurement {
  options: ResolvedRunOptions;
  shard: ShardInfo | undefined;
  /** Built by the session; `status` is replaced when the generator saturated. */
  header: ResultHeader<'run'>;
  workers: number;
  sourceAddresses: string[];
  opened: OpenSummary | undefined;
  phase: PhaseSummary | undefined;
  timeline: TimelinePoint[];
  samples: ServerSample[];
  cost: ServerCostReport | undefined;
  machineLoad: JudgedMachineLoad | null;
  tcp: TcpCounters | null;
}

/** The run's result: the session's header, then what the driver and the samplers measured. Pure. */
export function buildRunResult(m: RunMeasurement): RunResult {
  const { options, opened, phase } = m;
  const measuredSeconds = m.timeline.filter((second) => !second.warmup);
  const eventLoopUtilization = phase?.eventLoopUtilization ?? 0;
  const sendLagP99Ms = phase?.sendLagP99Ms ?? 0;
  const reasons = phase === undefined ? [] : saturationReasons({ sendLagP99Ms, eventLoopUtilization, workers: m.workers });
  const errorBudget = judgeErrorBudget(options.errorBudget, {
    sent: phase?.sent ?? 0,
    timedOut: phase?.timedOut ?? 0,
    mismatched: phase?.mismatched ?? 0,
    connectionsAttempted: opened?.attempted ?? 0,
    connectionsFailed: opened?.failed ?? 0,
    connectionsDropped: phase?.dropped ?? 0,
  });
  const achievedPerSec = phase?.achievedPerSec ?? 0;
  const server = summarizeServerSamples(m.samples);
  const errorsByCode = { ...(opened?.errorsByCode ?? {}) };
  for (const [code, count] of Object.entries(phase?.dropsByCode ?? {})) errorsByCode[`dropped:${code}`] = (errorsByCode[`dropped:${code}`] ?? 0) + count;
  return {
    ...m.header,
    // Lost, unanswered or wrong echoes are the server's doing even when the generator sent late (a late send
    // is still answered; RTT is what saturation makes untrustworthy), so a breached budget outranks saturation.
    status: m.header.status !== 'completed' ? m.header.status : !errorBudget.held ? 'failed' : reasons.length > 0 ? 'saturated' : 'completed',
    scenario: {
      name: options.scenarioName,
      connections: options.connections,
      ratePerConnection: options.ratePerConnection,
      messageBytes: options.messageBytes,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      traffic: recordTraffic(options.traffic),
    },
    connections: {
      attempted: opened?.attempted ?? 0,
      established: opened?.established ?? 0,
      failed: opened?.failed ?? 0,
      dropped: phase?.dropped ?? 0,
      errorsByCode,
      openMs: Math.round(opened?.openMs ?? 0),
      handshakeMs: handshakeSummary(opened),
      handshakeFailuresByCode: { ...(opened?.errorsByCode ?? {}) },
      abnormalClosures: abnormalClosures(phase?.dropsByCode ?? {}),
    },
    messages: {
      sent: phase?.sent ?? 0,
      received: phase?.received ?? 0,
      timedOut: phase?.timedOut ?? 0,
      late: phase?.late ?? 0,
      mismatched: phase?.mismatched ?? 0,
      unmatched: phase?.unmatched ?? 0,
    },
    errorBudget,
    throughput: {
      offeredPerSec: offeredPerSecOf(options.traffic, options.connections, options.ratePerConnection),
      achievedPerSec,
      achievedBytesPerSec: phase?.achievedBytesPerSec ?? 0,
    },
    latencyMs: phase === undefined ? null : summarizeLatencyMs(phase.rtt),
    histogram: phase === undefined ? null : encodeHistogram(phase.rtt),
    generator: {
      sendLagP99Ms,
      sendLagMaxMs: phase?.sendLagMaxMs ?? 0,
      ...(phase === undefined ? {} : { settleMs: Math.round(phase.settleMs), settled: phase.settled }),
      eventLoopUtilization,
      cpuMicrosPerMessage: phase === undefined || !Number.isFinite(phase.cpuMicrosPerEcho) ? null : phase.cpuMicrosPerEcho,
      heapBytesPerConnection: opened === undefined || opened.established === 0 ? null : opened.heapUsedBytes / opened.established,
      workers: m.workers,
      sourceAddresses: m.sourceAddresses,
      saturated: reasons.length > 0,
      saturationReasons: reasons,
    },
    server: { cpuPercent: measuredServerCpu(measuredSeconds) ?? server.cpuPercent, peakRssBytes: server.peakRssBytes, samples: m.samples, ...costFigures(m.cost) },
    machine: m.machineLoad,
    cpuPinning: options.pinning === undefined ? null : { targetCpus: [...options.pinning.target.cpus], driverCpus: [...options.pinning.driver.cpus] },
    tcp: m.tcp,
    ...pingRttOf(phase),
    ...deliveryOf(phase),
    ...churnOf(phase),
    timeline: m.timeline,
    loadStartedAtEpochMs: phase?.startEpochMs ?? null,
    ...(m.shard === undefined ? {} : { shard: m.shard }),
  };
}

function costFigures(cost: ServerCostReport | undefined): Omit<RunResult['server'], 'cpuPercent' | 'peakRssBytes' | 'samples'> {
  if (cost === undefined) return { ...EMPTY_SERVER_COST, costBasis: null };
  const { basis, ...figures } = cost;
  return { ...figures, costBasis: basis };
}

/** The server's mean CPU over the measured window (warm-up and connection set-up excluded), when sampled. */
function measuredServerCpu(points: TimelinePoint[]): number | null {
  const cpu = points.flatMap((point) => (point.server === undefined ? [] : [point.server.cpuPercent]));
  return cpu.length === 0 ? null : cpu.reduce((sum, value) => sum + value, 0) / cpu.length;
}

/** Dial-to-open percentiles of the connections established; null when none was. */
export function handshakeSummary(opened: OpenSummary | undefined): HandshakeSummaryMs | null {
  if (opened === undefined) return null;
  const histogram = decodeHistogram(opened.handshakeHistogram);
  const summary = histogram.totalCount === 0 ? null : { p50: percentileMs(histogram, 50), p99: percentileMs(histogram, 99), max: histogram.maxValue / 1000, count: histogram.totalCount };
  histogram.destroy();
  return summary;
}

/** Closes wsbench did not ask for, by close code (`1006`) or socket error (`ECONNRESET`). */
export function abnormalClosures(dropsByCode: Record<string, number>): AbnormalClosures {
  const byCode: Record<string, number> = {};
  let total = 0;
  for (const [code, count] of Object.entries(dropsByCode)) {
    const key = code.startsWith('CLOSE_') ? code.slice('CLOSE_'.length) : code;
    byCode[key] = (byCode[key] ?? 0) + count;
    total += count;
  }
  return { total, byCode };
}
