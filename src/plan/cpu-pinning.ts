import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CpuPinning } from '../cpu-pin.js';
import { describePinning } from '../cpu-pin.js';

/**
 * Whether and where a comparison pins the target and the driver apart. On one machine the two compete
 * for the same cores, and the scheduler's choices move both the server's CPU per message and the
 * latencies from trial to trial; with disjoint cores each arm's trials see the same split. The target
 * gets the first half of the CPUs this process may use, the driver's workers the rest.
 */

export type PinningDecision = { pinned: true; pinning: CpuPinning; description: string } | { pinned: false; reason: string };

export interface PlanPinningInput {
  /** False with --no-pin. */
  enabled: boolean;
  /** The CPUs this process may run on (its affinity mask), in order. */
  allowedCpus: readonly number[];
  /** Path of taskset, undefined when it is not installed. */
  taskset: string | undefined;
}

export function planCpuPinning(input: PlanPinningInput): PinningDecision {
  if (!input.enabled) return { pinned: false, reason: 'not pinned (--no-pin)' };
  if (input.allowedCpus.length < 2) {
    return { pinned: false, reason: `not pinned: this process may use ${input.allowedCpus.length} CPU, and pinning needs 2 to keep the target and the driver apart` };
  }
  if (input.taskset === undefined) {
    return {
      pinned: false,
      reason: 'not pinned: `taskset` was not found on PATH, so the target and the driver share every core (noisier figures); install util-linux (Debian: apt-get install util-linux) or pass --no-pin to run unpinned on purpose',
    };
  }
  const half = Math.ceil(input.allowedCpus.length / 2);
  const targetCpus = input.allowedCpus.slice(0, half);
  const driverCpus = input.allowedCpus.slice(half);
  const pinning: CpuPinning = { target: { taskset: input.taskset, cpus: targetCpus }, driver: { taskset: input.taskset, cpus: driverCpus } };
  return {
    pinned: true,
    pinning,
    description: `${describePinning(pinning)}; --no-pin turns it off`,
  };
}

/** `0-3,8,10-11` → [0, 1, 2, 3, 8, 10, 11]; undefined for text that is not a CPU list. */
export function parseCpuList(text: string): number[] | undefined {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (match === null) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) return undefined;
    for (let cpu = from; cpu <= to; cpu += 1) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on, from /proc/self/status (a container's cpuset shows here, not in os.cpus()). */
export function readAllowedCpus(procRoot = '/proc', pid: number | 'self' = 'self'): number[] {
  try {
    const status = readFileSync(path.join(procRoot, String(pid), 'status'), 'utf8');
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
    return (line === null ? undefined : parseCpuList(line[1]!)) ?? [];
  } catch {
    return [];
  }
}

/** The first executable `taskset` on PATH. */
export function findTaskset(searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'taskset');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The decision for this machine. */
export function decideCpuPinning(enabled: boolean): PinningDecision {
  return planCpuPinning({ enabled, allowedCpus: readAllowedCpus(), taskset: findTaskset() });
}
