/** The library: what `wsbench.config.ts` files and programs that drive wsbench import. */
export { defineConfig } from './scenario/define-config.js';
export type {
  WsbenchConfig,
  ResolvedConfig,
  ResolvedScenario,
  ResolvedMatrix,
  ResolvedProfile,
  TargetConfig,
  KnobConfig,
  ScenarioGates,
} from './scenario/config-schema.js';
export { loadConfig } from './scenario/load-config.js';
export type { LoadConfigOptions, LoadedConfig } from './scenario/load-config.js';
export { planScenarios } from './scenario/matrix.js';
export type { PlannedScenario, PlanScenariosOptions, ScenarioScaling } from './scenario/matrix.js';
export { resolveRunOptions } from './scenario/run-options.js';
export type { RunOptions, ResolvedRunOptions } from './scenario/run-options.js';
export { runScenario } from './run/run-scenario.js';
export type { RunScenarioContext, RunOutcome } from './run/run-scenario.js';
export type { RunResult, RunStatus } from './run/run-result.js';
export type { RunEvent, RunListener } from './run/run-events.js';
export type { TargetDefinition } from './targets/target-definition.js';
export { selectScenarios } from './scenario/select-scenarios.js';
export type { ScenarioSelection } from './scenario/select-scenarios.js';
export { benchScenario } from './compare/bench-scenario.js';
export type { BaselineMode, BenchOutcome, BenchVerdict, BenchScenarioContext } from './compare/bench-scenario.js';
export { runComparison } from './compare/run-comparison.js';
export type { ComparisonOutcome, RunComparisonOptions, TrialEvent } from './compare/run-comparison.js';
export { compareTrials } from './compare/verdict.js';
export type { Comparison, MetricComparison, Verdict } from './compare/comparison.js';
export { DEFAULT_BASELINES_DIR, findBaseline, readBaseline } from './compare/baseline-store.js';
export { decideCpuPinning } from './plan/cpu-pinning.js';
export type { PinningDecision } from './plan/cpu-pinning.js';
export { renderBenchSummaryMarkdown } from './report/bench-summary.js';
export { writeReports } from './report/write-reports.js';
export { writeJsonFile } from './write-json-file.js';
