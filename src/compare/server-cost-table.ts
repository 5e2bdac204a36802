import { formatBytes } from '../format-numbers.js';
import { formatCapacityPerCore, formatMicros } from '../metrics/server-cost-text.js';
import type { Comparison } from './comparison.js';
import { formatSignedPercent } from './format-change.js';

type Trial = Comparison['trials'][number];

/** CPU, memory, allocations and GC per unit of work have their gates and verdicts in the table above. */
export const GATED_NOTE = 'the per-message and per-connection figures are gated above';

interface CostRow {
  label: string;
  pick: (trial: Trial) => number | null | undefined;
  format: (value: number | null) => string;
}

const fixed = (digits: number) => (value: number | null): string => (value === null ? '—' : value.toFixed(digits));

const ROWS: readonly CostRow[] = [
  { label: 'CPU per message', pick: (t) => t.serverCpuMicrosPerMessage, format: formatMicros },
  { label: 'memory per connection', pick: (t) => t.serverMemoryBytesPerConnection, format: formatBytes },
  { label: 'allocated bytes per message', pick: (t) => t.serverAllocBytesPerMessage, format: formatBytes },
  { label: 'allocations per message', pick: (t) => t.serverAllocsPerMessage, format: fixed(2) },
  { label: 'GCs per 10k messages', pick: (t) => t.serverGcPer10kMessages, format: fixed(2) },
  { label: 'CPU (% of one core)', pick: (t) => t.serverCpuPercent, format: (v) => (v === null ? '—' : `${v.toFixed(0)}%`) },
  { label: 'peak RSS', pick: (t) => t.serverPeakRssBytes, format: (v) => (v === null ? '—' : `${(v / 1024 / 1024).toFixed(1)} MiB`) },
];

/**
 * What each arm cost the server, as medians over its usable trials (Markdown rows), with capacity per
 * server core (10⁶ ÷ the median CPU per message) after CPU per message: below saturation these move
 * where throughput cannot. Empty when no trial measured any of them.
 */
export function serverCostLines(comparison: Comparison): string[] {
  const excluded = new Set(comparison.excluded.map((trial) => `${trial.arm}${trial.index}`));
  const usable = comparison.trials.filter((trial) => !excluded.has(`${trial.arm}${trial.index}`));
  const medianOf = (arm: 'a' | 'b', pick: CostRow['pick']): number | null => {
    const values = usable.flatMap((trial) => {
      const value = trial.arm === arm ? pick(trial) : undefined;
      return value === null || value === undefined ? [] : [value];
    });
    if (values.length === 0) return null;
    const sorted = values.sort((x, y) => x - y);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  };
  const change = (a: number | null, b: number | null): string => (a === null || b === null || a === 0 ? '—' : formatSignedPercent((b / a - 1) * 100));
  const medians = ROWS.map((row) => ({ row, a: medianOf('a', row.pick), b: medianOf('b', row.pick) }));
  if (medians.every(({ a, b }) => a === null && b === null)) return [];
  const lines = medians.map(({ row, a, b }) => `| ${row.label} | ${row.format(a)} | ${row.format(b)} | ${change(a, b)} |`);
  const [cpu] = medians;
  const capacity = (micros: number | null): number | null => (micros === null || micros <= 0 ? null : 1e6 / micros);
  if (cpu !== undefined && (cpu.a !== null || cpu.b !== null)) {
    lines.splice(1, 0, `| capacity per server core | ${formatCapacityPerCore(capacity(cpu.a))} | ${formatCapacityPerCore(capacity(cpu.b))} | ${change(capacity(cpu.a), capacity(cpu.b))} |`);
  }
  return ['', `| server cost per arm (medians; ${GATED_NOTE}) | base (A) median | head (B) median | change |`, '| --- | ---: | ---: | ---: |', ...lines];
}
