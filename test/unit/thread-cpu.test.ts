import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSchedstat, readTreeCpu, treeCpuBetween } from '../../src/metrics/thread-cpu.js';
import type { TreeCpuReading } from '../../src/metrics/thread-cpu.js';

interface FakeThread {
  tid: number;
  /** Nanoseconds on CPU; undefined writes no schedstat (an old kernel), only the thread's stat. */
  ns?: number;
  ticks?: number;
}

interface FakeProcess {
  pid: number;
  ppid: number;
  /** The whole group's utime + stime, in ticks. */
  groupTicks?: number;
  startTicks?: number;
  threads: FakeThread[];
}

function statLine(pid: number, ppid: number, ticks: number, threads: number, startTicks: number): string {
  const after = ['S', ppid, pid, pid, 0, -1, 0, 0, 0, 0, 0, ticks, 0, 0, 0, 20, 0, threads, 0, startTicks, 0, 0];
  return `${pid} (srv) ${after.join(' ')}\n`;
}

/** Replaces /proc/PID with the process's stat and task/TID/{stat,schedstat}. */
function writeFakeProcess(procRoot: string, p: FakeProcess): void {
  const dir = join(procRoot, String(p.pid));
  rmSync(dir, { recursive: true, force: true });
  const startTicks = p.startTicks ?? 1000;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'stat'), statLine(p.pid, p.ppid, p.groupTicks ?? 0, p.threads.length, startTicks));
  for (const thread of p.threads) {
    const taskDir = join(dir, 'task', String(thread.tid));
    mkdirSync(taskDir, { recursive: true });
    writeFileSync(join(taskDir, 'stat'), statLine(thread.tid, p.ppid, thread.ticks ?? 0, p.threads.length, startTicks));
    if (thread.ns !== undefined) writeFileSync(join(taskDir, 'schedstat'), `${thread.ns} 5000 12\n`);
  }
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function makeProcRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-proc-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const MS = 1_000_000;

describe('parseSchedstat', () => {
  it('reads the nanoseconds on CPU, the first of the three fields', () => {
    expect(parseSchedstat('123456789 4242 17\n')).toBe(123_456_789);
  });

  it('returns undefined for text that is not a schedstat line', () => {
    expect(parseSchedstat('')).toBeUndefined();
    expect(parseSchedstat('abc 1 2')).toBeUndefined();
  });
});

describe('readTreeCpu on a fake /proc', () => {
  it('reads every thread of the root and of its descendants, in nanoseconds', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 1, ppid: 0, threads: [{ tid: 1, ns: 999 * MS }] });
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, threads: [{ tid: 100, ns: 5 * MS }, { tid: 103, ns: 7 * MS }] });
    writeFakeProcess(procRoot, { pid: 101, ppid: 100, startTicks: 2000, threads: [{ tid: 101, ns: 3 * MS }] });

    const reading = readTreeCpu(100, { procRoot, clockTicksPerSecond: 100, clock: () => 0 });

    expect([...reading.processes.keys()]).toEqual(['100:1000', '101:2000']);
    expect([...reading.processes.get('100:1000')!.threads]).toEqual([[100, 5 * MS], [103, 7 * MS]]);
    expect(reading.source).toBe('schedstat');
  });

  it('falls back to the thread\'s stat ticks when schedstat is missing, and says so', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, threads: [{ tid: 100, ticks: 3 }, { tid: 104, ns: 2 * MS }] });

    const reading = readTreeCpu(100, { procRoot, clockTicksPerSecond: 100, clock: () => 0 });

    expect([...reading.processes.get('100:1000')!.threads]).toEqual([[100, 30 * MS], [104, 2 * MS]]);
    expect(reading.source).toBe('stat-ticks');
  });

  it('returns no process when the root has exited', () => {
    const procRoot = makeProcRoot();
    expect(readTreeCpu(4242, { procRoot, clockTicksPerSecond: 100 }).processes.size).toBe(0);
  });
});

