import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfrastructureError, UsageError, describeValue } from '../errors.js';
import type { RunEvent, RunListener } from '../run/run-events.js';

/**
 * A reporter that serves the run live to Prometheus: `/metrics` (text format 0.0.4) and `/sd`
 * (Prometheus HTTP service discovery pointing at the target's own `/metrics`). It is fed only by
 * RunEvents; metric names and meanings are documented in docs/metrics.md.
 */

export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** `wsbench_rtt_seconds` is a summary over the echoes of the last second, at these quantiles. */
export const RTT_QUANTILES = [0.5, 0.9, 0.99, 0.999] as const;

export interface MetricsExporterOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 = any free port (see `MetricsExporter.port`). */
  port: number;
}

export interface MetricsExporter {
  /** Pass as the run's `onEvent` (or call it from one). */
  listener: RunListener;
  /** The `/metrics` address, e.g. `http://127.0.0.1:9464/metrics`. */
  url: string;
  /** The port actually listened on (the kernel's pick when asked for 0). */
  port: number;
  /** Stops listening and drops open scrape connections. */
  close(): Promise<void>;
}

/** One entry of a Prometheus http_sd response. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export async function startMetricsExporter(options: MetricsExporterOptions): Promise<MetricsExporter> {
  const host = options.host ?? DEFAULT_METRICS_HOST;
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError('INVALID_METRICS_PORT', `Expected --metrics-port to be an integer from 0 to 65535; got ${describeValue(port)}`);
  }
  const metrics = new RunMetrics();
  const server = http.createServer((request, response) => serve(metrics, request, response));
  await listen(server, host, port);
  const actualPort = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    listener: (event) => metrics.apply(event),
    url: `http://${hostInUrl}:${actualPort}/metrics`,
    port: actualPort,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Prometheus keeps its scrape connection alive; without this, close() would wait for it.
      server.closeAllConnections();
    }),
  };
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
        reject(new UsageError('METRICS_PORT_UNAVAILABLE', `Cannot serve metrics on ${where} (${error.code}): give another --metrics-port, or 0 for any free port`, { cause: error }));
      } else {
        reject(new InfrastructureError('METRICS_LISTEN_FAILED', `Cannot serve metrics on ${where}: ${error.message}`, { cause: error }));
      }
    });
    server.listen(port, host, () => resolve());
  });
}

function serve(metrics: RunMetrics, request: http.IncomingMessage, response: http.ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET or HEAD only\n');
  } else if (path === '/metrics') {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
  } else if (path === '/sd') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metrics.targetGroups()));
  } else if (path === '/') {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('wsbench metrics exporter\n  /metrics  the run, in Prometheus text format\n  /sd       Prometheus http_sd: the target\'s own /metrics\n');
  } else {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics or /sd\n');
  }
}

interface ServerGauges {
  cpuPercent: number;
  rssBytes: number;
  openFds: number;
  goroutines?: number;
}

interface LastSecond {
  quantilesSeconds: number[] | null;
  sendLagP99Seconds: number;
  eventLoopUtilization: number;
  warmup: boolean;
}

/**
 * What the events have said so far. Counters only grow, across scenarios too; gauges that describe
 * "now" (the last second, the server) are dropped when the run stops, so graphs end with the run.
 */
class RunMetrics {
  private scenario: string | undefined;
  private target: string | undefined;
  private targetMetricsUrl: string | undefined;
  private connections = 0;
  private connectionsTarget: number | undefined;
  private failuresBefore = 0;
  private failuresOpening = 0;
  private sent = 0;
  private received = 0;
  private timedOut = 0;
  private rttCount = 0;
  private rttSumSeconds = 0;
  private last: LastSecond | undefined;
  private server: ServerGauges | undefined;

  apply(event: RunEvent): void {
    switch (event.type) {
      case 'stage':
        if (event.stage === 'preparing') this.startScenario(event.detail);
        else if (event.stage === 'starting-target' && event.detail !== undefined) this.target = event.detail;
        else if (event.stage === 'stopping') this.stop();
        return;
      case 'target-ready':
        this.target ??= event.url;
        this.targetMetricsUrl = event.metricsUrl;
        return;
      case 'opening':
        this.connections = event.progress.established;
        this.connectionsTarget = event.progress.target;
        this.failuresOpening = event.progress.failed;
        return;
      case 'opened':
        this.connections = event.established;
        this.failuresBefore += Math.max(event.failed, this.failuresOpening);
        this.failuresOpening = 0;
        return;
      case 'second': {
        const { second } = event;
        this.connections = second.connections;
        this.sent += second.sent;
        this.received += second.received;
        this.timedOut += second.timedOut;
        const latency = second.latencyMs;
        if (latency !== null && second.received > 0) {
          this.rttCount += second.received;
          this.rttSumSeconds += (latency.mean * second.received) / 1000;
        }
        this.last = {
          quantilesSeconds: latency === null ? null : [latency.p50, latency.p90, latency.p99, latency.p999].map((ms) => ms / 1000),
          sendLagP99Seconds: second.sendLagP99Ms / 1000,
          eventLoopUtilization: second.eventLoopUtilization,
          warmup: second.warmup,
        };
        return;
      }
      case 'server-sample': {
        const { sample } = event;
        // Inside the measured window the target is not scraped: keep its last goroutine count.
        const goroutines = sample.goroutines ?? this.server?.goroutines;
        this.server = { cpuPercent: sample.cpuPercent, rssBytes: sample.rssBytes, openFds: sample.openFds, ...(goroutines === undefined ? {} : { goroutines }) };
        return;
      }
      case 'warning':
        return;
    }
  }

