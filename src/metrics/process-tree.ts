import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a process and all its descendants from /proc (Linux). Children are found by scanning every
 * /proc/PID/stat for its parent PID, which works on every kernel (`task/TID/children` needs
 * CONFIG_PROC_CHILDREN). A process that exits while it is being read is skipped, not an error.
 */

export const DEFAULT_PROC_ROOT = '/proc';
const FALLBACK_CLOCK_TICKS_PER_SECOND = 100;
const FALLBACK_PAGE_SIZE_BYTES = 4096;
const PROC_SUPER_MAGIC = 0x9fa0;

/** The fields of /proc/PID/stat that wsbench uses. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  utimeTicks: number;
  stimeTicks: number;
  threads: number;
  /** When the process started, in clock ticks after boot: with `pid`, it tells a reused PID apart. */
  startTicks: number;
}

export interface ProcessReading {
  pid: number;
  ppid: number;
  comm: string;
  startTicks: number;
  /** utime + stime. */
  cpuSeconds: number;
  rssBytes: number;
  /** 0 when /proc/PID/fd cannot be read (another user's process). */
  openFds: number;
  threads: number;
}

export interface ProcessTreeReading {
  rootPid: number;
  /** The root first, then its descendants breadth-first. Empty when the root has exited. */
  processes: ProcessReading[];
  cpuSeconds: number;
  rssBytes: number;
  openFds: number;
  threads: number;
}

export interface ReadProcessTreeOptions {
  /** @default '/proc' */
  procRoot?: string;
  /** @default `getconf CLK_TCK` */
  clockTicksPerSecond?: number;
  /** @default `getconf PAGESIZE` */
  pageSizeBytes?: number;
}

let clockTicksPerSecond: number | undefined;
let pageSizeBytes: number | undefined;

export function getClockTicksPerSecond(): number {
  clockTicksPerSecond ??= getconf('CLK_TCK', FALLBACK_CLOCK_TICKS_PER_SECOND);
  return clockTicksPerSecond;
}

export function getPageSizeBytes(): number {
  pageSizeBytes ??= getconf('PAGESIZE', FALLBACK_PAGE_SIZE_BYTES);
  return pageSizeBytes;
}

function getconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Parses the text of /proc/PID/stat, or returns undefined when it is not one. `comm` is in parentheses
 * and may itself hold spaces and parentheses, so the fields are split after the *last* `)`.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Fields after comm, numbered from 3 (state) as in proc(5).
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const field = (n: number): number => Number(fields[n - 3]);
  const stat: ProcStat = {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: fields[0] ?? '',
    ppid: field(4),
    utimeTicks: field(14),
    stimeTicks: field(15),
    threads: field(20),
    startTicks: field(22),
  };
  const numbers = [stat.pid, stat.ppid, stat.utimeTicks, stat.stimeTicks, stat.threads, stat.startTicks];
  return numbers.every(Number.isFinite) ? stat : undefined;
}

export function readProcessTree(rootPid: number, options: ReadProcessTreeOptions = {}): ProcessTreeReading {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const ticksPerSecond = options.clockTicksPerSecond ?? getClockTicksPerSecond();
  const pageSize = options.pageSizeBytes ?? getPageSizeBytes();

  const processes: ProcessReading[] = [];
  const countFds = openFdCounter(procRoot);
  for (const stat of findProcessTree(rootPid, procRoot)) {
    const reading = readProcess(procRoot, stat, ticksPerSecond, pageSize, countFds);
    if (reading !== undefined) processes.push(reading);
  }

  return {
    rootPid,
    processes,
    cpuSeconds: sum(processes, (p) => p.cpuSeconds),
    rssBytes: sum(processes, (p) => p.rssBytes),
    openFds: sum(processes, (p) => p.openFds),
    threads: sum(processes, (p) => p.threads),
  };
}

/** The stat lines of a process and all its descendants: the root first, then breadth-first. */
export function findProcessTree(rootPid: number, procRoot: string = DEFAULT_PROC_ROOT): ProcStat[] {
  const childrenOf = new Map<number, ProcStat[]>();
  let root: ProcStat | undefined;
  for (const stat of listProcStats(procRoot)) {
    if (stat.pid === rootPid) root = stat;
    const siblings = childrenOf.get(stat.ppid);
    if (siblings === undefined) childrenOf.set(stat.ppid, [stat]);
    else siblings.push(stat);
  }
  const tree: ProcStat[] = [];
  const queue = root === undefined ? [] : [root];
  const seen = new Set<number>();
  for (let stat = queue.shift(); stat !== undefined; stat = queue.shift()) {
    if (seen.has(stat.pid)) continue;
    seen.add(stat.pid);
    tree.push(stat);
    queue.push(...(childrenOf.get(stat.pid) ?? []));
  }
  return tree;
}

function listProcStats(procRoot: string): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    const text = readOrUndefined(join(procRoot, entry, 'stat'));
    const stat = text === undefined ? undefined : parseProcStat(text);
    if (stat !== undefined) stats.push(stat);
  }
  return stats;
}

function readProcess(procRoot: string, stat: ProcStat, ticksPerSecond: number, pageSize: number, countFds: (fdDir: string) => number): ProcessReading | undefined {
  const dir = join(procRoot, String(stat.pid));
  // statm's second field is resident pages; a zombie has none and an exited process has no file.
  const statm = readOrUndefined(join(dir, 'statm'));
  if (statm === undefined) return undefined;
  const residentPages = Number(statm.trim().split(/\s+/)[1] ?? 0);
  return {
    pid: stat.pid,
    ppid: stat.ppid,
    comm: stat.comm,
    startTicks: stat.startTicks,
    cpuSeconds: (stat.utimeTicks + stat.stimeTicks) / ticksPerSecond,
    rssBytes: (Number.isFinite(residentPages) ? residentPages : 0) * pageSize,
    openFds: countFds(join(dir, 'fd')),
    threads: stat.threads,
  };
}

/**
 * How to count a process's open files. Since Linux 6.2 the size of procfs's /proc/PID/fd is that count (older
 * kernels report 0): listing the directory instead costs a lookup per descriptor, and a server holding 100,000
 * connections cost the coordinator 0.2 of a core (listed once a second), on the cores the driver and the server share.
 * A procRoot that is not procfs (the unit tests' fake /proc) is listed.
 */
const fdCounters = new Map<string, (fdDir: string) => number>();

function openFdCounter(procRoot: string): (fdDir: string) => number {
  let counter = fdCounters.get(procRoot);
  if (counter === undefined) {
    counter = procfsSizesCountFds(procRoot) ? statSizeOrListing : countEntries;
    fdCounters.set(procRoot, counter);
  }
  return counter;
}

function procfsSizesCountFds(procRoot: string): boolean {
  try {
    return statfsSync(procRoot).type === PROC_SUPER_MAGIC && statSync(join(procRoot, 'self', 'fd')).size > 0;
  } catch {
    return false;
  }
}

function statSizeOrListing(fdDir: string): number {
  try {
    // 0 is also what a kernel without the count reports, so list those (a process with no files lists fast).
    return statSync(fdDir).size || countEntries(fdDir);
  } catch {
    return 0;
  }
}

function countEntries(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}
