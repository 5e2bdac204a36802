import { MAX_SOURCE_ADDRESSES, sourceAddress, splitEvenly } from './preflight-addresses.js';
import type { MachineLimits } from './preflight-limits.js';

export { MAX_SOURCE_ADDRESSES, sourceAddress } from './preflight-addresses.js';
export { readMachineLimits, type MachineLimits } from './preflight-limits.js';

/**
 * Plans how a run spreads its connections so no process runs out of file descriptors and no source
 * address runs out of ports, before any socket is opened. Pure: the machine's facts are injected
 * (`readMachineLimits()` reads the real ones), so a plan for 100K connections is testable anywhere.
 */

/** Descriptors each process keeps for stdio, IPC, the event loop, log and result files. */
export const FD_RESERVE_PER_PROCESS = 200;

/**
 * Share of each source address's ephemeral ports left unused. A socket bound to an explicit source
 * address gets its port at bind(), and ports held by TIME_WAIT sockets from reconnects or the previous
 * scenario are not reusable there (tcp_tw_reuse acts on connect() only).
 */
export const PORT_MARGIN_FRACTION = 0.1;

/**
 * At most this many connections per bound source address. bind() to an explicit address with port 0
 * scans the port table for a free port (Node cannot set IP_BIND_ADDRESS_NO_PORT), and the scan grows with
 * the ports already taken on that address: at ~7K per address the opening rate fell to ~40/s in the 100K
 * run. A few thousand per address keeps every bind short; 127.0.0.0/8 has addresses to spare.
 */
export const MAX_CONNECTIONS_PER_SOURCE_ADDRESS = 2_000;

/** Up to this many connections one driver process is enough; above it, spread over the cores. */
export const SINGLE_WORKER_MAX_CONNECTIONS = 5_000;

/**
 * Rough driver memory: a Node process with its histograms, and a `ws` client connection (socket,
 * WebSocket object, parser, buffers) in JS heap and native memory. Kernel socket buffers are extra.
 */
export const DRIVER_BYTES_PER_WORKER = 64 * 1024 ** 2;
export const DRIVER_BYTES_PER_CONNECTION = 20 * 1024;

/** Below this `net.core.somaxconn`, handshake bursts overflow the target's accept queue. */
export const RECOMMENDED_SOMAXCONN = 4096;

export interface LoadRequest {
  connections: number;
  /** The target's `--procs` when it is a fixture; 1 when not given. */
  targetProcs?: number;
  /** A fixture runs on this machine under the same fd limit and takes `--procs`. */
  targetIsFixture: boolean;
  /** `--workers` as the user wrote it; planned from the limits when absent. */
  workersRequested?: number;
  /**
   * Where source addresses come from: `loopback` (127.0.0.2, … — the default), `kernel` (no bind: the
   * target is on another host, whose route picks the address), or the addresses given (`--source-addresses`).
   */
  sourceAddresses?: 'loopback' | 'kernel' | readonly string[];
  /** Loopback addresses from this index on (a shard on a shared machine skips the other shards' addresses). */
  sourceAddressOffset?: number;
}

export interface SourceAddressPlan {
  address: string;
  connections: number;
}

export interface WorkerPlan {
  index: number;
  connections: number;
  /** Bound by this worker only, so two processes never compete for one address's ports. */
  sourceAddresses: SourceAddressPlan[];
}

export interface LoadPlan {
  connections: number;
  /** Empty when `errors` is not. */
  workers: WorkerPlan[];
  /** The fd soft limit minus `FD_RESERVE_PER_PROCESS`. */
  maxSocketsPerProcess: number;
  /** Connections one source address carries at most. */
  perAddressBudget: number;
  /** Every address the workers bind, in order. */
  sourceAddresses: string[];
  recommendedTargetProcs: number;
  estimatedDriverMemoryBytes: number;
  warnings: string[];
  /** Why the request cannot run here; each names the fix. */
  errors: string[];
}

/** Sockets one process can hold: the fd soft limit (children inherit it) minus the reserve. */
export function maxSocketsPerProcess(limits: MachineLimits): number {
  return limits.nofileSoft - FD_RESERVE_PER_PROCESS;
}

/** Ephemeral ports per source address/destination: 28,232 for 32768–60999. */
export function ephemeralPorts(limits: MachineLimits): number {
  return limits.portRangeHigh - limits.portRangeLow + 1;
}

/** Connections one bound source address carries: its ports less `PORT_MARGIN_FRACTION`. */
export function perAddressBudget(limits: MachineLimits): number {
  return Math.floor(ephemeralPorts(limits) * (1 - PORT_MARGIN_FRACTION));
}

/** The fixture's `--procs` so that each of its processes stays under the fd limit. */
export function recommendTargetProcs(connections: number, limits: MachineLimits): number {
  return Math.max(1, Math.ceil(connections / maxSocketsPerProcess(limits)));
}

export function estimateDriverMemoryBytes(connections: number, workers: number): number {
  return workers * DRIVER_BYTES_PER_WORKER + connections * DRIVER_BYTES_PER_CONNECTION;
}

