import type { MetricComparison, Verdict } from '../compare/comparison.js';
import { renderComparisonMarkdown } from '../compare/markdown-table.js';
import type { TrialSummary } from '../compare/trial-summary.js';
import { METRIC_SPECS } from '../compare/metric-catalog.js';
import type { ComparisonReport } from '../compare/comparison-report.js';
import { formatBytes, formatMs, formatPercent, formatRate } from '../format-numbers.js';
import { formatMicros } from '../metrics/server-cost-text.js';
import { badge, figure, renderHtmlTable } from './html-page.js';
import type { HtmlPage, Tone } from './html-page.js';
import { describeOrigin, STATUS_TONE } from './html-run-report.js';
import { markdownToHtml } from './markdown-to-html.js';
import { renderLineChart } from './svg-chart.js';
import type { ChartPoint } from './svg-chart.js';
import { renderIntervalChart } from './svg-interval-chart.js';

export const VERDICT_TONE: Readonly<Record<Verdict, Tone>> = { PASS: 'good', FAIL: 'bad', INCONCLUSIVE: 'warn' };

const METRIC_TITLE = Object.fromEntries(METRIC_SPECS.map((spec) => [spec.metric, spec.label.charAt(0).toUpperCase() + spec.label.slice(1)])) as Readonly<Record<MetricComparison['metric'], string>>;

/** One dot-and-whisker chart per metric: B's change from A, its interval and the gate. */
export function renderMetricIntervals(report: ComparisonReport): string[] {
  const ci = Math.round(report.comparison.confidence * 100);
  // A metric not measured has no change to draw; the verdict table says so.
  return report.comparison.metrics.flatMap((m) =>
    m.verdict === 'NOT MEASURED' ? [] : [renderIntervalChart({
      title: m.changeKind === 'ratio'
        ? `${METRIC_TITLE[m.metric]}: change from A to B with its ${ci}% interval, ${m.verdict}`
        : `${METRIC_TITLE[m.metric]}: change from A to B in percentage points, ${m.verdict}`,
      axisLabel: m.changeKind === 'ratio' ? 'change B vs A (%)' : 'B − A (percentage points)',
      estimate: m.changePercent,
      low: m.ciLowPercent,
      high: m.ciHighPercent,
      gate: m.gatePercent,
      verdict: m.verdict,
    })],
  );
}

/** Each trial's p99 and throughput in run order, A and B apart: drift and outliers show at a glance. */
export function renderTrialCharts(report: ComparisonReport): string[] {
  const trials = [...report.comparison.trials].sort((x, y) => x.index - y.index);
  const arm = (name: 'a' | 'b', pick: (t: TrialSummary) => number | null): ChartPoint[] => trials.filter((t) => t.arm === name).map((t): ChartPoint => [t.index, pick(t)]);
  const { a, b } = report.comparison.arms;
  const series = (pick: (t: TrialSummary) => number | null) => [
    { name: `A ${a.spec}`, points: arm('a', pick) },
    { name: `B ${b.spec}`, points: arm('b', pick) },
  ];
  const charts = [
    renderLineChart({ title: 'Latency p99 of each trial, in run order', xLabel: 'trial (run order)', yLabel: 'p99 (ms)', series: series((t) => t.p99Ms) }),
    renderLineChart({ title: 'Achieved throughput of each trial, in run order', xLabel: 'trial (run order)', yLabel: 'messages per second', series: series((t) => t.achievedPerSec) }),
  ];
  // Below saturation the server's cost per message moves where throughput cannot.
  if (trials.some((t) => t.serverCpuMicrosPerMessage != null)) {
    charts.push(renderLineChart({ title: 'Server CPU per message of each trial, in run order', xLabel: 'trial (run order)', yLabel: 'µs per message', series: series((t) => t.serverCpuMicrosPerMessage ?? null) }));
  }
  if (trials.some((t) => t.serverAllocBytesPerMessage != null)) {
    charts.push(renderLineChart({ title: 'Server allocations per message of each trial, in run order', xLabel: 'trial (run order)', yLabel: 'bytes per message', series: series((t) => t.serverAllocBytesPerMessage ?? null) }));
  }
  return charts;
}

function trialsTable(report: ComparisonReport): string {
  const excluded = new Map(report.comparison.excluded.map((e) => [`${e.arm}${e.index}`, e.reason]));
  return renderHtmlTable(
    ['trial', 'arm', 'status', 'achieved', 'p50', 'p99', 'server CPU/msg', 'allocated/msg', 'memory/conn', 'error rate', 'used'],
    [...report.comparison.trials].sort((x, y) => x.index - y.index).map((t) => [
      t.index,
      t.arm.toUpperCase(),
      badge(t.status, STATUS_TONE[t.status]),
      formatRate(t.achievedPerSec),
      formatMs(t.p50Ms),
      formatMs(t.p99Ms),
      formatMicros(t.serverCpuMicrosPerMessage),
      formatBytes(t.serverAllocBytesPerMessage),
      formatBytes(t.serverMemoryBytesPerConnection),
      formatPercent(t.errorRate),
      excluded.get(`${t.arm}${t.index}`) === undefined ? 'yes' : `no: ${excluded.get(`${t.arm}${t.index}`) ?? ''}`,
    ]),
    [true, false, false, true, true, true, true, true, true, true, false],
  );
}

export function renderComparePage(report: ComparisonReport): HtmlPage {
  const { comparison } = report;
  const first = report.trials[0]?.result;
  return {
    title: `wsbench compare: ${comparison.scenario}, B ${comparison.arms.b.spec} vs A ${comparison.arms.a.spec}`,
    subtitle: first === undefined ? `${comparison.trials.length} trials` : `${describeOrigin(first)} · ${comparison.trials.length} trials`,
    headline: { text: `${comparison.verdict}: ${comparison.reason}`, tone: VERDICT_TONE[comparison.verdict] },
    sections: [
      { heading: 'Change per metric', html: renderMetricIntervals(report).map(figure).join('\n') },
      { heading: 'Verdict table', html: markdownToHtml(renderComparisonMarkdown(comparison, report.pinning)) },
      { heading: 'Trials', html: `${renderTrialCharts(report).map(figure).join('\n')}\n${trialsTable(report)}` },
    ],
  };
}
