import type { MachineLimits } from './preflight-limits.js';

/**
 * What a load plan is made of: the request, the plan (workers and their source addresses), and the
 * budgets the machine's limits allow (fds per process, ports per address, memory per connection).
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
