import type { LimitResult } from '../capacity/limit-result.js';
import { formatBytes, formatCount, formatMessageRate, formatMs, formatRate } from '../format-numbers.js';
import { badge, figure, renderHtmlTable, renderKeyValueTable } from './html-page.js';
import type { HtmlPage } from './html-page.js';
import { describeOrigin, STATUS_TONE } from './html-run-report.js';
import { renderLineChart } from './svg-chart.js';
import type { ChartPoint } from './svg-chart.js';

/** p99 and achieved throughput of every probe against its offered rate, in the order of the rate. */
function limitCharts(result: LimitResult): string[] {
  const probes = [...result.probes].sort((a, b) => a.offeredPerSec - b.offeredPerSec);
  const at = (pick: (probe: (typeof probes)[number]) => number | null): ChartPoint[] => probes.map((probe): ChartPoint => [probe.offeredPerSec, pick(probe)]);
  const marker = result.maxMessagesPerSec === null ? {} : { marker: { x: probes.find((p) => p.ratePerConnection === result.maxRatePerConnection)?.offeredPerSec ?? 0, label: 'highest passing rate' } };
  return [
    renderLineChart({
      ...marker,
      title: 'Round-trip latency p99 of each probe against its offered rate',
      xLabel: 'offered (msg/s)',
      yLabel: 'latency (ms)',
      yScale: 'log',
      series: [
        { name: 'p99', points: at((p) => p.latencyMs?.p99 ?? null) },
        { name: `p99 SLO ${formatMs(result.search.sloP99Ms)}`, points: at(() => result.search.sloP99Ms), color: '#8c959f', dashed: true },
      ],
    }),
    renderLineChart({
      ...marker,
      title: 'Achieved against offered throughput of each probe',
      xLabel: 'offered (msg/s)',
      yLabel: 'messages per second',
      series: [{ name: 'offered', points: at((p) => p.offeredPerSec), dashed: true, color: '#8c959f' }, { name: 'achieved', points: at((p) => p.achievedPerSec) }],
    }),
  ];
}

/** A limit search as a page: the answer, the search, a chart of the probes and the table of them. Pure. */
export function renderLimitPage(result: LimitResult): HtmlPage {
  const { search } = result;
  const tone = result.status === 'errored' ? 'bad' : result.maxRatePerConnection === null || result.limitedBy === 'generator' ? 'warn' : 'good';
  return {
    title: `wsbench limit: ${formatCount(search.connections)} connections on ${result.target.spec}`,
    subtitle: describeOrigin(result),
    headline: { text: result.summary, tone, ...(result.error === undefined ? {} : { evidence: [result.error.message] }) },
    sections: [
      {
        heading: 'Limit',
        html: renderKeyValueTable([
          ['status', badge(result.status, STATUS_TONE[result.status])],
          ['max rate', result.maxMessagesPerSec === null ? 'no probe passed' : `${formatMessageRate(result.maxMessagesPerSec)} (${result.maxRatePerConnection} per connection)`],
          ['max payload', result.maxBytesPerSec === null ? '—' : `${formatBytes(Math.round(result.maxBytesPerSec))}/s each way`],
          ['first failing rate', result.firstFailingRatePerConnection === null ? 'none within the budget' : `${result.firstFailingRatePerConnection} per connection`],
          ['limited by', result.limitedBy ?? '—'],
          ['search', `${formatCount(result.established)} of ${formatCount(search.connections)} connections open, ${formatBytes(search.messageBytes)} messages, hold ${formatMs(search.holdMs)} per probe, at most ${search.maxProbes} probes`],
          ['a probe passes', `p99 ≤ ${formatMs(search.sloP99Ms)}, achieved ≥ ${(search.minAchievedRatio * 100).toFixed(0)}% of offered, the generator not saturated`],
        ]),
      },
      { heading: 'Probes against the offered rate', html: limitCharts(result).map(figure).join('\n') },
      {
        heading: 'Probes',
        html: renderHtmlTable(
          ['probe', 'per connection', 'offered', 'achieved', 'p50', 'p99', 'server CPU', 'verdict'],
          result.probes.map((probe) => [
            probe.index + 1,
            probe.ratePerConnection,
            formatRate(probe.offeredPerSec),
            formatRate(probe.achievedPerSec),
            formatMs(probe.latencyMs?.p50),
            formatMs(probe.latencyMs?.p99),
            probe.serverCpuPercent === null ? '—' : `${probe.serverCpuPercent.toFixed(0)}%`,
            probe.passed ? badge('pass', 'good') : badge(`fail: ${probe.reasons.join('; ')}`, 'bad'),
          ]),
          [true, true, true, true, true, true, true, false],
        ),
      },
    ],
  };
}
