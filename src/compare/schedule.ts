import type { TrialSummary } from './trial-summary.js';

export type Arm = 'a' | 'b';

/**
 * The run order of A/B trials: A B B A A B B A … Adjacent trials form a pair, and the order within a pair
 * alternates so a steady drift (a machine warming up, a neighbour starting) favours neither arm.
 */
export function interleavedSchedule(pairs: number): Arm[] {
  if (!Number.isInteger(pairs) || pairs < 0) {
    throw new RangeError(`Expected \`pairs\` to be a non-negative integer, got ${String(pairs)}`);
  }
  const order: Arm[] = [];
  for (let k = 0; k < pairs; k++) order.push(...(k % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)));
  return order;
}

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
