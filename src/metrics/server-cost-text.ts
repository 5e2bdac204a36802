import { formatBytes, formatRate } from '../format-numbers.js';
import type { ServerCost } from './server-cost.js';

/**
 * The server's cost figures as text, the same in every reporter (run reports and the comparison's table). A result written before these figures
 * existed lacks them: a missing figure reads like a null one.
 */

const NONE = '—';

export function formatMicros(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return NONE;
  return `${micros.toFixed(micros >= 100 ? 0 : micros >= 10 ? 1 : 2)} µs`;
}

export function formatCapacityPerCore(perSec: number | null | undefined): string {
  return perSec === null || perSec === undefined ? NONE : `${formatRate(perSec)} per core`;
}

function formatFraction(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : value.toFixed(value >= 100 ? 0 : 2);
}

/** Label and value, one row per figure, for the Markdown and HTML tables. */
export function serverCostRows(server: Partial<ServerCost>): Array<[string, string]> {
  return [
    ['server CPU per message', formatMicros(server.cpuMicrosPerMessage)],
    ['capacity per server core', formatCapacityPerCore(server.capacityPerCoreMessagesPerSec)],
    ['server memory per connection', formatBytes(server.memoryBytesPerConnection)],
    ['server allocations per message', server.allocBytesPerMessage === null || server.allocBytesPerMessage === undefined ? NONE : `${formatBytes(server.allocBytesPerMessage)} in ${formatFraction(server.allocsPerMessage)} allocs`],
    ['server GCs per 10k messages', formatFraction(server.gcPer10kMessages)],
  ];
}

/** One line for the console: only the figures that were measured. Empty when none was. */
export function formatServerCostLine(server: Partial<ServerCost>): string {
  const parts: string[] = [];
  if (server.cpuMicrosPerMessage != null) parts.push(`${formatMicros(server.cpuMicrosPerMessage)} CPU per message (${formatCapacityPerCore(server.capacityPerCoreMessagesPerSec)})`);
  if (server.memoryBytesPerConnection != null) parts.push(`${formatBytes(server.memoryBytesPerConnection)} per connection`);
  if (server.allocBytesPerMessage != null) parts.push(`${formatBytes(server.allocBytesPerMessage)} in ${formatFraction(server.allocsPerMessage)} allocs per message`);
  if (server.gcPer10kMessages != null) parts.push(`${formatFraction(server.gcPer10kMessages)} GCs per 10k messages`);
  return parts.join(', ');
}
