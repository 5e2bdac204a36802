import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { Comparison } from '../../src/compare/comparison.js';
import { parseGateFlags } from '../../src/compare/gate-flag.js';
import { METRIC_SPECS } from '../../src/compare/metric-catalog.js';
import { interleavedSchedule } from '../../src/compare/schedule.js';
import { seededRandom } from '../../src/compare/seeded-random.js';
import type { TrialSummary } from '../../src/compare/trial-summary.js';
import { compareTrials, DEFAULT_TOLERANCE_PERCENT, type CompareOptions } from '../../src/compare/verdict.js';
import { normal } from '../support/normal-deviate.js';

interface CostSimulation {
  pairs: number;
  /** Log-normal sd of each trial's server-cost noise. */
  noise: number;
  /** Head's relative change per metric, e.g. { cpu: 0.1 }. */
  cpu?: number;
  allocBytes?: number;
  /** GC cycles per trial window of each arm (a window of 50,000 echoes). @default 0 in both */
  gcCycles?: { a: number; b: number };
  /** Leave the Go-only figures out of this arm (a target without Go metrics). */
  withoutGoMetricsIn?: 'a' | 'b';
}

/** Trials whose latency and throughput do not change, with server cost per message around 20 µs, 1.6 KiB, 9 allocs. */
function costTrials(random: () => number, sim: CostSimulation): TrialSummary[] {
  return interleavedSchedule(sim.pairs).map((arm, index) => {
    const head = arm === 'b';
    const noisy = (): number => Math.exp(sim.noise * normal(random));
    const go = sim.withoutGoMetricsIn !== arm;
    return {
      arm,
      index,
      status: 'completed',
      achievedPerSec: 5000 * Math.exp(0.001 * normal(random)),
      p50Ms: 0.4 * Math.exp(0.01 * normal(random)),
      p99Ms: 1.2 * Math.exp(0.01 * normal(random)),
      errors: 0,
      attempted: 50_000,
      errorRate: 0,
      saturated: false,
      saturationReasons: [],
      serverCpuMicrosPerMessage: 20 * (head ? 1 + (sim.cpu ?? 0) : 1) * noisy(),
      serverMemoryBytesPerConnection: 12_000 * noisy(),
      serverAllocBytesPerMessage: go ? 1600 * (head ? 1 + (sim.allocBytes ?? 0) : 1) * noisy() : null,
      serverAllocsPerMessage: go ? 9 * noisy() : null,
      serverGcPer10kMessages: go ? ((sim.gcCycles?.[arm] ?? 0) / 50_000) * 10_000 : null,
      serverGcCycles: go ? (sim.gcCycles?.[arm] ?? 0) : null,
      serverMessages: 50_000,
    };
  });
}

const compare = (trials: readonly TrialSummary[], options?: CompareOptions): Comparison =>
  compareTrials({ scenario: 'mid', arms: { a: { spec: 'gobwas' }, b: { spec: 'gobwas:inject-delay-us=5' } }, trials }, options);
const row = (comparison: Comparison, name: string) => comparison.metrics.find((m) => m.metric === name)!;

