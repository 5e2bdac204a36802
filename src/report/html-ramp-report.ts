import type { RampResult, RampStep } from '../capacity/ramp-result.js';
import { formatBytes, formatCount, formatMs, formatRate } from '../format-numbers.js';
import { badge, figure, renderHtmlTable, renderKeyValueTable } from './html-page.js';
import type { HtmlPage } from './html-page.js';
import { describeOrigin, STATUS_TONE } from './html-run-report.js';
import { renderLineChart } from './svg-chart.js';
import type { ChartMarker, ChartPoint } from './svg-chart.js';

const MIB = 1024 ** 2;

/** The step where the first limit was hit, drawn as a vertical line on every chart. */
export function firstLimitMarker(result: RampResult): ChartMarker | undefined {
  const limit = result.verdict.firstLimit;
  if (limit === null) return undefined;
  const step = result.steps.find((s) => s.index === limit.step);
  return step === undefined ? undefined : { x: step.connections, label: `first limit: ${limit.criterion}` };
}

/** Latency, throughput, CPU and memory against connections, with the first limit marked. */
export function renderRampCharts(result: RampResult): string[] {
  const { steps, verdict } = result;
  const marker = firstLimitMarker(result);
  const xLabel = 'connections';
  const at = (pick: (s: RampStep) => number | null): ChartPoint[] => steps.map((s): ChartPoint => [s.connections, pick(s)]);
  const common = { xLabel, ...(marker === undefined ? {} : { marker }) };
  return [
    renderLineChart({
      ...common,
      title: 'Round-trip latency at each step of connections',
      yLabel: 'latency (ms)', yScale: 'log',
      series: [
        { name: 'p50', points: at((s) => s.latencyMs?.p50 ?? null) },
        { name: 'p99', points: at((s) => s.latencyMs?.p99 ?? null) },
        { name: `p99 SLO ${formatMs(verdict.sloP99Ms)}`, points: at(() => verdict.sloP99Ms), color: '#8c959f', dashed: true },
      ],
    }),
    renderLineChart({
      ...common,
      title: 'Achieved against offered throughput at each step',
      yLabel: 'messages per second',
      series: [{ name: 'offered', points: at((s) => s.offeredPerSec), dashed: true, color: '#8c959f' }, { name: 'achieved', points: at((s) => s.achievedPerSec) }],
    }),
    renderLineChart({ ...common, title: 'Server CPU at each step, in percent of one core', yLabel: 'CPU (% of one core)', series: [{ name: 'server CPU', points: at((s) => s.server.cpuPercent) }] }),
    renderLineChart({ ...common, title: 'Server resident memory (RSS) at each step', yLabel: 'RSS (MiB)', series: [{ name: 'server RSS', points: at((s) => (s.server.rssBytes === null ? null : s.server.rssBytes / MIB)) }] }),
  ];
}

function stepsTable(result: RampResult): string {
  const limitStep = result.verdict.firstLimit?.step;
  return renderHtmlTable(
    ['step', 'connections', 'established', 'offered', 'achieved', 'p50', 'p99', 'server CPU', 'server RSS', 'timed out', 'stop reasons'],
    result.steps.map((s) => [
      s.index === limitStep ? badge(String(s.index + 1), 'bad') : s.index + 1,
      formatCount(s.connections),
      formatCount(s.established),
      formatRate(s.offeredPerSec),
      formatRate(s.achievedPerSec),
      formatMs(s.latencyMs?.p50),
      formatMs(s.latencyMs?.p99),
      s.server.cpuPercent === null ? '—' : `${s.server.cpuPercent.toFixed(0)}%`,
      formatBytes(s.server.rssBytes),
      formatCount(s.timedOut),
      s.stopReasons.join('; ') || '—',
    ]),
    [true, true, true, true, true, true, true, true, true, true, false],
  );
}

export function renderRampPage(result: RampResult): HtmlPage {
  const { verdict, ramp } = result;
  const tone = result.status === 'errored' ? 'bad' : verdict.maxConnections === null ? 'warn' : 'good';
  return {
    title: `wsbench ramp: ${formatCount(ramp.from)} to ${formatCount(ramp.to)} connections on ${result.target.spec}`,
    subtitle: describeOrigin(result),
    headline: { text: verdict.summary, tone, evidence: verdict.evidence },
    sections: [
      {
        heading: 'Capacity',
        html: renderKeyValueTable([
          ['status', badge(result.status, STATUS_TONE[result.status])],
          ['holds', verdict.maxConnections === null ? 'no step met every criterion' : `${formatCount(verdict.maxConnections)} connections, ${verdict.maxMessagesPerSec === null ? '—' : formatRate(verdict.maxMessagesPerSec)}`],
          ['first limit', verdict.firstLimit === null ? 'none reached' : `${verdict.firstLimit.criterion} at step ${verdict.firstLimit.step + 1}: ${verdict.firstLimit.detail}`],
          ['bottleneck', verdict.bottleneck],
          ['p99 SLO', formatMs(verdict.sloP99Ms)],
          ['memory per connection', verdict.memoryPerConnectionBytes === null ? '—' : formatBytes(verdict.memoryPerConnectionBytes)],
          ['server CPU per message', verdict.cpuMicrosPerMessage === null ? '—' : `${verdict.cpuMicrosPerMessage.toFixed(1)} µs`],
          ['ramp', `${formatCount(ramp.from)} to ${formatCount(ramp.to)} by ${formatCount(ramp.step)}, hold ${formatMs(ramp.holdMs)} per step, ${ramp.ratePerConnection} msg/s × ${formatBytes(ramp.messageBytes)} per connection`],
        ]),
      },
      { heading: 'Against connections', html: renderRampCharts(result).map(figure).join('\n') },
      { heading: 'Steps', html: stepsTable(result) },
    ],
  };
}
