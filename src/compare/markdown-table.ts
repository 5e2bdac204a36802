import type { Comparison, MetricComparison, MetricName } from './comparison.js';
import { formatPValue, formatQuantity, formatSignedPercent, formatSignedPoints } from './format-change.js';
import { METRIC_SPECS } from './metric-catalog.js';
import { serverCostLines } from './server-cost-table.js';

const METRIC_LABEL = Object.fromEntries(METRIC_SPECS.map((spec) => [spec.metric, spec.label])) as Readonly<Record<MetricName, string>>;

/** Pipes would split a cell; specs and reasons are user text. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function changeCell(row: MetricComparison): string {
  if (row.verdict === 'NOT MEASURED') return 'not measured';
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
/** `pinning`: where the target and the driver ran (the report's line), shown under the statistics note. */
export function renderComparisonMarkdown(comparison: Comparison, pinning?: string): string {
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
    (comparison.design === 'unpaired'
      ? 'Ratio metrics: Welch t-test on logs of the fresh trials against the recorded ones'
      : 'Ratio metrics: paired t-test on log-ratios of adjacent A/B trials') +
      ', p one-sided (H1: B is worse); p99 from each arm\'s pooled echoes, resampled by trial; GC cycles: exact test on total counts per message. ' +
      'Error rate: change in percentage points, one-sided permutation test over trials.',
  ];
  if (pinning !== undefined) lines.push(`CPUs: ${cell(pinning)}.`);
  lines.push(...serverCostLines(comparison));
  if (comparison.excluded.length > 0) {
    lines.push('', 'Excluded trials:', ...comparison.excluded.map((t) => `- ${t.arm.toUpperCase()} trial ${t.index}: ${cell(t.reason)}`));
  }
  // The reasons of the metrics that did not pass say more than the overall reason, which repeats them.
  const notPassed = comparison.metrics.filter((m) => m.verdict === 'FAIL' || m.verdict === 'INCONCLUSIVE');
  const unmeasured = comparison.metrics.filter((m) => m.verdict === 'NOT MEASURED');
  lines.push('', ...(notPassed.length > 0 ? notPassed.map((m) => `- ${METRIC_LABEL[m.metric]}: ${m.verdict}, ${cell(m.reason)}`) : [cell(comparison.reason)]));
  if (unmeasured.length > 0) {
    lines.push(`- not measured (not judged, not a PASS): ${unmeasured.map((m) => METRIC_LABEL[m.metric]).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
