import type { Bottleneck, CapacityVerdict, RampStep } from './ramp-result.js';
import type { StopCriterion } from './stop-criteria-options.js';
import { formatRate } from './stop-criteria.js';
import { formatMs } from '../format-numbers.js';
import { describeMachineBusy, type JudgedMachineLoad, type MachineLoad } from '../metrics/machine-load.js';

/**
 * Names what limited a ramp, with its evidence. Pure: the steps, the first stop finding and the
 * machine's facts go in, the verdict comes out. Memory per connection is the least-squares slope of
 * server RSS against established connections (ordinary least squares, one regressor); CPU per message
 * is server CPU time over messages echoed, averaged over the steps that carried load.
 */

/** Server CPU at or above this share of the cores it can use counts as CPU-bound. */
export const CPU_BOUND_FRACTION = 0.9;
/** Server RSS at or above this share of the machine's memory counts as memory-bound. */
export const MEMORY_BOUND_FRACTION = 0.8;
/** Open fds at or above this share of the per-process limit × processes counts as fd-bound. */
export const FD_BOUND_FRACTION = 0.95;

export interface MachineFacts {
  cores: number;
  memBytes: number;
  /** Open-files limit per process (the target inherits wsbench's). */
  nofile?: number;
}

export interface FirstLimit {
  criterion: StopCriterion;
  step: number;
  detail: string;
  /** The server's exit, when it died: "killed by SIGKILL". */
  exit?: { signal: string | null; description: string };
}

export interface VerdictInput {
  steps: readonly RampStep[];
  firstLimit: FirstLimit | null;
  sloP99Ms: number;
  machine: MachineFacts;
  /** Ctrl-C ended the ramp: no capacity is claimed from what was measured. */
  interrupted?: boolean;
}

const MIB = 1024 ** 2;

