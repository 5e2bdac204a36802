import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsExporter } from '../../src/report/metrics-exporter.js';
import type { MetricsExporter } from '../../src/report/metrics-exporter.js';
import type { RunOutcome } from '../../src/run/run-scenario.js';
import { runScenario } from '../../src/run/run-scenario.js';
import { resolveRunOptions } from '../../src/scenario/run-options.js';
import { findFreePort } from '../../src/targets/free-port.js';

const PROMETHEUS = '/usr/bin/prometheus';
const HOST = '127.0.0.1';
const NODE_ECHO = fileURLToPath(new URL('../../fixtures/node-echo/server.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Long enough for Prometheus to discover the target and scrape both jobs a few times while the load runs. */
const LOAD_DURATION_MS = 15_000;
const SCENARIO = 'prometheus-e2e';

const workDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-prometheus-'));
const started: ChildProcess[] = [];
const logs = new Map<ChildProcess, string>();
let exporter: MetricsExporter | undefined;
let prometheusUrl = '';
let fixture: { url: string; metricsUrl: string; pid: number };

function startProcess(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  logs.set(child, '');
  const keep = (chunk: Buffer): void => {
    logs.set(child, (logs.get(child) ?? '') + chunk.toString());
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (!exited(child) && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}

/** Polls `check` until it returns a value other than undefined; fails with `describe()` after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, details: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError === '' ? '' : ` (last error: ${lastError})`}\n${details()}`);
}

async function startNodeEcho(): Promise<typeof fixture> {
  const [port, metricsPort] = [await findFreePort(HOST), await findFreePort(HOST)];
  const child = startProcess(process.execPath, [NODE_ECHO, '--port', String(port), '--metrics-addr', `${HOST}:${metricsPort}`]);
  await waitFor('the node-echo ready line', async () => (logs.get(child)?.includes('wsbench-fixture ready') === true ? true : undefined), READY_TIMEOUT_MS, () => logs.get(child) ?? '');
  return { url: `ws://${HOST}:${port}/`, metricsUrl: `http://${HOST}:${metricsPort}/metrics`, pid: child.pid! };
}

async function startPrometheus(exporterPort: number): Promise<string> {
  const port = await findFreePort(HOST);
  const config = path.join(workDir, 'prometheus.yml');
  // The shipped observability/prometheus/prometheus.yml, pointed at this test's exporter port.
  const shipped = readFileSync(fileURLToPath(new URL('../../observability/prometheus/prometheus.yml', import.meta.url)), 'utf8');
  writeFileSync(config, shipped.replaceAll('127.0.0.1:9464', `${HOST}:${exporterPort}`));
  const child = startProcess(PROMETHEUS, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(workDir, 'data')}`,
    `--web.listen-address=${HOST}:${port}`,
    '--log.level=warn',
  ]);
  const url = `http://${HOST}:${port}`;
  await waitFor('Prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), READY_TIMEOUT_MS, () => logs.get(child) ?? '');
  return url;
}

interface ActiveTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

async function activeTargets(): Promise<ActiveTarget[]> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: ActiveTarget[] } };
  return body.data.activeTargets;
}

/** The instant vector's values for `query`. */
async function query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
    status: string;
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
  return body.data.result.map((entry) => ({ metric: entry.metric, value: Number(entry.value[1]) }));
}

async function positive(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }> | undefined> {
  const result = await query(promql);
  return result.length > 0 && result.every((entry) => entry.value > 0) ? result : undefined;
}

beforeAll(async () => {
  if (!existsSync(PROMETHEUS)) {
    throw new Error(`${PROMETHEUS} not found: this test scrapes through a real Prometheus. Install it with \`apt-get install prometheus\` (CI's .ci/run does)`);
  }
  fixture = await startNodeEcho();
  exporter = await startMetricsExporter({ port: 0 });
  prometheusUrl = await startPrometheus(exporter.port);
});

afterAll(async () => {
  await exporter?.close();
  await Promise.all(started.map((child) => stopProcess(child)));
  rmSync(workDir, { recursive: true, force: true });
});

describe('a real Prometheus with the shipped config', () => {
  it('scrapes wsbench and, through /sd, the server under test during a real run', async () => {
    const listener = exporter!.listener;
    let outcome: RunOutcome | undefined;
    const run = runScenario(
      resolveRunOptions({ url: fixture.url, scenarioName: SCENARIO, connections: 20, ratePerConnection: 20, messageBytes: 64, durationMs: LOAD_DURATION_MS, warmupMs: 1000, workers: 1 }),
      { onEvent: listener },
    ).then((result) => {
      outcome = result;
    });
    // runScenario has announced the scenario (its first, synchronous event); `wsbench run --target` would
    // now announce the server it started. With a server we started ourselves, we say it.
    listener({ type: 'target-ready', pid: fixture.pid, url: fixture.url, commandLine: 'node-echo', metricsUrl: fixture.metricsUrl });
    const diagnostics = (): string => `run finished: ${outcome !== undefined}; Prometheus log:\n${[...logs.values()].join('\n')}`;

    try {
      const targets = await waitFor('both targets up in /api/v1/targets', async () => {
        const active = await activeTargets();
        return active.length === 2 && active.every((target) => target.health === 'up') ? active : undefined;
      }, LOAD_DURATION_MS, diagnostics);
      expect(targets.map((target) => target.labels.job).sort()).toEqual(['wsbench', 'wsbench-target']);
      expect(targets.find((target) => target.labels.job === 'wsbench-target')?.scrapeUrl).toBe(fixture.metricsUrl);

      const received = await waitFor('wsbench_messages_received_total > 0', () => positive('wsbench_messages_received_total'), LOAD_DURATION_MS, diagnostics);
      expect(received[0]!.metric.job).toBe('wsbench');
      const serverReceived = await waitFor('the server\'s echo_messages_received_total > 0', () => positive(`echo_messages_received_total{wsbench_scenario="${SCENARIO}"}`), LOAD_DURATION_MS, diagnostics);
      expect(serverReceived[0]!.metric.job).toBe('wsbench-target');
      await waitFor('an RTT quantile', () => positive('wsbench_rtt_seconds{quantile="0.99"}'), LOAD_DURATION_MS, diagnostics);
      expect((await query('wsbench_scenario_info'))[0]?.metric.scenario).toBe(SCENARIO);
    } finally {
      await run;
    }
    // A busy shared machine may saturate the generator; that marks the result, not what Prometheus scraped.
    expect([undefined, 'GENERATOR_SATURATED'], outcome?.failure?.message).toContain(outcome?.failure?.code);
    expect(outcome?.result.messages.received).toBeGreaterThan(0);
  });

  it('every query of the shipped Grafana dashboard is valid PromQL', async () => {
    const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../../observability/grafana/dashboards/wsbench.json', import.meta.url)), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const { panel, expr } of queries) {
      // Grafana fills $__rate_interval in; with a 1 s scrape interval it is 4 s.
      await expect(query(expr.replaceAll('$__rate_interval', '4s')), `${panel}: ${expr}`).resolves.toBeInstanceOf(Array);
    }
  });
});
