import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import type { WsbenchError } from '../errors.js';
import type { PhaseSummary } from '../driver/load-driver.js';
import { formatBytes, formatMs } from '../format-numbers.js';
import { summarizeLatencyMs } from '../metrics/latency-histogram.js';
import { summarizeServerSamples } from '../metrics/server-sampler.js';
import { driverCpuPercent, saturationReasons } from '../run/generator-health.js';
import { asWsbenchError, MeasurementSession } from '../run/measurement-session.js';
import { endStatus } from '../run/result-header.js';
import { TargetDiedError } from '../run/target-died-error.js';
import { sessionOptionsOf } from '../run/session-traffic.js';
import { phaseTrafficOf } from '../run/traffic-result.js';
import type { Pacer } from '../driver/worker-protocol.js';
import type { TrafficOptions } from '../scenario/traffic-options.js';
import { checkCapacityTraffic } from './capacity-traffic.js';
import { MIN_MESSAGE_BYTES } from '../scenario/run-options.js';
import type { TargetSpec } from '../targets/target-spec.js';
import { LIMIT_SCHEMA_VERSION } from './limit-result.js';
import type { LimitProbe, LimitResult } from './limit-result.js';
import { DEFAULT_MAX_PROBES, roundRate, searchMaxRate } from './limit-search.js';
import type { ProbeVerdict } from './limit-search.js';
import type { RampContext } from './ramp.js';
import { DEFAULT_MIN_ACHIEVED_RATIO, DEFAULT_SLO_P99_MS } from './stop-criteria-options.js';
import { formatRate } from './stop-criteria.js';
import { recordTraffic } from '../scenario/traffic-record.js';
import { describeMachineBusy } from '../metrics/machine-load.js';
import { whoStarvedTheGenerator, type CpuUse } from './bottleneck.js';

export const DEFAULT_PROBE_HOLD_MS = 5_000;
export const DEFAULT_PROBE_WARMUP_MS = 1_000;
export const DEFAULT_START_RATE_PER_CONNECTION = 1;
export const DEFAULT_START_MESSAGES_PER_SEC = 1_000;
/** Without a server CPU reading, a passing probe grows the rate this much: 1K to 200K msg/s in four steps. */
export const UNCALIBRATED_GROWTH = 4;
/** A calibrated jump aims this far below the capacity the server's CPU per message predicts. */
const CALIBRATED_TARGET = 0.8;
/** The most one calibrated jump multiplies the rate by. */
const MAX_CALIBRATED_JUMP = 16;
/** Below this server CPU the per-message estimate is mostly noise. */
const MIN_CPU_PERCENT_FOR_ESTIMATE = 5;
/** Quiet time between probes, so a backlog left by a failed probe does not count against the next. */
export const PROBE_SETTLE_MS = 1_000;

export interface LimitOptions {
  target?: TargetSpec;
  url?: string;
  connections: number;
  messageBytes: number;
  sloP99Ms?: number;
  minAchievedRatio?: number;
  maxProbes?: number;
  holdMs?: number;
  startRatePerConnection?: number;
  workers?: number;
  messageTimeoutMs?: number;
  pacer?: Pacer;
  /** Handshake, message shape and the `--url` server to sample, as for a run. */
  traffic?: TrafficOptions;
  /** Quiet time between probes. @default PROBE_SETTLE_MS */
  settleMs?: number;
}

export interface LimitOutcome {
  result: LimitResult;
  failure: WsbenchError | undefined;
}

/**
 * The highest message rate a fixed number of connections sustains: one target, one set of open
 * connections, a bounded search over the offered rate per connection. A probe passes when p99 ≤ SLO,
 * achieved ≥ `minAchievedRatio` × offered and the generator did not saturate.
 */
