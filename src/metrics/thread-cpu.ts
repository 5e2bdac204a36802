import { performance } from 'node:perf_hooks';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PROC_ROOT, findProcessTree, getClockTicksPerSecond, parseProcStat } from './process-tree.js';

/**
 * CPU time of a process tree in nanoseconds, thread by thread. `/proc/PID/stat` counts in clock ticks
 * (10 ms at USER_HZ 100), far too coarse for a few seconds of a mostly idle server; every thread's
 * `/proc/PID/task/TID/schedstat` starts with its on-CPU time in nanoseconds (sum_exec_runtime), so the
 * tree's CPU over a window is the sum of its threads' differences. When schedstat is missing (a kernel
 * without CONFIG_SCHED_INFO) the thread's own stat ticks are used instead and the reading says so.
 */

export type ThreadCpuSource = 'schedstat' | 'stat-ticks';

export interface ProcessCpu {
  pid: number;
  /** `pid:startTicks`: a reused PID is another process. */
  key: string;
  /** The whole thread group's utime + stime from /proc/PID/stat (dead threads included), in ns, tick precision. */
  groupNs: number;
  /** On-CPU nanoseconds by thread id, for every thread alive at the reading. */
  threads: Map<number, number>;
}

export interface TreeCpuReading {
  /** When the reading was taken (the caller's monotonic clock, ms). */
  atMs: number;
  /** By `pid:startTicks`. */
  processes: Map<string, ProcessCpu>;
  /** `stat-ticks` when any thread had to be read from its ticks. */
  source: ThreadCpuSource;
  /** The length of a clock tick, the precision of `groupNs`. */
  nsPerTick: number;
}

export interface ReadTreeCpuOptions {
  /** @default '/proc' */
  procRoot?: string;
  /** @default `getconf CLK_TCK` */
  clockTicksPerSecond?: number;
  /** @default performance.now */
  clock?: () => number;
}

/** The first field of a schedstat line: nanoseconds on the CPU. Undefined when it is not one. */
export function parseSchedstat(text: string): number | undefined {
  const first = text.trim().split(/\s+/)[0];
  if (first === undefined || !/^\d+$/.test(first)) return undefined;
  return Number(first);
}

export function readTreeCpu(rootPid: number, options: ReadTreeCpuOptions = {}): TreeCpuReading {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const nsPerTick = 1e9 / (options.clockTicksPerSecond ?? getClockTicksPerSecond());
  const atMs = (options.clock ?? (() => performance.now()))();
  const processes = new Map<string, ProcessCpu>();
  let source: ThreadCpuSource = 'schedstat';
  for (const stat of findProcessTree(rootPid, procRoot)) {
    const taskDir = join(procRoot, String(stat.pid), 'task');
    const threads = new Map<number, number>();
    for (const entry of listOrEmpty(taskDir)) {
      if (!/^\d+$/.test(entry)) continue;
      const fromSchedstat = parseOrUndefined(join(taskDir, entry, 'schedstat'), parseSchedstat);
      if (fromSchedstat !== undefined) {
        threads.set(Number(entry), fromSchedstat);
        continue;
      }
      const threadStat = parseOrUndefined(join(taskDir, entry, 'stat'), parseProcStat);
      // Neither file: the thread exited between the listing and the read, which the window handles.
      if (threadStat === undefined) continue;
      source = 'stat-ticks';
      threads.set(Number(entry), (threadStat.utimeTicks + threadStat.stimeTicks) * nsPerTick);
    }
    const key = `${stat.pid}:${stat.startTicks}`;
    processes.set(key, { pid: stat.pid, key, groupNs: (stat.utimeTicks + stat.stimeTicks) * nsPerTick, threads });
  }
  return { atMs, processes, source, nsPerTick };
}

export interface TreeCpuWindow {
  /** CPU the tree used between the first and the last reading, in nanoseconds. */
  cpuNs: number;
  wallMs: number;
  /** Threads seen in any reading. */
  threads: number;
  /** Threads seen at some reading and gone by the next reading of their process (threads that lived and
   * died between two readings are never seen; their time shows only in `recoveredNs`). */
  exitedThreads: number;
  /** Nanoseconds of exited threads recovered from their process's tick counters (see `treeCpuBetween`). */
  recoveredNs: number;
  /** Processes seen at some reading and gone at the last: their time after their last reading is missing. */
  exitedProcesses: number;
  source: ThreadCpuSource;
}

/**
 * The tree's CPU between the first and last of `readings` (taken in order; readings in between only help
 * follow threads and processes that come and go):
 * - a thread counts from its value in the first reading, or from 0 when it appeared later (it was
 *   created inside the window), up to its value in the last reading that still saw it;
 * - a thread that exits takes the time since its last reading with it, and a thread that lives and dies
 *   between two readings is never seen; the process's group counters keep dead threads' time, so for a
 *   process still there at the end, the group's growth minus what its threads account for is that time.
 *   The group counters are ticks, truncated, so the difference is within ±2 ticks of the truth; it is
 *   added when a thread was seen to exit, or when it exceeds those 2 ticks (so a process whose threads
 *   all live through the window stays nanosecond-exact, and only dead threads' share is tick-precise);
 * - a process that exits before the last reading counts up to its last reading.
 */
export function treeCpuBetween(readings: readonly TreeCpuReading[]): TreeCpuWindow {
  const first = readings[0];
  const last = readings.at(-1);
  if (first === undefined || last === undefined) throw new RangeError('treeCpuBetween needs at least one reading');
  const keys = new Set(readings.flatMap((reading) => [...reading.processes.keys()]));
  let cpuNs = 0;
  let threads = 0;
  let exitedThreads = 0;
  let recoveredNs = 0;
  let exitedProcesses = 0;
  for (const key of keys) {
    const seen = readings.flatMap((reading) => {
      const process = reading.processes.get(key);
      return process === undefined ? [] : [process];
    });
    const base = first.processes.get(key);
    const final = last.processes.get(key);
    if (final === undefined) exitedProcesses += 1;
    const lastValue = new Map<number, number>();
    let lostThreads = 0;
    for (const [index, process] of seen.entries()) {
      for (const [tid, ns] of process.threads) lastValue.set(tid, ns);
      const next = seen[index + 1];
      if (next !== undefined) for (const tid of process.threads.keys()) if (!next.threads.has(tid)) lostThreads += 1;
    }
    let counted = 0;
    for (const [tid, ns] of lastValue) counted += Math.max(0, ns - (base?.threads.get(tid) ?? 0));
    cpuNs += counted;
    threads += lastValue.size;
    exitedThreads += lostThreads;
    if (final !== undefined) {
      const uncountedNs = final.groupNs - (base?.groupNs ?? 0) - counted;
      if ((lostThreads > 0 && uncountedNs > 0) || uncountedNs > 2 * last.nsPerTick) {
        recoveredNs += uncountedNs;
        cpuNs += uncountedNs;
      }
    }
  }
  const source = readings.some((reading) => reading.source === 'stat-ticks') ? 'stat-ticks' : 'schedstat';
  return { cpuNs, wallMs: last.atMs - first.atMs, threads, exitedThreads, recoveredNs, exitedProcesses, source };
}

function listOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function parseOrUndefined<T>(path: string, parse: (text: string) => T | undefined): T | undefined {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
