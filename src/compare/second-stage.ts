import type { Comparison } from './comparison.js';

/**
 * Stage 2 may run up to this many times stage 1's declared pairs (budget permitting). Server CPU per message
 * varies ~0.08–0.14 in ln(B/A) from pair to pair on the 2-core machine (docs/gate-noise.md), so resolving a
 * +15% change at stage alpha 0.0025 takes ~15 pairs; the size is fixed before stage 1, never chosen from it.
 */
export const SECOND_STAGE_PAIRS_FACTOR = 2;
import { interleavedSchedule, type Arm } from './schedule.js';

export interface SecondStageOptions {
  /** Wall time left for stage 2. */
  budgetMs: number;
  /** Expected wall time of one trial, server start and stop included. */
  trialDurationMs: number;
  /** Pairs stage 1 was declared with; stage 2 runs at most `SECOND_STAGE_PAIRS_FACTOR` times as many. @default the pair slots in `first` */
  firstStagePairs?: number;
}

export interface SecondStagePlan {
  run: boolean;
  extraPairs: number;
  /** Run-order index of the first stage-2 trial, so `pairUp` keeps pairing across both stages. */
  firstTrialIndex: number;
  /** Arms of the stage-2 trials, continuing A B B A … where stage 1 stopped. */
  schedule: Arm[];
  /** The level stage 2 tests all pairs at (alpha/2 of the declared two). */
  stageAlpha: number;
  reason: string;
}

/**
 * How many more pairs to run when stage 1 is INCONCLUSIVE. The number depends only on the declared stage-1
 * size and the time budget, never on stage-1 estimates, which keeps the pooled stage-2 test at its level
 * (see the alpha split in verdict.ts). Re-run `compareTrials` on all trials with `{ stage: 2, stages: 2 }`.
 */
export function planSecondStage(first: Comparison, options: SecondStageOptions): SecondStagePlan {
  const declared = options.firstStagePairs ?? first.stage.scheduledPairs;
  const lastIndex = first.trials.reduce((max, t) => Math.max(max, t.index), -1);
  const nextSlot = Math.max(declared, Math.floor(lastIndex / 2) + 1);
  const stageAlpha = first.alpha / 2;
  const none = (reason: string): SecondStagePlan => ({
    run: false,
    extraPairs: 0,
    firstTrialIndex: 2 * nextSlot,
    schedule: [],
    stageAlpha,
    reason,
  });
  if (first.verdict !== 'INCONCLUSIVE') return none(`stage 1 already decided: ${first.verdict}`);
  if (first.stage.stage !== 1 || first.stage.stages !== 2) {
    return none(
      first.stage.stage === 2
        ? 'this is already stage 2; there is no third'
        : 'stage 1 was declared as the only stage and spent all of alpha; declare `stages: 2` to allow a second',
    );
  }
  const saturated = first.trials.filter((t) => t.saturated).length;
  if (first.stage.usablePairs === 0 && saturated > 0) {
    return none('every pair had a saturated generator; more pairs at this load will saturate too: lower the load or add workers');
  }
  if (!(options.trialDurationMs > 0)) return none(`expected a positive \`trialDurationMs\`, got ${options.trialDurationMs}`);
  const affordable = Math.floor(Math.max(0, options.budgetMs) / (2 * options.trialDurationMs));
  const cap = SECOND_STAGE_PAIRS_FACTOR * declared;
  const extraPairs = Math.min(cap, affordable);
  if (extraPairs < 1) {
    return none(`the budget of ${options.budgetMs} ms does not fit one more pair of ${options.trialDurationMs} ms trials`);
  }
  const schedule = interleavedSchedule(nextSlot + extraPairs).slice(2 * nextSlot);
  const capped = extraPairs < cap ? ` (the budget fits ${extraPairs} of the ${cap} declared)` : '';
  return {
    run: true,
    extraPairs,
    firstTrialIndex: 2 * nextSlot,
    schedule,
    stageAlpha,
    reason: `stage 1 was INCONCLUSIVE; run ${extraPairs} more pair(s)${capped} and judge all pairs at alpha ${stageAlpha}`,
  };
}
