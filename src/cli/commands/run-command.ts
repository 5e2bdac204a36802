import { UsageError } from '../../errors.js';
import type { WsbenchError } from '../../errors.js';
import { formatRunSummary } from '../../report/console-summary.js';
import { writeJsonFile } from '../../write-json-file.js';
import { writeReports } from '../../report/write-reports.js';
import { DEFAULT_RESULTS_DIR, writeStoredResult } from '../../report/results-store.js';
import { DEFAULT_CONNECTIONS, DEFAULT_DURATION_MS, DEFAULT_MESSAGE_BYTES, DEFAULT_RATE_PER_CONNECTION, DEFAULT_WARMUP_MS, resolveRunOptions } from '../../scenario/run-options.js';
import type { RunOptions } from '../../scenario/run-options.js';
import { runScenario } from '../../run/run-scenario.js';
import { resolveTargetDefinition } from '../../targets/resolve-target.js';
import { parseTargetSpec } from '../../targets/target-spec.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { progressFor } from '../output.js';
import { parseFlags } from '../parse-flags.js';
import { LOAD_FLAGS, LOAD_FLAGS_USAGE, parseLoadFlags } from '../load-flags.js';
import { SHARD_FLAGS, SHARD_FLAGS_USAGE, applyShardFlags } from '../shard-flags.js';
import { startMetricsExporter } from '../../report/metrics-exporter.js';
import type { RunListener } from '../../run/run-events.js';

export const RUN_USAGE = `Usage: wsbench run [--target SPEC | --url ws://H:P/PATH] [options]

Starts the target (unless --url), opens the connections, sends at a fixed rate per connection
(open model), and reports RTT from each message's intended send time, throughput, errors and
the server's CPU and memory.

  --target SPEC        NAME[@GITREF][:KEY=VALUE,...], e.g. gobwas:model=epoll  (default: gobwas)
  --url URL            load a server that is already running instead
  --scenario NAME      name for the result (default: <connections>c-<rate>r-<size>b)
${LOAD_FLAGS_USAGE}
                       (defaults: ${DEFAULT_CONNECTIONS} connections × ${DEFAULT_RATE_PER_CONNECTION} msg/s × ${DEFAULT_MESSAGE_BYTES} B for ${DEFAULT_DURATION_MS / 1000} s, ${DEFAULT_WARMUP_MS / 1000} s warm-up)
${SHARD_FLAGS_USAGE}
  --json FILE          write the result JSON (written even when the run fails part way)
  --html FILE          write a self-contained HTML report with charts
  --md FILE            write a Markdown report (for PR comments and job summaries)
  --save               also keep the run in the seed's layout: results/run_<date>.json and results/charts/
  --results-dir DIR    the folder --save writes to (default results)
  --metrics-port N     serve wsbench's own Prometheus /metrics (and /sd for the target) on 127.0.0.1:N
  --quiet              no live progress
`;

const RUN_FLAGS = {
  config: { type: 'string' },
  target: { type: 'string' },
  url: { type: 'string' },
  scenario: { type: 'string' },
  ...LOAD_FLAGS,
  ...SHARD_FLAGS,
  json: { type: 'string' },
  'metrics-port': { type: 'string' },
  html: { type: 'string' },
  md: { type: 'string' },
  save: { type: 'boolean' },
  'results-dir': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Prometheus scrapes every second in the shipped config. */
const EXPORTER_LINGER_MS = 1100;

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new UsageError('INVALID_METRICS_PORT', `Expected --metrics-port to be a TCP port (0–65535, 0 = any free port); got ${JSON.stringify(value)}`);
  return port;
}

export async function runCommand(args: string[], output: CommandOutput): Promise<number> {
  const { values } = parseFlags('run', args, RUN_FLAGS);
  if (values.help === true) {
    output.stdout(RUN_USAGE);
    return 0;
  }
  if (values.target !== undefined && values.url !== undefined) {
    throw new UsageError('CONFLICTING_FLAGS', 'Give either --target (wsbench starts the server) or --url (a server already running), not both');
  }
  if (values.url !== undefined && !/^wss?:\/\/[^/]+/.test(values.url)) {
    throw new UsageError('INVALID_URL', `Expected --url to be a WebSocket URL like ws://127.0.0.1:8080/ws; got ${JSON.stringify(values.url)}`);
  }
  const target = values.url === undefined ? parseTargetSpec(values.target ?? 'gobwas') : undefined;
  const definition = target === undefined ? undefined : resolveTargetDefinition(target);
  if (target?.gitRef !== undefined) {
    throw new UsageError('GIT_REF_NOT_SUPPORTED', `--target ${target.text}: a target at a git ref is built in a worktree by \`wsbench compare\`; for \`wsbench run\`, check out ${target.gitRef} and run without @${target.gitRef}`);
  }
  const options: RunOptions = {
    ...(target === undefined ? {} : { target }),
    ...(values.url === undefined ? {} : { url: values.url }),
    ...(values.scenario === undefined ? {} : { scenarioName: values.scenario }),
    ...parseLoadFlags(values),
  };

  const sharded = applyShardFlags(values, resolveRunOptions(options));
  if (sharded.shard !== undefined && values.json === undefined) {
    throw new UsageError('SHARD_NEEDS_JSON', 'A shard writes its own result for wsbench merge: give --json FILE (e.g. --json shard-$JOB_COMPLETION_INDEX.json)');
  }

  const progress = progressFor(output, values.quiet === true);
  const exporter = values['metrics-port'] === undefined ? undefined : await startMetricsExporter({ port: parsePort(values['metrics-port']) });
  const onEvent: RunListener = exporter === undefined ? progress : (event) => (progress(event), exporter.listener(event));
  if (exporter !== undefined && values.quiet !== true) output.stderr(`wsbench metrics at ${exporter.url}\n`);
  const interrupt = abortOnInterrupt(() => output.stderr('\ninterrupted: stopping the load and writing what was measured (Ctrl-C again to quit at once)\n'));
  let failure: WsbenchError | undefined;
  try {
    const outcome = await runScenario(sharded.options, {
      ...(definition === undefined ? {} : { definition }),
      ...(sharded.shard === undefined ? {} : { shard: sharded.shard }),
      ...(sharded.barrier === undefined ? {} : { barrier: sharded.barrier }),
      signal: interrupt.signal,
      onEvent,
    });
    failure = outcome.failure;
    progress.finish();
    if (values.json !== undefined) writeJsonFile(values.json, outcome.result);
    const reports = writeReports(outcome.result, { ...(values.html === undefined ? {} : { html: values.html }), ...(values.md === undefined ? {} : { md: values.md }) });
    if (values.save === true || values['results-dir'] !== undefined) {
      const stored = writeStoredResult(values['results-dir'] ?? DEFAULT_RESULTS_DIR, outcome.result);
      reports.push(stored.json, stored.charts);
    }
    output.stdout(`${formatRunSummary(outcome.result)}\n`);
    for (const file of [...(values.json === undefined ? [] : [values.json]), ...reports]) output.stdout(`  written     ${file}\n`);
  } finally {
    interrupt.dispose();
    if (exporter !== undefined) {
      // One more scrape interval, so Prometheus sees the last second before the endpoint goes away.
      await new Promise((resolve) => setTimeout(resolve, EXPORTER_LINGER_MS));
      await exporter.close();
    }
  }
  if (failure !== undefined) throw failure;
  return 0;
}
