import { UsageError, describeValue } from '../errors.js';
import type { MetricName } from '../scenario/metric-name.js';
import { METRIC_SPECS, isMetricName, type GateDirection } from './metric-catalog.js';

/** Overall false-FAIL rate across all declared stages. */
export const DEFAULT_ALPHA = 0.005;
export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_STAGES = 2;
export const MIN_PAIRS = 2;
/**
 * Every measured change (the t tests, the tail's bootstrap and median pair; not the count tests of errors and GC
 * cycles) is decided from at least this many units. An interval from 2 rests on one degree of freedom: two
 * differences that happen to agree make it as narrow as a real change. An A/A compare of 2 pairs (unpinned, 2 s trials, 2026-12-03) read server CPU per
 * message +44.9% (95% CI +42.2% to +47.7%, p = 0.0013) from ln(B/A) of 0.373 and 0.370: a false FAIL.
 */
export const MIN_UNITS_TO_DECIDE = 3;

export type { GateDirection } from './metric-catalog.js';

/** Magnitudes of the gates (metric-catalog.ts says why each); the direction is fixed per metric. Errors are in percentage points. */
export const DEFAULT_TOLERANCE_PERCENT: Readonly<Record<MetricName, number>> = Object.fromEntries(
  METRIC_SPECS.map((spec) => [spec.metric, spec.defaultTolerancePercent]),
) as Record<MetricName, number>;

export const GATE_DIRECTION: Readonly<Record<MetricName, GateDirection>> = Object.fromEntries(
  METRIC_SPECS.map((spec) => [spec.metric, spec.direction]),
) as Record<MetricName, GateDirection>;

export interface CompareOptions {
  /** @default 0.005 */
  alpha?: number;
  /** Of the interval that decides PASS. @default 0.95 */
  confidence?: number;
  /** Gate magnitudes per metric: percent for ratios, percentage points for errors. @default DEFAULT_TOLERANCE_PERCENT */
  tolerancePercent?: Partial<Record<MetricName, number>>;
  /** Stages declared before stage 1 ran. @default 2 */
  stages?: 1 | 2;
  /** @default 1 */
  stage?: 1 | 2;
  /** `paired`: A/B trials in one job; `unpaired`: B's fresh trials against a recorded baseline's as A. @default 'paired' */
  design?: 'paired' | 'unpaired';
}

export interface ResolvedCompareOptions {
  alpha: number;
  confidence: number;
  tolerancePercent: Record<MetricName, number>;
  stages: 1 | 2;
  stage: 1 | 2;
  design: 'paired' | 'unpaired';
}

export function resolveCompareOptions(options: CompareOptions = {}): ResolvedCompareOptions {
  const resolved: ResolvedCompareOptions = {
    alpha: options.alpha ?? DEFAULT_ALPHA,
    confidence: options.confidence ?? DEFAULT_CONFIDENCE,
    tolerancePercent: { ...DEFAULT_TOLERANCE_PERCENT, ...options.tolerancePercent },
    stages: options.stages ?? DEFAULT_STAGES,
    stage: options.stage ?? 1,
    design: options.design ?? 'paired',
  };
  const problems: string[] = [];
  const probability = (name: string, value: unknown): void => {
    if (!(typeof value === 'number' && value > 0 && value < 1)) {
      problems.push(`Expected \`${name}\` to be a number between 0 and 1 (exclusive), got ${describeValue(value)}`);
    }
  };
  probability('alpha', resolved.alpha);
  probability('confidence', resolved.confidence);
  for (const [metric, value] of Object.entries(resolved.tolerancePercent)) {
    if (!isMetricName(metric)) {
      problems.push(`Unknown gate \`${metric}\`; known: ${METRIC_SPECS.map((spec) => spec.metric).join(', ')}`);
    } else if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      problems.push(
        `Expected \`tolerancePercent.${metric}\` to be a non-negative number (the direction is fixed), got ${describeValue(value)}`,
      );
    }
  }
  if (resolved.design !== 'paired' && resolved.design !== 'unpaired') problems.push(`Expected \`design\` to be "paired" or "unpaired", got ${describeValue(resolved.design)}`);
  if (resolved.stages !== 1 && resolved.stages !== 2) problems.push(`Expected \`stages\` to be 1 or 2, got ${describeValue(resolved.stages)}`);
  if (resolved.stage !== 1 && resolved.stage !== 2) problems.push(`Expected \`stage\` to be 1 or 2, got ${describeValue(resolved.stage)}`);
  else if (resolved.stage > resolved.stages) {
    problems.push(`\`stage\` is ${resolved.stage} but only ${resolved.stages} stage was declared: declare \`stages: 2\` before stage 1 runs`);
  }
  if (problems.length > 0) throw new UsageError('COMPARE_OPTIONS_INVALID', problems.join('\n'));
  return resolved;
}
