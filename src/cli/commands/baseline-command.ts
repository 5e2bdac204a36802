import { InfrastructureError, InterruptedError, UsageError } from '../../errors.js';
import { BASELINE_SCHEMA_VERSION, DEFAULT_BASELINES_DIR, listBaselines, writeBaseline } from '../../compare/baseline-store.js';
import type { Baseline } from '../../compare/baseline-store.js';
import { recordBaselineTrials, tooFewToRecord } from '../../compare/baseline-recording.js';
import { armTrials, unpairedDesign } from '../../compare/trial-design.js';
import { describeEnvironment } from '../../metrics/environment.js';
import { formatMs, formatRate } from '../../format-numbers.js';
import { readGitInfo } from '../../run/git-info.js';
import { runScenario } from '../../run/run-scenario.js';
import { enterTrialScheduling, withTargetDemotion } from '../../compare/run-comparison.js';
import { pinningOf } from '../../compare/bench-scenario.js';
import { decideCpuPinning } from '../../plan/cpu-pinning.js';
import { matchesPattern } from '../../scenario/match-pattern.js';
import { resolveRunOptions } from '../../scenario/run-options.js';
import { resolveTargetDefinition } from '../../targets/resolve-target.js';
import { parseTargetSpec } from '../../targets/target-spec.js';
import { TOOL_NAME, TOOL_VERSION } from '../../tool-info.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { hidden, integerFlag, stringFlag, switchFlag, withDefault } from '../flags/flag.js';
import { formatFlagHelp, readFlags } from '../flags/flag-table.js';
import { HELP_FLAG } from '../flags/shared-flags.js';
import { PIN_FLAG } from '../flags/gate-flags.js';
import { selectScenarios } from '../../scenario/select-scenarios.js';
import { SEND_AHEAD_MS } from '../../driver/load-phase-options.js';

/** Enough for a fresh run's 5 trials to be judged against the baseline's spread (Welch's t, df ≥ 4 from each side). */
export const DEFAULT_BASELINE_TRIALS = 8;

const BASELINE_FLAGS = {
  profile: withDefault(stringFlag('profile', 'NAME', 'quick or full'), 'quick'),
  scenario: stringFlag('scenario', 'GLOB', 'only scenarios whose name or tag matches'),
  target: stringFlag('target', 'SPEC', "only scenarios of this target (show), or record this target instead of the scenario's"),
  trials: withDefault(integerFlag('trials', 'N', 'trials per scenario (record)'), DEFAULT_BASELINE_TRIALS),
  tag: stringFlag('tag', 'TAG', 'the release tag to note in the files (default: the tag at HEAD, if any)'),
  'no-realtime': switchFlag('noRealtime', 'record at normal priority (default: as compare runs trials, driver real-time when allowed)'),
  'allow-dirty': switchFlag('allowDirty', 'record from a working tree with uncommitted changes (the commit would not describe it)'),
  dir: withDefault(stringFlag('dir', 'DIR', 'where baselines live'), DEFAULT_BASELINES_DIR),
  config: stringFlag('configFile', 'FILE', 'wsbench.config.ts or wsbench.yaml'),
  'no-pin': { ...PIN_FLAG['no-pin'], help: 'record with the target and the driver unpinned (bench pins them apart by default,\nand a baseline should be measured the way it will be compared)' },
  quiet: hidden(switchFlag('quiet', 'no live progress')),
  ...HELP_FLAG,
};

export const BASELINE_USAGE = `Usage: wsbench baseline record|show [options]

  record   measure each scenario of a profile at this commit (fresh server per trial) and write one file
           per target × scenario × commit: baselines/<target>/<scenario>/<commit>.json. Run on release tags.
  show     list the recorded baselines, their commit, tag, machine fingerprint and medians.

${formatFlagHelp(BASELINE_FLAGS)}
`;

