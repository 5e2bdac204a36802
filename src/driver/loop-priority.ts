import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Under real-time scheduling, a worker's event loop outranks its own helper threads.
 *
 * `compare` and `bench` run the driver at SCHED_RR (run/realtime-priority.ts), and a forked worker inherits it
 * on every thread: the main thread that sends and timestamps, and V8's and libuv's helpers (GC, compilation,
 * the thread pool). Pinned to one CPU, threads of equal real-time priority never preempt each other: a helper
 * that becomes runnable while the loop waits in epoll keeps the CPU for its whole round-robin slice (100 ms),
 * and an echo or a due send waits behind it. Measured on the 2-core machine, target on CPU 0, one worker on
 * CPU 1, 1000 × 5/s × 1 KiB (docs/gate-noise.md §4): send-lag p99 8–69 ms with every thread at RR 1 (one run
 * saturated), 2.1–2.6 ms at normal scheduling, 0.49–0.52 ms with the main thread at RR 2 and its helpers at
 * RR 1. One priority higher, the loop runs the moment it is woken; the helpers still get the CPU whenever the
 * loop sleeps, and still outrank every normal process.
 *
 * Only the calling thread is raised (`chrt -p` without `-a`), after Node has started its helpers; threads the
 * loop starts later (the precise pacer's ticker) inherit the loop's priority, which is what they need.
 *
 * The hazard: a loop that waits for a helper without sleeping never lets it run. V8's garbage collector does
 * that. Oilpan's (cppgc's) incremental sweeper, on the main thread, reposts itself while its concurrent
 * sweeper, a helper, still holds pages: caught with perf in a compare whose B arm was 4× over capacity, the loop
 * at 94% of CPU 1 in `Sweeper::IncrementalSweepTask::Run` → `ScheduleIncrementalSweeping` for minutes, four
 * helper threads runnable below it (3 of 3 such compares hung; the quick bench's baselines lost one trial in
 * about 450 the same way). So a real-time worker runs with `--single-threaded-gc` (workerV8FlagsForScheduling):
 * its collector does all its work on the loop. On one pinned CPU the parallel helpers had nothing to run in
 * parallel with anyway.
 */

/** The V8 flag that keeps garbage collection off helper threads. */
export const SINGLE_THREADED_GC_FLAG = '--single-threaded-gc';

/** How `/proc/PID/stat` says a thread is scheduled: `policy` 2 is SCHED_RR, 1 SCHED_FIFO, 0 normal. */
export interface ThreadScheduling {
  policy: number;
  rtPriority: number;
}

export const SCHED_RR = 2;

/** Fields 40 (rt_priority) and 41 (policy) of a stat line; the command name may hold spaces and parentheses. */
export function parseThreadScheduling(statLine: string): ThreadScheduling | undefined {
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state).
  const rtPriority = Number(fields[40 - 3]);
  const policy = Number(fields[41 - 3]);
  return Number.isInteger(rtPriority) && Number.isInteger(policy) ? { policy, rtPriority } : undefined;
}

export function readThreadScheduling(pid: number, tid: number = pid): ThreadScheduling | undefined {
  try {
    return parseThreadScheduling(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * V8 flags for a driver worker forked from this process: it inherits this thread's scheduling, and under
 * SCHED_RR it will raise its loop above its helpers, so its collector must not wait for them.
 */
export function workerV8FlagsForScheduling(scheduling: ThreadScheduling | undefined = readThreadScheduling(process.pid)): string[] {
  return scheduling?.policy === SCHED_RR ? [SINGLE_THREADED_GC_FLAG] : [];
}

export type LoopPriorityOutcome = { raised: true; rtPriority: number } | { raised: false; why: string };

/**
 * Raises this process's main thread one real-time priority above the rest of its threads when it runs at
 * SCHED_RR; does nothing otherwise. Never throws: without it the trials are noisier, not wrong.
 */
export async function raiseLoopAboveHelpers(pid: number = process.pid): Promise<LoopPriorityOutcome> {
  const own = readThreadScheduling(pid);
  if (own === undefined) return { raised: false, why: 'no /proc' };
  if (own.policy !== SCHED_RR) return { raised: false, why: 'not real-time' };
  const rtPriority = own.rtPriority + 1;
  try {
    await promisify(execFile)('chrt', ['-r', '-p', String(rtPriority), String(pid)]);
    return { raised: true, rtPriority };
  } catch (error) {
    return { raised: false, why: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}
