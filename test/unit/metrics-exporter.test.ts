import { afterEach, describe, expect, it } from 'vitest';
import type { LoadSecond } from '../../src/driver/driver-events.js';
import type { ServerSample } from '../../src/metrics/server-sample.js';
import { findFamily, findQuantile, findValue, parsePrometheusText } from '../../src/metrics/prometheus-text.js';
import type { PrometheusFamily } from '../../src/metrics/prometheus-text.js';
import { escapeLabelValue, startMetricsExporter } from '../../src/report/metrics-exporter.js';
import type { MetricsExporter, TargetGroup } from '../../src/report/metrics-exporter.js';
import type { RunEvent } from '../../src/run/run-events.js';

const exporters: MetricsExporter[] = [];

afterEach(async () => {
  await Promise.all(exporters.splice(0).map((exporter) => exporter.close()));
});

async function start(): Promise<MetricsExporter> {
  const exporter = await startMetricsExporter({ port: 0 });
  exporters.push(exporter);
  return exporter;
}

function feed(exporter: MetricsExporter, events: RunEvent[]): void {
  for (const event of events) exporter.listener(event);
}

async function scrape(exporter: MetricsExporter): Promise<PrometheusFamily[]> {
  const response = await fetch(exporter.url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const { families, errors } = parsePrometheusText(await response.text());
  expect(errors).toEqual([]);
  return families;
}

async function discover(exporter: MetricsExporter): Promise<TargetGroup[]> {
  const response = await fetch(`http://127.0.0.1:${exporter.port}/sd`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  return (await response.json()) as TargetGroup[];
}

function second(overrides: Partial<LoadSecond> = {}): LoadSecond {
  return {
    phaseId: 1,
    second: 0,
    warmup: false,
    connections: 100,
    sent: 1000,
    received: 990,
    timedOut: 2,
    latencyMs: { min: 0.2, p50: 1, p90: 2, p99: 5, p999: 12, max: 20, mean: 1.5 },
    sendLagP99Ms: 0.8,
    eventLoopUtilization: 0.25,
    ...overrides,
  };
}

function sample(overrides: Partial<ServerSample> = {}): ServerSample {
  return { elapsedMs: 1000, cpuPercent: 37.5, rssBytes: 52_428_800, openFds: 112, threads: 9, processes: 1, goroutines: 105, ...overrides };
}

const A_RUN: RunEvent[] = [
  { type: 'stage', stage: 'preparing', detail: '100c-10r-256b' },
  { type: 'stage', stage: 'starting-target', detail: 'gobwas:model=epoll' },
  { type: 'target-ready', pid: 4242, url: 'ws://127.0.0.1:40001/', commandLine: 'gobwas-echo --port 40001', metricsUrl: 'http://127.0.0.1:40002/metrics' },
  { type: 'stage', stage: 'opening', detail: '100 connections' },
  { type: 'opening', progress: { attempted: 60, established: 57, failed: 3, target: 100 } },
  { type: 'opened', established: 97, failed: 3, openMs: 120 },
  { type: 'stage', stage: 'loading' },
  { type: 'second', second: second({ second: 0, warmup: true, connections: 97 }), durationMs: 3000 },
  { type: 'server-sample', sample: sample() },
  { type: 'second', second: second({ second: 1, connections: 97, sent: 970, received: 970, timedOut: 0, latencyMs: { min: 0.3, p50: 2, p90: 3, p99: 7, p999: 15, max: 30, mean: 2.5 } }), durationMs: 3000 },
];

describe('the metrics exporter', () => {
  it('listens on 127.0.0.1 and reports the port it was given by the kernel', async () => {
    const exporter = await start();
    expect(exporter.port).toBeGreaterThan(0);
    expect(exporter.url).toBe(`http://127.0.0.1:${exporter.port}/metrics`);
  });

  it('serves every metric of a run fed only by RunEvents, in valid Prometheus text', async () => {
    const exporter = await start();
    feed(exporter, A_RUN);
    const families = await scrape(exporter);

    expect(findValue(families, 'wsbench_scenario_info', { scenario: '100c-10r-256b', target: 'gobwas:model=epoll' })).toBe(1);
    expect(findValue(families, 'wsbench_connections')).toBe(97);
    expect(findValue(families, 'wsbench_connections_target')).toBe(100);
    expect(findValue(families, 'wsbench_connect_failures_total')).toBe(3);
    // Counters add the seconds, warm-up included.
    expect(findValue(families, 'wsbench_messages_sent_total')).toBe(1970);
    expect(findValue(families, 'wsbench_messages_received_total')).toBe(1960);
    expect(findValue(families, 'wsbench_messages_timed_out_total')).toBe(2);
    expect(findValue(families, 'wsbench_warmup')).toBe(0);
    expect(findValue(families, 'wsbench_send_lag_p99_seconds')).toBeCloseTo(0.0008, 10);
    expect(findValue(families, 'wsbench_event_loop_utilization')).toBe(0.25);
    expect(findValue(families, 'wsbench_server_cpu_percent')).toBe(37.5);
    expect(findValue(families, 'wsbench_server_rss_bytes')).toBe(52_428_800);
    expect(findValue(families, 'wsbench_server_open_fds')).toBe(112);
    expect(findValue(families, 'wsbench_server_goroutines')).toBe(105);

    for (const [name, type] of [['wsbench_connections', 'gauge'], ['wsbench_messages_sent_total', 'counter'], ['wsbench_rtt_seconds', 'summary']] as const) {
      expect(findFamily(families, name)?.type).toBe(type);
      expect(findFamily(families, name)?.help).toBeTruthy();
    }
  });

  it('reports RTT as a summary: quantiles of the last second, sum and count over the whole run', async () => {
    const exporter = await start();
    feed(exporter, A_RUN);
    const rtt = findFamily(await scrape(exporter), 'wsbench_rtt_seconds')!;
    expect(findQuantile(rtt, 0.5)).toBeCloseTo(0.002, 10);
    expect(findQuantile(rtt, 0.9)).toBeCloseTo(0.003, 10);
    expect(findQuantile(rtt, 0.99)).toBeCloseTo(0.007, 10);
    expect(findQuantile(rtt, 0.999)).toBeCloseTo(0.015, 10);
    const count = rtt.samples.find((s) => s.name === 'wsbench_rtt_seconds_count')?.value;
    const sum = rtt.samples.find((s) => s.name === 'wsbench_rtt_seconds_sum')?.value;
    expect(count).toBe(1960);
    expect(sum).toBeCloseTo((990 * 1.5 + 970 * 2.5) / 1000, 9);
  });

  it('reports a second without echoes as NaN quantiles, not as the previous second', async () => {
    const exporter = await start();
    feed(exporter, [...A_RUN, { type: 'second', second: second({ second: 2, received: 0, latencyMs: null }), durationMs: 3000 }]);
    const rtt = findFamily(await scrape(exporter), 'wsbench_rtt_seconds')!;
    expect(findQuantile(rtt, 0.99)).toBeNaN();
  });

  it('before any event, serves zeroed counters and no gauge that would claim a measurement', async () => {
    const exporter = await start();
    const families = await scrape(exporter);
    expect(findValue(families, 'wsbench_messages_received_total')).toBe(0);
    expect(findValue(families, 'wsbench_connections')).toBe(0);
    expect(findValue(families, 'wsbench_rtt_seconds_count')).toBe(0);
    expect(findQuantile(findFamily(families, 'wsbench_rtt_seconds')!, 0.5)).toBeUndefined();
    expect(findFamily(families, 'wsbench_server_cpu_percent')).toBeUndefined();
    expect(findFamily(families, 'wsbench_scenario_info')).toBeUndefined();
  });

  it('counts failures while connections open, without counting them twice when the opening ends', async () => {
    const exporter = await start();
    feed(exporter, [{ type: 'opening', progress: { attempted: 10, established: 6, failed: 4, target: 20 } }]);
    expect(findValue(await scrape(exporter), 'wsbench_connect_failures_total')).toBe(4);
    feed(exporter, [{ type: 'opened', established: 15, failed: 5, openMs: 50 }]);
    expect(findValue(await scrape(exporter), 'wsbench_connect_failures_total')).toBe(5);
    feed(exporter, [{ type: 'opening', progress: { attempted: 5, established: 4, failed: 1, target: 20 } }]);
    expect(findValue(await scrape(exporter), 'wsbench_connect_failures_total')).toBe(6);
  });

  it('escapes backslashes, double quotes and newlines in label values', async () => {
    const exporter = await start();
    const scenario = 'say "hi"\\n\nnext line';
    const target = 'C:\\servers\\echo "quoted"';
    feed(exporter, [
      { type: 'stage', stage: 'preparing', detail: scenario },
      { type: 'stage', stage: 'starting-target', detail: target },
    ]);
    const text = await (await fetch(exporter.url)).text();
    expect(text).toContain('wsbench_scenario_info{scenario="say \\"hi\\"\\\\n\\nnext line",target="C:\\\\servers\\\\echo \\"quoted\\""} 1\n');
    const { families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect(findValue(families, 'wsbench_scenario_info', { scenario, target })).toBe(1);
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('when the run stops, reports zero connections and drops the last-second and server gauges', async () => {
    const exporter = await start();
    feed(exporter, [...A_RUN, { type: 'stage', stage: 'stopping' }]);
    const families = await scrape(exporter);
    expect(findValue(families, 'wsbench_connections')).toBe(0);
    expect(findValue(families, 'wsbench_messages_received_total')).toBe(1960);
    expect(findQuantile(findFamily(families, 'wsbench_rtt_seconds')!, 0.99)).toBeUndefined();
    expect(findFamily(families, 'wsbench_send_lag_p99_seconds')).toBeUndefined();
    expect(findFamily(families, 'wsbench_server_rss_bytes')).toBeUndefined();
    expect(await discover(exporter)).toEqual([]);
  });

  it('counters keep growing across scenarios; the scenario info follows the current one', async () => {
    const exporter = await start();
    feed(exporter, [...A_RUN, { type: 'stage', stage: 'stopping' }, { type: 'stage', stage: 'preparing', detail: 'second scenario' }, { type: 'second', second: second({ sent: 30 }), durationMs: 1000 }]);
    const families = await scrape(exporter);
    expect(findValue(families, 'wsbench_messages_sent_total')).toBe(2000);
    const info = findFamily(families, 'wsbench_scenario_info')!;
    expect(info.samples).toHaveLength(1);
    expect(info.samples[0]!.labels).toEqual({ scenario: 'second scenario', target: '' });
  });

  it('/sd lists the target\'s /metrics address for Prometheus http_sd, labelled with the scenario', async () => {
    const exporter = await start();
    expect(await discover(exporter)).toEqual([]);
    feed(exporter, A_RUN);
    expect(await discover(exporter)).toEqual([
      {
        targets: ['127.0.0.1:40002'],
        labels: { __scheme__: 'http', __metrics_path__: '/metrics', wsbench_scenario: '100c-10r-256b', wsbench_target: 'gobwas:model=epoll' },
      },
    ]);
  });

  it('/sd is empty when the target serves no /metrics', async () => {
    const exporter = await start();
    feed(exporter, [{ type: 'target-ready', pid: 1, url: 'ws://127.0.0.1:40001/', commandLine: 'x' }]);
    expect(await discover(exporter)).toEqual([]);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const exporter = await start();
    expect((await fetch(`http://127.0.0.1:${exporter.port}/nope`)).status).toBe(404);
    expect((await fetch(exporter.url, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a port in use with a usage error that names --metrics-port', async () => {
    const exporter = await start();
    await expect(startMetricsExporter({ port: exporter.port })).rejects.toMatchObject({ code: 'METRICS_PORT_UNAVAILABLE', message: expect.stringContaining('--metrics-port') });
    await expect(startMetricsExporter({ port: 70_000 })).rejects.toMatchObject({ code: 'INVALID_METRICS_PORT' });
  });

  it('close() returns while a scraper still holds a keep-alive connection', async () => {
    const exporter = await startMetricsExporter({ port: 0 });
    await scrape(exporter);
    await exporter.close();
    await expect(fetch(exporter.url)).rejects.toThrow();
  });
});
