import type { RampResult } from '../capacity/ramp-result.js';
import { renderComparisonMarkdown } from '../compare/markdown-table.js';
import type { RunResult } from '../run/run-result.js';
import type { ComparisonReport } from '../compare/comparison-report.js';
import { formatBytes, formatCount, formatMs, formatPercent, formatRate } from '../format-numbers.js';
import { serverCostRows } from '../metrics/server-cost-text.js';
import { describeOrigin, runHeadline } from './html-run-report.js';
import { renderMermaidXyChart } from './mermaid-xychart.js';
import { cell, details, reproduce, table } from './markdown-blocks.js';
import { limitMarkdown } from './markdown-limit-report.js';
import type { ReportInput } from './report-input.js';
import { settlingNote } from './settling-note.js';

function runMarkdown(result: RunResult): string {
  const headline = runHeadline(result);
  const [word = '', ...rest] = headline.text.split(': ');
  const { throughput, latencyMs, connections, messages, server, generator } = result;
  const measured = result.timeline.filter((p) => !p.warmup && p.latencyMs !== null);
  const parts = [
    `**${word.toUpperCase()}**: ${cell(rest.join(': '))}`,
    `\`${cell(result.target.spec)}\` · ${cell(result.scenario.name)}`,
    ...(headline.evidence ?? []).map((reason) => `- ${cell(reason)}`),
    table(['metric', 'value'], [
      ['throughput', `${formatRate(throughput.achievedPerSec)} achieved of ${formatRate(throughput.offeredPerSec)} offered`],
      ['latency p50 / p90 / p99', latencyMs === null ? 'no echo measured' : `${formatMs(latencyMs.p50)} / ${formatMs(latencyMs.p90)} / ${formatMs(latencyMs.p99)}`],
      ['latency p99.9 / max', latencyMs === null ? '—' : `${formatMs(latencyMs.p999)} / ${formatMs(latencyMs.max)}`],
      ['connections', `${formatCount(connections.established)} of ${formatCount(connections.attempted)}, ${formatCount(connections.failed)} failed, ${formatCount(connections.dropped)} dropped`],
      ['messages', `${formatCount(messages.sent)} sent, ${formatCount(messages.received)} echoed, ${formatCount(messages.timedOut)} timed out`],
      ['server', `CPU ${server.cpuPercent === null ? '—' : `${server.cpuPercent.toFixed(0)}% of one core`}, peak RSS ${formatBytes(server.peakRssBytes)}${server.mergedFrom === undefined ? '' : ` (read by shard ${server.mergedFrom.shard}; costs over all shards' ${server.mergedFrom.messages} echoes and ${server.mergedFrom.connections} connections)`}`],
      ...serverCostRows(server),
      ...(result.shards === undefined ? [] : [['shards', shardsCell(result)]]),
    ]),
  ];
  if (measured.length >= 2) {
    parts.push(renderMermaidXyChart({
      title: 'Latency p99 per second (ms), warm-up excluded',
      xLabel: 'second', x: measured.map((p) => p.second),
      yLabel: 'p99 (ms)', lines: [measured.map((p) => p.latencyMs?.p99 ?? 0)],
    }));
  }
  parts.push(details('Generator and environment', table(['', ''], [
    ['generator', `${generator.workers} worker(s), send lag p99 ${formatMs(generator.sendLagP99Ms)}, event loop ${formatPercent(generator.eventLoopUtilization)} busy${settlingNote(generator)}`],
    ['load', `${formatCount(result.scenario.connections)} connections × ${result.scenario.ratePerConnection} msg/s × ${formatBytes(result.scenario.messageBytes)}, ${formatMs(result.scenario.durationMs)} (warm-up ${formatMs(result.scenario.warmupMs)})`],
    ['origin', describeOrigin(result)],
  ])));
  parts.push(reproduce(result));
  return parts.join('\n\n');
}

/** A merged result's shards: how many counted and, when partial, which did not (named as everywhere). */
function shardsCell(result: RunResult): string {
  const shards = result.shards ?? [];
  const left = shards.filter((shard) => !shard.merged).map((shard) => `shard ${shard.index}/${shards.length} ${shard.status}`);
  return cell(`${shards.length - left.length} of ${shards.length} merged${left.length === 0 ? '' : ` — PARTIAL: ${left.join(', ')}`}`);
}

function rampMarkdown(result: RampResult): string {
  const { verdict, steps } = result;
  const measured = steps.filter((s) => s.latencyMs !== null);
  const limit = verdict.firstLimit;
  const parts = [
    `**CAPACITY**: ${cell(verdict.summary)}`,
    `\`${cell(result.target.spec)}\` · ${formatCount(result.ramp.from)} to ${formatCount(result.ramp.to)} connections, ${result.ramp.ratePerConnection} msg/s each`,
    verdict.evidence.map((item) => `- ${cell(item)}`).join('\n'),
    table(['', ''], [
      ['holds', verdict.maxConnections === null ? 'no step met every criterion' : `${formatCount(verdict.maxConnections)} connections, ${verdict.maxMessagesPerSec === null ? '—' : formatRate(verdict.maxMessagesPerSec)}`],
      ['first limit', limit === null ? 'none reached' : `${limit.criterion} at step ${limit.step + 1}: ${limit.detail}`],
      ['bottleneck', verdict.bottleneck],
      ['p99 SLO', formatMs(verdict.sloP99Ms)],
      ['memory per connection', formatBytes(verdict.memoryPerConnectionBytes)],
      ['server CPU per message', verdict.cpuMicrosPerMessage === null ? '—' : `${verdict.cpuMicrosPerMessage.toFixed(1)} µs`],
    ]),
  ].filter((part) => part !== '');
  if (measured.length >= 1) {
    parts.push(renderMermaidXyChart({
      title: `Latency p99 (ms) by connections; SLO ${formatMs(verdict.sloP99Ms)}`,
      xLabel: 'connections', x: measured.map((s) => s.connections),
      yLabel: 'p99 (ms)', lines: [measured.map((s) => s.latencyMs?.p99 ?? 0), measured.map(() => verdict.sloP99Ms)],
    }));
  }
  parts.push(details('Steps', table(
    ['step', 'connections', 'offered', 'achieved', 'p50', 'p99', 'server CPU', 'server RSS', 'stop reasons'],
    steps.map((s) => [String(s.index + 1), formatCount(s.connections), formatRate(s.offeredPerSec), formatRate(s.achievedPerSec), formatMs(s.latencyMs?.p50), formatMs(s.latencyMs?.p99),
      s.server.cpuPercent === null ? '—' : `${s.server.cpuPercent.toFixed(0)}%`, formatBytes(s.server.rssBytes), s.stopReasons.join('; ') || '—']),
    [true, true, true, true, true, true, true, true, false],
  )));
  parts.push(reproduce(result));
  return parts.join('\n\n');
}

function compareMarkdown(report: ComparisonReport): string {
  const { comparison } = report;
  const parts = [renderComparisonMarkdown(comparison, report.pinning).trim()];
  const pairs = new Map<number, { a?: number | null; b?: number | null }>();
  for (const t of comparison.trials) {
    const k = Math.floor(t.index / 2);
    pairs.set(k, { ...pairs.get(k), [t.arm]: t.p99Ms });
  }
  const complete = [...pairs.entries()].sort(([x], [y]) => x - y).filter(([, p]) => typeof p.a === 'number' && typeof p.b === 'number');
  if (complete.length >= 2) {
    parts.push(renderMermaidXyChart({
      title: 'Latency p99 (ms) per pair: bars B (head), line A (base)',
      xLabel: 'pair', x: complete.map(([k]) => k + 1),
      yLabel: 'p99 (ms)', bars: [complete.map(([, p]) => p.b as number)], lines: [complete.map(([, p]) => p.a as number)],
    }));
  }
  parts.push(details('Trials', table(
    ['trial', 'arm', 'status', 'achieved', 'p50', 'p99', 'error rate'],
    [...comparison.trials].sort((x, y) => x.index - y.index).map((t) => [String(t.index), t.arm.toUpperCase(), t.status, formatRate(t.achievedPerSec), formatMs(t.p50Ms), formatMs(t.p99Ms), formatPercent(t.errorRate)]),
    [true, false, false, true, true, true, true],
  )));
  parts.push(reproduce(report));
  return parts.join('\n\n');
}

/**
 * A run, ramp, limit search or comparison as Markdown for a PR comment or `$GITHUB_STEP_SUMMARY`: the verdict first,
 * then the table, a mermaid chart where one helps, details folded, and the command to reproduce. Pure.
 */
export function renderMarkdownReport(report: ReportInput): string {
  const body = report.kind === 'run' ? runMarkdown(report) : report.kind === 'ramp' ? rampMarkdown(report) : report.kind === 'limit' ? limitMarkdown(report) : compareMarkdown(report);
  return `${body}\n`;
}
