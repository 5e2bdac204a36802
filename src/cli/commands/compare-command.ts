import { GateFailure, InfrastructureError, UsageError } from '../../errors.js';
import type { WsbenchError } from '../../errors.js';
import { DEFAULT_PAIRS, DEFAULT_SECOND_STAGE_BUDGET_MS, runComparison } from '../../compare/run-comparison.js';
import type { ComparisonArm, TrialEvent } from '../../compare/run-comparison.js';
import { renderComparisonMarkdown } from '../../compare/markdown-table.js';
import { decideCpuPinning } from '../../plan/cpu-pinning.js';
import { formatBytes, formatMs, formatRate } from '../../format-numbers.js';
import { formatMicros } from '../../metrics/server-cost-text.js';
import { checkResultOutputs, writeResultOutputs } from '../../report/result-outputs.js';
import { resolveRunOptions } from '../../scenario/run-options.js';
import { selectScenarios } from '../../scenario/select-scenarios.js';
import { resolveTargetAtRevision } from '../../targets/resolve-target.js';
import type { TargetDefinition } from '../../targets/target-definition.js';
import { parseTargetSpec } from '../../targets/target-spec.js';
import { parsePositiveInteger } from '../../units.js';
import { durationFlag, stringFlag, switchFlag, under, valueFlag, withDefault } from '../flags/flag.js';
import { formatFlagHelp, readFlags } from '../flags/flag-table.js';
import { GATE_FLAGS, PIN_FLAG } from '../flags/gate-flags.js';
import { CONFIG_FLAG, FORMAT_FLAGS, HELP_FLAG, LOAD_FLAGS, loadOverrides } from '../flags/shared-flags.js';
import { parseGateFlags } from '../../compare/gate-flag.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';

/** The seed's middle mix: what `compare` measures when no scenario is named. */
export const DEFAULT_COMPARE_SCENARIO = 'mid-conn-mid-msg';

const COMPARE_FLAGS = {
  a: stringFlag('a', 'SPEC', 'arm A (the base): NAME[@GITREF][:KEY=VALUE,...], e.g. gobwas@main or gobwas:model=goroutine'),
  b: stringFlag('b', 'SPEC', 'arm B (the head), e.g. gobwas or gobwas:model=epoll'),
  scenario: withDefault(stringFlag('scenario', 'NAME', 'a scenario of the config'), DEFAULT_COMPARE_SCENARIO),
  profile: withDefault(stringFlag('profile', 'NAME', 'the profile whose scaling applies'), 'quick'),
  pairs: withDefault(valueFlag('pairs', 'N', 'A/B pairs in stage 1', parsePairs), DEFAULT_PAIRS),
  budget: withDefault(durationFlag('secondStageBudgetMs', 'D', 'most wall time stage 2 may add'), DEFAULT_SECOND_STAGE_BUDGET_MS),
  ...GATE_FLAGS,
  ...CONFIG_FLAG,
  ...LOAD_FLAGS,
  json: under('                       (load flags override the scenario\'s)', stringFlag('json', 'FILE', 'write the comparison (every trial\'s result included)')),
  ...FORMAT_FLAGS,
  md: stringFlag('md', 'FILE', 'write the Markdown report (PR comment)'),
  html: stringFlag('html', 'FILE', 'write the HTML report'),
  ...PIN_FLAG,
  quiet: switchFlag('quiet', 'no per-trial progress'),
  ...HELP_FLAG,
};

export const COMPARE_USAGE = `Usage: wsbench compare --a SPEC --b SPEC [--scenario NAME] [options]

Runs A and B interleaved (A B B A A B B A …), each trial a fresh server under the same offered load,
then gives a verdict per metric (throughput, p50, p99, errors, and the server's CPU per message,
allocations and bytes per message, memory per connection and GC cycles per 10k messages): FAIL only when the change is significant
(p < 0.005) and beyond the gate, PASS when the 95% interval is within the gate, else INCONCLUSIVE
(which runs a pre-declared second stage of pairs within --budget). Exit 1 on FAIL.

${formatFlagHelp(COMPARE_FLAGS)}
`;

function parsePairs(raw: string, option: string): number {
  const pairs = parsePositiveInteger(raw, option);
  if (pairs < 2) throw new UsageError('TOO_FEW_PAIRS', `Expected ${option} to be at least 2 (a verdict needs an estimate of the noise); got ${pairs}. Give e.g. --pairs 5`);
  return pairs;
}

