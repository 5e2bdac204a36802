import type { TrialSummary } from './trial-summary.js';

/** One pair of adjacent trials: run-order positions 2k and 2k+1 of the schedule. */
export interface TrialPair {
  /** k, counting from 0. */
  index: number;
  a: TrialSummary;
  b: TrialSummary;
}

export interface PairedTrials {
  pairs: TrialPair[];
  /** Trials without a partner of the other arm in their slot (a missing or duplicated trial). */
  unpaired: TrialSummary[];
}

/**
 * Groups trials into the pairs `interleavedSchedule` ran: the trial with run-order `index` i belongs to
 * pair floor(i / 2). A slot that does not hold exactly one trial of each arm yields no pair.
 */
export function pairUp(trials: readonly TrialSummary[]): PairedTrials {
  const slots = new Map<number, TrialSummary[]>();
  for (const trial of trials) {
    const k = Math.floor(trial.index / 2);
    const slot = slots.get(k) ?? [];
    slot.push(trial);
    slots.set(k, slot);
  }
  const pairs: TrialPair[] = [];
  const unpaired: TrialSummary[] = [];
  for (const k of [...slots.keys()].sort((x, y) => x - y)) {
    const slot = slots.get(k) ?? [];
    const a = slot.filter((t) => t.arm === 'a');
    const b = slot.filter((t) => t.arm === 'b');
    if (a.length === 1 && b.length === 1 && a[0] && b[0]) pairs.push({ index: k, a: a[0], b: b[0] });
    else unpaired.push(...slot);
  }
  return { pairs, unpaired };
}