export async function runLimit(options: LimitOptions, context: RampContext = {}): Promise<LimitOutcome> {
  const emit = context.onEvent ?? (() => {});
  const sloP99Ms = options.sloP99Ms ?? DEFAULT_SLO_P99_MS;
  const minAchievedRatio = options.minAchievedRatio ?? DEFAULT_MIN_ACHIEVED_RATIO;
  const maxProbes = options.maxProbes ?? DEFAULT_MAX_PROBES;
  const holdMs = options.holdMs ?? DEFAULT_PROBE_HOLD_MS;
  const warmupMs = Math.min(DEFAULT_PROBE_WARMUP_MS, Math.floor(holdMs / 5));
  // Unless told, start at 1,000 msg/s in all (or 1/s per connection if that is more): 1/s on 100 connections
  // would spend half the probe budget below any real server's limit.
  const startRate = options.startRatePerConnection ?? roundRate(Math.max(DEFAULT_START_RATE_PER_CONNECTION, DEFAULT_START_MESSAGES_PER_SEC / options.connections));
  if (options.messageBytes < MIN_MESSAGE_BYTES) throw new UsageError('INVALID_SIZE', `Expected --size to be at least ${MIN_MESSAGE_BYTES} bytes; got ${options.messageBytes}. Give e.g. --size 64`);
  if (holdMs < 1000) throw new UsageError('INVALID_HOLD', `Expected --hold to be at least 1s; got ${holdMs} ms. Give e.g. --hold 10s`);
  if (options.url === undefined && options.target === undefined) throw new UsageError('NO_TARGET', 'Nothing to load: give --target SPEC (e.g. gobwas) or --url ws://HOST:PORT/PATH');
  checkCapacityTraffic(options.traffic, { connections: options.connections, messageBytes: options.messageBytes, durationMs: holdMs, url: options.url }, 'limit');

  emit({ type: 'stage', stage: 'preparing', detail: `limit search at ${options.connections} connections` });
  const session = new MeasurementSession(sessionOptionsOf(options, context, emit, options.connections));
  const probes: LimitProbe[] = [];
  let established = 0;
  let failure: WsbenchError | undefined;
  let died: TargetDiedError | undefined;
  let search: Awaited<ReturnType<typeof searchMaxRate>> | undefined;

  try {
    await session.start();
    await session.openConnections(options.connections);
    established = session.established;

    const probe = async (ratePerConnection: number, index: number): Promise<ProbeVerdict> => {
      session.throwIfInterrupted();
      if (index > 0) await Promise.race([sleep(options.settleMs ?? PROBE_SETTLE_MS), session.broken]);
      emit({ type: 'limit-probe', index, maxProbes, ratePerConnection, connections: established });
      const measured = await session.runPhase({
        label: `Probe ${index + 1}`,
        ratePerConnection,
        messageBytes: options.messageBytes,
        durationMs: holdMs,
        warmupMs,
        ...(options.messageTimeoutMs === undefined ? {} : { messageTimeoutMs: options.messageTimeoutMs }),
        ...(options.pacer === undefined ? {} : { pacer: options.pacer }),
        traffic: phaseTrafficOf(options.traffic),
      });
      if (measured.stoppedBy instanceof TargetDiedError) died = measured.stoppedBy;
      else if (measured.stoppedBy !== undefined) throw measured.stoppedBy;
      await session.sampleNow();
      const samples = session.samplesSince(measured.windowFromMs);
      const result = judgeProbe({ index, ratePerConnection, phase: measured.phase, holdMs, warmupMs, workers: session.plan.workers.length, sloP99Ms, minAchievedRatio, serverCpuPercent: summarizeServerSamples(samples).cpuPercent, died: died?.message });
      result.machine = measured.machineLoad;
      if (session.interrupted) {
        // Cut short by Ctrl-C: kept as measured, neither a pass nor a fail.
        result.partial = true;
        result.passed = false;
        result.reasons = ['interrupted: the probe was cut short, so it is not judged'];
      }
      probes.push(result);
      emit({ type: 'limit-probe-done', probe: result, maxProbes });
      session.throwIfInterrupted();
      return died !== undefined ? 'abort' : result.passed ? 'pass' : 'fail';
    };
    search = await searchMaxRate({ startRate, maxProbes, propose: (rate, verdict) => proposeNextRate(probes.at(-1), rate, verdict, established, minAchievedRatio) }, probe);
  } catch (error) {
    failure = asWsbenchError(error);
  }
  await session.close();

  // Interrupted, the search never returned: the probes that finished still say which rates held.
  const maxRate = search?.maxRate ?? highestPassing(probes);
  const best = probes.find((probe) => probe.passed && probe.ratePerConnection === maxRate);
  const failing = probes.filter((probe) => !probe.passed && probe.partial !== true && (maxRate === null || probe.ratePerConnection > maxRate)).sort((a, b) => a.ratePerConnection - b.ratePerConnection)[0];
  const cores = session.env.cores;
  const limitedBy = limitedByOf(failing, died !== undefined, search !== undefined, cores);
  const maxMessagesPerSec = best?.achievedPerSec ?? null;
  const result: LimitResult = {
    ...session.header({ kind: 'limit', schemaVersion: LIMIT_SCHEMA_VERSION, status: endStatus(session.interrupted, failure), failure }),
    search: { connections: options.connections, messageBytes: options.messageBytes, sloP99Ms, minAchievedRatio, maxProbes, holdMs, startRatePerConnection: startRate, traffic: recordTraffic(options.traffic) },
    established,
    probes,
    maxRatePerConnection: maxRate,
    maxMessagesPerSec,
    maxBytesPerSec: maxMessagesPerSec === null ? null : maxMessagesPerSec * options.messageBytes,
    firstFailingRatePerConnection: failing?.ratePerConnection ?? null,
    limitedBy,
    ...(session.interrupted ? { partial: true } : {}),
    summary: session.interrupted ? summarizeInterrupted(maxRate, maxMessagesPerSec, established, sloP99Ms, probes) : summarizeLimit(maxRate, maxMessagesPerSec, options, established, sloP99Ms, failing, limitedBy, cores),
  };
  return { result, failure };
}

