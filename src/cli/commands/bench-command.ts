import path from 'node:path';
import { ConfigError, GateFailure, InfrastructureError, InterruptedError } from '../../errors.js';
import { parseGateFlags } from '../../compare/gate-flag.js';
import { GATE_FLAGS, PIN_FLAG } from '../flags/gate-flags.js';
import { benchScenario } from '../../compare/bench-scenario.js';
import { decideCpuPinning } from '../../plan/cpu-pinning.js';
import type { BaselineMode, BenchOutcome } from '../../compare/bench-scenario.js';
import { DEFAULT_BASELINES_DIR } from '../../compare/baseline-store.js';
import type { TrialEvent } from '../../compare/run-comparison.js';
import { renderBenchSummaryMarkdown } from '../../report/bench-summary.js';
import { formatMs, formatRate } from '../../format-numbers.js';
import { writeJsonFile } from '../../write-json-file.js';
import { checkOutputPaths, outputRequests } from '../../output-path.js';
import { writeFileAtomic } from '../../write-file-atomic.js';
import { outputFailure, writeOutputs } from '../../report/write-outputs.js';
import type { OutputsWritten } from '../../report/write-outputs.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { hidden, integerFlag, stringFlag, switchFlag, withDefault } from '../flags/flag.js';
import { formatFlagHelp, readFlags } from '../flags/flag-table.js';
import { CONFIG_FLAG, HELP_FLAG } from '../flags/shared-flags.js';
import { selectScenarios } from '../../scenario/select-scenarios.js';
import { writeReports } from '../../report/write-reports.js';

const BENCH_FLAGS = {
  profile: withDefault(stringFlag('profile', 'NAME', 'quick (what a PR runs) or full'), 'quick'),
  scenario: stringFlag('scenario', 'GLOB', 'only scenarios whose name or tag matches (* and ?)'),
  baseline: hidden(stringFlag('baseline', 'REF', 'A/B in this job against the target built at git REF')),
  'fallback-ref': stringFlag('fallbackRef', 'REF', 'A/B against REF for scenarios with no recorded baseline (e.g. HEAD or HEAD~1)'),
  pairs: integerFlag('pairs', 'N', "A/B pairs per scenario (default: the profile's, else 5)"),
  ...GATE_FLAGS,
  'baselines-dir': withDefault(stringFlag('baselinesDir', 'DIR', 'where recorded baselines live'), DEFAULT_BASELINES_DIR),
  ...CONFIG_FLAG,
  out: withDefault(stringFlag('out', 'DIR', 'per-scenario JSON and HTML'), path.join('results', 'bench')),
  md: stringFlag('md', 'FILE', "the summary table and each scenario's verdict, for PR comments"),
  html: stringFlag('html', 'FILE', "an index page linking each scenario's HTML report"),
  ...PIN_FLAG,
  quiet: switchFlag('quiet', 'no per-trial progress'),
  ...HELP_FLAG,
};

export const BENCH_USAGE = `Usage: wsbench bench [--profile quick|full] [--scenario GLOB] [options]

Runs the scenario matrix (the seed's plan, or your config's) and judges each scenario against its baseline:
  --baseline REF       A/B in this job against the target built at git REF (e.g. the PR's merge-base)
  (default)            the newest recorded baseline in baselines/ with this machine's fingerprint and the
                       same load; without one, A/B against --fallback-ref, else measured once (NO BASELINE)
Exit 1 when any scenario FAILs; exit 2 when no scenario could be judged (every baseline missing, corrupt,
of another schema, load or machine: each is named as a warning). Results are written as each scenario ends.

${formatFlagHelp(BENCH_FLAGS)}
`;

