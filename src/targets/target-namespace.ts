import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import { InfrastructureError, UsageError } from '../errors.js';
import { findExecutable } from './find-executable.js';
import { NAMESPACE_KNOBS, hostInterfaceOfNamespace, ownerPidOf, usedSubnetsOf } from './target-namespace-plan.js';
import type { TargetNamespacePlan } from './target-namespace-plan.js';

/**
 * Creates and removes a target's network namespace with iproute2. Removal happens on every way out: after
 * the target stops (normal end, failure, Ctrl-C), in a synchronous `exit` hook, and — when wsbench itself
 * was SIGKILLed and no hook ran — at the next wsbench start that makes a namespace, which sweeps every
 * `wsbench-target-<pid>-<n>` whose PID is no longer alive (the target inside died with wsbench: PDEATHSIG).
 */

const NETNS_DIR = '/run/netns';
/** Namespaces this process made and has not removed yet: the exit hook removes them. */
const live = new Set<string>();
let exitHookInstalled = false;
let sequence = 0;

/** Numbers this process's namespaces, so a compare's trials never reuse a name. */
export function nextNamespaceSequence(): number {
  return sequence++;
}

export interface NamespaceSupportProbe {
  uid: number | undefined;
  findCommand: (name: string) => string | undefined;
}

const SYSTEM_PROBE: NamespaceSupportProbe = {
  uid: process.getuid?.(),
  // PATH only: the same search execa makes when it runs `ip`.
  findCommand: (name) => findExecutable(name, undefined, process.env.PATH),
};

/**
 * Refuses, before anything is built or started, knobs that need a namespace on a machine that cannot make
 * one: not root, or no `ip` (or no `prlimit` for `nofile`). Each message names the reason and the fix.
 */
export function checkNamespaceSupport(spec: string, knobs: Record<string, string>, probe: NamespaceSupportProbe = SYSTEM_PROBE): void {
  const given = Object.keys(knobs).filter((knob) => Object.hasOwn(NAMESPACE_KNOBS, knob));
  if (given.length === 0) return;
  const named = given.map((knob) => `${knob}=${knobs[knob]}`).join(', ');
  const why = `${spec}: ${named} runs the target in a network namespace of its own`;
  if (probe.uid !== 0) {
    throw new UsageError(
      'NAMESPACE_NEEDS_ROOT',
      `${why}, which needs root (ip netns), but wsbench runs as uid ${probe.uid ?? 'unknown'}. Run wsbench as root (sudo), or drop ${given.join(', ')} (scripts/system_tune.sh check shows the host-wide settings)`,
    );
  }
  if (probe.findCommand('ip') === undefined) {
    throw new UsageError('NAMESPACE_NEEDS_IP', `${why}, which needs iproute2's \`ip\`, not found on PATH. Install it (apt-get install iproute2), or drop ${given.join(', ')}`);
  }
  if (knobs.nofile !== undefined && probe.findCommand('prlimit') === undefined) {
    throw new UsageError('NAMESPACE_NEEDS_PRLIMIT', `${spec}: nofile=${knobs.nofile} needs util-linux's \`prlimit\`, not found on PATH. Install it (apt-get install util-linux), or drop nofile`);
  }
}

/** The host's IPv4 addresses, to keep clear of a /24 another wsbench's namespace already uses. */
export function usedSubnetsOnHost(): Set<number> {
  const addresses = Object.values(os.networkInterfaces()).flatMap((entries) => (entries ?? []).filter((entry) => entry.family === 'IPv4').map((entry) => entry.address));
  return usedSubnetsOf(addresses);
}

async function ip(args: string[], what: string): Promise<string> {
  const result = await execa('ip', args, { reject: false });
  if (result.exitCode !== 0) throw new InfrastructureError('NAMESPACE_SETUP_FAILED', `Could not ${what}: \`ip ${args.join(' ')}\` said: ${String(result.stderr).trim() || `exit ${result.exitCode}`}`);
  return String(result.stdout);
}

