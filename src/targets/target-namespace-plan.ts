import { UsageError } from '../errors.js';
import { parsePositiveInteger } from '../units.js';
import type { HostSetting, KnobDefinition, TargetDefinition } from './target-definition.js';

/**
 * The seed's TCP-layer variables as target knobs (issue 12 §7). They are per network namespace in Linux
 * (the file limit per process), so a target that is given any of them runs in a namespace of its own,
 * reached over a veth pair, and the host's settings are never touched.
 */

export type { HostSetting };

/** The sysctl knobs: the kernel's bounds, so a value it would refuse fails before anything starts. */
const SYSCTL_KNOBS: Record<string, { sysctl: string; description: string; min: number; max: number }> = {
  somaxconn: { sysctl: 'net.core.somaxconn', description: 'the accept-queue cap of every listen() in the target namespace', min: 1, max: 2_147_483_647 },
  'syn-backlog': { sysctl: 'net.ipv4.tcp_max_syn_backlog', description: 'SYN-queue length of the target namespace (half-open handshakes)', min: 1, max: 2_147_483_647 },
  'tw-reuse': { sysctl: 'net.ipv4.tcp_tw_reuse', description: 'reuse TIME_WAIT sockets for new outgoing connections (0 off, 1 on, 2 loopback only)', min: 0, max: 2 },
  'fin-timeout-s': { sysctl: 'net.ipv4.tcp_fin_timeout', description: 'seconds an orphaned connection stays in FIN_WAIT_2', min: 1, max: 86_400 },
};
/** The kernel's default `fs.nr_open`: no process can be given more. */
const MAX_NOFILE = 1_048_576;

function sysctlKnob(knob: string): KnobDefinition {
  const spec = SYSCTL_KNOBS[knob]!;
  return {
    description: `${spec.sysctl} in the target's own network namespace: ${spec.description}`,
    host: { sysctl: spec.sysctl },
    parse: (raw, name) => String(integerIn(raw, name, spec.min, spec.max)),
  };
}

/** The knobs every built-in target takes; any of them starts the target in a network namespace of its own. */
export const NAMESPACE_KNOBS: Record<string, KnobDefinition> = {
  ...Object.fromEntries(Object.keys(SYSCTL_KNOBS).map((knob) => [knob, sysctlKnob(knob)])),
  nofile: {
    description: "the target's open-file limit (soft and hard, like `ulimit -n`), set with prlimit; it runs in a network namespace of its own",
    host: { rlimit: 'nofile' },
    parse: (raw, name) => String(integerIn(raw, name, 16, MAX_NOFILE)),
  },
};

function integerIn(raw: string, knob: string, min: number, max: number): number {
  const value = min === 0 && raw.trim() === '0' ? 0 : parsePositiveInteger(raw, `knob ${knob}`);
  if (value < min || value > max) throw new UsageError('INVALID_KNOB_VALUE', `Expected knob ${knob} to be an integer in ${min}..${max}; got ${JSON.stringify(raw)}. Give e.g. ${knob}=${min === 0 ? 1 : Math.max(min, 128)}`);
  return value;
}

/** The knobs of a SPEC that set the target's surroundings, parsed; empty when the target runs on the host. */
export function hostSettingsOf(definition: TargetDefinition, knobs: Record<string, string>): { sysctls: Record<string, string>; nofile?: number } {
  const sysctls: Record<string, string> = {};
  let nofile: number | undefined;
  for (const [knob, raw] of Object.entries(knobs)) {
    const setting = Object.hasOwn(definition.knobs, knob) ? definition.knobs[knob]!.host : undefined;
    if (setting === undefined) continue;
    const value = definition.knobs[knob]!.parse(raw, knob);
    if ('sysctl' in setting) sysctls[setting.sysctl] = value;
    else nofile = Number(value);
  }
  return { sysctls, ...(nofile === undefined ? {} : { nofile }) };
}

