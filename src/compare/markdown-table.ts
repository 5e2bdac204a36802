import type { Comparison, MetricComparison, MetricName } from './comparison.js';
import { formatPValue, formatQuantity, formatSignedPercent, formatSignedPoints } from './format-change.js';

const METRIC_LABEL: Readonly<Record<MetricName, string>> = {
  throughput: 'throughput',
  p50: 'latency p50',
  p99: 'latency p99',
  errors: 'error rate',
};

/** Pipes would split a cell; specs and reasons are user text. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function changeCell(row: MetricComparison): string {
  if (row.changePercent === null) return 'n/a';
  if (row.changeKind === 'difference') return formatSignedPoints(row.changePercent);
  const ci = row.ciLowPercent !== null && row.ciHighPercent !== null
    ? ` (${formatSignedPercent(row.ciLowPercent)} to ${formatSignedPercent(row.ciHighPercent)})`
    : '';
  return `${formatSignedPercent(row.changePercent)}${ci}`;
}

function gateCell(row: MetricComparison): string {
  if (row.changeKind === 'difference') return row.gatePercent === 0 ? 'any rise' : formatSignedPoints(row.gatePercent);
  return formatSignedPercent(row.gatePercent, 0);
}

function row(m: MetricComparison): string {
  const median = (v: number | null): string => (v === null ? 'n/a' : formatQuantity(v));
  return `| ${METRIC_LABEL[m.metric]} (${m.unit}) | ${median(m.aMedian)} | ${median(m.bMedian)} | ${changeCell(m)} | ${
    m.pValue === null ? 'n/a' : formatPValue(m.pValue)
  } | ${m.pairs} | ${gateCell(m)} | ${m.verdict} |`;
}

/** The comparison as a pull-request comment: the verdict first, then one row per metric. Pure. */
/**
 * What each arm cost the server, as medians over its usable trials: informational, not gated, but it is
 * what a goroutine-vs-epoll or read-buffer comparison is usually about.
 */
function serverCostLines(comparison: Comparison): string[] {
  const excluded = new Set(comparison.excluded.map((trial) => `${trial.arm}${trial.index}`));
  const usable = comparison.trials.filter((trial) => !excluded.has(`${trial.arm}${trial.index}`));
  const medianOf = (arm: 'a' | 'b', pick: (trial: Comparison['trials'][number]) => number | null | undefined): number | null => {
    const values = usable.flatMap((trial) => {
      const value = trial.arm === arm ? pick(trial) : undefined;
      return value === null || value === undefined ? [] : [value];
    });
    if (values.length === 0) return null;
    const sorted = values.sort((x, y) => x - y);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  };
  const cpu = [medianOf('a', (t) => t.serverCpuPercent), medianOf('b', (t) => t.serverCpuPercent)];
  const rss = [medianOf('a', (t) => t.serverPeakRssBytes), medianOf('b', (t) => t.serverPeakRssBytes)];
  if (cpu.every((value) => value === null) && rss.every((value) => value === null)) return [];
  const percent = (value: number | null): string => (value === null ? '—' : `${value.toFixed(0)}%`);
  const mib = (value: number | null): string => (value === null ? '—' : `${(value / 1024 / 1024).toFixed(1)} MiB`);
  const change = (a: number | null, b: number | null): string => (a === null || b === null || a === 0 ? '—' : formatSignedPercent((b / a - 1) * 100));
  return [
    '',
    '| server cost (not gated) | base (A) median | head (B) median | change |',
    '| --- | ---: | ---: | ---: |',
    `| CPU (% of one core) | ${percent(cpu[0]!)} | ${percent(cpu[1]!)} | ${change(cpu[0]!, cpu[1]!)} |`,
    `| peak RSS | ${mib(rss[0]!)} | ${mib(rss[1]!)} | ${change(rss[0]!, rss[1]!)} |`,
  ];
}

export function renderComparisonMarkdown(comparison: Comparison): string {
  const { stage } = comparison;
  const ci = Math.round(comparison.confidence * 100);
  const lines = [
    `**${comparison.verdict}**: ${cell(comparison.scenario)}, head \`${cell(comparison.arms.b.spec)}\` vs base \`${cell(comparison.arms.a.spec)}\``,
    '',
    `| metric | base (A) median | head (B) median | change (${ci}% CI) | p | pairs | gate | verdict |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...comparison.metrics.map(row),
    '',
    `Stage ${stage.stage} of ${stage.stages}: ${stage.usablePairs} of ${stage.scheduledPairs} pairs usable, ` +
      `FAIL needs p < ${stage.stageAlpha} (alpha ${comparison.alpha} split over ${stage.stages} stage(s)) and a change beyond the gate; ` +
      `PASS needs the whole ${ci}% interval inside the gate.`,
    'Ratio metrics: paired t-test on log-ratios of adjacent A/B trials, p one-sided (H1: B is worse). Error rate: change in percentage points, ' +
      'one-sided permutation test over trials.',
  ];
  lines.push(...serverCostLines(comparison));
  if (comparison.excluded.length > 0) {
    lines.push('', 'Excluded trials:', ...comparison.excluded.map((t) => `- ${t.arm.toUpperCase()} trial ${t.index}: ${cell(t.reason)}`));
  }
  // The reasons of the metrics that did not pass say more than the overall reason, which repeats them.
  const notPassed = comparison.metrics.filter((m) => m.verdict !== 'PASS');
  lines.push('', ...(notPassed.length > 0 ? notPassed.map((m) => `- ${METRIC_LABEL[m.metric]}: ${m.verdict}, ${cell(m.reason)}`) : [cell(comparison.reason)]));
  return `${lines.join('\n')}\n`;
}
