import type { RunResult } from '../run/run-result.js';
import { formatBytes, formatCount, formatMs, formatPercent, formatRate } from '../format-numbers.js';
import { formatServerCostLine } from '../metrics/server-cost-text.js';
import { settlingNote } from './settling-note.js';
import { describeMachineBusy, formatMachineLoad } from '../metrics/machine-load.js';

/** The human summary of one run: pure, `(result) => string`. */
export function formatRunSummary(result: RunResult): string {
  const { scenario, connections, messages, throughput, latencyMs, generator, server } = result;
  const achievedRatio = throughput.offeredPerSec === 0 ? 0 : throughput.achievedPerSec / throughput.offeredPerSec;
  const lines = [
    `wsbench ${result.tool.version} · ${result.target.spec} · ${scenario.name} · status: ${result.status}`,
    `  load        ${formatCount(scenario.connections)} connections × ${scenario.ratePerConnection} msg/s × ${formatBytes(scenario.messageBytes)} for ${formatMs(scenario.durationMs)} (warm-up ${formatMs(scenario.warmupMs)} excluded)`,
    `  connections ${formatCount(connections.established)} / ${formatCount(connections.attempted)} established in ${formatMs(connections.openMs)}` +
      (connections.failed > 0 ? `, ${formatCount(connections.failed)} failed (${formatCodes(connections.errorsByCode)})` : '') +
      (connections.dropped > 0 ? `, ${formatCount(connections.dropped)} dropped during the run` : ''),
    ...handshakeLines(result),
    ...trafficLines(result),
    `  messages    ${formatCount(messages.sent)} sent, ${formatCount(messages.received)} ${result.delivery === undefined ? 'answered' : 'delivered'}, ${formatCount(messages.timedOut)} timed out` +
      (messages.mismatched > 0 ? `, ${formatCount(messages.mismatched)} MISMATCHED (answered with other bytes)` : '') +
      (messages.unmatched > 0 ? `, ${formatCount(messages.unmatched)} unmatched (answering nothing sent)` : '') +
      (messages.late > 0 ? `, ${formatCount(messages.late)} late` : ''),
    `  throughput  ${formatRate(throughput.achievedPerSec)} achieved of ${formatRate(throughput.offeredPerSec)} offered (${formatPercent(achievedRatio)}), ${formatBytes(throughput.achievedBytesPerSec)}/s`,
    latencyMs === null
      ? '  latency     no echo measured'
      : `  latency     p50 ${formatMs(latencyMs.p50)}  p90 ${formatMs(latencyMs.p90)}  p99 ${formatMs(latencyMs.p99)}  p99.9 ${formatMs(latencyMs.p999)}  max ${formatMs(latencyMs.max)}  (RTT from intended send time)`,
    `  server      CPU ${server.cpuPercent === null ? '—' : `${server.cpuPercent.toFixed(0)}% of one core`}, peak RSS ${formatBytes(server.peakRssBytes)}` + serverExtras(result),
    `  generator   ${generator.workers} worker${generator.workers === 1 ? '' : 's'}, send lag p99 ${formatMs(generator.sendLagP99Ms)}, event loop ${formatPercent(generator.eventLoopUtilization)} busy` +
      (generator.cpuMicrosPerMessage === null ? '' : `, ${generator.cpuMicrosPerMessage.toFixed(1)} µs CPU per echo`) +
      settlingNote(generator) +
      (generator.saturated ? ' — SATURATED' : ''),
  ];
  const cost = formatServerCostLine(server);
  // After the server line: what a message and a connection cost it, over the measured window.
  if (cost !== '') lines.splice(lines.length - 1, 0, `  cost        ${cost}`);
  for (const reason of generator.saturationReasons) lines.push(`    ! ${reason}`);
  const budget = result.errorBudget;
  if (budget !== undefined) {
    lines.push(`  errors      ${formatPercent(budget.observed)} failed of ${formatPercent(budget.limit)} allowed — ${budget.held ? 'within the error budget' : 'ERROR BUDGET EXCEEDED'}`);
    for (const breach of budget.breaches) lines.push(`    ! ${breach}`);
  }
  if (result.machine?.noisy === true) {
    lines.push(`  machine     ${describeMachineBusy(result.machine)} during the load (${formatMachineLoad(result.machine)}): expect noise`);
  }
  if (result.error !== undefined) {
    lines.push(`  error       ${result.error.code}: ${result.error.message.split('\n')[0]}`);
  }
  return lines.join('\n');
}