interface ProbeInput {
  index: number;
  ratePerConnection: number;
  phase: PhaseSummary | undefined;
  holdMs: number;
  warmupMs: number;
  workers: number;
  sloP99Ms: number;
  minAchievedRatio: number;
  serverCpuPercent: number | null;
  died: string | undefined;
}

/** Pass/fail for one probe, with the reasons. Pure. */
export function judgeProbe(input: ProbeInput): LimitProbe {
  const { phase } = input;
  const connections = phase?.connections ?? 0;
  const offeredPerSec = connections * input.ratePerConnection;
  const achievedPerSec = phase?.achievedPerSec ?? 0;
  const latencyMs = phase === undefined || phase.rtt.totalCount === 0 ? null : summarizeLatencyMs(phase.rtt);
  const measured = phase?.seconds.filter((second) => !second.warmup) ?? [];
  const eventLoopUtilization = measured.length === 0 ? (phase?.eventLoopUtilization ?? 0) : measured.reduce((sum, second) => sum + second.eventLoopUtilization, 0) / measured.length;
  const sendLagP99Ms = phase?.sendLagP99Ms ?? 0;
  const saturation = phase === undefined ? [] : saturationReasons({ sendLagP99Ms, eventLoopUtilization, workers: input.workers });
  const reasons: string[] = [];
  if (input.died !== undefined) reasons.push(`server-died: ${input.died}`);
  if (phase === undefined) reasons.push('no-measurement: the probe did not finish');
  if (latencyMs === null && phase !== undefined) reasons.push('no-echoes: no message came back');
  if (latencyMs !== null && latencyMs.p99 > input.sloP99Ms) reasons.push(`p99-over-slo: p99 ${formatMs(latencyMs.p99)} > SLO ${formatMs(input.sloP99Ms)}`);
  if (offeredPerSec > 0 && achievedPerSec < input.minAchievedRatio * offeredPerSec) {
    reasons.push(`throughput: achieved ${formatRate(achievedPerSec)} msg/s < ${(input.minAchievedRatio * 100).toFixed(0)}% of ${formatRate(offeredPerSec)} offered`);
  }
  for (const reason of saturation) reasons.push(`generator-saturated: ${reason}`);
  return {
    index: input.index,
    ratePerConnection: input.ratePerConnection,
    offeredPerSec,
    achievedPerSec,
    sent: phase?.sent ?? 0,
    received: phase?.received ?? 0,
    timedOut: phase?.timedOut ?? 0,
    latencyMs,
    serverCpuPercent: input.serverCpuPercent,
    generator: { sendLagP99Ms, eventLoopUtilization, saturated: saturation.length > 0, cpuPercent: driverCpuPercent(phase) },
    passed: reasons.length === 0,
    reasons,
  };
}

/**
 * What stopped the rate from going higher: the lowest failing probe above the maximum tells. A saturated
 * generator is named only when nothing else took its CPU: the same rule as a ramp's (whoStarvedTheGenerator).
 */
export function limitedByOf(failing: LimitProbe | undefined, serverDied: boolean, searchFinished: boolean, cores: number): LimitResult['limitedBy'] {
  if (serverDied) return 'server-died';
  if (failing === undefined) return searchFinished ? 'probe-budget' : null;
  if (!failing.generator.saturated) return 'server';
  return whoStarvedTheGenerator(cpuUseOf(failing), cores).limitedBy;
}

