/** Number formats shared by the text reporters, so a figure reads the same everywhere. */

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatRate(perSec: number): string {
  // Pick the unit on the value as it will print, so 9,999.6/s reads 10.0k/s (not 10000/s) and
  // 999,999.6/s reads 1.00M/s (not 1000.0k/s).
  if (Number((perSec / 1000).toFixed(1)) >= 1000) return `${(perSec / 1_000_000).toFixed(2)}M/s`;
  if (Math.round(perSec) >= 10_000) return `${(perSec / 1000).toFixed(1)}k/s`;
  return `${perSec.toFixed(Number(perSec.toFixed(1)) >= 100 ? 0 : 1)}/s`;
}

/** A message rate with its unit: `24.0k msg/s`. */
export function formatMessageRate(perSec: number): string {
  return formatRate(perSec).replace(/\/s$/, ' msg/s');
}

export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}
