import { UsageError } from '../errors.js';
import type { TargetSpec } from '../targets/target-spec.js';
import { MIN_MESSAGE_BYTES } from '../scenario/run-options.js';
import { DEFAULT_STOP_CRITERIA } from './stop-criteria-options.js';
import type { StopCriteriaOptions } from './stop-criteria-options.js';
import type { Pacer } from '../driver/worker-protocol.js';
import type { TrafficOptions } from '../scenario/traffic-options.js';
import { checkCapacityTraffic } from './capacity-traffic.js';

export const DEFAULT_RAMP_HOLD_MS = 10_000;
export const DEFAULT_RAMP_RATE_PER_CONNECTION = 1;
export const DEFAULT_RAMP_MESSAGE_BYTES = 256;
/** Without --to, a ramp takes at most this many steps (or stops earlier on a criterion). */
export const DEFAULT_RAMP_MAX_STEPS = 20;
/** Leading part of each hold excluded from the step's statistics (new connections settle). */
export const DEFAULT_STEP_WARMUP_MS = 1_000;

/** A ramp as the user wrote it. */
export interface RampOptions {
  target?: TargetSpec;
  url?: string;
  from: number;
  step: number;
  to?: number;
  holdMs?: number;
  ratePerConnection?: number;
  messageBytes?: number;
  criteria?: Partial<StopCriteriaOptions>;
  workers?: number;
  messageTimeoutMs?: number;
  pacer?: Pacer;
  /** Handshake, message shape and the `--url` server to sample, as for a run. */
  traffic?: TrafficOptions;
}

export interface ResolvedRampOptions {
  target: TargetSpec | undefined;
  url: string | undefined;
  from: number;
  step: number;
  to: number;
  holdMs: number;
  warmupMs: number;
  ratePerConnection: number;
  messageBytes: number;
  criteria: StopCriteriaOptions;
  workers: number | undefined;
  messageTimeoutMs: number | undefined;
  pacer: Pacer | undefined;
  traffic: TrafficOptions;
}

export function resolveRampOptions(options: RampOptions): ResolvedRampOptions {
  const to = options.to ?? options.from + (DEFAULT_RAMP_MAX_STEPS - 1) * options.step;
  const holdMs = options.holdMs ?? DEFAULT_RAMP_HOLD_MS;
  const resolved: ResolvedRampOptions = {
    target: options.target,
    url: options.url,
    from: options.from,
    step: options.step,
    to,
    holdMs,
    // Short holds keep most of their time for measuring.
    warmupMs: Math.min(DEFAULT_STEP_WARMUP_MS, Math.floor(holdMs / 5)),
    ratePerConnection: options.ratePerConnection ?? DEFAULT_RAMP_RATE_PER_CONNECTION,
    messageBytes: options.messageBytes ?? DEFAULT_RAMP_MESSAGE_BYTES,
    criteria: { ...DEFAULT_STOP_CRITERIA, ...options.criteria },
    workers: options.workers,
    messageTimeoutMs: options.messageTimeoutMs,
    pacer: options.pacer,
    traffic: options.traffic ?? {},
  };
  validateRamp(resolved);
  return resolved;
}

function validateRamp(options: ResolvedRampOptions): void {
  if (options.to < options.from) throw new UsageError('INVALID_RAMP', `Expected --to (${options.to}) to be at least --from (${options.from}); give e.g. --to ${options.from * 10}`);
  if (options.messageBytes < MIN_MESSAGE_BYTES) {
    throw new UsageError('INVALID_SIZE', `Expected --size to be at least ${MIN_MESSAGE_BYTES} bytes (each message carries an 8-byte sequence header); got ${options.messageBytes}. Give e.g. --size 64`);
  }
  if (options.holdMs < 1000) throw new UsageError('INVALID_HOLD', `Expected --hold to be at least 1s (each step is measured over whole seconds); got ${options.holdMs} ms. Give e.g. --hold 10s`);
  if (!(options.criteria.errorBudget >= 0 && options.criteria.errorBudget < 1)) {
    throw new UsageError('INVALID_ERROR_BUDGET', `Expected --error-budget to be a fraction in [0, 1), e.g. 0.01; got ${options.criteria.errorBudget}`);
  }
  if (options.url === undefined && options.target === undefined) {
    throw new UsageError('NO_TARGET', 'Nothing to load: give --target SPEC (e.g. gobwas) or --url ws://HOST:PORT/PATH');
  }
  checkCapacityTraffic(options.traffic, { connections: options.from, messageBytes: options.messageBytes, durationMs: options.holdMs, url: options.url }, 'ramp');
}

/** The connection counts of the steps: from, from + step, … up to and including `to`. */
export function rampSteps(options: Pick<ResolvedRampOptions, 'from' | 'step' | 'to'>): number[] {
  const counts: number[] = [];
  for (let connections = options.from; connections < options.to; connections += options.step) counts.push(connections);
  counts.push(options.to);
  return counts;
}
