import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';

/**
 * Trials with the driver under real-time round-robin scheduling (SCHED_RR) and the target at a raised nice
 * level, so that other work on a shared machine (compilers, test runners, another job) cannot delay a send
 * or an echo by a scheduler time slice. Measured on the 2-core machine with other users' load at ~140% of a
 * core (README "Gate benchmark"): per-trial p50 pair-to-pair SD 0.21 → 0.05, p99 SD 0.52 → 0.30, and no trial
 * lost to a saturated generator (10 of 20 before).
 *
 * The target is not real-time: a target that burns every core (a regression that halves throughput) would
 * use up the kernel's real-time budget (sched_rt_runtime_us, 95% of each second) and have every real-time
 * task throttled for the rest, the driver included (seen: send lag p99 40 ms). At nice −10 it still outweighs
 * a normal process ten to one, and the driver (~half a core at these loads) never nears the budget.
 *
 * The round-robin slice is shortened to RR_TIMESLICE_MS while trials run (kernel.sched_rr_timeslice_ms,
 * 100 ms by default, restored after). Every thread of a driver worker is real-time at one priority, the loop
 * and Node's helpers (GC, compiler, thread pool), on one CPU: a helper that became runnable kept that CPU for a
 * whole 100 ms slice while the loop waited (send-lag p99 8–69 ms on a quiet machine, docs/gate-noise.md §4).
 * Giving the loop a higher priority than its helpers instead removed the stalls but once livelocked a worker
 * for minutes: V8's main thread spin-waited for a helper that could never run under it. With a short slice at
 * one priority a spinning thread yields within the slice, and a helper delays the loop by one slice at most.
 * If the slice cannot be set (not root), the trials run at normal scheduling: the default slice is worse.
 *
 * Set on wsbench's own main thread with `chrt` (util-linux) and inherited by what it starts next: the
 * driver's workers and the target; `demoteTarget` then puts the ready target (every thread of its process
 * tree) back to normal scheduling at nice −10. Build the target before calling this, so a compiler does not
 * inherit it. Needs root or CAP_SYS_NICE; without them the trials run as before and the note says why.
 */
export const DRIVER_REALTIME_PRIORITY = 1;
export const TARGET_NICE = -10;
/** The round-robin slice while trials run (kernel.sched_rr_timeslice_ms; its default is 100). */
export const RR_TIMESLICE_MS = 2;
export const RR_TIMESLICE_FILE = '/proc/sys/kernel/sched_rr_timeslice_ms';

export interface RealtimeScheduling {
  applied: boolean;
  /** Demotes a target once it is ready (a no-op when nothing was applied). */
  onTargetReady(pid: number): void;
  /** What the reports say: how the trials were scheduled, or why not real-time. */
  note: string;
  /** Puts wsbench back to normal scheduling; safe to call when nothing was applied. */
  restore(): Promise<void>;
}

const normalScheduling = (why: string): RealtimeScheduling => ({
  applied: false,
  note: `normal scheduling (real-time not available: ${why}; run as root or with CAP_SYS_NICE)`,
  onTargetReady: () => {},
  restore: async () => {},
});

/** Writes the slice and gives back the one it replaced; undefined when it cannot be set. */
function setRoundRobinSlice(ms: number, file: string): number | undefined {
  try {
    const before = Number(readFileSync(file, 'utf8').trim());
    writeFileSync(file, `${ms}\n`);
    return Number.isFinite(before) && before > 0 ? before : undefined;
  } catch {
    return undefined;
  }
}

export async function enterRealtimeScheduling(pid: number = process.pid, sliceFile: string = RR_TIMESLICE_FILE): Promise<RealtimeScheduling> {
  const sliceBefore = setRoundRobinSlice(RR_TIMESLICE_MS, sliceFile);
  if (sliceBefore === undefined) return normalScheduling(`${sliceFile} cannot be written, and at the kernel's default slice a driver thread stalls the loop for up to 100 ms`);
  const restoreSlice = (): void => void setRoundRobinSlice(sliceBefore, sliceFile);
  const set = await execa('chrt', ['-r', '-p', String(DRIVER_REALTIME_PRIORITY), String(pid)], { reject: false, all: true });
  if (set.failed) {
    restoreSlice();
    return normalScheduling(set.code === 'ENOENT' ? '`chrt` (util-linux) was not found' : String(set.all ?? set.message).trim().split('\n')[0] ?? 'chrt failed');
  }
  return {
    applied: true,
    onTargetReady: (targetPid) => void demoteTarget(targetPid),
    note: `driver at real-time priority (SCHED_RR ${DRIVER_REALTIME_PRIORITY}, ${RR_TIMESLICE_MS} ms round-robin slice while trials run), target at nice ${TARGET_NICE}; --no-realtime turns it off`,
    restore: async () => {
      await execa('chrt', ['-o', '-p', '0', String(pid)], { reject: false });
      restoreSlice();
    },
  };
}

/** The target's process tree, from /proc: the root and every descendant. */
function processTree(rootPid: number): number[] {
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const tasks = readdirSync(`/proc/${pids[i]}/task`);
      for (const tid of tasks) {
        const children = readFileSync(`/proc/${pids[i]}/task/${tid}/children`, 'utf8').trim();
        if (children !== '') pids.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // Gone already, or no /proc: nothing to demote there.
    }
  }
  return pids;
}

/** Every thread of the target's process tree back to normal scheduling, at `TARGET_NICE`. Never throws. */
export async function demoteTarget(rootPid: number): Promise<void> {
  const pids = processTree(rootPid);
  await Promise.all(pids.map((pid) => execa('chrt', ['-a', '-o', '-p', '0', String(pid)], { reject: false })));
  const threads = pids.flatMap((pid) => {
    try {
      return readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
  });
  // Nice is per thread on Linux; threads the target starts later inherit it from the thread that starts them.
  if (threads.length > 0) await execa('renice', ['-n', String(TARGET_NICE), '-p', ...threads], { reject: false });
}