function cpuUseOf(probe: LimitProbe): CpuUse {
  return { serverCpuPercent: probe.serverCpuPercent, driverCpuPercent: probe.generator.cpuPercent ?? null, load: probe.machine };
}

function highestPassing(probes: readonly LimitProbe[]): number | null {
  const passed = probes.filter((probe) => probe.passed).map((probe) => probe.ratePerConnection);
  return passed.length === 0 ? null : Math.max(...passed);
}

/** Ctrl-C: what the finished probes showed, and that the limit itself was not found. */
function summarizeInterrupted(maxRate: number | null, maxPerSec: number | null, established: number, sloP99Ms: number, probes: readonly LimitProbe[]): string {
  const finished = probes.filter((probe) => probe.partial !== true).length;
  const held = maxRate === null || maxPerSec === null ? 'no finished probe held' : `${established} connections held ${formatRate(maxPerSec)} msg/s (${maxRate} per connection) at p99 ≤ ${formatMs(sloP99Ms)}`;
  return `interrupted — partial: after ${finished} finished probe${finished === 1 ? '' : 's'}, ${held}; the limit was not found (it is at least this), run again to find it`;
}

export function summarizeLimit(maxRate: number | null, maxPerSec: number | null, options: LimitOptions, established: number, sloP99Ms: number, failing: LimitProbe | undefined, limitedBy: LimitResult['limitedBy'], cores: number): string {
  if (maxRate === null || maxPerSec === null) {
    return `no rate held at ${established} connections (lowest probe failed: ${failing?.reasons.join('; ') ?? 'not measured'})`;
  }
  const bytes = maxPerSec * options.messageBytes;
  const next = failing === undefined ? 'no probe failed within the budget (the limit is higher)' : `${formatRate(failing.offeredPerSec)} msg/s failed (${failing.reasons.map((reason) => reason.split(':')[0]).join(', ')})`;
  return `${established} connections sustain ${formatRate(maxPerSec)} msg/s (${maxRate} per connection, ${formatBytes(bytes)}/s) at p99 ≤ ${formatMs(sloP99Ms)}; ${next}${whoLimited(failing, limitedBy, cores)}`;
}

/** The summary's last clause: who the failing probe's saturated generator waited for, with the figures. */
function whoLimited(failing: LimitProbe | undefined, limitedBy: LimitResult['limitedBy'], cores: number): string {
  if (failing === undefined || !failing.generator.saturated) return '';
  if (limitedBy === 'generator') return ' — the limit is the load generator, not the server';
  if (failing.machine?.noisy === true) return ` — the limit is this machine, not the server: ${describeMachineBusy(failing.machine)} during that probe and the driver waited for CPU; run again on a quieter machine`;
  const { evidence } = whoStarvedTheGenerator(cpuUseOf(failing), cores);
  if (evidence === null) return '';
  return limitedBy === 'machine' ? ` — the limit is this machine, not the server alone: ${evidence}` : ` — ${evidence}`;
}

/**
 * The next rate to bracket the limit with, from what the last probe measured. A pass with the server's CPU
 * known predicts the capacity of one server core (achieved × 100 / CPU%), and the next probe aims just below
 * it; without a CPU reading the rate grows ×4. A probe that failed on throughput achieved what the server can
 * carry under overload: the next probe goes just below that, not to half the failed rate.
 */
export function proposeNextRate(last: LimitProbe | undefined, rate: number, verdict: 'pass' | 'fail', connections: number, minAchievedRatio: number): number | undefined {
  if (last === undefined || connections <= 0) return undefined;
  if (verdict === 'pass') {
    const cpu = last.serverCpuPercent;
    if (cpu !== null && cpu >= MIN_CPU_PERCENT_FOR_ESTIMATE && last.achievedPerSec > 0) {
      const predictedPerConnection = (last.achievedPerSec * 100) / cpu / connections;
      return Math.min(rate * MAX_CALIBRATED_JUMP, Math.max(rate * 2, CALIBRATED_TARGET * predictedPerConnection));
    }
    return rate * UNCALIBRATED_GROWTH;
  }
  if (last.achievedPerSec > 0 && last.achievedPerSec < minAchievedRatio * last.offeredPerSec) return (0.9 * last.achievedPerSec) / connections;
  return undefined;
}
