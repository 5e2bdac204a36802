import { readdirSync, readFileSync } from 'node:fs';
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
 * Set on wsbench's own main thread with `chrt` (util-linux) and inherited by what it starts next: the
 * driver's workers (each raises its own event loop one priority above its helper threads, which would
 * otherwise hold the worker's one CPU for a 100 ms round-robin slice: driver/loop-priority.ts) and the target; `demoteTarget` then puts the ready target (every thread of its process
 * tree) back to normal scheduling at nice −10. Build the target before calling this, so a compiler does not
 * inherit it. Needs root or CAP_SYS_NICE; without them the trials run as before and the note says why.
 */
export const DRIVER_REALTIME_PRIORITY = 1;
export const TARGET_NICE = -10;

export interface RealtimeScheduling {
  applied: boolean;
  /** Demotes a target once it is ready (a no-op when nothing was applied). */
  onTargetReady(pid: number): void;
  /** What the reports say: how the trials were scheduled, or why not real-time. */
  note: string;
  /** Puts wsbench back to normal scheduling; safe to call when nothing was applied. */
  restore(): Promise<void>;
}

export async function enterRealtimeScheduling(pid: number = process.pid): Promise<RealtimeScheduling> {
  const set = await execa('chrt', ['-r', '-p', String(DRIVER_REALTIME_PRIORITY), String(pid)], { reject: false, all: true });
  if (set.failed) {
    const why = set.code === 'ENOENT' ? '`chrt` (util-linux) was not found' : String(set.all ?? set.message).trim().split('\n')[0] ?? 'chrt failed';
    return { applied: false, note: `normal scheduling (real-time not available: ${why}; run as root or with CAP_SYS_NICE)`, onTargetReady: () => {}, restore: async () => {} };
  }
  return {
    applied: true,
    onTargetReady: (targetPid) => void demoteTarget(targetPid),
    note: `driver at real-time priority (SCHED_RR ${DRIVER_REALTIME_PRIORITY}), target at nice ${TARGET_NICE}; --no-realtime turns it off`,
    restore: async () => {
      await execa('chrt', ['-o', '-p', '0', String(pid)], { reject: false });
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
