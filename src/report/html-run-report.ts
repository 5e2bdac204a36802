import type { RunResult, TimelinePoint } from '../run/run-result.js';
import { formatBytes, formatCount, formatMs, formatPercent, formatRate } from '../format-numbers.js';
import { serverCostRows } from '../metrics/server-cost-text.js';
import { badge, figure, renderKeyValueTable } from './html-page.js';
import type { HtmlPage, RawHtml, Tone } from './html-page.js';
import { renderLineChart } from './svg-chart.js';
import type { ChartBand, ChartPoint } from './svg-chart.js';
import { settlingNote } from './settling-note.js';

const MIB = 1024 ** 2;

export const STATUS_TONE: Readonly<Record<RunResult['status'], Tone>> = { completed: 'good', failed: 'bad', saturated: 'warn', errored: 'bad', interrupted: 'warn' };

/** "target · commit · when · machine": enough to tell two reports apart and to know whether they are comparable. */
export function describeOrigin(result: Pick<RunResult, 'target' | 'git' | 'startedAt' | 'env' | 'tool'>): string {
  const commit = result.git.commit === null ? 'no git commit' : `commit ${result.git.commit.slice(0, 10)}${result.git.ref === null ? '' : ` (${result.git.ref})`}${result.git.dirty === true ? ', dirty' : ''}`;
  return `${result.target.spec} · ${commit} · ${result.startedAt} · wsbench ${result.tool.version}, Node ${result.env.node}, ${result.env.cpuModel} × ${result.env.cores}`;
}

/** The warm-up as a band: from its first second to the first measured one. */
function warmupBand(timeline: readonly TimelinePoint[]): ChartBand[] {
  const warm = timeline.filter((p) => p.warmup);
  const first = warm[0];
  if (first === undefined) return [];
  const measured = timeline.find((p) => !p.warmup && p.second > first.second);
  return [{ fromX: first.second, toX: measured?.second ?? (warm.at(-1)?.second ?? first.second) + 1, label: 'warm-up (excluded)' }];
}

/** Server readings against seconds: from the timeline when it carries them, else from the raw samples. */
function serverPoints(result: RunResult, pick: (s: NonNullable<TimelinePoint['server']>) => number): ChartPoint[] {
  const fromTimeline = result.timeline.filter((p) => p.server !== undefined).map((p): ChartPoint => [p.second, pick(p.server as NonNullable<TimelinePoint['server']>)]);
  return fromTimeline.length > 0 ? fromTimeline : result.server.samples.map((s): ChartPoint => [s.elapsedMs / 1000, pick(s)]);
}

/** The four charts of a run, over time: latency, throughput, server CPU, server memory. */
export function renderRunCharts(result: RunResult): string[] {
  const t = result.timeline;
  const bands = warmupBand(t);
  const xLabel = 'seconds since the load started';
  const latency = (pick: (l: NonNullable<TimelinePoint['latencyMs']>) => number) => t.map((p): ChartPoint => [p.second, p.latencyMs === null ? null : pick(p.latencyMs)]);
  const cpu = serverPoints(result, (s) => s.cpuPercent);
  const rss = serverPoints(result, (s) => s.rssBytes / MIB);
  const charts = [
    renderLineChart({
      title: 'Round-trip latency per second, measured from each intended send time',
      xLabel, yLabel: 'latency (ms)', yScale: 'log', bands,
      series: [{ name: 'p50', points: latency((l) => l.p50) }, { name: 'p90', points: latency((l) => l.p90) }, { name: 'p99', points: latency((l) => l.p99) }],
    }),
    renderLineChart({
      title: 'Messages sent and echoed per second',
      xLabel, yLabel: 'messages per second', bands,
      series: [{ name: 'sent', points: t.map((p): ChartPoint => [p.second, p.sent]) }, { name: 'echoed', points: t.map((p): ChartPoint => [p.second, p.received]) }],
    }),
  ];
  // A server given by --url is not ours to sample: no empty charts for it.
  if (cpu.length === 0) return charts;
  return [
    ...charts,
    renderLineChart({ title: 'Server CPU per second, in percent of one core', xLabel, yLabel: 'CPU (% of one core)', bands, series: [{ name: 'server CPU', points: cpu }] }),
    renderLineChart({ title: 'Server resident memory (RSS) per second', xLabel, yLabel: 'RSS (MiB)', bands, series: [{ name: 'server RSS', points: rss }] }),
  ];
}

