import { UsageError } from '../../errors.js';
import type { WsbenchError } from '../../errors.js';
import { formatRunSummary } from '../../report/console-summary.js';
import { startMetricsExporter } from '../../report/metrics-exporter.js';
import { checkResultOutputs, writeResultOutputs } from '../../report/result-outputs.js';
import { DEFAULT_RESULTS_DIR } from '../../report/results-store.js';
import type { RunListener } from '../../run/run-events.js';
import { runScenario } from '../../run/run-scenario.js';
import { loadCommandConfig, scenarioRunOptions } from '../../scenario/config-scenario.js';
import { checkLoadLimits } from '../../scenario/load-limits.js';
import { DEFAULT_CONNECTIONS, DEFAULT_DURATION_MS, DEFAULT_ERROR_BUDGET, DEFAULT_MESSAGE_BYTES, DEFAULT_RATE_PER_CONNECTION, DEFAULT_WARMUP_MS, resolveRunOptions } from '../../scenario/run-options.js';
import type { RunOptions } from '../../scenario/run-options.js';
import { resolveTargetDefinition } from '../../targets/resolve-target.js';
import { parseTargetSpec } from '../../targets/target-spec.js';
import { fractionFlag, stringFlag, switchFlag, under, valueFlag } from '../flags/flag.js';
import { formatFlagHelp, readFlags } from '../flags/flag-table.js';
import { applyShardFlags, SHARD_FLAGS } from '../flags/shard-flags.js';
import { HELP_FLAG, LOAD_FLAGS, loadOverrides, OUTPUT_FLAGS, QUIET_FLAG, TARGET_FLAGS } from '../flags/shared-flags.js';
import { checkTargetFlags, refuseGitRef } from '../target-flags.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { progressFor } from '../output.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new UsageError('INVALID_METRICS_PORT', `Expected --metrics-port to be a TCP port (0–65535, 0 = any free port); got ${JSON.stringify(value)}. Give e.g. --metrics-port 9464`);
  return port;
}

// The load flags are not defaulted here: a config scenario's load applies where no flag overrides it.
const RUN_FLAGS = {
  ...TARGET_FLAGS,
  config: stringFlag('configFile', 'FILE', "wsbench.config.ts or wsbench.yaml (default: one in the working folder): its targets,\nand with --scenario its scenario's load (a config with one scenario: that one)"),
  scenario: stringFlag('scenarioName', 'NAME', 'a scenario of the config, else a name for the result (default: <connections>c-<rate>r-<size>b)'),
  ...LOAD_FLAGS,
  'error-budget': fractionFlag('errorBudget', 'F', `fraction of messages (or connections) that may fail — time out, be lost, or come\nback different from what was sent — before the run fails with exit 1 (default ${DEFAULT_ERROR_BUDGET})`),
  ...SHARD_FLAGS,
  shard: under(
    `                       (defaults: ${DEFAULT_CONNECTIONS} connections × ${DEFAULT_RATE_PER_CONNECTION} msg/s × ${DEFAULT_MESSAGE_BYTES} B for ${DEFAULT_DURATION_MS / 1000} s, ${DEFAULT_WARMUP_MS / 1000} s warm-up)`,
    SHARD_FLAGS.shard,
  ),
  ...OUTPUT_FLAGS,
  json: stringFlag('json', 'FILE', 'write the result JSON (written even when the run fails part way); - for stdout'),
  save: switchFlag('save', "also keep the run in the seed's layout: results/run_<date>.json and results/charts/"),
  'results-dir': stringFlag('resultsDir', 'DIR', `the folder --save writes to (default ${DEFAULT_RESULTS_DIR})`),
  'metrics-port': valueFlag('metricsPort', 'N', "serve wsbench's own Prometheus /metrics (and /sd for the target) on 127.0.0.1:N", parsePort),
  ...QUIET_FLAG,
  ...HELP_FLAG,
};

export const RUN_USAGE = `Usage: wsbench run [--target SPEC | --url ws://H:P/PATH] [options]

Starts the target (unless --url), opens the connections, sends at a fixed rate per connection
(open model), and reports RTT from each message's intended send time, throughput, errors and
the server's CPU and memory.

${formatFlagHelp(RUN_FLAGS)}
`;

/** Prometheus scrapes every second in the shipped config. */
const EXPORTER_LINGER_MS = 1100;

export async function runCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options: flags } = readFlags('run', args, RUN_FLAGS);
  if (flags.help === true) {
    output.stdout(RUN_USAGE);
    return 0;
  }
  checkTargetFlags(flags);
  const resultsDir = flags.save === true || flags.resultsDir !== undefined ? (flags.resultsDir ?? DEFAULT_RESULTS_DIR) : undefined;
  const toStdout = flags.json === '-';
  const outputs = { json: toStdout ? undefined : flags.json, html: flags.html, md: flags.md, resultsDir, resultsDirFlag: flags.resultsDir === undefined ? '--save' : '--results-dir' };
  checkResultOutputs(outputs);

  const config = await loadCommandConfig({ configFile: flags.configFile, scenarioName: flags.scenarioName });
  const { target: configTarget, ...configLoad } = config.scenario === undefined ? {} : scenarioRunOptions(config.scenario);
  if (config.scenario !== undefined && flags.quiet !== true) output.stderr(`using scenario ${config.scenario.name} from ${config.label} (flags override it)\n`);
  const target = flags.url !== undefined ? undefined : flags.target !== undefined ? parseTargetSpec(flags.target) : (configTarget ?? parseTargetSpec('gobwas'));
  const definition = target === undefined ? undefined : resolveTargetDefinition(target, config.loaded.targets);
  refuseGitRef('run', target);
  const options: RunOptions = {
    ...configLoad,
    ...loadOverrides(flags),
    target,
    url: flags.url,
    scenarioName: flags.scenarioName ?? configLoad.scenarioName,
    errorBudget: flags.errorBudget ?? configLoad.errorBudget,
  };
  // Flags may override one half of a config's load: the limits hold for the load as combined.
  checkLoadLimits(options);

  const sharded = applyShardFlags(flags, resolveRunOptions(options));
  if (sharded.shard !== undefined && flags.json === undefined) {
    throw new UsageError('SHARD_NEEDS_JSON', 'A shard writes its own result for wsbench merge: give --json FILE (e.g. --json shard-$JOB_COMPLETION_INDEX.json)');
  }

  const progress = progressFor(output, flags.quiet === true);
  const exporter = flags.metricsPort === undefined ? undefined : await startMetricsExporter({ port: flags.metricsPort });
  const onEvent: RunListener = exporter === undefined ? progress : (event) => (progress(event), exporter.listener(event));
  if (exporter !== undefined && flags.quiet !== true) output.stderr(`wsbench metrics at ${exporter.url}\n`);
  const interrupt = abortOnInterrupt(() => output.stderr('\ninterrupted: stopping the load and writing what was measured (Ctrl-C again to quit at once)\n'));
  let failure: WsbenchError | undefined;
  try {
    const outcome = await runScenario(sharded.options, { definition, shard: sharded.shard, barrier: sharded.barrier, signal: interrupt.signal, onEvent });
    failure = outcome.failure;
    progress.finish();
    const { written, failure: unwritten } = writeResultOutputs(outcome.result, outputs);
    // `--json -`: the result is stdout's only content (a pod's log is its result file); the summary goes to stderr.
    const say = toStdout ? output.stderr : output.stdout;
    if (toStdout) output.stdout(`${JSON.stringify(outcome.result)}\n`);
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
