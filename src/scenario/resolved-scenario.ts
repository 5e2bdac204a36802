import type { MetricName } from './metric-name.js';
import type { TrafficOptions } from './traffic-options.js';

/** Gate magnitudes as `CompareOptions.tolerancePercent` takes them. */
export type ScenarioGates = Partial<Record<MetricName, number>>;

export interface CommonResolved {
  description?: string;
  target: string;
  durationMs: number;
  warmupMs: number;
  messageTimeoutMs?: number;
  workers?: number;
  errorBudget?: number;
  gates: ScenarioGates;
  tags: string[];
  /** Handshake and traffic shape, as `RunOptions` takes them. */
  traffic?: TrafficOptions;
}

export interface ResolvedScenario extends CommonResolved {
  name: string;
  connections: number;
  ratePerConnection: number;
  messageBytes: number;
  /** The matrix this scenario came from. */
  matrix?: string;
}

export interface ResolvedCombo {
  connections?: number;
  ratePerConnection?: number;
  messageBytes?: number;
}

export interface ResolvedMatrix extends CommonResolved {
  name: string;
  connections: number[];
  ratePerConnection: number[];
  messageBytes: number[];
  include: ResolvedCombo[];
  exclude: ResolvedCombo[];
}
