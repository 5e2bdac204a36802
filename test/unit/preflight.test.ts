import { describe, expect, it } from 'vitest';

import {
  FD_RESERVE_PER_PROCESS,
  MAX_SOURCE_ADDRESSES,
  planLoad,
  readMachineLimits,
  recommendTargetProcs,
  sourceAddress,
  type LoadPlan,
  type LoadRequest,
  type MachineLimits,
} from '../../src/plan/preflight.js';
import { parseOpenFilesLimit, parsePortRange } from '../../src/plan/preflight-limits.js';
import { GiB, MACHINE } from '../support/machine.js';


function plan(request: Partial<LoadRequest> & { connections: number }, limits: Partial<MachineLimits> = {}): LoadPlan {
  return planLoad({ targetIsFixture: true, ...request }, { ...MACHINE, ...limits });
}

/** The invariants every valid plan keeps, whatever its size. */
function expectConsistent(p: LoadPlan): void {
  expect(p.errors).toEqual([]);
  expect(p.workers.reduce((sum, w) => sum + w.connections, 0)).toBe(p.connections);
  for (const worker of p.workers) {
    expect(worker.connections).toBeLessThanOrEqual(p.maxSocketsPerProcess);
    expect(worker.sourceAddresses.reduce((sum, a) => sum + a.connections, 0)).toBe(worker.connections);
    for (const address of worker.sourceAddresses) {
      expect(address.connections).toBeGreaterThan(0);
      expect(address.connections).toBeLessThanOrEqual(p.perAddressBudget);
    }
  }
  const all = p.workers.flatMap((w) => w.sourceAddresses.map((a) => a.address));
  expect(new Set(all).size).toBe(all.length);
  expect(p.sourceAddresses).toEqual(all);
}

