import { execa } from 'execa';
import { formatCpuList, type CpuPin } from '../cpu-pin.js';
import { readAllowedCpus } from '../plan/cpu-pinning.js';

/**
 * While trials run pinned apart, wsbench's own process (the coordinator: it starts each target, reads /proc
 * and the target's metrics, takes the workers' per-second reports and bootstraps the verdicts) moves onto the
 * driver's CPUs, so the target's CPUs are the target's alone.
 *
 * Left anywhere, it ran on the target's CPU at the driver's real-time priority and preempted the target there
 * whenever it worked: during a gate benchmark on the 2-core machine it used 1.07 s of CPU in 10 s, on CPU 0
 * (the target's) in 10 of 10 one-second samples, and a real-time burst on the target's CPU is an echo
 * delayed, a cold cache after it, and a server CPU figure that moves with wsbench's own work. On the driver's
 * CPUs it preempts nothing the measurement depends on: each worker's loop outranks it (driver/loop-priority.ts).
 */
export interface CoordinatorAffinity {
  /** What the reports say, appended to the scheduling note; empty when nothing was moved. */
  note: string;
  /** Puts the coordinator back on the CPUs it had; never throws. */
  restore(): Promise<void>;
}

const NOTHING_MOVED: CoordinatorAffinity = { note: '', restore: async () => {} };

/** Moves every thread of `pid` onto `pin`'s CPUs (`taskset -a -p`); without a pin, or when taskset fails, nothing moves. */
export async function moveCoordinatorTo(pin: CpuPin | undefined, pid: number = process.pid): Promise<CoordinatorAffinity> {
  if (pin === undefined) return NOTHING_MOVED;
  const before = formatCpuList(readAllowedCpus('/proc', pid));
  const cpus = formatCpuList(pin.cpus);
  const moved = await execa(pin.taskset, ['-a', '-p', '-c', cpus, String(pid)], { reject: false });
  if (moved.failed || before === '') return NOTHING_MOVED;
  return {
    note: `, wsbench itself on CPU ${cpus}`,
    restore: async () => {
      await execa(pin.taskset, ['-a', '-p', '-c', before, String(pid)], { reject: false });
    },
  };
}