/** Least-squares slope of y on x; null with fewer than two distinct x. */
export function leastSquaresSlope(points: ReadonlyArray<readonly [number, number]>): number | null {
  if (points.length < 2) return null;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

/** Server RSS bytes per established connection, over the steps that have an RSS reading. */
export function memoryPerConnectionBytes(steps: readonly RampStep[]): number | null {
  return leastSquaresSlope(steps.flatMap((step) => (step.server.rssBytes === null || step.established <= 0 ? [] : [[step.established, step.server.rssBytes] as const])));
}

/** Server CPU µs per echoed message: CPU% × 10^4 / achieved msg/s, averaged over steps that carried load. */
export function cpuMicrosPerMessage(steps: readonly RampStep[]): number | null {
  const values = steps.flatMap((step) => (step.server.cpuPercent === null || step.achievedPerSec <= 0 ? [] : [(step.server.cpuPercent * 10_000) / step.achievedPerSec]));
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function decideVerdict(input: VerdictInput): CapacityVerdict {
  const { steps, firstLimit, sloP99Ms, machine } = input;
  const held = steps.filter((step) => step.partial !== true && step.stopReasons.length === 0 && (firstLimit === null || step.index < firstLimit.step));
  const best = held.at(-1);
  const limitStep = firstLimit === null ? undefined : steps.find((step) => step.index === firstLimit.step);
  const memoryPerConnection = memoryPerConnectionBytes(steps);
  const cpuPerMessage = cpuMicrosPerMessage(steps);
  const { bottleneck, limitedBy, evidence } = nameBottleneck(firstLimit, limitStep, machine);
  evidence.push(...generalEvidence(steps, memoryPerConnection, cpuPerMessage, machine));

  if (input.interrupted === true && firstLimit === null) {
    // Interrupted before any limit: report what was measured, claim no capacity.
    const complete = steps.filter((step) => step.partial !== true);
    const soFar = best === undefined ? 'no step was measured to the end' : `${complete.length} step${complete.length === 1 ? '' : 's'} held, up to ${best.established} connections and ${formatRate(best.achievedPerSec)} msg/s at p99 ≤ ${formatMs(sloP99Ms)}`;
    return {
      maxConnections: null,
      maxMessagesPerSec: null,
      sloP99Ms,
      firstLimit: null,
      bottleneck: 'none',
      evidence,
      memoryPerConnectionBytes: memoryPerConnection,
      cpuMicrosPerMessage: cpuPerMessage,
      summary: `interrupted — partial, no capacity measured: ${soFar} before the ramp was stopped; run it again to find the limit`,
      limitedBy: null,
      partial: true,
    };
  }
  const holds = best === undefined ? 'holds no step' : `holds ${best.established} connections and ${formatRate(best.achievedPerSec)} msg/s at p99 ≤ ${formatMs(sloP99Ms)}`;
  const limit = firstLimit === null || limitStep === undefined
    ? 'no limit reached within the ramp'
    : `first limit: ${firstLimit.criterion} at step ${firstLimit.step + 1} (${limitStep.connections} connections): ${firstLimit.detail}`;
  const where = limitedBy === 'generator' ? ' — the limit is the load generator, not the server' : limitedBy === 'machine' ? ' — the limit is this machine (shared by server and driver), not the server alone' : '';
  return {
    maxConnections: best?.established ?? null,
    maxMessagesPerSec: best?.achievedPerSec ?? null,
    sloP99Ms,
    firstLimit: firstLimit === null ? null : { criterion: firstLimit.criterion, step: firstLimit.step, detail: firstLimit.detail },
    bottleneck,
    evidence,
    memoryPerConnectionBytes: memoryPerConnection,
    cpuMicrosPerMessage: cpuPerMessage,
    summary: `${holds}; ${limit}${where}${evidence.length > 0 ? `; evidence: ${evidence.slice(0, 3).join(' / ')}` : ''}`,
    limitedBy,
  };
}

interface Named {
  bottleneck: Bottleneck;
  limitedBy: CapacityVerdict['limitedBy'];
  evidence: string[];
}

function nameBottleneck(firstLimit: FirstLimit | null, step: RampStep | undefined, machine: MachineFacts): Named {
  if (firstLimit === null || step === undefined) return { bottleneck: 'none', limitedBy: null, evidence: [] };
  const evidence: string[] = [];
  const use: CpuUse = { serverCpuPercent: step.server.cpuPercent, driverCpuPercent: step.generator.cpuPercent ?? null, load: step.machine };
  const shares = cpuShares(use, machine.cores);
  const rss = step.server.rssBytes;
  switch (firstLimit.criterion) {
    case 'server-died': {
      const oom = firstLimit.exit?.signal === 'SIGKILL';
      evidence.push(oom ? 'server killed by SIGKILL (likely the OOM killer; dmesg is not readable here to confirm)' : `server ${firstLimit.exit?.description ?? 'exited'}`);
      if (rss !== null) evidence.push(`server RSS ${(rss / MIB).toFixed(0)} MiB when it died (${((rss / machine.memBytes) * 100).toFixed(0)}% of the machine's memory)`);
      return { bottleneck: oom && rss !== null && rss >= MEMORY_BOUND_FRACTION * machine.memBytes ? 'server-memory' : 'server-died', limitedBy: 'server', evidence };
    }
    case 'connect-errors': {
      const codes = Object.keys(step.connectErrorsByCode);
      if (codes.some((code) => code === 'EMFILE' || code === 'ENFILE')) {
        evidence.push(`fd limit: ${codes.join(', ')}${machine.nofile === undefined ? '' : ` with ${machine.nofile} open files per process`}${step.server.openFds === null ? '' : `; server had ${step.server.openFds} fds open`}`);
        return { bottleneck: 'fd-limit', limitedBy: 'machine', evidence };
      }
      if (codes.some((code) => code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL')) {
        evidence.push(`port exhaustion: ${codes.join(', ')} (add source addresses or widen net.ipv4.ip_local_port_range)`);
        return { bottleneck: 'port-exhaustion', limitedBy: 'machine', evidence };
      }
      if (machine.nofile !== undefined && step.server.openFds !== null && step.server.processes !== undefined && step.server.processes !== null && step.server.openFds >= FD_BOUND_FRACTION * machine.nofile * step.server.processes) {
        evidence.push(`fd limit: the server holds ${step.server.openFds} fds of ${machine.nofile} per process × ${step.server.processes}; use --procs or raise ulimit -n`);
        return { bottleneck: 'fd-limit', limitedBy: 'machine', evidence };
      }
      evidence.push(`connect errors: ${codes.join(', ')}`);
      return { bottleneck: 'errors', limitedBy: 'server', evidence };
    }
    case 'generator-saturated': {
      evidence.push(`generator saturated: send lag p99 ${formatMs(step.generator.sendLagP99Ms)}, event-loop utilization ${(step.generator.eventLoopUtilization * 100).toFixed(0)}%`);
      const starved = whoStarvedTheGenerator(use, machine.cores);
      const bottleneck: Bottleneck = starved.limitedBy === 'server' ? 'server-cpu' : starved.limitedBy === 'machine' ? 'machine-cpu' : 'generator';
      return { bottleneck, limitedBy: starved.limitedBy, evidence: starved.evidence === null ? evidence : [starved.evidence, ...evidence] };
    }
    case 'gc-pause':
      evidence.push(`GC pauses up to ${formatMs(step.server.gcPauseMaxMs ?? 0)}${step.server.heapInuseBytes === null ? '' : ` with ${(step.server.heapInuseBytes / MIB).toFixed(0)} MiB heap in use`}`);
      return { bottleneck: 'gc', limitedBy: 'server', evidence };
    default:
      break;
  }
  // Latency, throughput or errors: find the resource behind them. A busy machine is said first, whatever it is.
  if (step.machine?.noisy === true) evidence.push(busyMachineEvidence(step.machine));
  if (rss !== null && rss >= MEMORY_BOUND_FRACTION * machine.memBytes) {
    evidence.push(`server RSS ${(rss / MIB).toFixed(0)} MiB, ${((rss / machine.memBytes) * 100).toFixed(0)}% of the machine's memory`);
    return { bottleneck: 'server-memory', limitedBy: 'server', evidence };
  }
  if (shares !== null) {
    const { cpu, driverCpu, otherCpu, stealCpu, serverBound, machineBound, oneCoreBound } = shares;
    if (serverBound || machineBound || oneCoreBound) {
      evidence.push(shares.evidence);
      if (!serverBound && machineBound && driverCpu + otherCpu + stealCpu > cpu) return { bottleneck: 'machine-cpu', limitedBy: 'machine', evidence };
      return { bottleneck: 'server-cpu', limitedBy: machineBound && !serverBound && !oneCoreBound ? 'machine' : 'server', evidence };
    }
  }
  if (step.server.gcPauseMaxMs !== null && step.server.gcPauseMaxMs > 10) evidence.push(`GC pauses up to ${formatMs(step.server.gcPauseMaxMs)}`);
  const bottleneck: Bottleneck = firstLimit.criterion === 'error-rate' ? 'errors' : 'latency';
  return { bottleneck, limitedBy: 'server', evidence };
}

interface CpuShares {
  cpu: number;
  driverCpu: number;
  otherCpu: number;
  /** CPU the hypervisor gave someone else (steal): the machine did not have it to give. */
  stealCpu: number;
  /** The server alone used ≥ 90% of the cores. */
  serverBound: boolean;
  /** Server, driver, other processes and steal together took ≥ 90% of the cores. */
  machineBound: boolean;
  /** The server sat at a whole number of cores (a single-threaded server, or one pinned). */
  oneCoreBound: boolean;
  /** "server CPU 167% of one core (2 cores on this machine, the driver used 12%, other processes 12%)" */
  evidence: string;
}

/** Who used the cores during a step or probe: the server's and the driver's CPU (percent of one core), and the machine's other load (other processes, steal). */
export interface CpuUse {
  serverCpuPercent: number | null;
  driverCpuPercent: number | null;
  load: JudgedMachineLoad | null | undefined;
}

/** Who used the step's cores; null when the server's CPU was not measured. */
function cpuShares(use: CpuUse, cores: number): CpuShares | null {
  const cpu = use.serverCpuPercent;
  if (cpu === null) return null;
  const driverCpu = use.driverCpuPercent ?? 0;
  // Other processes share the cores too: the server plus the driver plus them is what the machine had to give.
  const otherCpu = use.load?.otherCpuPercent ?? 0;
  const stealCpu = use.load?.stealPercent ?? 0;
  const machineCpu = cores * 100;
  return {
    cpu,
    driverCpu,
    otherCpu,
    stealCpu,
    serverBound: cpu >= CPU_BOUND_FRACTION * machineCpu,
    machineBound: cpu + driverCpu + otherCpu + stealCpu >= CPU_BOUND_FRACTION * machineCpu,
    oneCoreBound: cpu >= CPU_BOUND_FRACTION * 100 && Math.abs(cpu - Math.round(cpu / 100) * 100) <= 10,
    evidence: `server CPU ${cpu.toFixed(0)}% of one core (${cores} cores on this machine${driverCpu > 0 ? `, the driver used ${driverCpu.toFixed(0)}%` : ''}${otherCpu >= 1 ? `, other processes ${otherCpu.toFixed(0)}%` : ''}${stealCpu >= 1 ? `, steal ${stealCpu.toFixed(0)}%` : ''})`,
  };
}

/** Who a saturated generator waited for, with the sentence that shows it (null: nobody else, the driver itself). */
export interface StarvedGenerator {
  limitedBy: 'server' | 'machine' | 'generator';
  evidence: string | null;
}

/**
 * Why the generator could not keep its schedule. Ramp and limit share this rule: a saturated driver is only
 * the driver's limit when nothing else took the cores it needed.
 */
export function whoStarvedTheGenerator(use: CpuUse, cores: number): StarvedGenerator {
  // Other work took the CPU the driver needed: this machine's limit at that moment, not the driver's, and not the server's.
  if (use.load?.noisy === true) return { limitedBy: 'machine', evidence: busyMachineEvidence(use.load) };
  const shares = cpuShares(use, cores);
  if (shares !== null && shares.machineBound) {
    // An unpinned server that took the machine's cores starves the driver beside it: the server's CPU is the limit.
    if (shares.cpu > shares.driverCpu + shares.otherCpu + shares.stealCpu) return { limitedBy: 'server', evidence: `${shares.evidence}: the server took the machine's CPU and the driver waited for it` };
    // Driver and server together used the machine's cores (100K connections on 2 cores: the driver 1.1 cores,
    // the server 0.75): more workers would share the same cores, so the generator needs cores of its own.
    return { limitedBy: 'machine', evidence: `${shares.evidence}: together they used the machine's cores, so more driver workers cannot help; run the generator on other hosts (wsbench run --shard I/K, docs/kubernetes.md) or lower the offered load` };
  }
  return { limitedBy: 'generator', evidence: null };
}

/** "the machine was busy: other processes used 97% of a core during this step …" */
export function busyMachineEvidence(load: MachineLoad): string {
  return `the machine was busy: ${describeMachineBusy(load)} during this step, so the driver and the server waited for CPU; run again on a quieter machine`;
}

function generalEvidence(steps: readonly RampStep[], memoryPerConnection: number | null, cpuPerMessage: number | null, machine: MachineFacts): string[] {
  const evidence: string[] = [];
  if (memoryPerConnection !== null) evidence.push(`RSS ${memoryPerConnection >= 0 ? '+' : ''}${((memoryPerConnection * 1000) / MIB).toFixed(1)} MiB per 1K connections`);
  if (cpuPerMessage !== null) evidence.push(`server CPU ${cpuPerMessage.toFixed(1)} µs per message`);
  const gcMax = Math.max(...steps.map((step) => step.server.gcPauseMaxMs ?? 0));
  if (gcMax > 0) evidence.push(`GC pauses up to ${formatMs(gcMax)}`);
  const fds = Math.max(...steps.map((step) => step.server.openFds ?? 0));
  if (fds > 0 && machine.nofile !== undefined) evidence.push(`server fds ${fds} (limit ${machine.nofile} per process)`);
  if (steps.some((step) => step.generator.saturated)) evidence.push('generator saturated at some step: latencies there describe the driver');
  return evidence;
}
