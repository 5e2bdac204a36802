import { UsageError } from '../errors.js';
import { splitEvenly } from '../plan/preflight-addresses.js';

/** Which shard this process runs: `--shard I/K`, or `--shards K` with I from Kubernetes' JOB_COMPLETION_INDEX. */
export interface ShardSpec {
  /** 0-based, like JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
}

/** The environment variable an Indexed Job sets in each pod (0 … completions − 1). */
export const SHARD_INDEX_ENV = 'JOB_COMPLETION_INDEX';

const INTEGER = /^\d+$/;

/** Parses `--shard I/K` / `--shards K`; `env` is where `--shards` finds the index. Undefined when neither is given. */
export function parseShardFlags(values: { shard?: string | undefined; shards?: string | undefined }, env: NodeJS.ProcessEnv): ShardSpec | undefined {
  if (values.shard !== undefined && values.shards !== undefined) {
    throw new UsageError('CONFLICTING_FLAGS', 'Give either --shard I/K (this process runs shard I) or --shards K (the index comes from $JOB_COMPLETION_INDEX), not both');
  }
  if (values.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(values.shard);
    if (match === null) throw new UsageError('INVALID_SHARD', `Expected --shard to be I/K with 0 ≤ I < K, e.g. 0/4 for the first of four shards; got ${JSON.stringify(values.shard)}`);
    return checkShard(Number(match[1]), Number(match[2]), '--shard');
  }
  if (values.shards !== undefined) {
    if (!INTEGER.test(values.shards)) throw new UsageError('INVALID_SHARDS', `Expected --shards to be a positive integer (the shard count); got ${JSON.stringify(values.shards)}`);
    const text = env[SHARD_INDEX_ENV];
    if (text === undefined || !INTEGER.test(text)) {
      throw new UsageError(
        'MISSING_SHARD_INDEX',
        `--shards ${values.shards} takes this shard's index from $${SHARD_INDEX_ENV} (set by a Kubernetes Indexed Job); got ${text === undefined ? 'nothing' : JSON.stringify(text)}. Outside Kubernetes use --shard I/${values.shards}`,
      );
    }
    return checkShard(Number(text), Number(values.shards), `$${SHARD_INDEX_ENV} with --shards`);
  }
  return undefined;
}

function checkShard(index: number, count: number, option: string): ShardSpec {
  if (count < 1) throw new UsageError('INVALID_SHARD', `${option}: expected at least 1 shard; got ${count}`);
  if (index >= count) throw new UsageError('INVALID_SHARD', `${option}: expected a shard index from 0 to ${count - 1} (indexes are 0-based, like JOB_COMPLETION_INDEX); got ${index} of ${count}`);
  return { index, count };
}

/** This shard's connections: the scenario's split as evenly as possible, larger shares first. */
export function shardConnections(totalConnections: number, shard: ShardSpec): number {
  if (totalConnections < shard.count) {
    throw new UsageError('TOO_FEW_CONNECTIONS', `--connections ${totalConnections} cannot be split over ${shard.count} shards: every shard needs at least one; lower the shard count or raise --connections`);
  }
  return splitEvenly(totalConnections, shard.count)[shard.index]!;
}

/** The name a shard is reported by, everywhere: `shard 2/4`. */
export function shardName(index: number, count: number): string {
  return `shard ${index}/${count}`;
}