/** Makes the namespace, its veth pair and addresses, and sets its sysctls (read back to check the kernel took them). */
export async function createTargetNamespace(plan: TargetNamespacePlan): Promise<void> {
  sweepStaleTargetNamespaces();
  installExitHook();
  await ip(['netns', 'add', plan.name], `create network namespace ${plan.name}`);
  live.add(plan.name);
  try {
    const inside = ['-n', plan.name];
    await ip(['link', 'add', plan.hostInterface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', plan.name], 'create the veth pair');
    for (const address of plan.hostAddresses) await ip(['addr', 'add', `${address}/${plan.prefixLength}`, 'dev', plan.hostInterface], `add ${address} on the host end`);
    await ip(['link', 'set', plan.hostInterface, 'up'], 'bring the host end up');
    await ip([...inside, 'addr', 'add', `${plan.targetAddress}/${plan.prefixLength}`, 'dev', 'eth0'], 'address the namespace end');
    await ip([...inside, 'link', 'set', 'eth0', 'up'], 'bring the namespace end up');
    await ip([...inside, 'link', 'set', 'lo', 'up'], 'bring up loopback in the namespace');
    await setSysctls(plan);
  } catch (error) {
    await removeTargetNamespace(plan.name);
    throw error;
  }
}

const procPath = (key: string): string => `/proc/sys/${key.replaceAll('.', '/')}`;

async function setSysctls(plan: TargetNamespacePlan): Promise<void> {
  const entries = Object.entries(plan.sysctls);
  if (entries.length === 0) return;
  // Keys come from NAMESPACE_KNOBS and values are checked integers: nothing of the user's reaches the shell.
  const script = entries.map(([key, value]) => `echo ${value} > ${procPath(key)}`).join(' && ');
  await ip(['netns', 'exec', plan.name, 'sh', '-c', script], `set ${entries.map(([key, value]) => `${key}=${value}`).join(' ')} in ${plan.name}`);
  const readBack = (await ip(['netns', 'exec', plan.name, 'cat', ...entries.map(([key]) => procPath(key))], 'read the sysctls back')).trim().split('\n');
  entries.forEach(([key, value], index) => {
    if (readBack[index]?.trim() !== value) throw new InfrastructureError('NAMESPACE_SETUP_FAILED', `The kernel kept ${key}=${readBack[index]} in ${plan.name} where ${value} was written`);
  });
}

/** The command that runs `command args` inside the namespace, with its file limit: every step execs, so the PID is the server's. */
export function commandInNamespace(plan: TargetNamespacePlan, command: string, args: readonly string[]): { command: string; args: string[] } {
  const limit = plan.nofile === undefined ? [] : ['prlimit', `--nofile=${plan.nofile}:${plan.nofile}`, '--'];
  return { command: 'ip', args: ['netns', 'exec', plan.name, ...limit, command, ...args] };
}

/** Kills what is left inside (ours: nothing else runs there) and deletes the namespace; its veth pair goes with it. */
export async function removeTargetNamespace(name: string): Promise<void> {
  live.delete(name);
  removeNamespaceSync(name);
}

function removeNamespaceSync(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // Deleting the host end destroys the pair now; the namespace's own teardown is asynchronous.
    const hostInterface = hostInterfaceOfNamespace(name);
    if (hostInterface !== undefined) spawnSync('ip', ['link', 'delete', hostInterface], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  } catch {
    // Already deleted (or never made): nothing is left to remove.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const name of live) removeNamespaceSync(name);
  });
}

/** Deletes the namespaces of wsbench processes that are gone (SIGKILLed before they could); returns their names. */
export function sweepStaleTargetNamespaces(): string[] {
  let names: string[];
  try {
    names = readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
  const stale = names.filter((name) => {
    const owner = ownerPidOf(name);
    return owner !== undefined && owner !== process.pid && !isAlive(owner);
  });
  for (const name of stale) removeNamespaceSync(name);
  return stale;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