/**
 * Workers: at least enough for the fd limit. Above `SINGLE_WORKER_MAX_CONNECTIONS` also one per
 * `SINGLE_WORKER_MAX_CONNECTIONS` up to the number of cores, so sending and parsing use every core;
 * more than the cores only when the fd limit demands it. `--workers` overrides, if it is enough.
 */
export function planLoad(request: LoadRequest, limits: MachineLimits): LoadPlan {
  const { connections } = request;
  const maxSockets = maxSocketsPerProcess(limits);
  const budget = perAddressBudget(limits);
  const plan: LoadPlan = {
    connections,
    workers: [],
    maxSocketsPerProcess: maxSockets,
    perAddressBudget: budget,
    sourceAddresses: [],
    recommendedTargetProcs: 1,
    estimatedDriverMemoryBytes: 0,
    warnings: [],
    errors: validateRequest(request, limits, maxSockets, budget),
  };
  if (plan.errors.length > 0) return plan;

  const minWorkers = Math.ceil(connections / maxSockets);
  plan.recommendedTargetProcs = recommendTargetProcs(connections, limits);
  const workerCount = chooseWorkerCount(request, limits, minWorkers, plan);
  if (plan.errors.length > 0) return plan;

  const perWorker = splitEvenly(connections, workerCount);
  const addressCount = perWorker.reduce((sum, n) => sum + Math.ceil(n / budget), 0);
  if (addressCount > MAX_SOURCE_ADDRESSES) {
    plan.errors.push(
      `${connections} connections need ${addressCount} source addresses of at most ${budget} connections each, ` +
        `more than the ${MAX_SOURCE_ADDRESSES} in 127.0.0.0/8; lower --connections or drive from several machines`,
    );
    return plan;
  }

  plan.estimatedDriverMemoryBytes = estimateDriverMemoryBytes(connections, workerCount);
  checkMemory(plan, limits);
  if (plan.errors.length > 0) return plan;

  const mode = request.sourceAddresses ?? 'loopback';
  if (mode === 'loopback') {
    plan.workers = assignAddresses(perWorker, Math.min(budget, MAX_CONNECTIONS_PER_SOURCE_ADDRESS), request.sourceAddressOffset ?? 0);
  } else {
    plan.workers = assignGivenAddresses(perWorker, mode === 'kernel' ? [] : mode, budget, plan.errors);
    if (plan.errors.length > 0) return plan;
  }
  plan.sourceAddresses = plan.workers.flatMap((w) => w.sourceAddresses.map((a) => a.address));
  plan.warnings.push(...limitWarnings(request, limits, plan, minWorkers));
  return plan;
}

function validateRequest(request: LoadRequest, limits: MachineLimits, maxSockets: number, budget: number): string[] {
  const errors: string[] = [];
  const positive = (value: number) => Number.isSafeInteger(value) && value >= 1;
  if (!positive(request.connections)) {
    errors.push(`Expected --connections to be a positive integer, got ${request.connections}`);
  }
  if (request.workersRequested !== undefined && !positive(request.workersRequested)) {
    errors.push(`Expected --workers to be a positive integer, got ${request.workersRequested}`);
  }
  if (request.targetProcs !== undefined && !positive(request.targetProcs)) {
    errors.push(`Expected the target's --procs to be a positive integer, got ${request.targetProcs}`);
  }
  if (maxSockets < 1) {
    errors.push(
      `fd soft limit ${limits.nofileSoft} leaves no sockets after the ${FD_RESERVE_PER_PROCESS} each process reserves; ` +
        `raise it with \`ulimit -n\` (scripts/system_tune.sh check shows how far)`,
    );
  }
  if (budget < 1) {
    errors.push(
      `net.ipv4.ip_local_port_range ${limits.portRangeLow}–${limits.portRangeHigh} leaves no ports per source address; ` +
        `widen it with scripts/system_tune.sh apply`,
    );
  }
  return errors;
}

function chooseWorkerCount(request: LoadRequest, limits: MachineLimits, minWorkers: number, plan: LoadPlan): number {
  const { connections, workersRequested } = request;
  if (workersRequested === undefined) {
    const forCpu =
      connections <= SINGLE_WORKER_MAX_CONNECTIONS
        ? 1
        : Math.min(Math.max(1, limits.cores), Math.ceil(connections / SINGLE_WORKER_MAX_CONNECTIONS));
    return Math.max(minWorkers, forCpu);
  }
  if (workersRequested < minWorkers) {
    plan.errors.push(
      `--workers ${workersRequested} is too few for ${connections} connections: each process holds at most ` +
        `${plan.maxSocketsPerProcess} sockets (fd limit ${limits.nofileSoft} − ${FD_RESERVE_PER_PROCESS} reserved), ` +
        `so at least ${minWorkers} are needed; pass --workers ${minWorkers} or more, omit --workers, or raise \`ulimit -n\``,
    );
    return 0;
  }
  if (workersRequested > connections) {
    plan.warnings.push(`--workers ${workersRequested} is more than the ${connections} connections: using ${connections}`);
    return connections;
  }
  return workersRequested;
}