  private startScenario(name: string | undefined): void {
    this.scenario = name;
    this.target = undefined;
    this.targetMetricsUrl = undefined;
    this.connectionsTarget = undefined;
    this.stop();
  }

  private stop(): void {
    this.connections = 0;
    this.last = undefined;
    this.server = undefined;
    this.targetMetricsUrl = undefined;
  }

  /** The target's own /metrics for Prometheus http_sd; empty while no target serves one. */
  targetGroups(): TargetGroup[] {
    if (this.targetMetricsUrl === undefined) return [];
    let url: URL;
    try {
      url = new URL(this.targetMetricsUrl);
    } catch {
      return [];
    }
    const labels: Record<string, string> = { __scheme__: url.protocol.replace(/:$/, ''), __metrics_path__: url.pathname };
    for (const [name, value] of url.searchParams) labels[`__param_${name}`] = value;
    if (this.scenario !== undefined) labels.wsbench_scenario = this.scenario;
    if (this.target !== undefined) labels.wsbench_target = this.target;
    return [{ targets: [url.host], labels }];
  }

  render(): string {
    const out = new Exposition();
    if (this.scenario !== undefined || this.target !== undefined) {
      out.family('wsbench_scenario_info', 'gauge', 'The scenario being run and its target (always 1).', [[{ scenario: this.scenario ?? '', target: this.target ?? '' }, 1]]);
    }
    out.family('wsbench_connections', 'gauge', 'WebSocket connections open now.', [[{}, this.connections]]);
    if (this.connectionsTarget !== undefined) out.family('wsbench_connections_target', 'gauge', 'Connections the scenario opens.', [[{}, this.connectionsTarget]]);
    out.family('wsbench_connect_failures_total', 'counter', 'Connection attempts that failed.', [[{}, this.failuresBefore + this.failuresOpening]]);
    out.family('wsbench_messages_sent_total', 'counter', 'Messages sent (warm-up included).', [[{}, this.sent]]);
    out.family('wsbench_messages_received_total', 'counter', 'Echoes received (warm-up included).', [[{}, this.received]]);
    out.family('wsbench_messages_timed_out_total', 'counter', 'Messages not echoed within the timeout.', [[{}, this.timedOut]]);
    const quantiles = this.last === undefined ? [] : RTT_QUANTILES.map((q, i): Sample => [{ quantile: String(q) }, this.last?.quantilesSeconds?.[i] ?? NaN]);
    out.family('wsbench_rtt_seconds', 'summary', 'Round trip from the intended send time to the echo; quantiles over the last second.', [
      ...quantiles,
      [{}, this.rttSumSeconds, '_sum'],
      [{}, this.rttCount, '_count'],
    ]);
    if (this.last !== undefined) {
      out.family('wsbench_warmup', 'gauge', '1 during the warm-up (excluded from the result), else 0.', [[{}, this.last.warmup ? 1 : 0]]);
      out.family('wsbench_send_lag_p99_seconds', 'gauge', 'p99 of how late the generator sent, over the last second.', [[{}, this.last.sendLagP99Seconds]]);
      out.family('wsbench_event_loop_utilization', 'gauge', 'Busiest driver worker\'s event-loop utilization over the last second (0..1).', [[{}, this.last.eventLoopUtilization]]);
    }
    if (this.server !== undefined) {
      out.family('wsbench_server_cpu_percent', 'gauge', 'CPU of the target\'s process tree, percent of one core (200 = two cores).', [[{}, this.server.cpuPercent]]);
      out.family('wsbench_server_rss_bytes', 'gauge', 'Resident memory of the target\'s process tree.', [[{}, this.server.rssBytes]]);
      out.family('wsbench_server_open_fds', 'gauge', 'Open file descriptors of the target\'s process tree.', [[{}, this.server.openFds]]);
      if (this.server.goroutines !== undefined) out.family('wsbench_server_goroutines', 'gauge', 'go_goroutines from the target\'s /metrics.', [[{}, this.server.goroutines]]);
    }
    return out.text;
  }
}

/** labels, value, and the suffix of the sample's name (`_sum`, `_count`) when it differs from the family's. */
type Sample = [Record<string, string>, number, string?];

/** Prometheus text exposition format 0.0.4. */
class Exposition {
  text = '';

  family(name: string, type: 'counter' | 'gauge' | 'summary', help: string, samples: Sample[]): void {
    this.text += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
    for (const [labels, value, suffix = ''] of samples) this.text += `${name}${suffix}${formatLabels(labels)} ${formatValue(value)}\n`;
  }
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));
}

function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (char) => (char === '\n' ? '\\n' : '\\\\'));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