function summaryRows(result: RunResult): Array<[string, string | RawHtml]> {
  const { scenario, connections, messages, throughput, latencyMs, generator, server } = result;
  const errors = Object.entries(connections.errorsByCode).map(([code, n]) => `${code} ×${n}`).join(', ');
  return [
    ['status', badge(result.status, STATUS_TONE[result.status])],
    ['load', `${formatCount(scenario.connections)} connections × ${scenario.ratePerConnection} msg/s × ${formatBytes(scenario.messageBytes)} for ${formatMs(scenario.durationMs)} (warm-up ${formatMs(scenario.warmupMs)} excluded)`],
    ['connections', `${formatCount(connections.established)} of ${formatCount(connections.attempted)} established in ${formatMs(connections.openMs)}; ${formatCount(connections.failed)} failed${errors === '' ? '' : ` (${errors})`}, ${formatCount(connections.dropped)} dropped`],
    ['messages', `${formatCount(messages.sent)} sent, ${formatCount(messages.received)} echoed, ${formatCount(messages.timedOut)} timed out, ${formatCount(messages.late)} late`],
    ['throughput', `${formatRate(throughput.achievedPerSec)} achieved of ${formatRate(throughput.offeredPerSec)} offered, ${formatBytes(throughput.achievedBytesPerSec)}/s`],
    ['latency (RTT)', latencyMs === null ? 'no echo measured' : `p50 ${formatMs(latencyMs.p50)} · p90 ${formatMs(latencyMs.p90)} · p99 ${formatMs(latencyMs.p99)} · p99.9 ${formatMs(latencyMs.p999)} · max ${formatMs(latencyMs.max)} · mean ${formatMs(latencyMs.mean)}`],
    ['server', `CPU ${server.cpuPercent === null ? '—' : `${server.cpuPercent.toFixed(0)}% of one core`}, peak RSS ${formatBytes(server.peakRssBytes)}`],
    ...serverCostRows(server),
    ['generator', `${generator.workers} worker${generator.workers === 1 ? '' : 's'}, send lag p99 ${formatMs(generator.sendLagP99Ms)}, event loop ${formatPercent(generator.eventLoopUtilization)} busy` +
      (generator.cpuMicrosPerMessage === null ? '' : `, ${generator.cpuMicrosPerMessage.toFixed(1)} µs CPU per echo`) +
      settlingNote(generator)],
  ];
}

/** The verdict line of a run: what it carried, and whether the numbers can be trusted. */
export function runHeadline(result: RunResult): HtmlPage['headline'] {
  const { scenario, throughput, latencyMs, messages, connections } = result;
  const errors = connections.failed + connections.dropped + messages.timedOut;
  const carried = `${formatCount(scenario.connections)} connections × ${scenario.ratePerConnection} msg/s: ${formatRate(throughput.achievedPerSec)} echoed of ${formatRate(throughput.offeredPerSec)} offered, ` +
    `p99 ${latencyMs === null ? '—' : formatMs(latencyMs.p99)}, ${errors === 0 ? 'no errors' : `${formatCount(errors)} errors`}.`;
  if (result.status === 'saturated' || result.generator.saturated) {
    return { text: `Saturated: the load generator could not keep up, so these latencies describe the driver, not the server. ${carried}`, tone: 'warn', evidence: result.generator.saturationReasons };
  }
  if (result.status === 'errored') return { text: `Errored: ${result.error?.message.split('\n')[0] ?? 'the run failed'}. ${carried}`, tone: 'bad', evidence: result.error?.logTail ?? [] };
  if (result.status === 'interrupted') return { text: `Interrupted: partial results. ${carried}`, tone: 'warn' };
  return { text: `Completed: ${carried}`, tone: errors === 0 ? 'good' : 'warn' };
}

export function renderRunPage(result: RunResult): HtmlPage {
  return {
    title: `wsbench run: ${result.scenario.name} on ${result.target.spec}`,
    subtitle: describeOrigin(result),
    headline: runHeadline(result),
    sections: [
      { heading: 'Summary', html: renderKeyValueTable(summaryRows(result)) },
      {
        heading: 'Over time',
        html: renderRunCharts(result).map(figure).join('\n') +
          (result.server.samples.length === 0 ? '\n<p class="note">No server CPU or memory: the server was not started by wsbench, so its processes were not sampled.</p>' : ''),
      },
    ],
  };
}
