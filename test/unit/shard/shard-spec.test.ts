import { describe, expect, it } from 'vitest';
import { planLoad } from '../../../src/plan/preflight.js';
import type { MachineLimits } from '../../../src/plan/preflight.js';
import { parseSourceAddresses } from '../../../src/cli/flags/shard-flags.js';
import { parseShardFlags, shardConnections } from '../../../src/shard/shard-spec.js';

const LIMITS: MachineLimits = { nofileSoft: 20_000, nofileHard: 20_000, portRangeLow: 32_768, portRangeHigh: 60_999, somaxconn: 4096, cores: 2, totalMemoryBytes: 8 * 1024 ** 3, freeMemoryBytes: 6 * 1024 ** 3 };

describe('shards', () => {
  it('--shard I/K and --shards K with $JOB_COMPLETION_INDEX give the index; bad values name the fix', () => {
    expect(parseShardFlags({ shard: '2/4' }, {})).toEqual({ index: 2, count: 4 });
    expect(parseShardFlags({ shards: '4' }, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(parseShardFlags({}, {})).toBeUndefined();
    expect(() => parseShardFlags({ shard: '4/4' }, {})).toThrow(/expected a shard index from 0 to 3 \(indexes are 0-based/);
    expect(() => parseShardFlags({ shard: 'x' }, {})).toThrow(/Expected --shard to be I\/K/);
    expect(() => parseShardFlags({ shards: '4' }, {})).toThrow(/takes this shard's index from \$JOB_COMPLETION_INDEX.*got nothing.*use --shard I\/4/);
    expect(() => parseShardFlags({ shard: '0/2', shards: '2' }, {})).toThrow(/not both/);
  });

  it('splits connections so the shares sum to the whole, larger shares first', () => {
    const shares = [0, 1, 2].map((index) => shardConnections(200_001, { index, count: 3 }));
    expect(shares).toEqual([66_667, 66_667, 66_667]);
    expect([0, 1, 2, 3].map((index) => shardConnections(10, { index, count: 4 }))).toEqual([3, 3, 2, 2]);
    expect(() => shardConnections(2, { index: 0, count: 3 })).toThrow(/cannot be split over 3 shards/);
  });

  it('plans source addresses: loopback from an offset, none for a remote target, or the ones given', () => {
    const shifted = planLoad({ connections: 3000, targetIsFixture: false, sourceAddressOffset: 10 }, LIMITS);
    expect(shifted.sourceAddresses).toEqual(['127.0.0.12', '127.0.0.13']);
    const kernel = planLoad({ connections: 12_000, targetIsFixture: false, sourceAddresses: 'kernel' }, LIMITS);
    expect(kernel.errors).toEqual([]);
    expect(kernel.workers.map((worker) => worker.sourceAddresses)).toEqual([[], []]);
    const tooMany = planLoad({ connections: 40_000, targetIsFixture: false, sourceAddresses: 'kernel' }, LIMITS);
    expect(tooMany.errors).toEqual([expect.stringMatching(/give --source-addresses with at least 2 addresses/)]);
    const given = planLoad({ connections: 30_000, targetIsFixture: false, sourceAddresses: parseSourceAddresses('10.0.1.10-10.0.1.13') }, LIMITS);
    expect(given.errors).toEqual([]);
    expect(given.workers.map((worker) => worker.sourceAddresses.map((address) => address.address))).toEqual([
      ['10.0.1.10', '10.0.1.12'],
      ['10.0.1.11', '10.0.1.13'],
    ]);
    expect(() => parseSourceAddresses('10.0.1.10-9')).toThrow(/not a range/);
    expect(() => parseSourceAddresses('host.example')).toThrow(/Expected --source-addresses to be IP addresses/);
  });
});
