import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/run/run-result.js';
import { resolveTargetDefinition } from '../../src/targets/resolve-target.js';
import { sweepStaleTargetNamespaces, usedSubnetsOnHost } from '../../src/targets/target-namespace.js';
import { hostSettingsOf, planTargetNamespace } from '../../src/targets/target-namespace-plan.js';
import { startTarget } from '../../src/targets/target-process.js';
import { parseTargetSpec } from '../../src/targets/target-spec.js';
import { expectCompletedOrBusy } from '../support/busy-machine.js';
import { CLI, isAlive, readJson, runCli, startCli, waitForOutput } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-target-netns-'));

function whyNoNamespaces(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: ip netns needs root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (ip netns) is not usable here';
  }
  return undefined;
}
const skipped = whyNoNamespaces();
const titled = (title: string) => `${title}${skipped === undefined ? '' : ` (skipped: ${skipped})`}`;

const namespacesOf = (pid: number): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith(`wsbench-target-${pid}-`));
const inNamespaceOf = (pid: number, command: string, ...args: string[]): string => execFileSync('nsenter', ['-t', String(pid), '-n', command, ...args], { encoding: 'utf8' });
const hostSomaxconn = (): string => readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim();

describe('TCP-layer knobs where no namespace can be made', () => {
  const cliReadableByNobody = (() => {
    try {
      execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', CLI]);
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(process.getuid?.() !== 0 || !cliReadableByNobody)('without root: exit 2 before anything starts, naming the reason and the fix', async () => {
    const run = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'run', '--target', 'gobwas:somaxconn=128', '--connections', '10'], { reject: false, env: { HOME: os.tmpdir(), CI: 'true' } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/gobwas:somaxconn=128: somaxconn=128 runs the target in a network namespace of its own, which needs root \(ip netns\), but wsbench runs as uid 65534\. Run wsbench as root \(sudo\), or drop somaxconn/);
    expect(run.stdout).not.toMatch(/starting target/);
  });

  it('without ip on PATH: exit 2 naming iproute2', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'wsbench-no-ip-'));
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const run = await execa(process.execPath, [CLI, 'compare', '--a', 'gobwas:nofile=1024', '--b', 'gobwas'], { reject: false, env: { PATH: bin, CI: 'true' } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(process.getuid?.() === 0 ? /nofile=1024 runs the target in a network namespace of its own, which needs iproute2's `ip`, not found on PATH\. Install it \(apt-get install iproute2\)/ : /needs root/);
  });
});

describe.skipIf(skipped !== undefined)('a target with TCP-layer knobs runs in a network namespace of its own', () => {
  it(titled('has the sysctls and the file limit inside, listens with that backlog, and leaves no namespace or veth behind'), async () => {
    const before = hostSomaxconn();
    const spec = parseTargetSpec('gobwas:model=epoll,somaxconn=128,tw-reuse=1,fin-timeout-s=10,nofile=2048');
    const definition = resolveTargetDefinition(spec);
    const settings = hostSettingsOf(definition, spec.knobs);
    const namespace = planTargetNamespace({ ownerPid: process.pid, sequence: 900, hostAddressCount: 1, usedSubnets: usedSubnetsOnHost(), ...settings });
    const target = await startTarget({ definition, knobs: spec.knobs, namespace });
    try {
      expect(target.url).toBe(`ws://${namespace.targetAddress}:${new URL(target.url).port}/`);
      expect(namespacesOf(process.pid)).toContain(namespace.name);
      const read = (key: string) => inNamespaceOf(target.pid, 'cat', `/proc/sys/net/${key}`).trim();
      expect([read('core/somaxconn'), read('ipv4/tcp_tw_reuse'), read('ipv4/tcp_fin_timeout')]).toEqual(['128', '1', '10']);
      // The server's listen() took the namespace's somaxconn: ss shows a listener's backlog as Send-Q.
      const listener = inNamespaceOf(target.pid, 'ss', '-ltnH', `sport = :${new URL(target.url).port}`).trim().split(/\s+/);
      expect(listener[2]).toBe('128');
      expect(readFileSync(`/proc/${target.pid}/limits`, 'utf8')).toMatch(/Max open files\s+2048\s+2048/);
      expect(hostSomaxconn()).toBe(before);
    } finally {
      await target.stop();
    }
    expect(namespacesOf(process.pid)).toEqual([]);
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain(namespace.hostInterface);
  });

  it(titled('a run against it connects to the namespace address, reads tcp{} there, and removes the namespace on exit'), async () => {
    const json = path.join(outDir, 'run.json');
    const run = await runCli(['run', '--target', 'gobwas:somaxconn=64,nofile=4096', '--connections', '300', '--rate', '2', '--size', '64', '--duration', '3s', '--warmup', '1s', '--json', json]);
    const result = readJson<RunResult>(json);
    // A busy runner may saturate the driver (exit 3, named); the namespace facts below hold either way.
    expectCompletedOrBusy(run.exitCode, result, run.stderr);
    expect(result.target.url).toMatch(/^ws:\/\/10\.251\.\d+\.1:\d+\/$/);
    expect(result.target.command).toMatch(/^ip netns exec wsbench-target-\d+-0 prlimit --nofile=4096:4096 -- /);
    expect(result.connections.established).toBe(300);
    expect(result.generator.sourceAddresses.every((address) => address.startsWith(result.target.url.slice(5).split('.').slice(0, 3).join('.')))).toBe(true);
    expect(result.tcp?.scope).toBe('target-namespace');
    expect(namespacesOf(ownerOf(result))).toEqual([]);
  });

  it(titled('wsbench SIGKILLed: its target dies with it, and the next start sweeps the namespace it left'), async () => {
    const cli = startCli(['run', '--target', 'gobwas:somaxconn=256', '--connections', '20', '--rate', '1', '--duration', '60s', '--warmup', '0s']);
    const [, targetPid] = await waitForOutput(cli, /target ready: pid (\d+)/);
    const left = namespacesOf(cli.pid!);
    expect(left).toHaveLength(1);
    cli.kill('SIGKILL');
    await cli;
    // PDEATHSIG: the kernel kills the target as wsbench goes; no hook of wsbench ran.
    for (let waited = 0; isAlive(Number(targetPid)) && waited < 5000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isAlive(Number(targetPid))).toBe(false);
    expect(namespacesOf(cli.pid!)).toEqual(left);
    expect(sweepStaleTargetNamespaces()).toContain(left[0]);
    expect(namespacesOf(cli.pid!)).toEqual([]);
  });
});

function ownerOf(result: RunResult): number {
  return Number(/wsbench-target-(\d+)-/.exec(result.target.command ?? '')?.[1]);
}