export async function baselineCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options: values, positionals } = readFlags('baseline', args, BASELINE_FLAGS, { positionals: 1 });
  if (values.help === true) {
    output.stdout(BASELINE_USAGE);
    return 0;
  }
  const { dir, trials, profile } = values;
  const action = positionals[0];
  if (action === 'show') return showBaselines(dir, values.target, values.scenario, output);
  if (action !== 'record') throw new UsageError('UNKNOWN_BASELINE_ACTION', `Expected \`wsbench baseline record\` or \`wsbench baseline show\`; got ${action === undefined ? 'nothing' : JSON.stringify(action)}. See wsbench baseline --help`);

  const git = await readGitInfo();
  if (git.commit === null) throw new UsageError('NOT_A_GIT_REPOSITORY', 'baselines are named by their commit: run it inside a git repository', { command: 'baseline record' });
  if (git.dirty === true && values.allowDirty !== true) {
    throw new UsageError('DIRTY_TREE', `The working tree has uncommitted changes, so commit ${git.commit.slice(0, 12)} would not describe what was measured; commit them, or pass --allow-dirty`);
  }
  const { loaded, scenarios } = await selectScenarios({ configFile: values.configFile, profile, glob: values.scenario });
  const env = describeEnvironment(TOOL_VERSION);
  const tag = values.tag ?? (git.ref !== null && /^v\d/.test(git.ref) ? git.ref : null);
  const pinning = decideCpuPinning(values.noPin !== true);
  output.stderr(`baseline: ${pinning.pinned ? pinning.description : pinning.reason}\n`);
  const interrupt = abortOnInterrupt();
  // A scenario too noisy to record does not cost the others theirs: each is written or named, then exit 3.
  const tooNoisy: string[] = [];
  try {
    for (const planned of scenarios) {
      if (planned.skipReason !== undefined) {
        output.stderr(`${planned.name}: skipped, ${planned.skipReason}\n`);
        continue;
      }
      const spec = parseTargetSpec(values.target ?? planned.target);
      const definition = resolveTargetDefinition(spec, loaded.targets);
      const options = { ...resolveRunOptions({ ...planned.options, scenarioName: planned.name }), ...(pinning.pinned ? { pinning: pinning.pinning } : {}) };
      // Recorded as a comparison's trials are run (realtime-priority.ts), so a fresh run is judged like for like.
      const scheduling = await enterTrialScheduling(values.noRealtime !== true, [definition], options.pinning);
      let recorded: Baseline['trials'];
      try {
        let usable: number;
        ({ trials: recorded, usable } = await recordBaselineTrials(
          planned.name,
          trials,
          () => runScenario({ ...options, target: spec }, { definition, signal: interrupt.signal, onEvent: withTargetDemotion(scheduling, undefined) }),
          ({ index, usable: sofar, result, unused }) => {
            const note = unused === null ? '' : ` (kept, not used: ${unused})`;
            output.stderr(`${planned.name} trial ${index + 1} (${sofar}/${trials} usable): ${formatRate(result.throughput.achievedPerSec)}, p99 ${formatMs(result.latencyMs?.p99)}${note}\n`);
          },
        ));
        if (tooFewToRecord(usable, trials)) {
          output.stderr(`${planned.name}: only ${usable} of ${trials} trials usable after ${recorded.length} (the others saturated the generator or ran on a busy machine, see above); no baseline written for it\n`);
          tooNoisy.push(`${planned.name} (${usable} of ${trials} usable after ${recorded.length})`);
          continue;
        }
        if (usable < trials) output.stderr(`${planned.name}: only ${usable} of ${trials} trials usable after ${recorded.length}; bench judges against those. Record again on a quieter machine for the full count\n`);
      } finally {
        await scheduling.restore();
      }
      const file = writeBaseline(dir, {
        schemaVersion: BASELINE_SCHEMA_VERSION,
        kind: 'baseline',
        target: spec.text,
        scenario: planned.name,
        load: { connections: options.connections, ratePerConnection: options.ratePerConnection, messageBytes: options.messageBytes, durationMs: options.durationMs, warmupMs: options.warmupMs, sendAheadMs: SEND_AHEAD_MS },
        commit: git.commit,
        tag,
        recordedAt: new Date().toISOString(),
        env,
        tool: { name: TOOL_NAME, version: TOOL_VERSION },
        scheduling: { realtime: scheduling.applied, note: scheduling.note },
        cpuPinning: pinningOf(options.pinning),
        trials: recorded,
      });
      output.stdout(`recorded ${file}\n`);
    }
  } finally {
    interrupt.dispose();
  }
  if (tooNoisy.length > 0) {
    throw new InfrastructureError(
      'BASELINE_TOO_NOISY',
      `No baseline written for ${tooNoisy.join(', ')}: fewer than half the trials were usable (the others saturated the generator or ran on a busy machine, see above). Record on a quieter machine, or compare A/B in one job (wsbench bench --baseline REF), which pairs trials that share the machine's state`,
    );
  }
  return 0;
}

function showBaselines(dir: string, target: string | undefined, scenarioGlob: string | undefined, output: CommandOutput): number {
  const fingerprint = describeEnvironment(TOOL_VERSION).fingerprint;
  const entries = listBaselines(dir).filter(({ baseline }) => (target === undefined || baseline?.target === target) && (scenarioGlob === undefined || baseline === undefined || matchesPattern(scenarioGlob, baseline.scenario, [])));
  if (entries.length === 0) {
    output.stdout(`no baselines in ${dir}/${target === undefined ? '' : ` for ${target}`} (record some with \`wsbench baseline record\`)\n`);
    return 0;
  }
  output.stdout(`this machine's fingerprint: ${fingerprint}\n`);
  for (const { file, baseline, problem } of entries) {
    if (baseline === undefined) {
      output.stdout(`${file}: CORRUPT — ${problem}\n`);
      continue;
    }
    const medianOf = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    // The medians of the trials bench judges against: a saturated or busy trial is kept in the file but not used.
    const usable = armTrials(unpairedDesign(baseline.trials.map((trial) => trial.summary)).design, 'a');
    const throughput = medianOf(usable.map((trial) => trial.achievedPerSec));
    const p99 = medianOf(usable.flatMap((trial) => (trial.p99Ms === null ? [] : [trial.p99Ms])));
    const count = usable.length === baseline.trials.length ? `${usable.length} trials` : `${usable.length} usable trial${usable.length === 1 ? '' : 's'} of ${baseline.trials.length}`;
    output.stdout(
      `${baseline.target} · ${baseline.scenario} · ${baseline.commit.slice(0, 12)}${baseline.tag === null ? '' : ` (${baseline.tag})`} · ${baseline.recordedAt.slice(0, 19)} · ` +
        `${count} · median ${formatRate(throughput)}, p99 ${formatMs(p99)} · fingerprint ${baseline.env.fingerprint}${baseline.env.fingerprint === fingerprint ? ' (this machine)' : ''}\n`,
    );
  }
  return 0;
}
