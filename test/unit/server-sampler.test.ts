import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parsePrometheusText } from '../../src/metrics/prometheus-text.js';
import type { ServerSample } from '../../src/metrics/server-sample.js';
import { createServerSampler, metricsFromFamilies, summarizeServerSamples } from '../../src/metrics/server-sampler.js';

const GO_METRICS = `# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.4e-05
go_gc_duration_seconds{quantile="0.25"} 3.9e-05
go_gc_duration_seconds{quantile="0.5"} 5e-05
go_gc_duration_seconds{quantile="0.75"} 6.3e-05
go_gc_duration_seconds{quantile="1"} 0.00125
go_gc_duration_seconds_sum 0.0125
go_gc_duration_seconds_count 187
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 10042
# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 4.476928e+07
this line is not prometheus
`;

/** Writes /proc/PID/{stat,statm,fd/} for a fake process. */
function writeFakeProcess(
  procRoot: string,
  p: { pid: number; ppid: number; cpuTicks: number; startTicks?: number; residentPages?: number; threads?: number; fds?: number },
): void {
  const dir = join(procRoot, String(p.pid));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'fd'), { recursive: true });
  const after = ['S', p.ppid, p.pid, p.pid, 0, -1, 0, 0, 0, 0, 0, p.cpuTicks, 0, 0, 0, 20, 0, p.threads ?? 1, 0,
    p.startTicks ?? 1000, 0, p.residentPages ?? 0];
  writeFileSync(join(dir, 'stat'), `${p.pid} (fake (srv)) ${after.join(' ')}\n`);
  writeFileSync(join(dir, 'statm'), `0 ${p.residentPages ?? 0} 0 0 0 0 0\n`);
  for (let fd = 0; fd < (p.fds ?? 0); fd += 1) writeFileSync(join(dir, 'fd', String(fd)), '');
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.useRealTimers();
});

function makeProcRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-proc-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` };
}

describe('createServerSampler', () => {
  it('computes exact CPU percent from a fake /proc and a fake clock, counting new processes from their first reading', async () => {
    const procRoot = makeProcRoot();
    let nowMs = 5000;
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, cpuTicks: 100, residentPages: 256, threads: 4, fds: 3 });
    const sampler = createServerSampler({
      rootPid: 100, procRoot, clock: () => nowMs, intervalMs: 60_000, clockTicksPerSecond: 100, pageSizeBytes: 4096,
    });
    cleanups.push(() => void sampler.stop());
    sampler.start();

    // 2 s later the root used 1.5 s more; the child that appeared since counts from this reading.
    nowMs = 7000;
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, cpuTicks: 250, residentPages: 256, threads: 4, fds: 3 });
    writeFakeProcess(procRoot, { pid: 101, ppid: 100, cpuTicks: 50, residentPages: 100, threads: 2, fds: 1 });
    const first = await sampler.sampleNow();

    // 1 s later: root +0.5 s, child +0.5 s.
    nowMs = 8000;
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, cpuTicks: 300, residentPages: 300, threads: 4, fds: 3 });
    writeFakeProcess(procRoot, { pid: 101, ppid: 100, cpuTicks: 100, residentPages: 100, threads: 2, fds: 1 });
    const second = await sampler.sampleNow();

    // The child exited and its PID was reused by a new process with more CPU: not a delta of the old one.
    nowMs = 9000;
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, cpuTicks: 320 });
    writeFakeProcess(procRoot, { pid: 101, ppid: 100, cpuTicks: 900, startTicks: 5000 });
    const third = await sampler.sampleNow();

    expect(first).toEqual({
      elapsedMs: 2000, intervalMs: 2000, cpuPercent: 75, rssBytes: 356 * 4096, openFds: 4, threads: 6, processes: 2,
    });
    expect(second).toMatchObject({ elapsedMs: 3000, intervalMs: 1000, cpuPercent: 100, rssBytes: 400 * 4096 });
    expect(third.cpuPercent).toBeCloseTo(20, 10);
    expect(sampler.stop()).toEqual([first, second, third]);
    expect(summarizeServerSamples([first, second, third]).cpuPercent).toBeCloseTo((75 * 2 + 100 + 20) / 4, 10);
  });

  it('samples every interval on its timer, tells listeners, and stops', async () => {
    vi.useFakeTimers();
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, cpuTicks: 0 });
    const heard: ServerSample[] = [];
    const fromOption: ServerSample[] = [];
    const sampler = createServerSampler({
      rootPid: 100, procRoot, clock: () => Date.now(), intervalMs: 500, clockTicksPerSecond: 100, pageSizeBytes: 4096,
      onSample: (sample) => fromOption.push(sample),
    });
    const off = sampler.on('sample', (sample) => heard.push(sample));
    sampler.start();

    writeFakeProcess(procRoot, { pid: 100, ppid: 1, cpuTicks: 25 });
    await vi.advanceTimersByTimeAsync(500);
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, cpuTicks: 75 });
    await vi.advanceTimersByTimeAsync(500);
    off();
    await vi.advanceTimersByTimeAsync(500);
    const samples = sampler.stop();
    await vi.advanceTimersByTimeAsync(2000);

    expect(samples.map((s) => [s.elapsedMs, s.cpuPercent])).toEqual([[500, 50], [1000, 100], [1500, 0]]);
    expect(heard).toEqual(samples.slice(0, 2));
    expect(fromOption).toEqual(samples);
    expect(sampler.samples).toHaveLength(3);
  });

  it('reports an empty tree, not an error, once the target has exited', async () => {
    const procRoot = makeProcRoot();
    const sampler = createServerSampler({ rootPid: 4242, procRoot, clock: () => 0 });

    await expect(sampler.sampleNow()).resolves.toMatchObject({ processes: 0, cpuPercent: 0, rssBytes: 0 });
  });

  it('scrapes a real Go-style /metrics on loopback and maps goroutines, heap and GC pauses', async () => {
    const { url } = await listen((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(GO_METRICS);
    });
    const sampler = createServerSampler({ rootPid: process.pid, metricsUrl: url });

    const sample = await sampler.sampleNow();

    expect(sample).toMatchObject({
      goroutines: 10042,
      heapInuseBytes: 44_769_280,
      gcCount: 187,
      gcPauseP50Ms: 0.05,
      gcPauseMaxMs: 1.25,
    });
    expect(sample.processes).toBeGreaterThanOrEqual(1);
    expect(sampler.scrape).toEqual({ attempts: 1, failures: 0, lastError: null, parseErrors: 1 });
  });

  it('starts no scrape in a quiet period, until it is ended; ending a replaced one leaves the new one quiet', async () => {
    let scrapes = 0;
    const { url } = await listen((_request, response) => {
      scrapes += 1;
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(GO_METRICS);
    });
    let nowMs = 1000;
    const sampler = createServerSampler({ rootPid: process.pid, metricsUrl: url, clock: () => nowMs });

    const endFirst = sampler.quietFrom(2000);
    expect((await sampler.sampleNow()).goroutines).toBe(10042); // before the quiet period
    nowMs = 2500;
    expect((await sampler.sampleNow()).goroutines).toBeUndefined();
    const endSecond = sampler.quietFrom(3000);
    endFirst();
    nowMs = 3500;
    expect((await sampler.sampleNow()).goroutines).toBeUndefined();
    endSecond();
    expect((await sampler.sampleNow()).goroutines).toBe(10042);
    expect(scrapes).toBe(2);
  });

  it('records an unreachable metrics URL and still returns the /proc sample', async () => {
    const { server, url } = await listen(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const sampler = createServerSampler({ rootPid: process.pid, metricsUrl: url });

    const sample = await sampler.sampleNow();

    expect(sample.processes).toBeGreaterThanOrEqual(1);
    expect(sample.goroutines).toBeUndefined();
    expect(sampler.scrape.failures).toBe(1);
    expect(sampler.scrape.lastError).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('records a scrape that times out or answers with an HTTP error', async () => {
    let answer = false;
    const { url } = await listen((_request, response) => {
      if (answer) response.writeHead(503).end('busy');
      // otherwise never answer
    });
    const sampler = createServerSampler({ rootPid: process.pid, metricsUrl: url, scrapeTimeoutMs: 100 });

    await sampler.sampleNow();
    answer = true;
    await sampler.sampleNow();

    expect(sampler.scrape.failures).toBe(2);
    expect(sampler.scrape.lastError).toBe(`HTTP 503 from ${url}`);
  });
});

describe('metricsFromFamilies', () => {
  it('maps a Node (prom-client) target\'s heap and sums its GC counts across kinds', () => {
    const { families } = parsePrometheusText([
      '# TYPE nodejs_heap_size_used_bytes gauge',
      'nodejs_heap_size_used_bytes 12345678',
      '# TYPE nodejs_gc_duration_seconds histogram',
      'nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 40',
      'nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 41',
      'nodejs_gc_duration_seconds_sum{kind="minor"} 0.03',
      'nodejs_gc_duration_seconds_count{kind="minor"} 41',
      'nodejs_gc_duration_seconds_count{kind="major"} 2',
    ].join('\n'));

    expect(metricsFromFamilies(families)).toEqual({ heapInuseBytes: 12_345_678, gcCount: 43 });
  });
});

describe('summarizeServerSamples', () => {
  const sample = (elapsedMs: number, extra: Partial<ServerSample>): ServerSample => ({
    elapsedMs, intervalMs: 1000, cpuPercent: 0, rssBytes: 0, openFds: 0, threads: 1, processes: 1, ...extra,
  });

  it('averages CPU over the window after warm-up and takes peaks and the GC count within it', () => {
    const samples = [
      sample(1000, { cpuPercent: 400, rssBytes: 9e9, gcCount: 10 }),
      sample(2000, { cpuPercent: 100, rssBytes: 200, openFds: 50, gcCount: 12, goroutines: 30, gcPauseMaxMs: 2 }),
      sample(3000, { cpuPercent: 150, rssBytes: 300, openFds: 40, gcCount: 20, goroutines: 20, gcPauseMaxMs: 1 }),
    ];

    expect(summarizeServerSamples(samples, { fromElapsedMs: 1000 })).toEqual({
      cpuPercent: 125,
      peakRssBytes: 300,
      peakOpenFds: 50,
      peakThreads: 1,
      peakProcesses: 1,
      peakGoroutines: 30,
      peakHeapInuseBytes: null,
      gcCount: 8,
      gcPauseMaxMs: 2,
    });
  });

  it('returns nulls when there are no samples', () => {
    expect(summarizeServerSamples([])).toMatchObject({ cpuPercent: null, peakRssBytes: null, gcCount: null });
  });
});
