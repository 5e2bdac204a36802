import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { Comparison } from '../../src/compare/comparison.js';
import { interleavedSchedule } from '../../src/compare/schedule.js';
import { summarizeTrial, type TrialSummary } from '../../src/compare/trial-summary.js';
import { compareTrials, overallVerdict, planSecondStage, type CompareOptions } from '../../src/compare/verdict.js';
import type { RunResult } from '../../src/run/run-result.js';
import { seededRandom } from '../../src/compare/seeded-random.js';
import { normal } from '../support/normal-deviate.js';

interface Simulation {
  pairs: number;
  /** Log-normal sd of each trial's independent noise, per metric. */
  noise: number;
  throughputChange?: number;
  latencyChange?: number;
  /** Head trials' error rate. */
  bErrorRate?: number;
  firstIndex?: number;
}

/**
 * A CI job as the gate sees it: a job-wide level (25% between jobs), a jump in level between pairs (5%), a
 * steady trend within the job (0.5% per trial, which A B B A cancels), and independent noise per trial.
 */
function simulateTrials(random: () => number, sim: Simulation): TrialSummary[] {
  const job = Math.exp(0.25 * normal(random));
  const first = sim.firstIndex ?? 0;
  let pairLevel = 0;
  return interleavedSchedule(first / 2 + sim.pairs)
    .slice(first)
    .map((arm, i) => {
      const index = first + i;
      if (index % 2 === 0) pairLevel += 0.05 * normal(random);
      const level = job * Math.exp(pairLevel + 0.005 * index);
      const head = arm === 'b';
      const noisy = (): number => Math.exp(sim.noise * normal(random));
      const latency = head ? 1 + (sim.latencyChange ?? 0) : 1;
      const errorRate = head ? (sim.bErrorRate ?? 0) : 0;
      return {
        arm,
        index,
        status: 'completed',
        achievedPerSec: 10_000 * level * (head ? 1 + (sim.throughputChange ?? 0) : 1) * noisy(),
        p50Ms: (2 / level) * latency * noisy(),
        p99Ms: (8 / level) * latency * noisy(),
        errors: errorRate * 1_000_000,
        attempted: 1_000_000,
        errorRate,
        saturated: false,
        saturationReasons: [],
      };
    });
}

const compare = (trials: readonly TrialSummary[], options?: CompareOptions): Comparison =>
  compareTrials({ scenario: 'echo-1k', arms: { a: { spec: 'gobwas@main' }, b: { spec: 'gobwas' } }, trials }, options);

const metric = (comparison: Comparison, name: string) => {
  const row = comparison.metrics.find((m) => m.metric === name);
  if (!row) throw new Error(`no ${name} row`);
  return row;
};

