import { describe, expect, it } from 'vitest';
import { busyForStoredBaseline, describeMachineBusy, judgeMachineLoad } from '../../src/metrics/machine-load.js';
import { pairedDesign, unpairedDesign } from '../../src/compare/trial-design.js';
import { compareTrials } from '../../src/compare/verdict.js';
import type { TrialSummary } from '../../src/compare/trial-summary.js';

const trial = (arm: 'a' | 'b', index: number, machine?: TrialSummary['machine']): TrialSummary => ({
  arm,
  index,
  status: 'completed',
  achievedPerSec: 1000,
  p50Ms: 1,
  p99Ms: 2,
  errors: 0,
  attempted: 1000,
  errorRate: 0,
  saturated: false,
  saturationReasons: [],
  ...(machine === undefined ? {} : { machine }),
});

describe('a busy machine: other processes or the hypervisor\'s steal', () => {
  it('counts steal past 5% of a core as busy, on a lower bar than other processes (25%)', () => {
    expect(judgeMachineLoad({ otherCpuPercent: 0, stealPercent: 4 })?.noisy).toBe(false);
    expect(judgeMachineLoad({ otherCpuPercent: 0, stealPercent: 6 })?.noisy).toBe(true);
    expect(judgeMachineLoad({ otherCpuPercent: 24, stealPercent: 0 })?.noisy).toBe(false);
    expect(judgeMachineLoad({ otherCpuPercent: 26, stealPercent: 0 })?.noisy).toBe(true);
    expect(judgeMachineLoad(null)).toBeNull();
  });

  it('names who took the CPU', () => {
    expect(describeMachineBusy({ otherCpuPercent: 97, stealPercent: 1 })).toBe('other processes used 97% of a core');
    expect(describeMachineBusy({ otherCpuPercent: 0, stealPercent: 55 })).toBe('the hypervisor took 55% of a core (steal)');
    expect(describeMachineBusy({ otherCpuPercent: 40, stealPercent: 12 })).toBe('other processes used 40% of a core and the hypervisor took 12% of a core (steal)');
  });

  it('holds trials judged against a stored baseline to at most 1% steal, and names the bar', () => {
    expect(busyForStoredBaseline({ otherCpuPercent: 0, stealPercent: 1 })).toBeNull();
    expect(busyForStoredBaseline({ otherCpuPercent: 24, stealPercent: 0.2 })).toBeNull();
    expect(busyForStoredBaseline(null)).toBeNull();
    expect(busyForStoredBaseline({ otherCpuPercent: 0, stealPercent: 3.7 })).toBe('the hypervisor took 3.7% of a core (steal; judging against a stored baseline needs at most 1%)');
    expect(busyForStoredBaseline({ otherCpuPercent: 30, stealPercent: 0 })).toBe('other processes used 30% of a core');
  });

  it('leaves busy trials out of a comparison with a stored baseline, fresh or recorded, and says why', () => {
    const trials = [
      trial('a', 0, { otherCpuPercent: 0, stealPercent: 1 }),
      trial('a', 1, { otherCpuPercent: 0, stealPercent: 30 }), // recorded while stolen from
      trial('a', 2), // an older baseline: no record, so kept
      trial('a', 3, { otherCpuPercent: 0, stealPercent: 3.9 }), // quiet for a run, not for a baseline
      trial('b', 4, { otherCpuPercent: 0, stealPercent: 55 }),
      trial('b', 5, { otherCpuPercent: 2, stealPercent: 0.5 }),
    ];

    const { design, excluded } = unpairedDesign(trials);

    expect(design.kind === 'unpaired' && design.a.map((t) => t.index)).toEqual([0, 2]);
    expect(design.kind === 'unpaired' && design.b.map((t) => t.index)).toEqual([5]);
    expect(excluded.map((t) => t.index)).toEqual([1, 3, 4]);
    expect(excluded[1]!.reason).toMatch(/^the machine was busy: the hypervisor took 3\.9% of a core \(steal; judging against a stored baseline needs at most 1%\) during the trial/);
  });

  it('says why a comparison with a stored baseline had too few trials: the busy machine, and what to do', () => {
    const trials = [trial('a', 0), trial('a', 1), trial('a', 2), ...[3, 4, 5].map((k) => trial('b', k, { otherCpuPercent: 0, stealPercent: 3 + k }))];
    const comparison = compareTrials({ scenario: 's', arms: { a: { spec: 'baseline' }, b: { spec: 'head' } }, trials }, { stages: 1, design: 'unpaired' });
    expect(comparison.verdict).toBe('INCONCLUSIVE');
    expect(comparison.reason).toBe("0 usable trial(s) in the smaller arm; at least 3 are needed to decide a measured change; left out: 3 trials (the machine was busy), each with its reason in the report's excluded trials; run again on a quieter machine");
  });

  it('an undecided A/B under steal names how many pairs would decide each metric, and the steal that spreads them', () => {
    // Paired A B B A, p50 spread ±30% from pair to pair as steal comes and goes: 5 pairs cannot clear +15%.
    const spread = [1, 1.3, 0.8, 1.25, 0.75, 1.2, 0.9, 1.35, 0.7, 1.1];
    const steal = [0.3, 40, 2, 35, 1, 60, 3, 20, 0.5, 8];
    const trials = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => ({ ...trial(k % 4 === 0 || k % 4 === 3 ? 'a' : 'b', k, { otherCpuPercent: 0, stealPercent: steal[k]! }), p50Ms: spread[k]! }));
    const comparison = compareTrials({ scenario: 's', arms: { a: { spec: 'a' }, b: { spec: 'b' } }, trials }, { stages: 1 });
    const p50 = comparison.metrics.find((m) => m.metric === 'p50')!;
    expect(p50.verdict).toBe('INCONCLUSIVE');
    expect(p50.unitsToDecide?.toward).toMatch(/PASS|FAIL/);
    expect(p50.unitsToDecide!.units).toBeGreaterThan(5);
    expect(p50.reason).toMatch(new RegExp(`at this spread about ${p50.unitsToDecide!.units} pairs would decide it toward ${p50.unitsToDecide!.toward} \\(this comparison had 5\\)`));
    expect(comparison.reason).toMatch(/; the hypervisor took up to 60% of a core during these trials \(steal, least 0%\), which is what spreads them: a machine with dedicated cores decides in fewer$/);
  });

  it('keeps them in one job, where A B B A pairs share the machine\'s state', () => {
    const trials = [trial('a', 0, { otherCpuPercent: 0, stealPercent: 55 }), trial('b', 1, { otherCpuPercent: 0, stealPercent: 50 })];
    const { design, excluded } = pairedDesign(trials);
    expect(design.kind === 'paired' && design.pairs.length).toBe(1);
    expect(excluded).toEqual([]);
  });
});