export async function benchCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options } = readFlags('bench', args, BENCH_FLAGS);
  if (options.help === true) {
    output.stdout(BENCH_USAGE);
    return 0;
  }
  const { profile, pairs, out: outDir } = options;
  const gates = parseGateFlags(options.gateEntries);
  const mode: BaselineMode = options.baseline !== undefined ? { kind: 'ref', ref: options.baseline } : { kind: 'stored', dir: options.baselinesDir, fallbackRef: options.fallbackRef };
  const against =
    mode.kind === 'ref' ? `A/B against ${mode.ref}` : `against recorded baselines in ${mode.dir}/${mode.kind === 'stored' && mode.fallbackRef !== undefined ? `, else A/B against ${mode.fallbackRef}` : ''}`;
  checkOutputPaths(outputRequests([['--out', outDir, 'dir'], ['--md', options.md], ['--html', options.html]]));
  const { loaded, scenarios } = await selectScenarios({ configFile: options.configFile, profile, glob: options.scenario });
  const quiet = options.quiet === true;
  if (!quiet) output.stderr(`bench: profile ${profile}, ${scenarios.length} scenario(s), ${against}\n`);
  const pinning = decideCpuPinning(options.noPin !== true);
  if (!quiet || (!pinning.pinned && options.noPin !== true)) output.stderr(`bench: ${pinning.pinned ? pinning.description : pinning.reason}\n`);

  const interrupt = abortOnInterrupt(() => output.stderr('\ninterrupted: writing what was measured\n'));
  const outcomes: BenchOutcome[] = [];
  const writeFailures: OutputsWritten['failures'] = [];
  try {
    for (const [position, planned] of scenarios.entries()) {
      if (!quiet) output.stderr(`[${position + 1}/${scenarios.length}] ${planned.name}${planned.scaling === undefined ? '' : ` (${planned.scaling.note})`}\n`);
      const outcome = await benchScenario(planned, {
        targets: loaded.targets,
        mode,
        pairs,
        gates,
        realtime: options.noRealtime !== true,
        pinning: pinning.pinned ? pinning.pinning : undefined,
        signal: interrupt.signal,
        ...(quiet ? {} : { onTrial: (event: TrialEvent) => reportTrial(event, output) }),
      });
      outcomes.push(outcome);
      // Written as soon as the scenario ends: a later failure must not lose it.
      const report = outcome.comparison ?? outcome.run;
      if (report !== undefined) {
        const json = path.join(outDir, `${planned.name}.json`);
        const html = path.join(outDir, `${planned.name}.html`);
        writeFailures.push(
          ...writeOutputs([
            { label: json, write: () => (writeJsonFile(json, report), [json]) },
            { label: html, write: () => writeReports(report, { html }) },
          ]).failures,
        );
      }
      for (const warning of outcome.warnings) output.stderr(`  warning ${warning}\n`);
      if (!quiet) output.stderr(`  → ${outcome.verdict}: ${outcome.message.split('\n')[0]}\n`);
      if (outcome.failure instanceof InterruptedError) break;
    }
  } finally {
    interrupt.dispose();
  }
  const summary = renderBenchSummaryMarkdown(outcomes, { profile, against });
  const summaryJson = path.join(outDir, 'summary.json');
  const { html, md } = options;
  writeFailures.push(
    ...writeOutputs([
      { label: summaryJson, write: () => (writeJsonFile(summaryJson, outcomes.map(({ comparison: _comparison, run: _run, failure, ...rest }) => ({ ...rest, ...(failure === undefined ? {} : { failure: { code: failure.code, message: failure.message } }) }))), [summaryJson]) },
      ...(md === undefined ? [] : [{ label: `--md ${md}`, write: () => (writeText(md, summary + detailsMarkdown(outcomes)), [md]) }]),
      ...(html === undefined ? [] : [{ label: `--html ${html}`, write: () => (writeText(html, indexHtml(outcomes, path.relative(path.dirname(path.resolve(html)), path.resolve(outDir)))), [html]) }]),
    ]).failures,
  );
  output.stdout(summary);
  // Named now, so a gate failure below cannot hide that part of the results is missing.
  const unwritten = outputFailure(writeFailures);
  if (unwritten !== undefined) output.stderr(`wsbench: ${unwritten.message}\n`);

  const interrupted = outcomes.find((outcome) => outcome.failure instanceof InterruptedError);
  if (interrupted?.failure !== undefined) throw interrupted.failure;
  if (outcomes.some((outcome) => outcome.verdict === 'FAIL')) throw new GateFailure('REGRESSION', `${outcomes.filter((o) => o.verdict === 'FAIL').map((o) => o.scenario).join(', ')} regressed (see the table above)`);
  const overBudget = outcomes.filter((outcome) => outcome.errorBudgetHeld === false);
  if (overBudget.length > 0) throw new GateFailure('ERROR_BUDGET_EXCEEDED', `${overBudget.map((o) => o.scenario).join(', ')} exceeded the error budget: more messages failed than the scenario allows (see the table above)`);
  const judgedCount = outcomes.filter((outcome) => outcome.verdict === 'PASS' || outcome.verdict === 'FAIL' || outcome.verdict === 'INCONCLUSIVE').length;
  const warned = outcomes.flatMap((outcome) => outcome.warnings.map((warning) => `${outcome.scenario}: ${warning}`));
  if (judgedCount === 0 && outcomes.some((outcome) => outcome.verdict !== 'SKIPPED')) {
    throw new ConfigError('NOTHING_JUDGED', `No scenario could be judged (${outcomes.map((o) => `${o.scenario} ${o.verdict}`).join(', ')}); record baselines on this machine with \`wsbench baseline record\`, or compare A/B with --baseline REF or --fallback-ref REF`, warned);
  }
  const broken = outcomes.filter((outcome) => outcome.verdict === 'ERROR');
  if (broken.length > 0) throw new InfrastructureError('BENCH_ERRORS', `${broken.length} scenario(s) could not be measured: ${broken.map((o) => `${o.scenario} (${o.message})`).join('; ')}`);
  return unwritten === undefined ? 0 : unwritten.exitCode;
}

