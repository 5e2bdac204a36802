import type { CpuPinning } from '../cpu-pin.js';
import type { Pacer } from '../driver/worker-protocol.js';
import type { TargetSpec } from '../targets/target-spec.js';
import type { TrafficOptions } from './traffic-options.js';

/** 0.1% of messages may fail before a run fails: a healthy echo server on loopback loses nothing. */
export const DEFAULT_ERROR_BUDGET = 0.001;
export const DEFAULT_CONNECTIONS = 100;
export const DEFAULT_RATE_PER_CONNECTION = 10;
export const DEFAULT_MESSAGE_BYTES = 256;
export const DEFAULT_DURATION_MS = 10_000;
export const DEFAULT_WARMUP_MS = 2_000;
/** Smallest payload: the sequence number and a marker that tells an echo from stray data. */
export const MIN_MESSAGE_BYTES = 8;

/** One scenario as the user wrote it (flags or config); absent values take the defaults above. */
export interface RunOptions extends TrafficOptions {
  target?: TargetSpec;
  url?: string;
  scenarioName?: string;
  connections?: number;
  ratePerConnection?: number;
  messageBytes?: number;
  durationMs?: number;
  warmupMs?: number;
  workers?: number;
  messageTimeoutMs?: number;
  pacer?: Pacer;
  /** Bind these source addresses (`--source-addresses`); default: 127.0.0.2, … for a loopback target, else none. */
  sourceAddresses?: readonly string[];
  /** Skip this many loopback source addresses (shards sharing one machine use disjoint ones). */
  sourceAddressOffset?: number;
  /** Fraction of messages (or connections) that may fail before the run fails; default DEFAULT_ERROR_BUDGET. */
  errorBudget?: number;
}

export interface ResolvedRunOptions {
  target: TargetSpec | undefined;
  url: string | undefined;
  scenarioName: string;
  connections: number;
  ratePerConnection: number;
  messageBytes: number;
  durationMs: number;
  warmupMs: number;
  workers: number | undefined;
  messageTimeoutMs: number | undefined;
  pacer: Pacer | undefined;
  /** Handshake and traffic shape, as given (checked and read by the run before any load). */
  traffic?: TrafficOptions;
  sourceAddresses: readonly string[] | undefined;
  sourceAddressOffset: number;
  errorBudget: number;
  /** Where the target and the driver run (compare and bench pin them apart); absent: anywhere. */
  pinning?: CpuPinning;
}

export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  const ratePerConnection = options.ratePerConnection ?? DEFAULT_RATE_PER_CONNECTION;
  const messageBytes = options.messageBytes ?? DEFAULT_MESSAGE_BYTES;
  return {
    target: options.target,
    url: options.url,
    scenarioName: options.scenarioName ?? `${connections}c-${ratePerConnection}r-${messageBytes}b`,
    connections,
    ratePerConnection,
    messageBytes,
    durationMs: options.durationMs ?? DEFAULT_DURATION_MS,
    warmupMs: options.warmupMs ?? DEFAULT_WARMUP_MS,
    workers: options.workers,
    messageTimeoutMs: options.messageTimeoutMs,
    pacer: options.pacer,
    sourceAddresses: options.sourceAddresses,
    sourceAddressOffset: options.sourceAddressOffset ?? 0,
    errorBudget: options.errorBudget ?? DEFAULT_ERROR_BUDGET,
    traffic: trafficOf(options),
  };
}

const TRAFFIC_KEYS = ['headers', 'subprotocol', 'caFile', 'insecure', 'compression', 'payload', 'messageTemplate', 'match', 'pattern', 'publishers', 'subscribeTemplate', 'pingIntervalMs', 'churnRatePerSec', 'stormAtMs', 'serverPid', 'serverMetricsUrl'] as const satisfies ReadonlyArray<keyof TrafficOptions>;

function trafficOf(options: RunOptions): TrafficOptions {
  const traffic: Record<string, unknown> = {};
  for (const key of TRAFFIC_KEYS) if (options[key] !== undefined) traffic[key] = options[key];
  return traffic as TrafficOptions;
}