describe('treeCpuBetween', () => {
  function readAt(procRoot: string, atMs: number): TreeCpuReading {
    return readTreeCpu(100, { procRoot, clockTicksPerSecond: 100, clock: () => atMs });
  }

  it('sums each thread\'s growth, with sub-tick precision', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, threads: [{ tid: 100, ns: 10 * MS }, { tid: 101, ns: 20 * MS }] });
    const start = readAt(procRoot, 0);
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, threads: [{ tid: 100, ns: 10 * MS + 1_234 }, { tid: 101, ns: 23 * MS }] });

    const window = treeCpuBetween([start, readAt(procRoot, 1000)]);

    expect(window.cpuNs).toBe(3 * MS + 1_234);
    expect(window).toMatchObject({ wallMs: 1000, threads: 2, exitedThreads: 0, exitedProcesses: 0, recoveredNs: 0 });
  });

  it('counts a thread and a process that appear inside the window from zero', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, threads: [{ tid: 100, ns: 10 * MS }] });
    const start = readAt(procRoot, 0);
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, threads: [{ tid: 100, ns: 11 * MS }, { tid: 105, ns: 2 * MS }] });
    writeFakeProcess(procRoot, { pid: 200, ppid: 100, threads: [{ tid: 200, ns: 4 * MS }] });

    const window = treeCpuBetween([start, readAt(procRoot, 1000)]);

    expect(window.cpuNs).toBe(7 * MS);
    expect(window.threads).toBe(3);
  });

  it('recovers an exited thread\'s time from its process\'s group ticks, which keep dead threads\' time', () => {
    const procRoot = makeProcRoot();
    // 10 ms + 20 ms live at the start: the group reads 3 ticks.
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, groupTicks: 3, threads: [{ tid: 100, ns: 10 * MS }, { tid: 101, ns: 20 * MS }] });
    const start = readAt(procRoot, 0);
    // Thread 101 ran 50 ms more and exited; 100 ran 5 ms more. The group has 85 ms = 8 ticks (truncated).
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, groupTicks: 8, threads: [{ tid: 100, ns: 15 * MS }] });

    const window = treeCpuBetween([start, readAt(procRoot, 1000)]);

    expect(window.exitedThreads).toBe(1);
    // Group growth 50 ms (ticks) − 5 ms counted by threads = 45 ms recovered; within a tick of the true 50.
    expect(window.recoveredNs).toBe(45 * MS);
    expect(window.cpuNs).toBe(50 * MS);
  });

  it('recovers the time of a thread that lived and died between two readings, once it exceeds two ticks', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, groupTicks: 1, threads: [{ tid: 100, ns: 10 * MS }] });
    const start = readAt(procRoot, 0);
    // A thread nobody saw ran 40 ms: the group went from 1 to 6 ticks while thread 100 ran 10 ms.
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, groupTicks: 6, threads: [{ tid: 100, ns: 20 * MS }] });

    const window = treeCpuBetween([start, readAt(procRoot, 1000)]);

    expect(window.recoveredNs).toBe(40 * MS);
    expect(window.cpuNs).toBe(50 * MS);
  });

  it('does not touch the tick counters while no thread exits, so their truncation adds no noise', () => {
    const procRoot = makeProcRoot();
    // 9 ms reads 0 ticks, 10.5 ms reads 1 tick: the group "grew" 10 ms while the thread ran 1.5 ms.
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, groupTicks: 0, threads: [{ tid: 100, ns: 9 * MS }] });
    const start = readAt(procRoot, 0);
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, groupTicks: 1, threads: [{ tid: 100, ns: 10.5 * MS }] });

    expect(treeCpuBetween([start, readAt(procRoot, 1000)]).cpuNs).toBe(1.5 * MS);
  });

  it('counts a process that exits up to its last reading and reports it', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, threads: [{ tid: 100, ns: 1 * MS }] });
    writeFakeProcess(procRoot, { pid: 200, ppid: 100, threads: [{ tid: 200, ns: 2 * MS }] });
    const start = readAt(procRoot, 0);
    writeFakeProcess(procRoot, { pid: 200, ppid: 100, threads: [{ tid: 200, ns: 6 * MS }] });
    const middle = readAt(procRoot, 500);
    rmSync(join(procRoot, '200'), { recursive: true });

    const window = treeCpuBetween([start, middle, readAt(procRoot, 1000)]);

    expect(window.cpuNs).toBe(4 * MS);
    expect(window.exitedProcesses).toBe(1);
  });

  it('tells a reused PID from the process that had it', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, threads: [{ tid: 100, ns: 1 * MS }] });
    writeFakeProcess(procRoot, { pid: 200, ppid: 100, startTicks: 1000, threads: [{ tid: 200, ns: 50 * MS }] });
    const start = readAt(procRoot, 0);
    writeFakeProcess(procRoot, { pid: 200, ppid: 100, startTicks: 1500, threads: [{ tid: 200, ns: 3 * MS }] });

    const window = treeCpuBetween([start, readAt(procRoot, 1000)]);

    // The old 200 exited (its last reading was the start: nothing to add); the new one counts from zero.
    expect(window.cpuNs).toBe(3 * MS);
    expect(window.exitedProcesses).toBe(1);
  });
});