function reportTrial(event: TrialEvent, output: CommandOutput): void {
  if (event.type !== 'trial-end' || event.result === undefined) return;
  const result = event.result;
  const latency = result.latencyMs === null ? 'no latency' : `p99 ${formatMs(result.latencyMs.p99)}`;
  output.stderr(`  trial ${event.index + 1}/${event.total} ${event.arm.toUpperCase()}: ${formatRate(result.throughput.achievedPerSec)}, ${latency}, ${result.status}\n`);
}

function detailsMarkdown(outcomes: readonly BenchOutcome[]): string {
  const details = outcomes
    .filter((outcome) => outcome.comparison !== undefined)
    .map((outcome) => `<details><summary>${outcome.scenario}: ${outcome.verdict}</summary>\n\n${outcome.message.replaceAll('\n', ' ')}\n\n</details>`);
  return details.length === 0 ? '' : `\n${details.join('\n')}\n`;
}

function indexHtml(outcomes: readonly BenchOutcome[], outRelative: string): string {
  const escape = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const rows = outcomes
    .map((outcome) => {
      const link = outcome.comparison !== undefined || outcome.run !== undefined ? `<a href="${escape(path.posix.join(outRelative.split(path.sep).join('/'), `${outcome.scenario}.html`))}">${escape(outcome.scenario)}</a>` : escape(outcome.scenario);
      return `<tr><td>${link}</td><td class="${outcome.verdict.replace(' ', '-')}">${outcome.verdict}</td><td>${escape(outcome.message)}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>wsbench bench</title><style>body{font:14px system-ui,sans-serif;margin:2em}td{padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top}.FAIL{color:#b00;font-weight:bold}.PASS{color:#070}</style></head><body><h1>wsbench bench</h1><table><tr><th>scenario</th><th>verdict</th><th>why</th></tr>\n${rows}\n</table></body></html>\n`;
}

const writeText = writeFileAtomic;