/** Where a namespaced target lives: its name, its veth, its addresses, and what is set inside. */
export interface TargetNamespacePlan {
  /** `wsbench-target-<wsbench pid>-<n>`: the PID lets a later wsbench sweep a namespace whose owner was SIGKILLed. */
  name: string;
  /** The host end of the veth pair (≤ 15 characters); the namespace end is `eth0`. */
  hostInterface: string;
  /** The target's address, inside the namespace. */
  targetAddress: string;
  /** On the host end: the driver's source addresses (each has its own ephemeral ports). */
  hostAddresses: string[];
  prefixLength: number;
  sysctls: Record<string, string>;
  nofile?: number;
}

export const NAMESPACE_PREFIX = 'wsbench-target-';
const STALE_NAME = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-\\d+$`);

/** The PID of the wsbench that made a namespace of ours, or undefined for any other namespace. */
export function ownerPidOf(namespace: string): number | undefined {
  const match = STALE_NAME.exec(namespace);
  return match === null ? undefined : Number(match[1]);
}

/** The host end of a namespace's veth pair, derived from its name so a sweep can delete it too. */
export function hostInterfaceOf(ownerPid: number, sequence: number): string {
  return `wst${ownerPid}x${sequence}`.slice(0, 15);
}

/** The host interface of a namespace of ours, or undefined for any other namespace. */
export function hostInterfaceOfNamespace(namespace: string): string | undefined {
  const match = STALE_NAME.exec(namespace);
  return match === null ? undefined : hostInterfaceOf(Number(match[1]), Number(namespace.slice(namespace.lastIndexOf('-') + 1)));
}

/** One /24 per namespace in 10.251.0.0/16: .1 is the target, .2 … the host end (the driver's sources). */
const SUBNET_FIRST_OCTETS = [10, 251] as const;
export const SUBNETS = 256;
export const MAX_HOST_ADDRESSES = 253;

export interface NamespacePlanRequest {
  ownerPid: number;
  /** Counts the namespaces this wsbench made, so a compare's trials never reuse a name. */
  sequence: number;
  hostAddressCount: number;
  /** Third octets of 10.251.X.0/24 already on this host's interfaces (another wsbench's namespace). */
  usedSubnets: ReadonlySet<number>;
  sysctls: Record<string, string>;
  nofile?: number;
}

/** Plans a target namespace: pure, so the addresses are known before the load is planned and nothing is created. */
export function planTargetNamespace(request: NamespacePlanRequest): TargetNamespacePlan {
  const { ownerPid, sequence, hostAddressCount } = request;
  if (hostAddressCount < 1 || hostAddressCount > MAX_HOST_ADDRESSES) {
    throw new UsageError(
      'IMPOSSIBLE_PLAN',
      `A target in its own network namespace is reached from at most ${MAX_HOST_ADDRESSES} source addresses; this load needs ${hostAddressCount}. Lower --connections, or drop the namespace knobs (${Object.keys(NAMESPACE_KNOBS).join(', ')})`,
    );
  }
  const start = (ownerPid * 7 + sequence) % SUBNETS;
  const subnet = Array.from({ length: SUBNETS }, (_, i) => (start + i) % SUBNETS).find((candidate) => !request.usedSubnets.has(candidate));
  if (subnet === undefined) throw new UsageError('NO_FREE_SUBNET', `Every /24 of 10.251.0.0/16 is on an interface of this host already; delete stale ones (ip netns list | grep ${NAMESPACE_PREFIX})`);
  const base = `${SUBNET_FIRST_OCTETS.join('.')}.${subnet}`;
  return {
    name: `${NAMESPACE_PREFIX}${ownerPid}-${sequence}`,
    hostInterface: hostInterfaceOf(ownerPid, sequence),
    targetAddress: `${base}.1`,
    hostAddresses: Array.from({ length: hostAddressCount }, (_, i) => `${base}.${i + 2}`),
    prefixLength: 24,
    sysctls: request.sysctls,
    ...(request.nofile === undefined ? {} : { nofile: request.nofile }),
  };
}

/** The third octets of 10.251.X.Y addresses among the host's own. */
export function usedSubnetsOf(addresses: readonly string[]): Set<number> {
  const prefix = `${SUBNET_FIRST_OCTETS.join('.')}.`;
  return new Set(addresses.filter((address) => address.startsWith(prefix)).map((address) => Number(address.split('.')[2])));
}
