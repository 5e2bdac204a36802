import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { planSession } from '../../src/run/plan-session.js';
import { DEFAULT_SESSION_DEPS } from '../../src/run/session-deps.js';
import { gobwasTarget, nodeTarget } from '../../src/targets/builtin-targets.js';
import { knobArguments } from '../../src/targets/target-definition.js';
import { checkNamespaceSupport } from '../../src/targets/target-namespace.js';
import { MAX_HOST_ADDRESSES, hostInterfaceOfNamespace, hostSettingsOf, ownerPidOf, planTargetNamespace, usedSubnetsOf } from '../../src/targets/target-namespace-plan.js';
import { parseTargetSpec } from '../../src/targets/target-spec.js';
import { MACHINE } from '../support/machine.js';

const usageCode = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof UsageError ? error.code : `not a UsageError: ${String(error)}`;
  }
  return undefined;
};

describe('the TCP-layer knobs of the built-in targets', () => {
  it('set sysctls and the file limit around the server, never a flag of it', () => {
    const knobs = { model: 'epoll', somaxconn: '128', 'syn-backlog': '256', 'tw-reuse': '1', 'fin-timeout-s': '10', nofile: '1024' };
    expect(knobArguments(gobwasTarget, knobs)).toEqual(['--model', 'epoll']);
    expect(hostSettingsOf(gobwasTarget, knobs)).toEqual({
      sysctls: { 'net.core.somaxconn': '128', 'net.ipv4.tcp_max_syn_backlog': '256', 'net.ipv4.tcp_tw_reuse': '1', 'net.ipv4.tcp_fin_timeout': '10' },
      nofile: 1024,
    });
    expect(hostSettingsOf(nodeTarget, { somaxconn: '4096' })).toEqual({ sysctls: { 'net.core.somaxconn': '4096' } });
    expect(hostSettingsOf(gobwasTarget, { model: 'epoll' })).toEqual({ sysctls: {} });
  });

  it('refuse values the kernel would refuse, naming the knob and the range', () => {
    for (const [knob, value] of [['somaxconn', '0'], ['tw-reuse', '3'], ['fin-timeout-s', '-1'], ['nofile', '8'], ['nofile', '2000000'], ['syn-backlog', 'many']]) {
      expect(usageCode(() => knobArguments(gobwasTarget, { [knob!]: value! }))).toMatch(/^(INVALID_KNOB_VALUE|INVALID_INTEGER|NEGATIVE_VALUE)$/);
    }
    expect(() => knobArguments(gobwasTarget, { 'tw-reuse': '3' })).toThrow(/knob tw-reuse to be an integer in 0\.\.2; got "3"/);
    expect(knobArguments(gobwasTarget, { 'tw-reuse': '0' })).toEqual([]);
  });
});

describe('checkNamespaceSupport', () => {
  const root = { uid: 0, findCommand: (name: string) => `/usr/bin/${name}` };

  it('lets a spec without namespace knobs run anywhere, root or not', () => {
    expect(() => checkNamespaceSupport('gobwas:model=epoll', { model: 'epoll' }, { uid: 1000, findCommand: () => undefined })).not.toThrow();
  });

  it('refuses them without root, naming the knob, the reason and the fix', () => {
    expect(() => checkNamespaceSupport('gobwas:somaxconn=128', { somaxconn: '128' }, { ...root, uid: 1000 })).toThrow(
      /gobwas:somaxconn=128: somaxconn=128 runs the target in a network namespace of its own, which needs root \(ip netns\), but wsbench runs as uid 1000\. Run wsbench as root \(sudo\), or drop somaxconn/,
    );
    expect(usageCode(() => checkNamespaceSupport('gobwas:somaxconn=128', { somaxconn: '128' }, { ...root, uid: 1000 }))).toBe('NAMESPACE_NEEDS_ROOT');
  });

  it('refuses them without ip, and nofile without prlimit', () => {
    expect(usageCode(() => checkNamespaceSupport('gobwas:tw-reuse=1', { 'tw-reuse': '1' }, { uid: 0, findCommand: () => undefined }))).toBe('NAMESPACE_NEEDS_IP');
    expect(() => checkNamespaceSupport('gobwas:tw-reuse=1', { 'tw-reuse': '1' }, { uid: 0, findCommand: () => undefined })).toThrow(/apt-get install iproute2/);
    const noPrlimit = { uid: 0, findCommand: (name: string) => (name === 'prlimit' ? undefined : `/usr/bin/${name}`) };
    expect(usageCode(() => checkNamespaceSupport('gobwas:nofile=1024', { nofile: '1024' }, noPrlimit))).toBe('NAMESPACE_NEEDS_PRLIMIT');
    expect(() => checkNamespaceSupport('gobwas:somaxconn=128', { somaxconn: '128' }, noPrlimit)).not.toThrow();
  });
});

