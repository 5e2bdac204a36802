import { readMachineLimits } from '../plan/preflight.js';
import { loadConfig } from './load-config.js';
import type { LoadedConfig } from './load-config.js';
import { planScenarios } from './matrix.js';
import type { PlannedScenario } from './matrix.js';

export interface ScenarioSelection {
  loaded: LoadedConfig;
  scenarios: PlannedScenario[];
}

/** Loads the config (or the built-in seed) and plans the scenarios a profile and glob select on this machine. */
export async function selectScenarios(options: { configFile?: string; profile: string; glob?: string }): Promise<ScenarioSelection> {
  const loaded = await loadConfig(options.configFile === undefined ? {} : { file: options.configFile });
  const scenarios = planScenarios(loaded.config, {
    profile: options.profile,
    ...(options.glob === undefined ? {} : { scenarioGlob: options.glob }),
    machine: readMachineLimits(),
    targets: loaded.targets,
  });
  return { loaded, scenarios };
}