export async function compareCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options } = readFlags('compare', args, COMPARE_FLAGS);
  if (options.help === true) {
    output.stdout(COMPARE_USAGE);
    return 0;
  }
  if (options.a === undefined || options.b === undefined) {
    throw new UsageError('MISSING_ARMS', 'needs both --a SPEC and --b SPEC, e.g. --a gobwas:model=goroutine --b gobwas:model=epoll. See wsbench compare --help', { command: 'compare' });
  }
  const { pairs, secondStageBudgetMs, scenario: scenarioName } = options;
  const overrides = loadOverrides(options);
  const gates = parseGateFlags(options.gateEntries);
  checkResultOutputs(options);
  const specA = parseTargetSpec(options.a, '--a');
  const specB = parseTargetSpec(options.b, '--b');

  const { loaded, scenarios } = await selectScenarios({ configFile: options.configFile, profile: options.profile, glob: scenarioName });
  const planned = scenarios.find((scenario) => scenario.name === scenarioName) ?? scenarios[0]!;
  if (scenarios.length > 1 && planned.name !== scenarioName) {
    throw new UsageError('AMBIGUOUS_SCENARIO', `--scenario ${scenarioName} matches ${scenarios.length} scenarios (${scenarios.map((s) => s.name).join(', ')}); compare runs one: name it exactly`);
  }
  if (planned.skipReason !== undefined && overrides.connections === undefined) {
    throw new UsageError('SCENARIO_TOO_BIG', `Scenario ${planned.name} cannot run on this machine: ${planned.skipReason}`);
  }
  const arm = async (spec: ReturnType<typeof parseTargetSpec>): Promise<ComparisonArm> => {
    const { definition, commit } = await resolveTargetAtRevision(spec, loaded.targets);
    return { spec, definition: definition as TargetDefinition, ...(commit === undefined ? {} : { commit }) };
  };
  const [a, b] = [await arm(specA), await arm(specB)];
  const pinning = decideCpuPinning(options.noPin !== true);
  const scenario = { ...resolveRunOptions({ ...planned.options, ...overrides, scenarioName: planned.name }), ...(pinning.pinned ? { pinning: pinning.pinning } : {}) };

  const quiet = options.quiet === true;
  // Unpinned by default only when it cannot be had: say why, so a noisier comparison is not a mystery.
  if (!quiet || (!pinning.pinned && options.noPin !== true)) output.stderr(`${pinning.pinned ? pinning.description : pinning.reason}\n`);
  if (!quiet) {
    output.stderr(
      `comparing A ${specA.text}${a.commit === undefined ? '' : ` (${a.commit.slice(0, 12)})`} vs B ${specB.text}${b.commit === undefined ? '' : ` (${b.commit.slice(0, 12)})`} on ${planned.name}: ` +
        `${scenario.connections} connections × ${scenario.ratePerConnection} msg/s × ${scenario.messageBytes} B, ${scenario.durationMs / 1000} s per trial, ${pairs} pairs` +
        (planned.scaling === undefined ? '' : ` (${planned.scaling.note})`) +
        '\n',
    );
  }
  const interrupt = abortOnInterrupt(() => output.stderr('\ninterrupted: finishing the current trial\'s bookkeeping and writing what was measured\n'));
  let outcome;
  try {
    outcome = await runComparison({
      scenario,
      a,
      b,
      pairs,
      compare: { tolerancePercent: { ...planned.gates, ...gates } },
      realtime: options.noRealtime !== true,
      secondStageBudgetMs,
      signal: interrupt.signal,
      ...(quiet ? {} : { onTrial: (event: TrialEvent) => reportTrial(event, specA.text, specB.text, output) }),
    });
  } finally {
    interrupt.dispose();
  }
  const { report } = outcome;
  const { written, failure: unwritten } = writeResultOutputs(report, options);
  output.stdout(`${renderComparisonMarkdown(report.comparison, report.pinning)}\n`);
  if (report.scheduling !== undefined) output.stdout(`scheduling: ${report.scheduling.note}\n`);
  for (const file of written) output.stdout(`written ${file}\n`);
  const failure: WsbenchError | undefined = outcome.failure ?? verdictFailure(report.comparison.verdict, report.trials) ?? unwritten;
  if (unwritten !== undefined && failure !== unwritten) output.stderr(`wsbench: ${unwritten.message}\n`);
  if (failure !== undefined) throw failure;
  return 0;
}

function reportTrial(event: TrialEvent, specA: string, specB: string, output: CommandOutput): void {
  const label = `trial ${event.index + 1}/${event.total}${event.stage === 2 ? ' (stage 2)' : ''} ${event.arm.toUpperCase()} ${event.arm === 'a' ? specA : specB}`;
  if (event.type === 'trial-start' || event.result === undefined) return;
  const result = event.result;
  const latency = result.latencyMs === null ? 'no latency' : `p50 ${formatMs(result.latencyMs.p50)} p99 ${formatMs(result.latencyMs.p99)}`;
  const errors = result.connections.failed + result.connections.dropped + result.messages.timedOut;
  const cost = result.server.cpuMicrosPerMessage == null ? '' : `, server ${formatMicros(result.server.cpuMicrosPerMessage)}/msg` +
    (result.server.allocBytesPerMessage == null ? '' : ` ${formatBytes(result.server.allocBytesPerMessage)}/msg allocated`);
  output.stderr(`${label}: ${formatRate(result.throughput.achievedPerSec)} of ${formatRate(result.throughput.offeredPerSec)}, ${latency}${cost}, ${errors} errors, ${result.status}${result.generator.saturated ? ' (generator saturated: excluded)' : ''}\n`);
}

/** FAIL exits 1; a head arm that crashed where the base did not is a regression too, whatever the statistics say. */
function verdictFailure(verdict: string, trials: Array<{ arm: 'a' | 'b'; result: { error?: { code: string } } }>): WsbenchError | undefined {
  const crashes = (arm: 'a' | 'b') => trials.filter((trial) => trial.arm === arm && trial.result.error?.code === 'TARGET_CRASHED').length;
  if (crashes('b') > 0 && crashes('a') === 0) {
    return new GateFailure('HEAD_CRASHED', `B crashed in ${crashes('b')} of ${trials.filter((trial) => trial.arm === 'b').length} trials and A never did: that is a regression`);
  }
  if (verdict === 'FAIL') return new GateFailure('REGRESSION', 'Verdict FAIL: B is significantly worse than A beyond the gate (see the table above)');
  // A trial over its error budget was still measured (its errors are what the gate compares).
  const usable = trials.filter((trial) => trial.result.error === undefined || trial.result.error.code === 'ERROR_BUDGET_EXCEEDED').length;
  if (usable < 4) return new InfrastructureError('TOO_FEW_USABLE_TRIALS', `Only ${usable} of ${trials.length} trials completed without errors or saturation: no verdict can be trusted`);
  return undefined;
}
