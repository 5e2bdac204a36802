import { UsageError } from '../errors.js';
import { planLoad } from '../plan/preflight.js';
import type { LoadPlan, LoadRequest, MachineLimits } from '../plan/preflight.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { nextNamespaceSequence } from '../targets/target-namespace.js';
import { hostSettingsOf, planTargetNamespace } from '../targets/target-namespace-plan.js';
import type { TargetNamespacePlan } from '../targets/target-namespace-plan.js';
import type { TargetSpec } from '../targets/target-spec.js';
import type { RunListener } from './run-events.js';
import type { SessionDeps } from './session-deps.js';

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
 * starts when this machine cannot run it. When the target's knobs set sysctls or its file limit, also its
 * network namespace: the driver then binds addresses on the namespace's veth. Warnings are the caller's to emit.
 */
export function planSession(
  options: SessionPlanRequest,
  limits: MachineLimits,
  deps: Pick<SessionDeps, 'usedNamespaceSubnets'>,
): { plan: LoadPlan; namespace: TargetNamespacePlan | undefined } {
  const targetProcs = options.definition?.processCount?.(options.target?.knobs ?? {});
  const request = (sourceAddresses: LoadRequest['sourceAddresses'], somaxconn = limits.somaxconn): LoadPlan => {
    const plan = planLoad(
      {
        connections: options.maxConnections,
        targetIsFixture: options.definition?.processCount !== undefined,
        ...(targetProcs === undefined ? {} : { targetProcs }),
        ...(options.workers === undefined ? {} : { workersRequested: options.workers }),
        ...(sourceAddresses === undefined ? {} : { sourceAddresses }),
        sourceAddressOffset: options.sourceAddressOffset ?? 0,
      },
      { ...limits, somaxconn },
    );
    if (plan.errors.length > 0) throw new UsageError('IMPOSSIBLE_PLAN', `This machine cannot run ${options.maxConnections} connections as asked:\n  - ${plan.errors.join('\n  - ')}`);
    return plan;
  };
  const settings = options.definition === undefined ? undefined : hostSettingsOf(options.definition, options.target?.knobs ?? {});
  if (settings === undefined || (Object.keys(settings.sysctls).length === 0 && settings.nofile === undefined)) {
    return { plan: request(options.sourceAddresses ?? (isLoopbackUrl(options.url) ? 'loopback' : 'kernel')), namespace: undefined };
  }
  if (options.sourceAddresses !== undefined) {
    throw new UsageError('SOURCE_ADDRESSES_WITH_NAMESPACE', `${options.target?.text}: a target in its own network namespace is reached from addresses wsbench puts on its veth; drop --source-addresses, or drop the namespace knobs`);
  }
  // As many source addresses on the veth's host end as the loopback plan would bind, each with its own ports.
  const namespace = planTargetNamespace({
    ownerPid: process.pid,
    sequence: nextNamespaceSequence(),
    hostAddressCount: request('loopback').sourceAddresses.length,
    usedSubnets: deps.usedNamespaceSubnets(),
    ...settings,
  });
  const somaxconn = settings.sysctls['net.core.somaxconn'];
  return { plan: request(namespace.hostAddresses, somaxconn === undefined ? limits.somaxconn : Number(somaxconn)), namespace };
}

/** A target on this machine (or started by us) is reached from 127.0.0.x; any other host only by its route. */
function isLoopbackUrl(url: string | undefined): boolean {
  if (url === undefined) return true;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
