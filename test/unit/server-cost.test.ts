import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeServerCost } from '../../src/metrics/server-cost.js';
import type { ServerCostInputs } from '../../src/metrics/server-cost.js';
import { createServerCostMeter } from '../../src/metrics/server-cost-meter.js';

const MS = 1_000_000;

function inputs(overrides: Partial<ServerCostInputs> = {}): ServerCostInputs {
  return {
    windowMs: 8000,
    messages: 40_000,
    connections: 1000,
    cpu: { cpuNs: 400 * MS, wallMs: 8000, threads: 6, exitedThreads: 0, recoveredNs: 0, exitedProcesses: 0, source: 'schedstat' },
    rssBeforeOpenBytes: 10_000_000,
    rssAfterOpenBytes: 30_000_000,
    countersAtStart: { atMs: 0, allocBytesTotal: 1_000_000, mallocsTotal: 5_000, gcCount: 10 },
    countersAtEnd: { atMs: 8000, allocBytesTotal: 41_000_000, mallocsTotal: 85_000, gcCount: 14 },
    countersCoverTree: true,
    notes: [],
    ...overrides,
  };
}

describe('computeServerCost', () => {
  it('divides the window\'s CPU, allocations and collections by the echoes inside it', () => {
    const cost = computeServerCost(inputs());

    expect(cost.cpuMicrosPerMessage).toBe(10);
    expect(cost.capacityPerCoreMessagesPerSec).toBe(100_000);
    expect(cost.memoryBytesPerConnection).toBe(20_000);
    expect(cost.allocBytesPerMessage).toBe(1000);
    expect(cost.allocsPerMessage).toBe(2);
    expect(cost.gcPer10kMessages).toBe(1);
    expect(cost.basis.notes).toEqual([]);
  });

  it('scales readings taken a little late or early to the driver\'s window', () => {
    // The CPU was read over 8.4 s for an 8 s window: 420 ms over 8.4 s is 400 ms over 8 s.
    const cost = computeServerCost(inputs({
      cpu: { cpuNs: 420 * MS, wallMs: 8400, threads: 6, exitedThreads: 0, recoveredNs: 0, exitedProcesses: 0, source: 'schedstat' },
      countersAtEnd: { atMs: 10_000, allocBytesTotal: 51_000_000, mallocsTotal: 105_000, gcCount: 15 },
    }));

    expect(cost.cpuMicrosPerMessage).toBeCloseTo(10, 10);
    expect(cost.allocBytesPerMessage).toBeCloseTo(1000, 10);
    // Collections are whole events, counted as they came.
    expect(cost.basis.gcCycles).toBe(5);
  });

  it('gives null with a reason for every figure it cannot measure, never a placeholder', () => {
    const cost = computeServerCost(inputs({ cpu: null, rssAfterOpenBytes: null, countersAtStart: null, countersAtEnd: null, notes: ['the run ended early'] }));

    expect(cost).toMatchObject({
      cpuMicrosPerMessage: null,
      capacityPerCoreMessagesPerSec: null,
      memoryBytesPerConnection: null,
      allocBytesPerMessage: null,
      allocsPerMessage: null,
      gcPer10kMessages: null,
    });
    expect(cost.basis.notes).toEqual(['the run ended early']);
  });

  it('has nothing per message when no echo arrived in the window', () => {
    const cost = computeServerCost(inputs({ messages: 0 }));

    expect(cost.cpuMicrosPerMessage).toBeNull();
    expect(cost.allocsPerMessage).toBeNull();
    expect(cost.memoryBytesPerConnection).toBe(20_000);
    expect(cost.basis.notes.join(' ')).toMatch(/no echo arrived/);
  });

  it('leaves the allocation figures out when the metrics speak for one of several processes', () => {
    const cost = computeServerCost(inputs({ countersCoverTree: false }));

    expect(cost.allocBytesPerMessage).toBeNull();
    expect(cost.gcPer10kMessages).toBeNull();
    expect(cost.cpuMicrosPerMessage).toBe(10);
    expect(cost.basis.notes.join(' ')).toMatch(/one of the server's processes/);
  });

  it('says so when the metrics are not a Go server\'s', () => {
    const cost = computeServerCost(inputs({ countersAtStart: { atMs: 0, gcCount: 3 }, countersAtEnd: { atMs: 8000, gcCount: 7 } }));

    expect(cost.allocBytesPerMessage).toBeNull();
    expect(cost.gcPer10kMessages).toBe(1);
    expect(cost.basis.notes.join(' ')).toMatch(/go_memstats_alloc_bytes_total/);
  });
});

describe('createServerCostMeter', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function writeFake(procRoot: string, threadNs: number, residentPages: number): void {
    const dir = join(procRoot, '100');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'task', '100'), { recursive: true });
    mkdirSync(join(dir, 'fd'));
    const after = ['S', 1, 100, 100, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, 1000, 0, 0];
    writeFileSync(join(dir, 'stat'), `100 (srv) ${after.join(' ')}\n`);
    writeFileSync(join(dir, 'statm'), `0 ${residentPages} 0 0 0 0 0\n`);
    writeFileSync(join(dir, 'task', '100', 'schedstat'), `${threadNs} 0 0\n`);
  }

  async function serveCounters(bodies: string[]): Promise<string> {
    const server = createServer((_request, response) => {
      response.end(bodies.shift() ?? '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  }

  const goCounters = (allocBytes: number, mallocs: number, gc: number): string =>
    `# TYPE go_memstats_alloc_bytes_total counter\ngo_memstats_alloc_bytes_total ${allocBytes}\n` +
    `# TYPE go_memstats_mallocs_total counter\ngo_memstats_mallocs_total ${mallocs}\n` +
    `# TYPE go_gc_duration_seconds summary\ngo_gc_duration_seconds{quantile="0.5"} 0.0001\ngo_gc_duration_seconds_sum 0.01\ngo_gc_duration_seconds_count ${gc}\n`;

  it('reads memory around the opening and CPU plus Go counters at the window\'s ends', async () => {
    const procRoot = mkdtempSync(join(tmpdir(), 'wsbench-proc-'));
    cleanups.push(() => rmSync(procRoot, { recursive: true, force: true }));
    const metricsUrl = await serveCounters([goCounters(1e6, 1000, 3), goCounters(5e6, 9000, 5)]);
    let now = 0;
    const meter = createServerCostMeter({ pid: 100, metricsUrl, procRoot, clockTicksPerSecond: 100, pageSizeBytes: 4096, clock: () => now });

    writeFake(procRoot, 0, 1000);
    meter.beforeOpen();
    writeFake(procRoot, 0, 1000 + 100 * 10);
    meter.afterOpen();
    writeFake(procRoot, 50 * MS, 2000);
    await meter.read();
    now = 2000;
    writeFake(procRoot, 70 * MS, 2000);
    await meter.read();
    await meter.finish();
    const cost = meter.summarize({ windowMs: 2000, messages: 2000, connections: 100 });

    expect(cost.memoryBytesPerConnection).toBe(10 * 4096);
    expect(cost.cpuMicrosPerMessage).toBe(10);
    expect(cost.allocBytesPerMessage).toBe(2000);
    expect(cost.allocsPerMessage).toBe(4);
    expect(cost.gcPer10kMessages).toBe(10);
  });

  it('reads at the scheduled clock times and not after finish()', async () => {
    const procRoot = mkdtempSync(join(tmpdir(), 'wsbench-proc-'));
    cleanups.push(() => rmSync(procRoot, { recursive: true, force: true }));
    writeFake(procRoot, 0, 1);
    const meter = createServerCostMeter({ pid: 100, procRoot, clockTicksPerSecond: 100, pageSizeBytes: 4096 });

    meter.scheduleWindow(performance.now() + 10, performance.now() + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await meter.finish();
    const cost = meter.summarize({ windowMs: 60_000, messages: 10, connections: 1 });

    expect(cost.cpuMicrosPerMessage).toBeNull();
    expect(cost.basis.notes.join(' ')).toMatch(/not read at both ends/);
    expect(cost.basis.notes.join(' ')).toMatch(/no metrics endpoint/);
  });

  it('turns a failing scrape into a note, not an error', async () => {
    const procRoot = mkdtempSync(join(tmpdir(), 'wsbench-proc-'));
    cleanups.push(() => rmSync(procRoot, { recursive: true, force: true }));
    writeFake(procRoot, 0, 1);
    const meter = createServerCostMeter({ pid: 100, metricsUrl: 'http://127.0.0.1:1/metrics', procRoot, clockTicksPerSecond: 100, pageSizeBytes: 4096 });

    await meter.read();
    await meter.read();
    const cost = meter.summarize({ windowMs: 1000, messages: 10, connections: 1 });

    expect(cost.allocBytesPerMessage).toBeNull();
    expect(cost.basis.notes.join(' ')).toMatch(/allocation counters are missing/);
  });
});
