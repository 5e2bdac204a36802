import type { BenchOutcome } from '../compare/bench-scenario.js';
import { formatSignedPercent } from '../compare/format-change.js';

/** The bench run's one table: a row per scenario with its verdict and the headline changes. Pure. */
export function renderBenchSummaryMarkdown(outcomes: readonly BenchOutcome[], context: { profile: string; against: string }): string {
  const failed = outcomes.filter((outcome) => outcome.verdict === 'FAIL').length;
  const errored = outcomes.filter((outcome) => outcome.verdict === 'ERROR').length;
  const overBudget = outcomes.filter((outcome) => outcome.errorBudgetHeld === false).length;
  const headline = failed > 0 ? `**FAIL**: ${failed} of ${outcomes.length} scenarios regressed` : overBudget > 0 ? `**FAIL**: ${overBudget} of ${outcomes.length} scenarios exceeded their error budget` : errored > 0 ? `**ERROR**: ${errored} of ${outcomes.length} scenarios could not be measured` : `**${overall(outcomes)}**: ${outcomes.length} scenarios, none regressed`;
  const lines = [
    `${headline} (profile ${context.profile}, ${context.against})`,
    '',
    '| scenario | verdict | throughput | p99 | server CPU/msg | allocs/msg | errors | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const outcome of outcomes) {
    const metrics = outcome.comparison?.comparison.metrics ?? [];
    const change = (name: string): string => {
      const metric = metrics.find((item) => item.metric === name);
      if (metric?.verdict === 'NOT MEASURED') return 'not measured';
      return metric?.changePercent === null || metric?.changePercent === undefined ? '—' : `${formatSignedPercent(metric.changePercent)} ${metric.verdict}`;
    };
    const single = outcome.run;
    const throughput = single === undefined ? change('throughput') : `${Math.round(single.throughput.achievedPerSec)}/s`;
    const p99 = single === undefined ? change('p99') : single.latencyMs === null ? '—' : `${single.latencyMs.p99.toFixed(2)} ms`;
    const errors = metrics.find((item) => item.metric === 'errors')?.verdict ?? (single === undefined ? '—' : String(single.messages.timedOut + single.connections.failed));
    const note = [outcome.generatorSaturated ? 'generator saturated' : '', outcome.errorBudgetHeld === false ? 'error budget exceeded' : '', outcome.verdict === 'SKIPPED' || outcome.verdict === 'ERROR' || outcome.verdict === 'NO BASELINE' ? outcome.message : '']
      .filter(Boolean)
      .join('; ')
      .replaceAll('|', '\\|');
    const cost = (name: string): string => (single === undefined ? change(name) : '—');
    lines.push(`| ${outcome.scenario} | ${outcome.verdict} | ${throughput} | ${p99} | ${cost('cpuPerMessage')} | ${cost('allocsPerMessage')} | ${errors} | ${note} |`);
  }
  const warnings = outcomes.flatMap((outcome) => (outcome.warnings ?? []).map((warning) => `- ${outcome.scenario}: ${warning.replaceAll('|', '\\|')}`));
  if (warnings.length > 0) lines.push('', `**${warnings.length} baseline warning(s)**:`, ...warnings);
  return `${lines.join('\n')}\n`;
}

function overall(outcomes: readonly BenchOutcome[]): string {
  if (outcomes.some((outcome) => outcome.verdict === 'INCONCLUSIVE')) return 'INCONCLUSIVE';
  if (outcomes.every((outcome) => outcome.verdict === 'PASS')) return 'PASS';
  return 'NO REGRESSION FOUND';
}
