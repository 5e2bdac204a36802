import { describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/compare/comparison.js';
import { MIN_STEAL_DIFFERENCE_SD } from '../../src/compare/judge-metric.js';
import { interleavedSchedule } from '../../src/compare/schedule.js';
import { seededRandom } from '../../src/compare/seeded-random.js';
import { covariateAdjustedLogRatioTest } from '../../src/compare/statistics.js';
import type { TrialSummary } from '../../src/compare/trial-summary.js';
import { compareTrials } from '../../src/compare/verdict.js';
import { normal } from '../support/normal-deviate.js';

/** Measured on the AMD EPYC class (docs/gate-noise.md §7): ln CPU/msg rises 0.0068 per point of a core of steal. */
const STEAL_SLOPE = 0.0068;

interface StealSimulation {
  pairs: number;
  /** B's true change in CPU per message, e.g. 0.1. */
  cpu?: number;
  /** Each trial's steal, in points of a core, drawn uniformly from this range. */
  steal: [number, number];
  /** The log-normal noise left once steal is accounted for. */
  noise: number;
  /** Leave the machine load out of this trial index. */
  withoutMachineAt?: number;
}

function stealTrials(random: () => number, sim: StealSimulation): TrialSummary[] {
  return interleavedSchedule(sim.pairs).map((arm, index) => {
    const steal = sim.steal[0] + (sim.steal[1] - sim.steal[0]) * random();
    return {
      arm,
      index,
      status: 'completed',
      achievedPerSec: 5000,
      p50Ms: 0.4,
      p99Ms: 1.2,
      errors: 0,
      attempted: 30_000,
      errorRate: 0,
      saturated: false,
      saturationReasons: [],
      serverCpuMicrosPerMessage: 55 * (arm === 'b' ? 1 + (sim.cpu ?? 0) : 1) * Math.exp(STEAL_SLOPE * steal + sim.noise * normal(random)),
      serverMemoryBytesPerConnection: 12_000,
      serverAllocBytesPerMessage: 1600,
      serverAllocsPerMessage: 9,
      serverGcPer10kMessages: 0,
      serverGcCycles: 0,
      serverMessages: 30_000,
      machine: index === sim.withoutMachineAt ? null : { otherCpuPercent: 0, stealPercent: steal },
    };
  });
}

const cpuRow = (trials: readonly TrialSummary[], stage: 1 | 2 = 2): Comparison['metrics'][number] =>
  compareTrials({ scenario: 'mid', arms: { a: { spec: 'gobwas' }, b: { spec: 'gobwas' } }, trials }, { stage }).metrics.find((m) => m.metric === 'cpuPerMessage')!;

describe('the covariate-adjusted paired log-ratio', () => {
  it('recovers the intercept and slope of a known line, with the regression standard error', () => {
    // d = 0.05 + 0.01·x + e, with residuals e summing to zero and orthogonal to x.
    const x = [-2, -1, 0, 1, 2];
    const e = [0.01, -0.02, 0.02, -0.02, 0.01];
    const d = x.map((v, i) => 0.05 + 0.01 * v + e[i]!);
    const estimate = covariateAdjustedLogRatioTest(d, x);

    expect(estimate.meanLogRatio).toBeCloseTo(0.05, 12);
    expect(estimate.slope).toBeCloseTo(0.01, 12);
    // s² = Σe²/(n−2) = 0.0014/3; x̄ = 0, so SE = s/√n.
    expect(estimate.standardErrorLogRatio).toBeCloseTo(Math.sqrt(0.0014 / 3 / 5), 12);
    expect(estimate.degreesOfFreedom).toBe(3);
  });

  it('widens the interval when the pairs sit far from equal steal (the intercept is extrapolated)', () => {
    const x = [10, 11, 12, 13, 14];
    const d = x.map((v, i) => 0.01 * v + [0.01, -0.02, 0.02, -0.02, 0.01][i]!);
    const centred = covariateAdjustedLogRatioTest(d, x.map((v) => v - 12));
    const far = covariateAdjustedLogRatioTest(d, x);

    expect(far.standardErrorLogRatio).toBeGreaterThan(5 * centred.standardErrorLogRatio);
  });

  it('rejects fewer than 4 pairs and a covariate that never varies', () => {
    expect(() => covariateAdjustedLogRatioTest([0.1, 0.2, 0.3], [1, 2, 3])).toThrow(/at least 4 pairs/);
    expect(() => covariateAdjustedLogRatioTest([0.1, 0.2, 0.3, 0.4], [5, 5, 5, 5])).toThrow(/varies/);
  });

  it('keeps its false-positive rate under no change: p < 0.05 in about 5% of 4,000 simulated A/A sets', () => {
    const random = seededRandom(2026);
    let rejected = 0;
    const runs = 4000;
    for (let run = 0; run < runs; run++) {
      const x = Array.from({ length: 10 }, () => 60 * (random() - 0.5));
      const d = x.map((v) => STEAL_SLOPE * v + 0.03 * normal(random));
      if (covariateAdjustedLogRatioTest(d, x).pValue < 0.05) rejected++;
    }
    // Binomial(4000, 0.05): SD 0.34 points, so 3.5–6.5% is ±4.4 SD.
    expect(rejected / runs).toBeGreaterThan(0.035);
    expect(rejected / runs).toBeLessThan(0.065);
  });
});

describe('server CPU per message judged at equal steal', () => {
  it('passes an A/A comparison that steal leaves undecided in the plain paired t', () => {
    const trials = stealTrials(seededRandom(7), { pairs: 10, steal: [0, 80], noise: 0.02 });
    const adjusted = cpuRow(trials);
    const plain = cpuRow(trials.map((trial) => ({ ...trial, machine: null })));

    expect(adjusted).toMatchObject({ method: 'paired-t-log-ratio-steal-adjusted', verdict: 'PASS' });
    expect(adjusted.reason).toMatch(/at equal hypervisor steal \(pairs' steal differed by SD \d+\.\d points of a core; fitted \+0\.\d\d% per point\)/);
    expect(plain).toMatchObject({ method: 'paired-t-log-ratio', verdict: 'INCONCLUSIVE' });
    expect(adjusted.ciHighPercent! - adjusted.ciLowPercent!).toBeLessThan((plain.ciHighPercent! - plain.ciLowPercent!) / 2);
  });

  it('fails +10% CPU per message under the same steal', () => {
    const row = cpuRow(stealTrials(seededRandom(8), { pairs: 10, cpu: 0.1, steal: [0, 80], noise: 0.02 }));

    expect(row).toMatchObject({ method: 'paired-t-log-ratio-steal-adjusted', verdict: 'FAIL' });
    expect(row.changePercent!).toBeGreaterThan(5);
  });

  it('keeps the plain paired t where steal hardly varies, a trial lacks it, or the pairs are too few', () => {
    const quiet = stealTrials(seededRandom(9), { pairs: 10, steal: [0, MIN_STEAL_DIFFERENCE_SD / 2], noise: 0.02 });
    expect(cpuRow(quiet).method).toBe('paired-t-log-ratio');

    const missing = stealTrials(seededRandom(10), { pairs: 10, steal: [0, 80], noise: 0.02, withoutMachineAt: 3 });
    expect(cpuRow(missing).method).toBe('paired-t-log-ratio');

    const few = stealTrials(seededRandom(11), { pairs: 4, steal: [0, 80], noise: 0.02 });
    expect(cpuRow(few, 1).method).toBe('paired-t-log-ratio');
  });
});
