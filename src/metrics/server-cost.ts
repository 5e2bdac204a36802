import type { ThreadCpuSource, TreeCpuWindow } from './thread-cpu.js';

/**
 * What the server spent per unit of work over the measured window: the figures a Go engineer gates on
 * below saturation, where the open model holds throughput at the offered rate whatever a message costs.
 * Every figure is null when it could not be measured, and `basis.notes` says why.
 */
export interface ServerCost {
  /** Server CPU (whole process tree, all threads) per echoed message, in microseconds. */
  cpuMicrosPerMessage: number | null;
  /** 10⁶ ÷ cpuMicrosPerMessage: messages per second one fully busy server core would echo at this cost. */
  capacityPerCoreMessagesPerSec: number | null;
  /** (RSS once the connections are open − RSS before opening) ÷ connections established. */
  memoryBytesPerConnection: number | null;
  /** Go `go_memstats_alloc_bytes_total` growth over the window per echoed message. */
  allocBytesPerMessage: number | null;
  /** Go `go_memstats_mallocs_total` growth over the window per echoed message. */
  allocsPerMessage: number | null;
  /** Garbage collections over the window per 10,000 echoed messages. */
  gcPer10kMessages: number | null;
}

/** The raw measurements the figures come from, so a surprising number can be checked. */
export interface ServerCostBasis {
  /** The driver's measured window (warm-up excluded). */
  windowMs: number;
  /** Echoes that arrived inside the window. */
  messages: number;
  connections: number;
  /** Wall time between the CPU readings at the window's start and end (timer slack makes it differ slightly). */
  cpuReadMs: number | null;
  /** Tree CPU between those readings, scaled to `windowMs`. */
  cpuNs: number | null;
  cpuSource: ThreadCpuSource | null;
  threads: number | null;
  exitedThreads: number | null;
  exitedProcesses: number | null;
  rssBeforeOpenBytes: number | null;
  rssAfterOpenBytes: number | null;
  /** Counter growth between the scrapes at the window's start and end, scaled to `windowMs` (GC cycles: as counted). */
  allocBytes: number | null;
  mallocs: number | null;
  gcCycles: number | null;
  /** Why a figure is null, or what makes it less exact. */
  notes: string[];
}

export interface ServerCostReport extends ServerCost {
  basis: ServerCostBasis;
}

/** A scrape's cumulative counters and when it was taken (ms, monotonic). */
export interface RuntimeCounterReading {
  atMs: number;
  allocBytesTotal?: number;
  mallocsTotal?: number;
  gcCount?: number;
}

export interface ServerCostInputs {
  windowMs: number;
  messages: number;
  connections: number;
  cpu: TreeCpuWindow | null;
  rssBeforeOpenBytes: number | null;
  rssAfterOpenBytes: number | null;
  countersAtStart: RuntimeCounterReading | null;
  countersAtEnd: RuntimeCounterReading | null;
  /** False when the metrics endpoint covers only part of the tree (one of several processes). */
  countersCoverTree: boolean;
  notes: string[];
}

export const EMPTY_SERVER_COST: ServerCost = {
  cpuMicrosPerMessage: null,
  capacityPerCoreMessagesPerSec: null,
  memoryBytesPerConnection: null,
  allocBytesPerMessage: null,
  allocsPerMessage: null,
  gcPer10kMessages: null,
};

/** Pure: the per-message figures from the window's readings. */
export function computeServerCost(inputs: ServerCostInputs): ServerCostReport {
  const notes = [...inputs.notes];
  const { messages, windowMs } = inputs;
  if (messages <= 0) notes.push('no echo arrived inside the measured window, so nothing can be divided per message');

  const cpuNs = inputs.cpu === null || inputs.cpu.wallMs <= 0 ? null : inputs.cpu.cpuNs * (windowMs / inputs.cpu.wallMs);
  if (inputs.cpu?.exitedProcesses) notes.push(`${inputs.cpu.exitedProcesses} server process(es) exited inside the window; their CPU after their last reading is missing`);
  if (inputs.cpu?.source === 'stat-ticks') notes.push('schedstat was unreadable for some threads: their CPU is in clock ticks (10 ms)');
  const cpuMicrosPerMessage = cpuNs === null || messages <= 0 ? null : cpuNs / 1000 / messages;

  const rssGrowth = inputs.rssBeforeOpenBytes === null || inputs.rssAfterOpenBytes === null ? null : inputs.rssAfterOpenBytes - inputs.rssBeforeOpenBytes;
  if (inputs.connections <= 0) notes.push('no connection was established, so there is no memory per connection');

  // Counters grow with the work: scaled to the window like the CPU. GC cycles are whole events: not scaled.
  const delta = (pick: (reading: RuntimeCounterReading) => number | undefined, scaled = true): number | null => {
    const start = inputs.countersAtStart;
    const end = inputs.countersAtEnd;
    if (start === null || end === null || !inputs.countersCoverTree) return null;
    const [before, after] = [pick(start), pick(end)];
    if (before === undefined || after === undefined || end.atMs <= start.atMs) return null;
    return (after - before) * (scaled ? windowMs / (end.atMs - start.atMs) : 1);
  };
  const { countersAtStart: start, countersAtEnd: end } = inputs;
  if (start !== null && end !== null) {
    if (!inputs.countersCoverTree) notes.push('the metrics endpoint covers only one of the server\'s processes, so its counters are not the tree\'s');
    else if (start.allocBytesTotal === undefined || end.allocBytesTotal === undefined) notes.push('the metrics carry no go_memstats_alloc_bytes_total (not a Go client_golang server): no allocation figures');
  }
  const allocBytes = delta((reading) => reading.allocBytesTotal);
  const mallocs = delta((reading) => reading.mallocsTotal);
  const gcCycles = delta((reading) => reading.gcCount, false);
  const perMessage = (value: number | null, scale = 1): number | null => (value === null || messages <= 0 ? null : (value / messages) * scale);

  return {
    cpuMicrosPerMessage,
    capacityPerCoreMessagesPerSec: cpuMicrosPerMessage === null || cpuMicrosPerMessage <= 0 ? null : 1e6 / cpuMicrosPerMessage,
    memoryBytesPerConnection: rssGrowth === null || inputs.connections <= 0 ? null : rssGrowth / inputs.connections,
    allocBytesPerMessage: perMessage(allocBytes),
    allocsPerMessage: perMessage(mallocs),
    gcPer10kMessages: perMessage(gcCycles, 10_000),
    basis: {
      windowMs,
      messages,
      connections: inputs.connections,
      cpuReadMs: inputs.cpu?.wallMs ?? null,
      cpuNs,
      cpuSource: inputs.cpu?.source ?? null,
      threads: inputs.cpu?.threads ?? null,
      exitedThreads: inputs.cpu?.exitedThreads ?? null,
      exitedProcesses: inputs.cpu?.exitedProcesses ?? null,
      rssBeforeOpenBytes: inputs.rssBeforeOpenBytes,
      rssAfterOpenBytes: inputs.rssAfterOpenBytes,
      allocBytes,
      mallocs,
      gcCycles,
      notes,
    },
  };
}
