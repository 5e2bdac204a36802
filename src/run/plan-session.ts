import { UsageError } from '../errors.js';
import { planLoad } from '../plan/preflight.js';
import type { LoadPlan, MachineLimits } from '../plan/preflight.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import type { TargetSpec } from '../targets/target-spec.js';
import type { RunListener } from './run-events.js';

/** What the plan depends on: the session's options that size the load. */
export interface SessionPlanRequest {
  target: TargetSpec | undefined;
  url: string | undefined;
  workers: number | undefined;
  /** The most connections the session will open (the plan is made for these). */
  maxConnections: number;
  /** The target's definition, when the session starts one (absent with `--url`). */
  definition: TargetDefinition | undefined;
  /** Bind these source addresses; default: 127.0.0.2, … for a loopback target, else the kernel's choice. */
  sourceAddresses?: readonly string[] | undefined;
  /** Skip this many loopback source addresses (shards sharing one machine use disjoint ones). */
  sourceAddressOffset?: number | undefined;
  emit: RunListener;
}

/**
 * The load plan for a session (workers, source addresses, fd limits): a UsageError before any process
 * starts when this machine cannot run it, its warnings emitted.
 */
export function planSession(options: SessionPlanRequest, limits: MachineLimits): LoadPlan {
  const targetProcs = options.definition?.processCount?.(options.target?.knobs ?? {});
  const plan = planLoad(
    {
      connections: options.maxConnections,
      targetIsFixture: options.definition?.processCount !== undefined,
      ...(targetProcs === undefined ? {} : { targetProcs }),
      ...(options.workers === undefined ? {} : { workersRequested: options.workers }),
      sourceAddresses: options.sourceAddresses ?? (isLoopbackUrl(options.url) ? 'loopback' : 'kernel'),
      sourceAddressOffset: options.sourceAddressOffset ?? 0,
    },
    limits,
  );
  if (plan.errors.length > 0) throw new UsageError('IMPOSSIBLE_PLAN', `This machine cannot run ${options.maxConnections} connections as asked:\n  - ${plan.errors.join('\n  - ')}`);
  for (const warning of plan.warnings) options.emit({ type: 'warning', message: warning });
  return plan;
}

/** A target on this machine (or started by us) is reached from 127.0.0.x; any other host only by its route. */
function isLoopbackUrl(url: string | undefined): boolean {
  if (url === undefined) return true;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
