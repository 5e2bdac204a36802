import type { MetricName } from '../scenario/metric-name.js';
import type { TrialSummary } from './trial-summary.js';
import type { Arm } from './schedule.js';
import type { MetricSpec } from './metric-catalog.js';

/** PASS: the change is within the gate with 95% confidence. FAIL: significant and beyond the gate. */
export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

export type { MetricName };

/**
 * A metric's own verdict. NOT MEASURED: one arm (or both) has no value for it, e.g. allocations of a target
 * that serves no Go metrics, or a run against a URL. It is never a PASS, and it does not decide the overall verdict.
 */
export type MetricVerdict = Verdict | 'NOT MEASURED';

/** One metric's row. JSON-serializable: numbers, strings and nulls only. */
export interface MetricComparison {
  metric: MetricName;
  unit: MetricSpec['unit'];
  /**
   * `ratio`: changes are relative, 100·(B/A − 1) from the paired t on log-ratios.
   * `difference`: changes are B − A in percentage points of error rate (no interval: see error-rate-test.ts).
   */
  changeKind: 'ratio' | 'difference';
  /**
   * `paired-t-log-ratio`: adjacent A/B trials (A/B in one job); `paired-t-log-ratio-steal-adjusted`: the same
   * for server CPU per message at equal hypervisor steal, when the pairs' steal differed (judge-metric.ts). `welch-t-log`: a fresh run against a recorded
   * baseline's trials, unpaired. `exact-poisson-rate`: GC cycles, total counts per message (rate-ratio-test.ts).
   * `none`: not measured, or the same value in every trial of both arms.
   * p99: `median-pair-sign-test` for A/B in one job from 6 pairs on (median-pair.ts), `pooled-bootstrap-paired`
   * below that, `pooled-bootstrap` against a recorded baseline (pooled-tail.ts).
   */
  method: 'paired-t-log-ratio' | 'paired-t-log-ratio-steal-adjusted' | 'welch-t-log' | 'median-pair-sign-test' | 'pooled-bootstrap' | 'pooled-bootstrap-paired' | 'exact-poisson-rate' | 'permutation-error-rate' | 'none';
  /** Medians over the trials in the pairs used, in `unit`. */
  aMedian: number | null;
  bMedian: number | null;
  changePercent: number | null;
  ciLowPercent: number | null;
  ciHighPercent: number | null;
  /** One-sided, H1 "B is worse": ratio metrics from the paired t-test, errors from the permutation test. */
  pValue: number | null;
  /** Wilcoxon signed-rank exact two-sided p, a distribution-free check shown beside the t-test; never decides. */
  signedRankPValue: number | null;
  pairs: number;
  /** Signed: −5 means "a drop of more than 5% is a regression"; +15 "a rise of more than 15%". */
  gatePercent: number;
  verdict: MetricVerdict;
  reason: string;
  /**
   * INCONCLUSIVE on a measured change: about how many units (pairs, or trials in the smaller arm) would decide it,
   * and toward which verdict, if the change and spread stay as measured (units-to-decide.ts).
   */
  unitsToDecide?: { toward: 'PASS' | 'FAIL'; units: number };
}

export interface ExcludedTrial {
  arm: Arm;
  index: number;
  reason: string;
}

export interface StageInfo {
  /** Which stage this comparison is (stage 2 pools the pairs of both stages). */
  stage: 1 | 2;
  /** How many stages were declared before stage 1 ran. */
  stages: 1 | 2;
  /** The significance level this stage tests at: `alpha / stages` (equal split, see verdict.ts). */
  stageAlpha: number;
  /** Pair slots seen in the trials, usable or not. */
  scheduledPairs: number;
  /** Pairs where both trials were usable. */
  usablePairs: number;
}

export interface Comparison {
  scenario: string;
  arms: { a: { spec: string }; b: { spec: string } };
  trials: TrialSummary[];
  excluded: ExcludedTrial[];
  metrics: MetricComparison[];
  verdict: Verdict;
  reason: string;
  /** The overall false-FAIL budget across all declared stages. */
  alpha: number;
  confidence: number;
  stage: StageInfo;
  /** `paired` (A/B in one job) or `unpaired` (against a recorded baseline); absent in older reports = paired. */
  design?: 'paired' | 'unpaired';
}
