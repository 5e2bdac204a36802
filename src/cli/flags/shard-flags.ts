import net from 'node:net';
import { UsageError } from '../../errors.js';
import type { StartBarrier } from '../../run/start-barrier.js';
import type { ResolvedRunOptions } from '../../scenario/run-options.js';
import { durationFlag, stringFlag, valueFlag, withDefault } from './flag.js';
import type { FlagOptions } from './flag-table.js';
import { planLoad, readMachineLimits } from '../../plan/preflight.js';
import { DEFAULT_BARRIER_TIMEOUT_MS, rendezvousBarrier } from '../../shard/rendezvous-barrier.js';
import { parseShardFlags, shardConnections } from '../../shard/shard-spec.js';
import type { ShardSpec } from '../../shard/shard-spec.js';
import { startAtBarrier } from '../../shard/start-at-barrier.js';

/** The flags that make a run one shard of a scenario (`run` only). */
export const SHARD_FLAGS = {
  shard: stringFlag('shard', 'I/K', 'run shard I (0-based) of K: its share of --connections (so of the message rate),\nits own source addresses; merge the K result files with wsbench merge'),
  shards: stringFlag('shards', 'K', 'the same, I from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)'),
  'start-at': stringFlag('startAt', 'EPOCH_MS', 'start barrier: open the connections, then start the load at this wall-clock time\n(every shard the same; a shard still connecting then fails as late, by name)'),
  rendezvous: stringFlag('rendezvous', 'H:P', 'start barrier: shard 0 listens on port P, the others connect to H:P; when all are\nconnected shard 0 names one start, corrected per shard by its measured clock offset'),
  'barrier-timeout': withDefault(durationFlag('barrierTimeoutMs', 'D', 'how long a shard waits at the barrier for the others'), DEFAULT_BARRIER_TIMEOUT_MS),
  'source-addresses': valueFlag('sourceAddresses', 'A,B|A-B', "bind these local addresses (e.g. 10.0.1.10-10.0.1.40); default 127.0.0.2, …\nfor a loopback target, else the route's own address", (raw) => parseSourceAddresses(raw)),
};

type ShardFlagValues = Partial<FlagOptions<typeof SHARD_FLAGS>>;

export interface ShardRun {
  options: ResolvedRunOptions;
  shard?: { index: number; count: number; totalConnections: number };
  barrier?: StartBarrier;
}

/** Applies the shard flags to resolved options: this shard's connections, addresses and barrier. */
export function applyShardFlags(values: ShardFlagValues, options: ResolvedRunOptions, env: NodeJS.ProcessEnv = process.env): ShardRun {
  const shard = parseShardFlags(values, env);
  const { sourceAddresses } = values;
  const withAddresses: ResolvedRunOptions = sourceAddresses === undefined ? options : { ...options, sourceAddresses };
  if (shard === undefined) {
    for (const [flag, value] of [['start-at', values.startAt], ['rendezvous', values.rendezvous]] as const) {
      if (value !== undefined) throw new UsageError('BARRIER_WITHOUT_SHARD', `--${flag} is the start barrier of a sharded run; give --shard I/K or --shards K too`);
    }
    return { options: withAddresses };
  }
  if (options.url === undefined) {
    throw new UsageError('SHARD_NEEDS_URL', 'The shards of a scenario load one server that is already running: give --url ws://HOST:PORT/PATH (each shard starting its own target would be K servers, not one)');
  }
  if (values.startAt !== undefined && values.rendezvous !== undefined) {
    throw new UsageError('CONFLICTING_FLAGS', 'Give one start barrier: --start-at EPOCH_MS (a fixed time) or --rendezvous HOST:PORT (shard 0 coordinates), not both');
  }
  const totalConnections = options.connections;
  const share: ResolvedRunOptions = {
    ...withAddresses,
    connections: shardConnections(totalConnections, shard),
    sourceAddressOffset: sourceAddresses === undefined ? shard.index * loopbackAddressesPerShard(totalConnections, shard.count, options) : 0,
  };
  const barrier = parseBarrier(values, share, shard, totalConnections);
  return { options: share, shard: { ...shard, totalConnections }, ...(barrier === undefined ? {} : { barrier }) };
}

function parseBarrier(values: ShardFlagValues, options: ResolvedRunOptions, shard: ShardSpec, totalConnections: number): StartBarrier | undefined {
  const timeoutMs = values.barrierTimeoutMs ?? DEFAULT_BARRIER_TIMEOUT_MS;
  if (values.startAt !== undefined) {
    const text = values.startAt;
    const startAtEpochMs = Number(text);
    if (!/^\d{13}$/.test(text)) {
      throw new UsageError('INVALID_START_AT', `Expected --start-at to be a wall-clock time in epoch milliseconds (13 digits, e.g. $(( $(date +%s%3N) + 60000 )) for a minute from now); got ${JSON.stringify(text)}`);
    }
    return startAtBarrier({ startAtEpochMs, shard });
  }
  if (values.rendezvous !== undefined) {
    const match = /^(.+):(\d{1,5})$/.exec(values.rendezvous);
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65_535) {
      throw new UsageError('INVALID_RENDEZVOUS', `Expected --rendezvous to be HOST:PORT (shard 0's address and a free port, e.g. wsbench-0.wsbench:7400); got ${JSON.stringify(values.rendezvous)}`);
    }
    const { scenarioName, ratePerConnection, messageBytes, durationMs, warmupMs } = options;
    const scenarioKey = JSON.stringify({ scenarioName, totalConnections, ratePerConnection, messageBytes, durationMs, warmupMs });
    return rendezvousBarrier({ host: match[1]!.replace(/^\[|\]$/g, ''), port, shard, scenarioKey, timeoutMs });
  }
  return undefined;
}

/**
 * Loopback addresses one shard's plan uses at most, so shard I can start at I × that and shards on one
 * machine never share an address's ports. Every shard plans the largest share the same way.
 */
function loopbackAddressesPerShard(totalConnections: number, count: number, options: ResolvedRunOptions): number {
  const largestShare = Math.ceil(totalConnections / count);
  const plan = planLoad({ connections: largestShare, targetIsFixture: false, ...(options.workers === undefined ? {} : { workersRequested: options.workers }) }, readMachineLimits());
  return Math.max(1, plan.sourceAddresses.length);
}

/** `10.0.1.10,10.0.1.11` or `10.0.1.10-10.0.1.40` (IPv4 range within one /24), mixed freely. */
export function parseSourceAddresses(text: string): string[] {
  const addresses: string[] = [];
  for (const part of text.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    const range = /^(\d+\.\d+\.\d+\.)(\d+)-(\d+\.\d+\.\d+\.)?(\d+)$/.exec(part);
    if (range !== null && (range[3] === undefined || range[3] === range[1])) {
      const [from, to] = [Number(range[2]), Number(range[4])];
      if (from > to || to > 255) throw new UsageError('INVALID_SOURCE_ADDRESSES', `--source-addresses: ${part} is not a range A-B of one /24 with A ≤ B ≤ 255`);
      for (let host = from; host <= to; host++) addresses.push(`${range[1]}${host}`);
    } else if (net.isIP(part) !== 0) {
      addresses.push(part);
    } else {
      throw new UsageError('INVALID_SOURCE_ADDRESSES', `Expected --source-addresses to be IP addresses of this host, comma-separated, or ranges like 10.0.1.10-10.0.1.40; got ${JSON.stringify(part)}`);
    }
  }
  if (addresses.length === 0) throw new UsageError('INVALID_SOURCE_ADDRESSES', '--source-addresses is empty; give at least one address of this host');
  return addresses;
}