describe('planLoad on a machine with 20000 open files per process and ports 32768-60999', () => {
  it('derives the per-process socket limit and the per-address budget from the limits', () => {
    const p = plan({ connections: 1000 });
    expect(p.maxSocketsPerProcess).toBe(20_000 - FD_RESERVE_PER_PROCESS);
    expect(p.perAddressBudget).toBe(25_408);
    expect(p.perAddressBudget).toBeLessThan(28_232);
  });

  it('drives 1000 connections from one worker on one address without warnings', () => {
    const p = plan({ connections: 1000 });
    expectConsistent(p);
    expect(p.workers).toEqual([{ index: 0, connections: 1000, sourceAddresses: [{ address: '127.0.0.2', connections: 1000 }] }]);
    expect(p.recommendedTargetProcs).toBe(1);
    expect(p.warnings).toEqual([]);
  });

  it('splits 20000 connections over two workers because one process holds 19800', () => {
    const p = plan({ connections: 20_000 });
    expectConsistent(p);
    expect(p.workers.map((w) => w.connections)).toEqual([10_000, 10_000]);
    // At most MAX_CONNECTIONS_PER_SOURCE_ADDRESS (2000) per address: 5 per worker.
    expect(p.workers.map((w) => w.sourceAddresses.length)).toEqual([5, 5]);
    expect(p.sourceAddresses.at(-1)).toBe('127.0.0.11');
    expect(p.recommendedTargetProcs).toBe(2);
    expect(p.warnings).toEqual([
      'fd limit 20000 per process: using 2 driver processes of at most 19800 sockets each; ' +
        'the target needs --procs ≥ 2 (has 1) or a higher limit',
    ]);
  });

  it('uses three workers with nine addresses each for 50000 connections', () => {
    const p = plan({ connections: 50_000, targetProcs: 3 });
    expectConsistent(p);
    expect(p.workers.map((w) => w.connections)).toEqual([16_667, 16_667, 16_666]);
    expect(p.workers.map((w) => w.sourceAddresses.length)).toEqual([9, 9, 9]);
    expect(p.warnings).toEqual([
      'fd limit 20000 per process: using 3 driver processes of at most 19800 sockets each',
      '50000 connections need 2 source addresses (28232 ports each, at most 25408 used): ' +
        'using 27, 127.0.0.2–127.0.0.28 (at most 2000 connections each: bind() slows as an address fills), none shared between driver processes',
    ]);
  });

  it('uses six workers and 54 addresses for 100000 connections and says why with numbers', () => {
    const p = plan({ connections: 100_000 });
    expectConsistent(p);
    expect(p.workers).toHaveLength(6);
    expect(p.sourceAddresses).toHaveLength(54);
    expect(p.sourceAddresses.at(-1)).toBe('127.0.0.55');
    expect(p.recommendedTargetProcs).toBe(6);
    expect(p.warnings).toEqual([
      'fd limit 20000 per process: using 6 driver processes of at most 19800 sockets each; ' +
        'the target needs --procs ≥ 6 (has 1) or a higher limit',
      '100000 connections need 4 source addresses (28232 ports each, at most 25408 used): ' +
        'using 54, 127.0.0.2–127.0.0.55 (at most 2000 connections each: bind() slows as an address fills), none shared between driver processes',
    ]);
    expect(p.estimatedDriverMemoryBytes / GiB).toBeCloseTo(2.28, 2);
  });

  it('uses eleven workers for 200000 connections and keeps every one under the fd limit', () => {
    const p = plan({ connections: 200_000, targetProcs: 11 });
    expectConsistent(p);
    expect(p.workers).toHaveLength(11);
    expect(p.sourceAddresses.at(-1)).toBe('127.0.0.111');
    expect(p.recommendedTargetProcs).toBe(11);
    expect(p.warnings[0]).toBe('fd limit 20000 per process: using 11 driver processes of at most 19800 sockets each');
    expect(p.warnings[1]).toMatch(/^200000 connections need 8 source addresses \(28232 ports each/);
  });

  it('spreads a mid-sized load over the cores even when one process could hold it', () => {
    const p = plan({ connections: 8000 });
    expectConsistent(p);
    expect(p.workers.map((w) => w.connections)).toEqual([4000, 4000]);
    expect(p.warnings).toEqual([]);
  });

  it('gives a worker as many addresses as it needs to keep each under 2000 connections', () => {
    const p = plan({ connections: 100_000 }, { nofileSoft: 1_048_576, nofileHard: 1_048_576 });
    expectConsistent(p);
    expect(p.workers.map((w) => w.sourceAddresses.length)).toEqual([25, 25]);
    for (const worker of p.workers) for (const address of worker.sourceAddresses) expect(address.connections).toBeLessThanOrEqual(2000);
  });

  it('honours --workers when it is enough for the fd limit', () => {
    const p = plan({ connections: 50_000, workersRequested: 5 });
    expectConsistent(p);
    expect(p.workers).toHaveLength(5);
  });

  it('refuses --workers too small for the fd limit and names the minimum and the fix', () => {
    const p = plan({ connections: 50_000, workersRequested: 2 });
    expect(p.workers).toEqual([]);
    expect(p.errors).toHaveLength(1);
    expect(p.errors[0]).toContain('--workers 2 is too few for 50000 connections');
    expect(p.errors[0]).toContain('at most 19800 sockets');
    expect(p.errors[0]).toContain('pass --workers 3 or more');
  });

  it('refuses more connections than 127.0.0.0/8 has ports for', () => {
    const huge = Number.MAX_SAFE_INTEGER;
    const p = plan(
      { connections: 500_000_000_000 },
      { nofileSoft: huge, nofileHard: huge, totalMemoryBytes: huge, freeMemoryBytes: huge },
    );
    expect(p.workers).toEqual([]);
    expect(p.errors[0]).toMatch(/need \d+ source addresses .* more than the 16777213 in 127\.0\.0\.0\/8/);
  });

  it('refuses a load whose estimated memory exceeds the machine and warns when it exceeds what is free', () => {
    expect(plan({ connections: 2_000_000 }).errors[0]).toMatch(/^memory: the driver needs an estimated 4[0-9.]+ GiB .* 24\.0 GiB/);
    const p = plan({ connections: 100_000, targetProcs: 6 }, { freeMemoryBytes: 2 * GiB });
    expectConsistent(p);
    expect(p.warnings).toContain('memory: estimated 2.3 GiB > available 2.0 GiB for the driver');
  });

  it('reports every invalid field at once', () => {
    const p = plan({ connections: 0, workersRequested: 1.5, targetProcs: -1 });
    expect(p.errors).toEqual([
      'Expected --connections to be a positive integer, got 0',
      'Expected --workers to be a positive integer, got 1.5',
      "Expected the target's --procs to be a positive integer, got -1",
    ]);
  });

  it('warns about a small somaxconn and a soft fd limit below the hard one', () => {
    const p = plan({ connections: 30_000, targetIsFixture: false }, { somaxconn: 128, nofileHard: 65_536 });
    expect(p.warnings).toEqual([
      'fd limit 20000 per process: using 2 driver processes of at most 19800 sockets each; ' +
        'a target on this machine needs ≥ 2 processes or a higher limit; ' +
        '`ulimit -n 65536` in the shell that runs wsbench would raise it',
      '30000 connections need 2 source addresses (28232 ports each, at most 25408 used): ' +
        'using 16, 127.0.0.2–127.0.0.17 (at most 2000 connections each: bind() slows as an address fills), none shared between driver processes',
      "net.core.somaxconn 128 caps the target's accept queue below 4096: handshake bursts will wait for 1 s " +
        'SYN retries; raise it with scripts/system_tune.sh apply',
    ]);
  });
});

describe('recommendTargetProcs', () => {
  it('asks for one target process per 19800 connections', () => {
    expect(recommendTargetProcs(1000, MACHINE)).toBe(1);
    expect(recommendTargetProcs(19_800, MACHINE)).toBe(1);
    expect(recommendTargetProcs(19_801, MACHINE)).toBe(2);
    expect(recommendTargetProcs(100_000, MACHINE)).toBe(6);
  });
});

describe('sourceAddress', () => {
  it('counts from 127.0.0.2 across octet boundaries up to 127.255.255.254', () => {
    expect(sourceAddress(0)).toBe('127.0.0.2');
    expect(sourceAddress(253)).toBe('127.0.0.255');
    expect(sourceAddress(254)).toBe('127.0.1.0');
    expect(sourceAddress(MAX_SOURCE_ADDRESSES - 1)).toBe('127.255.255.254');
    expect(() => sourceAddress(MAX_SOURCE_ADDRESSES)).toThrow(RangeError);
  });
});

describe('readMachineLimits', () => {
  const files: Record<string, string> = {
    '/proc/self/limits':
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
      'Max processes             96365                96365                processes \n' +
      'Max open files            20000                524288               files     \n',
    '/proc/sys/net/ipv4/ip_local_port_range': '32768\t60999\n',
    '/proc/sys/net/core/somaxconn': '4096\n',
  };
  const read = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: ${path}`);
    return text;
  };

  it('reads the open-files limits, the port range and somaxconn from /proc', () => {
    const limits = readMachineLimits(read);
    expect(limits).toMatchObject({ nofileSoft: 20_000, nofileHard: 524_288, portRangeLow: 32_768, portRangeHigh: 60_999, somaxconn: 4096 });
    expect(limits.cores).toBeGreaterThanOrEqual(1);
    expect(limits.totalMemoryBytes).toBeGreaterThan(0);
  });

  it('reads sane values from this machine', () => {
    const limits = readMachineLimits();
    expect(limits.nofileSoft).toBeGreaterThan(FD_RESERVE_PER_PROCESS);
    expect(limits.nofileHard).toBeGreaterThanOrEqual(limits.nofileSoft);
    expect(limits.portRangeHigh).toBeGreaterThan(limits.portRangeLow);
  });

  it('names the file it could not read', () => {
    expect(() => readMachineLimits(() => { throw new Error('ENOENT'); })).toThrow(/Cannot read \/proc\/self\/limits/);
  });

  it('parses unlimited limits and rejects malformed port ranges', () => {
    expect(parseOpenFilesLimit('Max open files            unlimited            unlimited            files')).toEqual({
      soft: Number.POSITIVE_INFINITY,
      hard: Number.POSITIVE_INFINITY,
    });
    expect(() => parseOpenFilesLimit('Max processes 1 1')).toThrow(/Max open files/);
    expect(() => parsePortRange('60999 32768')).toThrow(/ip_local_port_range/);
  });
});
