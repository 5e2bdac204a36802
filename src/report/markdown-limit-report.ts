import type { LimitResult } from '../capacity/limit-result.js';
import { formatBytes, formatCount, formatMessageRate, formatMs, formatRate } from '../format-numbers.js';
import { cell, details, reproduce, table } from './markdown-blocks.js';
import { renderMermaidXyChart } from './mermaid-xychart.js';

/** A limit search as Markdown: the answer first, then the search, a chart of the probes, the probes folded. Pure. */
export function limitMarkdown(result: LimitResult): string {
  const { search } = result;
  const byRate = [...result.probes].sort((a, b) => a.offeredPerSec - b.offeredPerSec);
  const measured = byRate.filter((probe) => probe.latencyMs !== null);
  const parts = [
    `**LIMIT**: ${cell(result.summary)}`,
    `\`${cell(result.target.spec)}\` · ${formatCount(search.connections)} connections, ${formatBytes(search.messageBytes)} messages`,
    table(['', ''], [
      ['max rate', result.maxMessagesPerSec === null ? 'no probe passed' : `${formatMessageRate(result.maxMessagesPerSec)} (${result.maxRatePerConnection} per connection)`],
      ['max payload', result.maxBytesPerSec === null ? '—' : `${formatBytes(Math.round(result.maxBytesPerSec))}/s each way`],
      ['first failing rate', result.firstFailingRatePerConnection === null ? 'none within the budget' : `${result.firstFailingRatePerConnection} per connection`],
      ['limited by', result.limitedBy ?? '—'],
      ['a probe passes', `p99 ≤ ${formatMs(search.sloP99Ms)}, achieved ≥ ${(search.minAchievedRatio * 100).toFixed(0)}% of offered, generator not saturated`],
      ['status', result.status],
    ]),
  ];
  if (measured.length >= 2) {
    parts.push(renderMermaidXyChart({
      title: `Latency p99 (ms) by offered msg/s; SLO ${formatMs(search.sloP99Ms)}`,
      xLabel: 'offered (msg/s)', x: measured.map((probe) => Math.round(probe.offeredPerSec)),
      yLabel: 'p99 (ms)', lines: [measured.map((probe) => probe.latencyMs?.p99 ?? 0), measured.map(() => search.sloP99Ms)],
    }));
  }
  parts.push(details('Probes', table(
    ['probe', 'per connection', 'offered', 'achieved', 'p50', 'p99', 'server CPU', 'verdict'],
    result.probes.map((probe) => [String(probe.index + 1), String(probe.ratePerConnection), formatRate(probe.offeredPerSec), formatRate(probe.achievedPerSec), formatMs(probe.latencyMs?.p50), formatMs(probe.latencyMs?.p99),
      probe.serverCpuPercent === null ? '—' : `${probe.serverCpuPercent.toFixed(0)}%`, probe.passed ? 'pass' : `fail: ${probe.reasons.join('; ')}`]),
    [true, true, true, true, true, true, true, false],
  )));
  parts.push(reproduce(result));
  return parts.join('\n\n');
}