describe('planTargetNamespace', () => {
  const request = { ownerPid: 4242, sequence: 3, hostAddressCount: 2, usedSubnets: new Set<number>(), sysctls: { 'net.core.somaxconn': '128' }, nofile: 1024 };

  it('names the namespace after the wsbench PID and gives the target .1 and the driver .2, .3 of one free /24', () => {
    const plan = planTargetNamespace(request);
    expect(plan.name).toBe('wsbench-target-4242-3');
    expect(ownerPidOf(plan.name)).toBe(4242);
    expect(plan.hostInterface.length).toBeLessThanOrEqual(15);
    const subnet = plan.targetAddress.split('.').slice(0, 3).join('.');
    expect(plan.targetAddress).toMatch(/^10\.251\.\d+\.1$/);
    expect(plan.hostAddresses).toEqual([`${subnet}.2`, `${subnet}.3`]);
    expect(plan).toMatchObject({ prefixLength: 24, sysctls: { 'net.core.somaxconn': '128' }, nofile: 1024 });
  });

  it('keeps clear of a /24 already on this host, and of nothing else', () => {
    const first = planTargetNamespace(request);
    const taken = Number(first.targetAddress.split('.')[2]);
    const next = planTargetNamespace({ ...request, usedSubnets: usedSubnetsOf([first.hostAddresses[0]!, '127.0.0.1', '10.250.1.1']) });
    expect(Number(next.targetAddress.split('.')[2])).toBe((taken + 1) % 256);
    expect(usedSubnetsOf(['10.251.7.2', '10.251.7.3', '192.168.1.4'])).toEqual(new Set([7]));
    expect(() => planTargetNamespace({ ...request, usedSubnets: new Set(Array.from({ length: 256 }, (_, i) => i)) })).toThrow(/Every \/24 of 10\.251\.0\.0\/16/);
  });

  it('refuses a load that needs more source addresses than a /24 has', () => {
    expect(() => planTargetNamespace({ ...request, hostAddressCount: MAX_HOST_ADDRESSES + 1 })).toThrow(/at most 253 source addresses; this load needs 254/);
  });

  it('leaves every other namespace alone: only wsbench-target-<pid>-<n> has an owner', () => {
    expect(ownerPidOf('wsb123-h0')).toBeUndefined();
    expect(ownerPidOf('wsbench-target-12-x')).toBeUndefined();
    expect(ownerPidOf('wsbench-target-77-0')).toBe(77);
    expect(hostInterfaceOfNamespace(planTargetNamespace(request).name)).toBe(planTargetNamespace(request).hostInterface);
    expect(hostInterfaceOfNamespace('wsb123-h0')).toBeUndefined();
  });
});

describe('planSession with namespace knobs', () => {
  const deps = { ...DEFAULT_SESSION_DEPS, usedNamespaceSubnets: () => new Set<number>() };
  const session = (text: string, connections: number, extra: { sourceAddresses?: string[] } = {}) => {
    const target = parseTargetSpec(text);
    return planSession({ target, url: undefined, workers: undefined, maxConnections: connections, definition: gobwasTarget, emit: () => {}, ...extra }, MACHINE, deps);
  };

  it('binds the driver to the veth addresses, as many as the loopback plan would, one set per worker', () => {
    const { plan, namespace } = session('gobwas:somaxconn=128', 30_000);
    expect(namespace?.hostAddresses).toHaveLength(plan.sourceAddresses.length);
    expect(plan.sourceAddresses.every((address) => namespace!.hostAddresses.includes(address))).toBe(true);
    expect(plan.workers.map((worker) => worker.connections).reduce((a, b) => a + b)).toBe(30_000);
    const perWorker = plan.workers.map((worker) => worker.sourceAddresses.map((entry) => entry.address));
    expect(new Set(perWorker.flat()).size).toBe(perWorker.flat().length);
  });

  it('keeps loopback without namespace knobs, and refuses --source-addresses with them', () => {
    const plain = session('gobwas:model=epoll', 100);
    expect(plain.namespace).toBeUndefined();
    expect(plain.plan.sourceAddresses).toEqual(['127.0.0.2']);
    expect(usageCode(() => session('gobwas:nofile=1024', 100, { sourceAddresses: ['10.0.0.1'] }))).toBe('SOURCE_ADDRESSES_WITH_NAMESPACE');
  });

  it('warns about the accept queue from the somaxconn knob, not the host setting', () => {
    const warnings: string[] = [];
    const target = parseTargetSpec('gobwas:somaxconn=128');
    const { plan } = planSession({ target, url: undefined, workers: undefined, maxConnections: 1000, definition: gobwasTarget, emit: () => {} }, MACHINE, deps);
    warnings.push(...plan.warnings);
    expect(warnings.join('\n')).toMatch(/net\.core\.somaxconn 128 caps the target's accept queue/);
    expect(session('gobwas:somaxconn=4096', 1000).plan.warnings.join('\n')).not.toMatch(/somaxconn/);
  });
});
