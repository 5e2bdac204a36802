import type { MetricName } from '../scenario/metric-name.js';
import type { TrialSummary } from './trial-summary.js';

/**
 * Every metric the gate judges, declared once: its label, unit, bad direction, default gate, where a trial
 * summary keeps it, and its key in a config's `gates:` and on the command line (`--gate KEY=PERCENT`).
 *
 * Default gates, from the A/A noise measured on the 2-core machine (see README "Gate benchmark" for the
 * trials): a gate sits at about 3× the pair-to-pair SD of the log-ratio, so an A/A point estimate
 * essentially never lands beyond it, while the regression a Go engineer calls one (+10% CPU per message,
 * +1 KiB per message of garbage) lands well beyond it.
 */
export type GateDirection = 'lower-is-worse' | 'higher-is-worse';

export interface MetricSpec {
  metric: MetricName;
  /** Lower case, for tables and reasons: "server CPU per message". */
  label: string;
  unit: 'msg/s' | 'ms' | '%' | 'µs/msg' | 'B/msg' | 'allocs/msg' | 'B/conn' | 'GC/10k msg';
  direction: GateDirection;
  /** Percent for ratio metrics, percentage points for errors. */
  defaultTolerancePercent: number;
  /** The key in a scenario's `gates:`. */
  configKey: string;
  /** Server-cost metrics are measured only for targets wsbench starts (and some only for Go targets). */
  serverCost: boolean;
  /** `count`: rare events per message (GC cycles), judged on total counts (judge-count-metric.ts). @default 'ratio' */
  kind?: 'ratio' | 'count';
  /**
   * A/B in one job: judged at equal hypervisor steal when the pairs' steal differs enough (judge-metric.ts).
   * Server CPU per message rises ~0.7% per point of a core the hypervisor takes (docs/gate-noise.md §7).
   */
  stealAdjusted?: boolean;
  pick: (trial: TrialSummary) => number | null;
}

const orNull = (value: number | null | undefined): number | null => (value === undefined ? null : value);

export const METRIC_SPECS: readonly MetricSpec[] = [
  { metric: 'throughput', label: 'throughput', unit: 'msg/s', direction: 'lower-is-worse', defaultTolerancePercent: 5, configKey: 'throughputPercent', serverCost: false, pick: (t) => t.achievedPerSec },
  { metric: 'p50', label: 'latency p50', unit: 'ms', direction: 'higher-is-worse', defaultTolerancePercent: 15, configKey: 'p50Percent', serverCost: false, pick: (t) => t.p50Ms },
  { metric: 'p99', label: 'latency p99', unit: 'ms', direction: 'higher-is-worse', defaultTolerancePercent: 15, configKey: 'p99Percent', serverCost: false, pick: (t) => t.p99Ms },
  { metric: 'errors', label: 'error rate', unit: '%', direction: 'higher-is-worse', defaultTolerancePercent: 0, configKey: 'errorsPercent', serverCost: false, pick: (t) => 100 * t.errorRate },
  {
    metric: 'cpuPerMessage',
    label: 'server CPU per message',
    unit: 'µs/msg',
    direction: 'higher-is-worse',
    defaultTolerancePercent: 5,
    configKey: 'cpuPerMessagePercent',
    serverCost: true,
    stealAdjusted: true,
    pick: (t) => orNull(t.serverCpuMicrosPerMessage),
  },
  {
    metric: 'allocBytesPerMessage',
    label: 'server bytes allocated per message',
    unit: 'B/msg',
    direction: 'higher-is-worse',
    // Not 5%: a scrape's own garbage lands on either side of its memstats read (client_golang runs its
    // collectors concurrently; the process collector lists /proc/self/fd, ~40 KB and ~600 allocations at
    // 1000 connections), so a 4 s window at 5K msg/s moves by ±2 B/msg (±10%) between trials of one build.
    // Measured A/A pair SD of ln(B/A) 0.05–0.16 (docs/gate-noise.md §5); +1 KiB/msg is +5000%.
    defaultTolerancePercent: 15,
    configKey: 'allocBytesPerMessagePercent',
    serverCost: true,
    pick: (t) => orNull(t.serverAllocBytesPerMessage),
  },
  {
    metric: 'allocsPerMessage',
    label: 'server allocations per message',
    unit: 'allocs/msg',
    direction: 'higher-is-worse',
    // The same scrape garbage moves allocations by ±3% (1.011 or 1.04 per message, A/A pair SD 0.02–0.04);
    // one more allocation per message is +99%.
    defaultTolerancePercent: 10,
    configKey: 'allocsPerMessagePercent',
    serverCost: true,
    pick: (t) => orNull(t.serverAllocsPerMessage),
  },
  {
    metric: 'memoryPerConnection',
    label: 'server memory per connection',
    unit: 'B/conn',
    direction: 'higher-is-worse',
    defaultTolerancePercent: 10,
    configKey: 'memoryPerConnectionPercent',
    serverCost: true,
    pick: (t) => orNull(t.serverMemoryBytesPerConnection),
  },
  {
    metric: 'gcPer10kMessages',
    label: 'server GC cycles per 10k messages',
    unit: 'GC/10k msg',
    direction: 'higher-is-worse',
    defaultTolerancePercent: 25,
    configKey: 'gcPer10kMessagesPercent',
    serverCost: true,
    kind: 'count',
    pick: (t) => orNull(t.serverGcPer10kMessages),
  },
];

export const METRIC_NAMES: readonly MetricName[] = METRIC_SPECS.map((spec) => spec.metric);

export function metricSpec(metric: MetricName): MetricSpec {
  const spec = METRIC_SPECS.find((candidate) => candidate.metric === metric);
  if (spec === undefined) throw new RangeError(`Unknown metric ${JSON.stringify(metric)}`);
  return spec;
}

export function isMetricName(value: string): value is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(value);
}
