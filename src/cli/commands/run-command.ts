import { UsageError } from '../../errors.js';
import type { WsbenchError } from '../../errors.js';
import { formatRunSummary } from '../../report/console-summary.js';
import { checkResultOutputs, writeResultOutputs } from '../../report/result-outputs.js';
import { DEFAULT_RESULTS_DIR } from '../../report/results-store.js';
import { DEFAULT_CONNECTIONS, DEFAULT_DURATION_MS, DEFAULT_MESSAGE_BYTES, DEFAULT_RATE_PER_CONNECTION, DEFAULT_WARMUP_MS, resolveRunOptions } from '../../scenario/run-options.js';
import type { RunOptions } from '../../scenario/run-options.js';
import { runScenario } from '../../run/run-scenario.js';
import { resolveTargetDefinition } from '../../targets/resolve-target.js';
import { parseTargetSpec } from '../../targets/target-spec.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { progressFor } from '../output.js';
import { parseFlags } from '../parse-flags.js';
import { parseFraction } from '../../units.js';
import { loadCommandConfig, scenarioRunOptions } from '../../scenario/config-scenario.js';
import { checkLoadLimits } from '../../scenario/load-limits.js';
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
  --config FILE        wsbench.config.ts or wsbench.yaml (default: one in the working folder): its targets,
                       and with --scenario its scenario's load (a config with one scenario: that one)
  --scenario NAME      a scenario of the config, else a name for the result (default: <connections>c-<rate>r-<size>b)
${LOAD_FLAGS_USAGE}
  --error-budget F     fraction of messages (or connections) that may fail — time out, be lost, or come
                       back different from what was sent — before the run fails with exit 1 (default 0.001)
                       (defaults: ${DEFAULT_CONNECTIONS} connections × ${DEFAULT_RATE_PER_CONNECTION} msg/s × ${DEFAULT_MESSAGE_BYTES} B for ${DEFAULT_DURATION_MS / 1000} s, ${DEFAULT_WARMUP_MS / 1000} s warm-up)
${SHARD_FLAGS_USAGE}
  --json FILE          write the result JSON (written even when the run fails part way); - for stdout
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
  'error-budget': { type: 'string' },
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
  if (!/^\d+$/.test(value) || port > 65_535) throw new UsageError('INVALID_METRICS_PORT', `Expected --metrics-port to be a TCP port (0–65535, 0 = any free port); got ${JSON.stringify(value)}. Give e.g. --metrics-port 9464`);
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
    throw new UsageError('INVALID_URL', `Expected --url to be a WebSocket URL, e.g. ws://127.0.0.1:8080/ws; got ${JSON.stringify(values.url)}`);
  }
  const resultsDir = values.save === true || values['results-dir'] !== undefined ? (values['results-dir'] ?? DEFAULT_RESULTS_DIR) : undefined;
  const toStdout = values.json === '-';
  const outputs = { json: toStdout ? undefined : values.json, html: values.html, md: values.md, resultsDir, resultsDirFlag: values['results-dir'] === undefined ? '--save' : '--results-dir' };
  checkResultOutputs(outputs);
  const flagOptions: RunOptions = {
    ...parseLoadFlags(values),
    ...(values['error-budget'] === undefined ? {} : { errorBudget: parseFraction(values['error-budget'], '--error-budget') }),
  };

  const config = await loadCommandConfig({ configFile: values.config, scenarioName: values.scenario });
  const fromConfig = config.scenario === undefined ? {} : scenarioRunOptions(config.scenario);
  if (config.scenario !== undefined && values.quiet !== true) output.stderr(`using scenario ${config.scenario.name} from ${config.label} (flags override it)\n`);
  const target = values.url !== undefined ? undefined : values.target !== undefined ? parseTargetSpec(values.target) : (fromConfig.target ?? parseTargetSpec('gobwas'));
  const definition = target === undefined ? undefined : resolveTargetDefinition(target, config.loaded.targets);
  if (target?.gitRef !== undefined) {
    throw new UsageError('GIT_REF_NOT_SUPPORTED', `--target ${target.text}: a target at a git ref is built in a worktree by \`wsbench compare\`; for \`wsbench run\`, check out ${target.gitRef} and run without @${target.gitRef}`);
  }
  const { target: _configTarget, ...configLoad } = fromConfig;
  const options: RunOptions = {
    ...configLoad,
    ...(target === undefined ? {} : { target }),
    ...(values.url === undefined ? {} : { url: values.url }),
    ...(values.scenario === undefined ? {} : { scenarioName: values.scenario }),
    ...flagOptions,
  };
  // Flags may override one half of a config's load: the limits hold for the load as combined.
  checkLoadLimits(options);

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
    // `--json -`: the result is stdout's only content (a pod's log is its result file); the summary goes to stderr.
    const say = toStdout ? output.stderr : output.stdout;
    if (toStdout) output.stdout(`${JSON.stringify(outcome.result)}\n`);
    const { written, failure: unwritten } = writeResultOutputs(outcome.result, outputs);
    say(`${formatRunSummary(outcome.result)}\n`);
    for (const file of written) say(`  written     ${file}\n`);
    if (unwritten !== undefined) {
      // The run's own failure (if any) decides the exit code; a missing output is reported either way.
      if (failure === undefined) failure = unwritten;
      else output.stderr(`wsbench: ${unwritten.message}\n`);
    }
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