describe('readTreeCpu on real processes', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  /**
   * A Node process that waits for a line on stdin, then burns `burnMs` of CPU on its main thread and on
   * a worker thread each (the worker exits when done), and prints its own getrusage CPU for the burn.
   */
  function startBurner(burnMs: number, spawnChild = false): ChildProcess {
    const script = `
      const { Worker } = require('node:worker_threads');
      const { spawn } = require('node:child_process');
      // Burns CPU time, not wall time, so a busy machine cannot shorten it: this thread's own schedstat.
      const burn = (ms) => {
        const fs = require('node:fs');
        const onCpu = () => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
        const end = onCpu() + ms * 1e6;
        while (onCpu() < end);
      };
      // The grandchild leaves by itself once orphaned, so a burner SIGKILLed by the clean-up leaves nothing behind.
      const grandchild = ${spawnChild} ? spawn(process.execPath, ['-e', 'const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 100)'], { stdio: 'ignore' }) : undefined;
      process.stdout.write('ready\\n');
      process.stdin.once('data', () => {
        const before = process.cpuUsage();
        const worker = new Worker('(' + burn.toString() + ')(${burnMs})', { eval: true });
        burn(${burnMs});
        worker.once('exit', () => {
          const used = process.cpuUsage(before);
          process.stdout.write('cpu ' + (used.user + used.system) + '\\n');
        });
      });
      process.stdin.once('end', () => { grandchild?.kill(); process.exit(0); });
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    return child;
  }

  async function nextLine(child: ChildProcess): Promise<string> {
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    return chunk.toString().trim();
  }

  it('measures what the process itself measured, including a worker thread that exited before the end', async () => {
    const child = startBurner(150);
    expect(await nextLine(child)).toBe('ready');
    const start = readTreeCpu(child.pid!);
    child.stdin!.write('go\n');
    const selfMicros = Number((await nextLine(child)).split(' ')[1]);
    const window = treeCpuBetween([start, readTreeCpu(child.pid!)]);
    child.stdin!.end();

    // Both count the same CPU time (getrusage and schedstat share the scheduler's clock), whatever else
    // the machine runs. The worker lived and died between the readings, so its share comes back
    // through the group ticks (±2 ticks).
    expect(window.recoveredNs).toBeGreaterThan(150 * MS - 20 * MS);
    expect(window.cpuNs / 1000).toBeGreaterThan(selfMicros - 20_000);
    expect(window.cpuNs / 1000).toBeLessThan(selfMicros + 30_000);
  });

  it('sees a few milliseconds of CPU that the tick counters cannot', async () => {
    const child = startBurner(3);
    expect(await nextLine(child)).toBe('ready');
    const start = readTreeCpu(child.pid!);
    const mainThreadBefore = start.processes.values().next().value!.threads.get(child.pid!)!;
    child.stdin!.write('go\n');
    const selfMicros = Number((await nextLine(child)).split(' ')[1]);
    const end = readTreeCpu(child.pid!);
    child.stdin!.end();
    const mainThreadGrowthNs = end.processes.values().next().value!.threads.get(child.pid!)! - mainThreadBefore;

    // The main thread burned 3 ms: below one 10 ms tick, yet schedstat shows at least that, and not
    // much more than the process's own count.
    expect(mainThreadGrowthNs).toBeGreaterThanOrEqual(3 * MS);
    expect(mainThreadGrowthNs / 1000).toBeLessThan(selfMicros + 10_000);
  });

  it('reads the threads of the process\'s children too', async () => {
    const child = startBurner(10, true);
    expect(await nextLine(child)).toBe('ready');
    const reading = readTreeCpu(child.pid!);
    const exited = once(child, 'exit');
    child.stdin!.end();
    await exited;

    expect(reading.processes.size).toBe(2);
  });
});