describe('compareTrials', () => {
  it('gives no FAIL over 200 A/A comparisons of 5 pairs with 3% noise and drift', () => {
    const random = seededRandom(1);
    const verdicts = { PASS: 0, FAIL: 0, INCONCLUSIVE: 0 };
    for (let i = 0; i < 200; i++) verdicts[compare(simulateTrials(random, { pairs: 5, noise: 0.03 })).verdict]++;
    // Observed with this seed: 0 FAIL, 110 PASS, 90 INCONCLUSIVE (5 pairs at 3% noise is a wide interval; over
    // 5,000 runs the false-FAIL rate was 0.02% and stage 2 turned 92.8% into PASS).
    expect(verdicts.FAIL).toBe(0);
    expect(verdicts.PASS).toBeGreaterThan(80);
  });

  it('fails a 15% throughput drop with 3% noise over 5 pairs', () => {
    const comparison = compare(simulateTrials(seededRandom(7), { pairs: 5, noise: 0.03, throughputChange: -0.15 }));
    expect(comparison.verdict).toBe('FAIL');
    const row = metric(comparison, 'throughput');
    expect(row.verdict).toBe('FAIL');
    expect(row.changePercent).toBeLessThan(-5);
    expect(row.pValue).toBeLessThan(comparison.stage.stageAlpha);
    expect(row.ciHighPercent).toBeLessThan(0);
    expect(comparison.reason).toContain('throughput');
  });

  it('catches nearly every 15% drop once the second stage runs', () => {
    const random = seededRandom(8);
    let firstStage = 0;
    let afterSecond = 0;
    for (let i = 0; i < 200; i++) {
      const stage1 = simulateTrials(random, { pairs: 5, noise: 0.03, throughputChange: -0.15 });
      let comparison = compare(stage1);
      if (comparison.verdict === 'FAIL') firstStage++;
      const plan = planSecondStage(comparison, { budgetMs: 10 * 60_000, trialDurationMs: 30_000 });
      if (plan.run) {
        const stage2 = simulateTrials(random, { pairs: plan.extraPairs, noise: 0.03, throughputChange: -0.15, firstIndex: plan.firstTrialIndex });
        comparison = compare([...stage1, ...stage2], { stage: 2 });
      }
      if (comparison.verdict === 'FAIL') afterSecond++;
    }
    // Measured over 5,000 runs: 80% at stage 1 (alpha/2 = 0.0025 with 4 df), 100% after stage 2.
    expect(firstStage / 200).toBeGreaterThan(0.65);
    expect(afterSecond / 200).toBeGreaterThan(0.98);
  });

  it('fails a 25% rise in latency on p50 and p99', () => {
    const comparison = compare(simulateTrials(seededRandom(9), { pairs: 5, noise: 0.03, latencyChange: 0.25 }));
    expect(metric(comparison, 'p50').verdict).toBe('FAIL');
    expect(metric(comparison, 'p99').verdict).toBe('FAIL');
    expect(metric(comparison, 'throughput').verdict).not.toBe('FAIL');
  });

  it('passes a 2% drop inside the 5% gate when the noise is tight', () => {
    const comparison = compare(simulateTrials(seededRandom(3), { pairs: 5, noise: 0.005, throughputChange: -0.02 }));
    expect(comparison.verdict).toBe('PASS');
    const row = metric(comparison, 'throughput');
    expect(row.changePercent).toBeCloseTo(-2, 0);
    expect(row.ciLowPercent).toBeGreaterThan(-5);
    expect(comparison.reason).toContain('within its gate');
  });

  it('is inconclusive when the noise is wide', () => {
    const comparison = compare(simulateTrials(seededRandom(4), { pairs: 5, noise: 0.2, throughputChange: -0.03 }));
    expect(comparison.verdict).toBe('INCONCLUSIVE');
    expect(metric(comparison, 'throughput').verdict).toBe('INCONCLUSIVE');
    // 20% noise per trial against a 5% gate: the reason says how far from a verdict, and that pairs will not get there.
    expect(metric(comparison, 'throughput').reason).toMatch(/at this spread about \d+ pairs would decide it toward (PASS|FAIL) \(this comparison had 5\): more than the shipped profiles run, so less noise is what it needs/);
    expect(metric(comparison, 'throughput').unitsToDecide!.units).toBeGreaterThan(30);
  });

  it('leaves saturated trials and their partners out of the pairs, and says so', () => {
    const trials = simulateTrials(seededRandom(5), { pairs: 5, noise: 0.005 }).map((t) =>
      t.index === 3 ? { ...t, saturated: true, saturationReasons: ['send lag p99 120 ms > 50 ms'], achievedPerSec: 1 } : t,
    );
    const comparison = compare(trials);
    expect(comparison.stage.usablePairs).toBe(4);
    expect(comparison.stage.scheduledPairs).toBe(5);
    expect(comparison.metrics.filter((m) => m.verdict !== 'NOT MEASURED').every((m) => m.pairs === 4)).toBe(true);
    expect(comparison.excluded).toEqual([
      { arm: 'b', index: 2, reason: 'its partner (A, trial 3) was excluded' },
      { arm: 'a', index: 3, reason: 'the load generator saturated: send lag p99 120 ms > 50 ms' },
    ]);
    expect(comparison.verdict).toBe('PASS');
  });

  it('names a busy machine in a saturated trial\'s exclusion: the fix is a quieter machine, not more workers', () => {
    const busy = { otherCpuPercent: 3, stealPercent: 53 };
    const quiet = { otherCpuPercent: 3, stealPercent: 1 };
    const trials = simulateTrials(seededRandom(5), { pairs: 5, noise: 0.005 }).map((t) =>
      t.index === 3 ? { ...t, saturated: true, saturationReasons: ['send lag p99 120 ms > 10 ms'], machine: busy } : t.index === 5 ? { ...t, saturated: true, saturationReasons: ['send lag p99 30 ms > 10 ms'], machine: quiet } : t,
    );
    const reasons = compare(trials).excluded.map((trial) => trial.reason);
    expect(reasons).toContain('the load generator saturated: send lag p99 120 ms > 10 ms; the machine was busy: the hypervisor took 53% of a core (steal) during the trial, so run again on a quieter machine');
    expect(reasons).toContain('the load generator saturated: send lag p99 30 ms > 10 ms');
  });

  it('does not decide from 2 pairs however well they agree (one degree of freedom), and does from 3', () => {
    const two = compare(simulateTrials(seededRandom(8), { pairs: 2, noise: 0.005, throughputChange: -0.5 }));
    expect(metric(two, 'throughput').verdict).toBe('INCONCLUSIVE');
    expect(metric(two, 'throughput').reason).toMatch(/^-(49|50)\.\d% \(95% CI .*\) from 2 pair\(s\), too few to decide on: at least 3 are needed$/);
    expect(two.verdict).toBe('INCONCLUSIVE');

    const three = compare(simulateTrials(seededRandom(8), { pairs: 3, noise: 0.005, throughputChange: -0.5 }));
    expect(metric(three, 'throughput').verdict).toBe('FAIL');
  });

  it('is inconclusive with the reason when fewer than 2 pairs are usable', () => {
    const trials = simulateTrials(seededRandom(6), { pairs: 2, noise: 0.005, throughputChange: -0.5 }).map((t) =>
      t.index === 0 ? { ...t, status: 'errored' as const } : t,
    );
    const comparison = compare(trials);
    expect(comparison.verdict).toBe('INCONCLUSIVE');
    expect(comparison.reason).toBe("1 usable pair(s); at least 3 are needed to decide a measured change; left out: 1 trial (the run ended errored), 1 (its partner (A, trial 0) was excluded), each with its reason in the report's excluded trials");
    expect(comparison.metrics.filter((m) => m.verdict !== 'NOT MEASURED').every((m) => m.verdict === 'INCONCLUSIVE' && m.pValue === null)).toBe(true);
    expect(comparison.excluded[0]?.reason).toBe('the run ended errored');
  });

  it('fails a rise in errors seen in every head trial once 6 pairs are run', () => {
    const comparison = compare(simulateTrials(seededRandom(10), { pairs: 6, noise: 0.01, bErrorRate: 0.001 }));
    const row = metric(comparison, 'errors');
    expect(row.verdict).toBe('FAIL');
    expect(row.changeKind).toBe('difference');
    expect(row.changePercent).toBeCloseTo(0.1, 10);
    expect(row.pValue).toBeCloseTo(1 / 924, 10);
  });

  it('calls the same rise inconclusive with 5 pairs, where the smallest p is 1/252 > alpha/2', () => {
    const comparison = compare(simulateTrials(seededRandom(10), { pairs: 5, noise: 0.01, bErrorRate: 0.001 }));
    expect(metric(comparison, 'errors').verdict).toBe('INCONCLUSIVE');
    expect(compare(simulateTrials(seededRandom(10), { pairs: 5, noise: 0.01, bErrorRate: 0.001 }), { stages: 1 }).verdict).toBe('FAIL');
  });

  it('passes errors when the head has none', () => {
    const row = metric(compare(simulateTrials(seededRandom(11), { pairs: 5, noise: 0.01 })), 'errors');
    expect(row.verdict).toBe('PASS');
    expect(row.pValue).toBe(1);
  });

  it('splits alpha equally over the declared stages', () => {
    const trials = simulateTrials(seededRandom(12), { pairs: 3, noise: 0.01 });
    expect(compare(trials).stage.stageAlpha).toBe(0.0025);
    expect(compare(trials, { stages: 1 }).stage.stageAlpha).toBe(0.005);
    expect(compare(trials, { alpha: 0.01, stages: 2, stage: 2 }).stage).toMatchObject({ stage: 2, stageAlpha: 0.005 });
  });

  it('reports every invalid option at once, naming each', () => {
    const trials = simulateTrials(seededRandom(13), { pairs: 2, noise: 0.01 });
    expect(() => compare(trials, { alpha: 2, tolerancePercent: { throughput: -5 } })).toThrow(UsageError);
    expect(() => compare(trials, { alpha: 2, tolerancePercent: { throughput: -5 } })).toThrow(
      /`alpha`.*\n.*`tolerancePercent.throughput`/,
    );
    expect(() => compare(trials, { stages: 1, stage: 2 })).toThrow(/declare `stages: 2`/);
  });

  it('produces a result that survives a JSON round trip', () => {
    const comparison = compare(simulateTrials(seededRandom(14), { pairs: 4, noise: 0.03 }));
    expect(JSON.parse(JSON.stringify(comparison))).toEqual(comparison);
  });
});