describe('server-cost verdicts', () => {
  it('judges every server-cost metric, with the units and defaults of the catalogue', () => {
    const comparison = compare(costTrials(seededRandom(11), { pairs: 5, noise: 0.01 }));
    expect(comparison.metrics.map((m) => m.metric)).toEqual(METRIC_SPECS.map((spec) => spec.metric));
    expect(row(comparison, 'cpuPerMessage')).toMatchObject({ unit: 'µs/msg', gatePercent: 5, method: 'paired-t-log-ratio', pairs: 5 });
    expect(row(comparison, 'memoryPerConnection')).toMatchObject({ unit: 'B/conn', gatePercent: 10 });
    expect(comparison.verdict).toBe('PASS');
  });

  it('fails +10% server CPU per message over 5 pairs at 1% noise, while latency and throughput pass', () => {
    const comparison = compare(costTrials(seededRandom(12), { pairs: 5, noise: 0.01, cpu: 0.1 }));
    expect(row(comparison, 'cpuPerMessage').verdict).toBe('FAIL');
    expect(row(comparison, 'cpuPerMessage').reason).toMatch(/beyond the \+5% gate/);
    expect(row(comparison, 'throughput').verdict).toBe('PASS');
    expect(comparison.verdict).toBe('FAIL');
    expect(comparison.reason).toMatch(/^cpuPerMessage: /);
  });

  it('fails +64% bytes allocated per message (1 KiB more on 1.6 KiB)', () => {
    const comparison = compare(costTrials(seededRandom(13), { pairs: 5, noise: 0.02, allocBytes: 0.64 }));
    expect(row(comparison, 'allocBytesPerMessage').verdict).toBe('FAIL');
    expect(comparison.verdict).toBe('FAIL');
  });

  it('never fails 300 A/A comparisons at 2% noise', () => {
    const random = seededRandom(14);
    let failed = 0;
    for (let i = 0; i < 300; i++) if (compare(costTrials(random, { pairs: 5, noise: 0.02 })).verdict === 'FAIL') failed++;
    expect(failed).toBe(0);
  });

  it('says NOT MEASURED, never PASS, for a figure one arm lacks, and leaves it out of the overall verdict', () => {
    const comparison = compare(costTrials(seededRandom(15), { pairs: 5, noise: 0.01, withoutGoMetricsIn: 'b' }));
    for (const name of ['allocBytesPerMessage', 'allocsPerMessage', 'gcPer10kMessages']) {
      expect(row(comparison, name)).toMatchObject({ verdict: 'NOT MEASURED', method: 'none', changePercent: null, pairs: 0 });
      expect(row(comparison, name).reason).toMatch(/not measured in arm B.*not a PASS/);
    }
    expect(row(comparison, 'cpuPerMessage').verdict).toBe('PASS');
    expect(comparison.verdict).toBe('PASS');
    expect(comparison.reason).toMatch(/not measured: allocBytesPerMessage, allocsPerMessage, gcPer10kMessages/);
  });

  it('reads summaries recorded before the server-cost fields existed as not measured', () => {
    const old = costTrials(seededRandom(16), { pairs: 3, noise: 0.01 }).map(({ serverCpuMicrosPerMessage: _c, serverMemoryBytesPerConnection: _m, serverAllocBytesPerMessage: _b, serverAllocsPerMessage: _a, serverGcPer10kMessages: _g, ...rest }) => rest);
    const comparison = compare(old);
    expect(comparison.metrics.filter((m) => m.verdict === 'NOT MEASURED').map((m) => m.metric)).toEqual(['cpuPerMessage', 'allocBytesPerMessage', 'allocsPerMessage', 'memoryPerConnection', 'gcPer10kMessages']);
  });

  it('takes a tolerance per metric: a 3% gate fails +4% CPU that the default 5% gate tolerates', () => {
    const trials = costTrials(seededRandom(17), { pairs: 5, noise: 0.003, cpu: 0.04 });
    expect(row(compare(trials), 'cpuPerMessage').verdict).toBe('PASS');
    expect(row(compare(trials, { tolerancePercent: { cpuPerMessage: 3 } }), 'cpuPerMessage').verdict).toBe('FAIL');
  });
});

describe('parseGateFlags', () => {
  it('reads repeated and comma-separated METRIC=PERCENT, with or without %', () => {
    expect(parseGateFlags(['cpuPerMessage=3', 'p99=25%,throughput=4'])).toEqual({ cpuPerMessage: 3, p99: 25, throughput: 4 });
    expect(parseGateFlags(['memoryPerConnectionPercent=12'])).toEqual({ memoryPerConnection: 12 });
    expect(parseGateFlags(undefined)).toEqual({});
  });

  it('reports every bad entry at once, naming the metric list', () => {
    let error: unknown;
    try {
      parseGateFlags(['cpu=3,p99=-1', 'allocs']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('INVALID_GATE');
    const lines = (error as UsageError).message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/Unknown metric "cpu".*known: throughput, p50, p99, errors, cpuPerMessage/);
    expect(lines[1]).toMatch(/Expected --gate METRIC=PERCENT .*got "p99=-1"/);
    expect(lines[2]).toMatch(/got "allocs"/);
  });

  it('has a default for every metric it accepts', () => {
    for (const spec of METRIC_SPECS) expect(DEFAULT_TOLERANCE_PERCENT[spec.metric]).toBe(spec.defaultTolerancePercent);
  });
});
