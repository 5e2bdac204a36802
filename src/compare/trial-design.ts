import type { ExcludedTrial } from './comparison.js';
import { pairUp, type TrialPair } from './pair-up.js';
import type { Arm } from './schedule.js';
import { busyForStoredBaseline, describeMachineBusy, judgeMachineLoad } from '../metrics/machine-load.js';
import type { TrialSummary } from './trial-summary.js';

/**
 * How the usable trials are laid out for the tests. `paired`: A/B in one job, adjacent trials share the
 * machine's state (A B B A …). `unpaired`: a fresh run against a recorded baseline's trials, independent draws.
 */
export type TrialDesign = { kind: 'paired'; pairs: TrialPair[] } | { kind: 'unpaired'; a: TrialSummary[]; b: TrialSummary[] };

export interface DesignedTrials {
  design: TrialDesign;
  excluded: ExcludedTrial[];
  scheduledPairs: number;
  /** Pairs (paired) or the smaller arm's trials (unpaired). */
  usableUnits: number;
}

function unusable(t: TrialSummary): string | null {
  if (t.saturated) {
    const why = t.saturationReasons.length > 0 ? `: ${t.saturationReasons.join('; ')}` : '';
    // A driver starved by other tenants (processes, or the hypervisor's steal) says so: then the fix is a quieter
    // machine, not more workers.
    const load = judgeMachineLoad(t.machine ?? null);
    const busy = load?.noisy === true ? `; the machine was busy: ${describeMachineBusy(load)} during the trial, so run again on a quieter machine` : '';
    return `the load generator saturated${why}${busy}`;
  }
  // `failed` (over the error budget) was measured to the end: its errors are what the error gate compares.
  return t.status === 'completed' || t.status === 'failed' ? null : `the run ended ${t.status}`;
}

/** Paired: a pair with an unusable trial leaves both out, since its partner has nothing to be compared with. */
export function pairedDesign(trials: readonly TrialSummary[]): DesignedTrials {
  const { pairs: slots, unpaired } = pairUp(trials);
  const excluded: ExcludedTrial[] = unpaired.map((t) => ({ arm: t.arm, index: t.index, reason: `no trial of the other arm in pair slot ${Math.floor(t.index / 2)}` }));
  const pairs: TrialPair[] = [];
  for (const pair of slots) {
    const aWhy = unusable(pair.a);
    const bWhy = unusable(pair.b);
    if (aWhy === null && bWhy === null) {
      pairs.push(pair);
      continue;
    }
    for (const [trial, why, partner] of [
      [pair.a, aWhy, pair.b],
      [pair.b, bWhy, pair.a],
    ] as const) {
      excluded.push({ arm: trial.arm, index: trial.index, reason: why ?? `its partner (${partner.arm.toUpperCase()}, trial ${partner.index}) was excluded` });
    }
  }
  excluded.sort((x, y) => x.index - y.index);
  const scheduledPairs = slots.length + new Set(unpaired.map((t) => Math.floor(t.index / 2))).size;
  return { design: { kind: 'paired', pairs }, excluded, scheduledPairs, usableUnits: pairs.length };
}

/**
 * Against a stored baseline nothing pairs a trial with one run under the same conditions, so a trial on a busy
 * machine (other processes, or the hypervisor's steal: metrics/machine-load.ts) is left out, fresh or recorded:
 * its latencies and CPU describe the machine's other tenants. Judged again from the figures, so a baseline
 * recorded under an older threshold is held to today's. In one job, A B B A pairs share the machine's state and
 * such trials stay in.
 */
function busyMachine(t: TrialSummary): string | null {
  const busy = busyForStoredBaseline(t.machine);
  return busy === null ? null : `the machine was busy: ${busy} during the trial, and a stored baseline is only comparable with trials on a quiet machine`;
}

/** Why a trial cannot be judged against a stored baseline (unpairedDesign leaves it out), or null. */
export function unusableAgainstBaseline(t: TrialSummary): string | null {
  return unusable(t) ?? busyMachine(t);
}

/** Unpaired: each unusable trial is left out alone. */
export function unpairedDesign(trials: readonly TrialSummary[]): DesignedTrials {
  const excluded: ExcludedTrial[] = [];
  const arms: Record<Arm, TrialSummary[]> = { a: [], b: [] };
  for (const trial of trials) {
    const why = unusableAgainstBaseline(trial);
    if (why === null) arms[trial.arm].push(trial);
    else excluded.push({ arm: trial.arm, index: trial.index, reason: why });
  }
  excluded.sort((x, y) => x.index - y.index);
  const count = (arm: Arm): number => trials.filter((t) => t.arm === arm).length;
  return {
    design: { kind: 'unpaired', a: arms.a, b: arms.b },
    excluded,
    scheduledPairs: Math.min(count('a'), count('b')),
    usableUnits: Math.min(arms.a.length, arms.b.length),
  };
}

/** Every usable trial of one arm, whatever the design. */
export function armTrials(design: TrialDesign, arm: Arm): TrialSummary[] {
  return design.kind === 'paired' ? design.pairs.map((pair) => pair[arm]) : design[arm];
}