describe('overallVerdict', () => {
  it('fails if any metric fails, else is inconclusive if any is, else passes', () => {
    expect(overallVerdict(['PASS', 'INCONCLUSIVE', 'FAIL'])).toBe('FAIL');
    expect(overallVerdict(['PASS', 'INCONCLUSIVE'])).toBe('INCONCLUSIVE');
    expect(overallVerdict(['PASS', 'PASS'])).toBe('PASS');
    expect(overallVerdict([])).toBe('INCONCLUSIVE');
  });
});

describe('planSecondStage', () => {
  const inconclusive = compare(simulateTrials(seededRandom(4), { pairs: 5, noise: 0.2 }));

  it('runs up to twice as many pairs again as the budget allows, continuing the schedule', () => {
    expect(inconclusive.verdict).toBe('INCONCLUSIVE');
    const plan = planSecondStage(inconclusive, { budgetMs: 10 * 60_000, trialDurationMs: 20_000 });
    // Up to twice the declared 5 pairs: 10 fit in 10 minutes of 20 s trials.
    expect(plan).toMatchObject({ run: true, extraPairs: 10, firstTrialIndex: 10, stageAlpha: 0.0025 });
    expect(plan.schedule.join(' ')).toBe('b a a b b a a b b a a b b a a b b a a b');
    const capped = planSecondStage(inconclusive, { budgetMs: 130_000, trialDurationMs: 20_000 });
    expect(capped).toMatchObject({ run: true, extraPairs: 3 });
    expect(capped.reason).toContain('fits 3 of the 10 declared');
  });

  it('runs nothing when stage 1 decided, spent all of alpha, or the budget fits no pair', () => {
    const passed = compare(simulateTrials(seededRandom(3), { pairs: 5, noise: 0.005 }));
    expect(planSecondStage(passed, { budgetMs: 1e9, trialDurationMs: 1 }).run).toBe(false);
    const single = compare(simulateTrials(seededRandom(4), { pairs: 5, noise: 0.2 }), { stages: 1 });
    expect(planSecondStage(single, { budgetMs: 1e9, trialDurationMs: 1 }).reason).toMatch(/spent all of alpha/);
    expect(planSecondStage(inconclusive, { budgetMs: 30_000, trialDurationMs: 20_000 }).run).toBe(false);
  });

  it('runs nothing when every pair saturated the generator', () => {
    const trials = simulateTrials(seededRandom(15), { pairs: 3, noise: 0.01 }).map((t) => ({ ...t, saturated: true }));
    const plan = planSecondStage(compare(trials), { budgetMs: 1e9, trialDurationMs: 1 });
    expect(plan.run).toBe(false);
    expect(plan.reason).toMatch(/lower the load/);
  });
});

