import { checkMemory, limitWarnings } from './limit-warnings.js';
import { estimateDriverMemoryBytes, FD_RESERVE_PER_PROCESS, MAX_CONNECTIONS_PER_SOURCE_ADDRESS, maxSocketsPerProcess, perAddressBudget, recommendTargetProcs, SINGLE_WORKER_MAX_CONNECTIONS } from './load-plan.js';
import type { LoadPlan, LoadRequest } from './load-plan.js';
import { assignAddresses, assignGivenAddresses, MAX_SOURCE_ADDRESSES, splitEvenly } from './preflight-addresses.js';
import type { MachineLimits } from './preflight-limits.js';

export { MAX_SOURCE_ADDRESSES, sourceAddress } from './preflight-addresses.js';
export { readMachineLimits, type MachineLimits } from './preflight-limits.js';
export * from './load-plan.js';

/**
 * Plans how a run spreads its connections so no process runs out of file descriptors and no source
 * address runs out of ports, before any socket is opened. Pure: the machine's facts are injected
 * (`readMachineLimits()` reads the real ones), so a plan for 100K connections is testable anywhere.
 */

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