function checkMemory(plan: LoadPlan, limits: MachineLimits): void {
  const estimate = gib(plan.estimatedDriverMemoryBytes);
  if (plan.estimatedDriverMemoryBytes > limits.totalMemoryBytes) {
    plan.errors.push(
      `memory: the driver needs an estimated ${estimate} GiB for ${plan.connections} connections, more than the ` +
        `${gib(limits.totalMemoryBytes)} GiB this machine has; lower --connections or drive from several machines`,
    );
  } else if (plan.estimatedDriverMemoryBytes > limits.freeMemoryBytes) {
    plan.warnings.push(`memory: estimated ${estimate} GiB > available ${gib(limits.freeMemoryBytes)} GiB for the driver`);
  }
}

/** Whole addresses per worker, consecutive from 127.0.0.2, each carrying at most `perAddress`. */
function assignAddresses(perWorker: number[], perAddress: number, offset: number): WorkerPlan[] {
  let next = offset;
  return perWorker.map((connections, index) => {
    const counts = splitEvenly(connections, Math.ceil(connections / perAddress));
    const sourceAddresses = counts.map((n) => ({ address: sourceAddress(next++), connections: n }));
    return { index, connections, sourceAddresses };
  });
}

/**
 * Given addresses (or none: the kernel picks one per route) dealt to workers in turn, whole addresses per
 * worker. Without addresses, every connection shares the route's one source address and its ports.
 */
function assignGivenAddresses(perWorker: number[], addresses: readonly string[], budget: number, errors: string[]): WorkerPlan[] {
  const total = perWorker.reduce((sum, n) => sum + n, 0);
  if (addresses.length === 0) {
    if (total > budget) {
      errors.push(
        `${total} connections from one source address need more than its ${budget} usable ephemeral ports; ` +
          `give --source-addresses with at least ${Math.ceil(total / budget)} addresses of this host, or widen net.ipv4.ip_local_port_range`,
      );
    }
    return perWorker.map((connections, index) => ({ index, connections, sourceAddresses: [] }));
  }
  if (addresses.length < perWorker.length) {
    errors.push(`--source-addresses gives ${addresses.length} addresses for ${perWorker.length} driver processes; each process needs its own (give more addresses, or fewer --workers)`);
    return [];
  }
  return perWorker.map((connections, index) => {
    const own = addresses.filter((_, position) => position % perWorker.length === index);
    if (connections > own.length * budget) {
      errors.push(`driver process ${index} has ${connections} connections over ${own.length} source addresses of at most ${budget} each; give more --source-addresses`);
    }
    const counts = splitEvenly(connections, own.length);
    return { index, connections, sourceAddresses: own.map((address, i) => ({ address, connections: counts[i]! })) };
  });
}

function limitWarnings(request: LoadRequest, limits: MachineLimits, plan: LoadPlan, minWorkers: number): string[] {
  const warnings: string[] = [];
  const workers = plan.workers.length;
  if (minWorkers > 1) {
    let text =
      `fd limit ${limits.nofileSoft} per process: using ${workers} driver processes ` +
      `of at most ${plan.maxSocketsPerProcess} sockets each`;
    const targetProcs = request.targetProcs ?? 1;
    if (!request.targetIsFixture) {
      text += `; a target on this machine needs ≥ ${plan.recommendedTargetProcs} processes or a higher limit`;
    } else if (targetProcs < plan.recommendedTargetProcs) {
      text += `; the target needs --procs ≥ ${plan.recommendedTargetProcs} (has ${targetProcs}) or a higher limit`;
    }
    if (limits.nofileHard > limits.nofileSoft) {
      text += `; \`ulimit -n ${limits.nofileHard}\` in the shell that runs wsbench would raise it`;
    }
    warnings.push(text);
  }
  const neededAddresses = Math.ceil(plan.connections / plan.perAddressBudget);
  if (neededAddresses > 1 && (request.sourceAddresses ?? 'loopback') === 'loopback') {
    const first = plan.sourceAddresses[0];
    const last = plan.sourceAddresses.at(-1);
    warnings.push(
      `${plan.connections} connections need ${neededAddresses} source addresses (${ephemeralPorts(limits)} ports each, ` +
        `at most ${plan.perAddressBudget} used): using ${plan.sourceAddresses.length}, ${first}–${last} ` +
        `(at most ${MAX_CONNECTIONS_PER_SOURCE_ADDRESS} connections each: bind() slows as an address fills), none shared between driver processes`,
    );
  }
  if (limits.somaxconn < RECOMMENDED_SOMAXCONN && plan.connections > limits.somaxconn) {
    warnings.push(
      `net.core.somaxconn ${limits.somaxconn} caps the target's accept queue below ${RECOMMENDED_SOMAXCONN}: ` +
        `handshake bursts will wait for 1 s SYN retries; raise it with scripts/system_tune.sh apply`,
    );
  }
  return warnings;
}

function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}