describe('summarizeTrial', () => {
  const result = {
    schemaVersion: 1,
    status: 'completed',
    connections: { attempted: 100, established: 98, failed: 2, dropped: 1, errorsByCode: {}, openMs: 5 },
    messages: { sent: 9_900, received: 9_893, timedOut: 7, late: 0 },
    throughput: { offeredPerSec: 1_000, achievedPerSec: 989.3, achievedBytesPerSec: 0 },
    latencyMs: { min: 0.1, p50: 0.8, p90: 1.5, p99: 3.2, p999: 6, max: 9, mean: 0.9 },
    generator: {
      sendLagP99Ms: 1,
      sendLagMaxMs: 2,
      eventLoopUtilization: 0.4,
      workers: 2,
      sourceAddresses: [],
      saturated: false,
      saturationReasons: [],
    },
  } as unknown as RunResult;

  it('counts failed and dropped connections and timed-out messages over all attempts', () => {
    const trial = summarizeTrial(result, 'b', 3);
    expect(trial).toMatchObject({ arm: 'b', index: 3, achievedPerSec: 989.3, p50Ms: 0.8, p99Ms: 3.2, errors: 10, attempted: 10_000 });
    expect(trial.errorRate).toBeCloseTo(0.001, 12);
    expect(trial.saturated).toBe(false);
  });

  it('marks the trial saturated when the generator was, and keeps the reasons', () => {
    const saturated = {
      ...result,
      latencyMs: null,
      generator: { ...result.generator, saturated: true, saturationReasons: ['event loop 0.97'] },
    } as RunResult;
    expect(summarizeTrial(saturated, 'a', 0)).toMatchObject({ saturated: true, saturationReasons: ['event loop 0.97'], p99Ms: null });
  });
});