function trafficLines(result: RunResult): string[] {
  const lines: string[] = [];
  const ping = result.pingRttMs;
  if (ping !== undefined) lines.push(`  pings       ${formatCount(ping.pings)} sent, pong RTT p50 ${formatMs(ping.p50 ?? undefined)}  p99 ${formatMs(ping.p99 ?? undefined)}, ${formatCount(ping.missed)} missed`);
  const delivery = result.delivery;
  if (delivery !== undefined) {
    lines.push(
      `  delivery    ${formatCount(delivery.delivered)} of ${formatCount(delivery.expected)} expected (${formatPercent(delivery.deliveredRatio ?? 0)}) to ${formatCount(delivery.subscribers)} subscribers from ${delivery.publishers} publisher${delivery.publishers === 1 ? '' : 's'}` +
        (delivery.latencyMs === null ? '' : `; fan-out p50 ${formatMs(delivery.latencyMs.p50)}  p99 ${formatMs(delivery.latencyMs.p99)}  max ${formatMs(delivery.latencyMs.max)}`),
    );
    const slowest = delivery.slowestSubscriber;
    if (slowest !== null) lines.push(`              slowest subscriber: connection ${slowest.conn}, ${formatCount(slowest.delivered)} deliveries, mean ${formatMs(slowest.meanMs)}, max ${formatMs(slowest.maxMs)} (one host clock)`);
  }
  const churn = result.churn;
  if (churn !== undefined) {
    lines.push(
      `  churn       ${formatCount(churn.reconnects)} reconnects, ${formatCount(churn.failed)} failed` +
        (churn.openMs === null ? '' : `; open p50 ${formatMs(churn.openMs.p50)}  p99 ${formatMs(churn.openMs.p99)}  max ${formatMs(churn.openMs.max)}`) +
        (churn.failed > 0 ? ` (${formatCodes(churn.failuresByCode)})` : ''),
    );
    if (churn.storm !== undefined) lines.push(`  storm       at ${formatMs(churn.storm.atMs)}: ${formatCount(churn.storm.reopened)} of ${formatCount(churn.storm.connections)} reconnected, ${churn.storm.recoveredMs === null ? 'not all recovered' : `recovered in ${formatMs(churn.storm.recoveredMs)}`}`);
  }
  return lines;
}

function handshakeLines(result: RunResult): string[] {
  const { handshakeMs, abnormalClosures } = result.connections;
  const lines: string[] = [];
  if (handshakeMs != null) lines.push(`  handshake   p50 ${formatMs(handshakeMs.p50)}  p99 ${formatMs(handshakeMs.p99)}  max ${formatMs(handshakeMs.max)} (dial to open, ${formatCount(handshakeMs.count)} handshakes)`);
  if (abnormalClosures !== undefined && abnormalClosures.total > 0) lines.push(`  closures    ${formatCount(abnormalClosures.total)} abnormal (not asked by wsbench): ${formatCodes(abnormalClosures.byCode)}`);
  const tcp = result.tcp;
  if (tcp != null && tcp.listenOverflows + tcp.listenDrops + tcp.retransSegs + tcp.resets > 0) {
    lines.push(`  tcp         ${formatCount(tcp.listenOverflows)} listen overflows, ${formatCount(tcp.listenDrops)} listen drops, ${formatCount(tcp.retransSegs)} retransmits, ${formatCount(tcp.resets)} resets (${tcp.scope === 'target-namespace' ? "the target's own network namespace" : 'machine-wide'}, during the run)`);
  }
  return lines;
}

function serverExtras(result: RunResult): string {
  const last = result.server.samples.at(-1);
  if (last === undefined) return '';
  const parts = [`${last.processes} process${last.processes === 1 ? '' : 'es'}`, `${formatCount(last.openFds)} fds`];
  // The scrape is skipped inside the measured window: take the runtime figures from the last sample with them.
  const scraped = result.server.samples.findLast((sample) => sample.goroutines !== undefined || sample.gcCount !== undefined);
  if (scraped?.goroutines !== undefined) parts.push(`${formatCount(scraped.goroutines)} goroutines`);
  if (scraped?.gcCount !== undefined) parts.push(`${formatCount(scraped.gcCount)} GCs`);
  return `, ${parts.join(', ')}`;
}

function formatCodes(errorsByCode: Record<string, number>): string {
  return Object.entries(errorsByCode)
    .map(([code, count]) => `${code} ×${count}`)
    .join(', ');
}
