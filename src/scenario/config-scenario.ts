import path from 'node:path';
import { UsageError } from '../errors.js';
import { didYouMean } from '../did-you-mean.js';
import { parseTargetSpec } from '../targets/target-spec.js';
import type { ResolvedScenario } from './config-schema.js';
import { loadConfig } from './load-config.js';
import type { LoadedConfig } from './load-config.js';
import type { RunOptions } from './run-options.js';

export interface CommandConfig {
  loaded: LoadedConfig;
  /** The config scenario whose load the command uses (flags still override it), when one was chosen. */
  scenario: ResolvedScenario | undefined;
  /** "wsbench.yaml" or the --config path, for messages; undefined for the built-in default. */
  label: string | undefined;
}

/**
 * The config `run`, `ramp` and `limit` honour: `--config FILE`, else a wsbench.config.ts / wsbench.yaml in the
 * working folder. Its targets can be named by --target; for `run`, `--scenario NAME` takes that scenario's
 * load, and a config with a single scenario is that scenario.
 */
export async function loadCommandConfig(options: { configFile?: string | undefined; scenarioName?: string | undefined; cwd?: string }): Promise<CommandConfig> {
  const cwd = options.cwd ?? process.cwd();
  const loaded = await loadConfig({ cwd, ...(options.configFile === undefined ? {} : { file: options.configFile }) });
  if (loaded.file === undefined) return { loaded, scenario: undefined, label: undefined };
  const label = options.configFile ?? (path.relative(cwd, loaded.file) || loaded.file);
  const scenarios = loaded.config.scenarios;
  if (options.scenarioName === undefined) return { loaded, scenario: scenarios.length === 1 ? scenarios[0] : undefined, label };
  const scenario = scenarios.find((candidate) => candidate.name === options.scenarioName);
  if (scenario === undefined && options.configFile !== undefined) {
    const names = scenarios.map((candidate) => candidate.name);
    throw new UsageError(
      'UNKNOWN_SCENARIO',
      `--scenario ${JSON.stringify(options.scenarioName)} is not a scenario of ${label}.${didYouMean(options.scenarioName, names)} Its scenarios: ${names.length === 0 ? '(none)' : names.join(', ')}`,
    );
  }
  return { loaded, scenario, label };
}

/** A config scenario as run options (what flags then override). */
export function scenarioRunOptions(scenario: ResolvedScenario): RunOptions {
  return {
    target: parseTargetSpec(scenario.target, `target of scenario ${scenario.name}`),
    scenarioName: scenario.name,
    connections: scenario.connections,
    ratePerConnection: scenario.ratePerConnection,
    messageBytes: scenario.messageBytes,
    durationMs: scenario.durationMs,
    warmupMs: scenario.warmupMs,
    ...(scenario.messageTimeoutMs === undefined ? {} : { messageTimeoutMs: scenario.messageTimeoutMs }),
    ...(scenario.workers === undefined ? {} : { workers: scenario.workers }),
    ...(scenario.errorBudget === undefined ? {} : { errorBudget: scenario.errorBudget }),
  };
}
