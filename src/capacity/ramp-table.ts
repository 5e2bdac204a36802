import { formatBytes, formatCount, formatMessageRate, formatMs, formatRate } from '../format-numbers.js';
import type { RampResult, RampStep } from './ramp-result.js';
import type { LimitResult } from './limit-result.js';

/** Console rendering of a ramp: one row per step, then the verdict. Pure: result in, text out. */

const COLUMNS = ['step', 'conns', 'offered', 'achieved', 'p50', 'p99', 'max', 'errors', 'srv CPU', 'srv RSS', 'fds', 'gorout.', 'GC max', 'gen lag', 'settle', 'gen ELU', 'drv heap/conn', 'stop'] as const;

export function formatRampTable(result: RampResult): string {
  const rows = result.steps.map((step) => stepRow(step, result.steps.length));
  const widths = COLUMNS.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padStart(widths[column]!))).join('  ').trimEnd();
  return [line(COLUMNS), ...rows.map(line)].join('\n');
}

function stepRow(step: RampStep, total: number): string[] {
  const errors = Object.values(step.connectErrorsByCode).reduce((sum, count) => sum + count, 0) + step.timedOut + (step.dropped ?? 0);
  return [
    `${step.index + 1}/${total}`,
    formatCount(step.established),
    formatRate(step.offeredPerSec),
    formatRate(step.achievedPerSec),
    formatMs(step.latencyMs?.p50),
    formatMs(step.latencyMs?.p99),
    formatMs(step.latencyMs?.max),
    formatCount(errors),
    step.server.cpuPercent === null ? '—' : `${step.server.cpuPercent.toFixed(0)}%`,
    formatBytes(step.server.rssBytes),
    step.server.openFds === null ? '—' : formatCount(step.server.openFds),
    step.server.goroutines === null ? '—' : formatCount(step.server.goroutines),
    formatMs(step.server.gcPauseMaxMs),
    formatMs(step.generator.sendLagP99Ms),
    step.generator.settleMs === undefined ? '—' : `${formatMs(step.generator.settleMs)}${step.generator.settled === false ? '!' : ''}`,
    `${(step.generator.eventLoopUtilization * 100).toFixed(0)}%`,
    step.generator.heapUsedBytesPerConnection === null || step.generator.heapUsedBytesPerConnection === undefined ? '—' : formatBytes(Math.round(step.generator.heapUsedBytesPerConnection)),
    step.stopCriteria?.join(', ') ?? (step.stopReasons.length > 0 ? 'yes' : ''),
  ];
}

/** The verdict, the first limit's detail, the evidence, and the dead server's last lines. */
export function formatRampVerdict(result: RampResult): string {
  const { verdict } = result;
  const lines = [`verdict: ${verdict.summary}`, `  bottleneck  ${verdict.bottleneck}${verdict.limitedBy === undefined || verdict.limitedBy === null ? '' : ` (limited by the ${verdict.limitedBy})`}`];
  if (verdict.firstLimit !== null) {
    const step = result.steps.find((candidate) => candidate.index === verdict.firstLimit!.step);
    lines.push(`  first limit ${verdict.firstLimit.criterion} at step ${verdict.firstLimit.step + 1}${step === undefined ? '' : ` (${formatCount(step.connections)} connections)`}`);
    for (const reason of step?.stopReasons ?? []) lines.push(`              ${reason}`);
  }
  lines.push(`  memory/conn ${verdict.memoryPerConnectionBytes === null ? '— (needs two steps with RSS)' : `${formatBytes(Math.round(verdict.memoryPerConnectionBytes))} server RSS per connection (least-squares slope)`}`);
  lines.push(`  CPU/message ${verdict.cpuMicrosPerMessage === null ? '—' : `${verdict.cpuMicrosPerMessage.toFixed(1)} µs server CPU per message`}`);
  for (const item of verdict.evidence) lines.push(`  evidence    ${item}`);
  if (result.serverDeath !== undefined) {
    lines.push(`  server died at step ${result.serverDeath.step + 1} (${formatCount(result.serverDeath.connections)} connections): ${result.serverDeath.description}`);
    if (result.serverDeath.logTail.length > 0) lines.push('  last lines of server output:', ...result.serverDeath.logTail.map((line) => `  | ${line}`));
  }
  return lines.join('\n');
}

/** A limit search: each probe, then the answer. */
export function formatLimitTable(result: LimitResult): string {
  const lines = result.probes.map((probe) =>
    `  probe ${probe.index + 1}/${result.search.maxProbes}: ${probe.ratePerConnection}/s per conn · offered ${formatRate(probe.offeredPerSec)} · achieved ${formatRate(probe.achievedPerSec)} · p99 ${formatMs(probe.latencyMs?.p99)} · server CPU ${probe.serverCpuPercent === null ? '—' : `${probe.serverCpuPercent.toFixed(0)}%`} · ${probe.passed ? 'pass' : `FAIL (${probe.reasons.join('; ')})`}`,
  );
  lines.push(`limit: ${result.summary}`);
  if (result.maxMessagesPerSec !== null && result.maxBytesPerSec !== null) {
    lines.push(`  max rate    ${formatMessageRate(result.maxMessagesPerSec)} = ${formatBytes(Math.round(result.maxBytesPerSec))}/s of payload each way (${result.search.messageBytes} B messages)`);
  }
  return lines.join('\n');
}
