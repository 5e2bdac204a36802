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

/**
 * Against a stored baseline the bar for steal is lower still, for fresh and recorded trials alike: nothing pairs
 * such a trial with one under the same conditions, and a little steal marks a host whose other guests slow ours
 * far beyond the time they take. Measured on the 2-core AMD EPYC guest, 2026-12-03, fresh gobwas fixtures on CPU 0
 * at 1000 × 5/s × 1 KiB, server CPU per message against the trial's steal (percent of a core): 0–1% → 23.9–31.2 µs,
 * 1–3% → +1% to +15%, 7–13% → +19 to +33%, 23% → +41%, 60% → +90%; and a fresh `npm run bench` whose kept trials
 * had 3.2–3.9% steal read +20.5% CPU per message against trials recorded at 0.1–0.2% (a false FAIL).
 */
export const BASELINE_QUIET_STEAL_PERCENT = 1;

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
  return load === null ? null : { ...load, noisy: busierThan(load, NOISY_STEAL_PERCENT) };
}

/** Other processes past NOISY_OTHER_CPU_PERCENT, or steal past `stealBar`. */
function busierThan(load: MachineLoad, stealBar: number): boolean {
  return load.otherCpuPercent > NOISY_OTHER_CPU_PERCENT || load.stealPercent > stealBar;
}

/**
 * Why a trial is not comparable with a stored baseline's (BASELINE_QUIET_STEAL_PERCENT), or null when it is.
 * A trial without the figures (older baselines) counts as quiet.
 */
export function busyForStoredBaseline(load: MachineLoad | null | undefined): string | null {
  if (load === null || load === undefined) return null;
  return busierThan(load, BASELINE_QUIET_STEAL_PERCENT) ? describeMachineBusy(load, BASELINE_QUIET_STEAL_PERCENT) : null;
}

/** Who took the CPU: "other processes used 97% of a core", "the hypervisor took 55% of a core (steal)", or both. */
export function describeMachineBusy(load: MachineLoad, stealBar: number = NOISY_STEAL_PERCENT): string {
  const others = `other processes used ${load.otherCpuPercent.toFixed(0)}% of a core`;
  const steal = stealBar < NOISY_STEAL_PERCENT
    ? `the hypervisor took ${load.stealPercent.toFixed(1)}% of a core (steal; judging against a stored baseline needs at most ${stealBar}%)`
    : `the hypervisor took ${load.stealPercent.toFixed(0)}% of a core (steal)`;
  const stealing = load.stealPercent > stealBar;
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
