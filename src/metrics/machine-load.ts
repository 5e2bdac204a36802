import { readFileSync } from 'node:fs';
import { getClockTicksPerSecond, readProcessTree } from './process-tree.js';

/**
 * Who else used the CPU while we measured? On a shared machine (a CI runner, a laptop) another process
 * taking a core changes latencies as much as a regression would. This compares the machine's CPU time
 * (user + nice + system from /proc/stat) with the CPU time of wsbench's own process tree (the driver, its
 * workers and the target, all its descendants); the difference is everyone else. Interrupt and softirq
 * time are left out on both sides: loopback traffic is mostly softirq work, and it is ours. Steal time
 * (a hypervisor giving our vCPU to another guest) is reported on its own.
 */

/** Past this, the result carries a warning that other work competed for the CPU. */
export const NOISY_OTHER_CPU_PERCENT = 25;

/**
 * Past this much steal (percent of one core), the machine is busy too, and on a lower bar than other processes:
 * nothing on our side outranks the hypervisor (real-time priority holds other processes off, not other guests).
 * Measured on a 2-core AMD EPYC guest, 2026-12-02, the quick bench's trials against its own fresh baseline:
 * steal 0.4% → p99 0.87 ms, 1.8% → 1.2 ms, 4.3% → 2.5 ms, 10% → 3.0 ms, 15–45% → 6.7–9.6 ms, 50–94% → 13–28 ms.
 */
export const NOISY_STEAL_PERCENT = 5;

export interface MachineLoad {
  /** CPU used by processes outside wsbench's tree, in percent of one core, over the window. */
  otherCpuPercent: number;
  /** Time the hypervisor ran someone else on our CPUs, in percent of one core. */
  stealPercent: number;
}

/** A machine load as results carry it: with whether it passed NOISY_OTHER_CPU_PERCENT. */
export interface JudgedMachineLoad extends MachineLoad {
  noisy: boolean;
}

export function judgeMachineLoad(load: MachineLoad | null): JudgedMachineLoad | null {
  return load === null ? null : { ...load, noisy: load.otherCpuPercent > NOISY_OTHER_CPU_PERCENT || load.stealPercent > NOISY_STEAL_PERCENT };
}

/** Who took the CPU: "other processes used 97% of a core", "the hypervisor took 55% of a core (steal)", or both. */
export function describeMachineBusy(load: MachineLoad): string {
  const others = `other processes used ${load.otherCpuPercent.toFixed(0)}% of a core`;
  const steal = `the hypervisor took ${load.stealPercent.toFixed(0)}% of a core (steal)`;
  const stealing = load.stealPercent > NOISY_STEAL_PERCENT;
  if (!stealing) return others;
  return load.otherCpuPercent > NOISY_OTHER_CPU_PERCENT ? `${others} and ${steal}` : steal;
}

/** Both figures, whatever passed its bar: "other processes 3%, steal 55%". */
export function formatMachineLoad(load: MachineLoad): string {
  return `other processes ${load.otherCpuPercent.toFixed(0)}%, steal ${load.stealPercent.toFixed(0)}%`;
}

interface Reading {
  atMs: number;
  busySeconds: number;
  stealSeconds: number;
  oursSeconds: number;
}

function read(procRoot: string): Reading {
  const line = readFileSync(`${procRoot}/stat`, 'utf8').split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const ticks = getClockTicksPerSecond();
  const [user = 0, nice = 0, system = 0, , , , , steal = 0] = fields;
  return {
    atMs: performance.now(),
    busySeconds: (user + nice + system) / ticks,
    stealSeconds: steal / ticks,
    oursSeconds: readProcessTree(process.pid, { procRoot }).cpuSeconds,
  };
}

export interface MachineLoadWatch {
  /** The machine's other load since the watch started, or null where /proc is unreadable. */
  stop(): MachineLoad | null;
}

/** Starts watching the machine's other load (other processes, steal). */
export function watchMachineLoad(procRoot = '/proc'): MachineLoadWatch {
  let start: Reading | undefined;
  try {
    start = read(procRoot);
  } catch {
    start = undefined;
  }
  return {
    stop: () => {
      if (start === undefined) return null;
      try {
        const end = read(procRoot);
        const seconds = (end.atMs - start.atMs) / 1000;
        if (seconds <= 0) return null;
        const other = end.busySeconds - start.busySeconds - (end.oursSeconds - start.oursSeconds);
        return {
          otherCpuPercent: Math.max(0, (other / seconds) * 100),
          stealPercent: Math.max(0, ((end.stealSeconds - start.stealSeconds) / seconds) * 100),
        };
      } catch {
        return null;
      }
    },
  };
}
