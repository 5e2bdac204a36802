import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProcStat, readProcessTree } from '../../src/metrics/process-tree.js';

interface FakeProcess {
  pid: number;
  ppid: number;
  comm?: string;
  utimeTicks?: number;
  stimeTicks?: number;
  threads?: number;
  startTicks?: number;
  residentPages?: number;
  fds?: number;
}

/** Writes the files of /proc/PID that the reader uses: stat, statm and fd/. */
function writeFakeProcess(procRoot: string, p: FakeProcess): void {
  const dir = join(procRoot, String(p.pid));
  mkdirSync(join(dir, 'fd'), { recursive: true });
  // Fields 3..24 of proc(5): state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss
  const after = ['S', p.ppid, p.pid, p.pid, 0, -1, 4194560, 100, 0, 0, 0, p.utimeTicks ?? 0, p.stimeTicks ?? 0,
    0, 0, 20, 0, p.threads ?? 1, 0, p.startTicks ?? 1000, 123456789, p.residentPages ?? 0];
  writeFileSync(join(dir, 'stat'), `${p.pid} (${p.comm ?? 'proc'}) ${after.join(' ')} 0 0 0\n`);
  writeFileSync(join(dir, 'statm'), `5000 ${p.residentPages ?? 0} 300 10 0 800 0\n`);
  for (let fd = 0; fd < (p.fds ?? 0); fd += 1) writeFileSync(join(dir, 'fd', String(fd)), '');
}

const tempDirs: string[] = [];
function makeProcRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-proc-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('parseProcStat', () => {
  it('splits after the last parenthesis, so a comm with spaces and parentheses is read whole', () => {
    const stat = parseProcStat('4242 (my (weird) server) R 1 4242 4242 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 7 0 9999 1000 42 0\n');

    expect(stat).toEqual({
      pid: 4242,
      comm: 'my (weird) server',
      state: 'R',
      ppid: 1,
      utimeTicks: 250,
      stimeTicks: 50,
      threads: 7,
      startTicks: 9999,
    });
  });

  it('returns undefined for text that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 (short) S 1')).toBeUndefined();
  });
});

describe('readProcessTree', () => {
  it('sums the root and all its descendants from a fake /proc and leaves other processes out', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 1, ppid: 0, comm: 'init' });
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, comm: 'go server (main) x', utimeTicks: 150, stimeTicks: 50, threads: 8, residentPages: 1000, fds: 5 });
    writeFakeProcess(procRoot, { pid: 101, ppid: 100, comm: ') worker', utimeTicks: 30, stimeTicks: 20, threads: 2, residentPages: 500, fds: 3 });
    writeFakeProcess(procRoot, { pid: 102, ppid: 101, comm: 'grandchild', utimeTicks: 10, threads: 1, residentPages: 10, fds: 1 });
    writeFakeProcess(procRoot, { pid: 200, ppid: 1, comm: 'unrelated', utimeTicks: 999, threads: 4, residentPages: 9999, fds: 9 });
    mkdirSync(join(procRoot, 'self'));
    writeFileSync(join(procRoot, 'uptime'), '1 1\n');

    const tree = readProcessTree(100, { procRoot, clockTicksPerSecond: 100, pageSizeBytes: 4096 });

    expect(tree.processes.map((p) => [p.pid, p.comm])).toEqual([
      [100, 'go server (main) x'],
      [101, ') worker'],
      [102, 'grandchild'],
    ]);
    expect(tree.cpuSeconds).toBeCloseTo(2.6, 10);
    expect(tree.rssBytes).toBe(1510 * 4096);
    expect(tree.openFds).toBe(9);
    expect(tree.threads).toBe(11);
  });

  it('skips a process that vanished between listing and reading', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 100, ppid: 1, utimeTicks: 100 });
    writeFakeProcess(procRoot, { pid: 101, ppid: 100, utimeTicks: 100 });
    rmSync(join(procRoot, '101', 'statm'));
    mkdirSync(join(procRoot, '102')); // listed, but its stat is already gone

    const tree = readProcessTree(100, { procRoot, clockTicksPerSecond: 100, pageSizeBytes: 4096 });

    expect(tree.processes.map((p) => p.pid)).toEqual([100]);
    expect(tree.cpuSeconds).toBe(1);
  });

  it('returns an empty tree when the root has exited', () => {
    const procRoot = makeProcRoot();
    writeFakeProcess(procRoot, { pid: 7, ppid: 1 });

    expect(readProcessTree(100, { procRoot })).toEqual({ rootPid: 100, processes: [], cpuSeconds: 0, rssBytes: 0, openFds: 0, threads: 0 });
  });

  describe.runIf(process.platform === 'linux')('on the real /proc', () => {
    const spawned: number[] = [];
    afterEach(() => {
      for (const pid of spawned.splice(0)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });

    it('finds a spawned parent and its CPU-burning child, with CPU time above zero', async () => {
      // The child burns CPU for at most 3 s and the parent lives at most 10 s, even if cleanup fails.
      const childCode = 'const end = Date.now() + 3000; while (Date.now() < end) {}';
      const parentCode = `
        const { spawn } = require('node:child_process');
        const child = spawn(process.execPath, ['-e', ${JSON.stringify(childCode)}], { stdio: 'ignore' });
        console.log(child.pid);
        setTimeout(() => {}, 10000);`;
      const parent = spawn(process.execPath, ['-e', parentCode], { stdio: ['ignore', 'pipe', 'inherit'] });
      spawned.push(parent.pid!);
      const childPid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        parent.once('error', reject);
      });
      spawned.unshift(childPid);

      let tree = readProcessTree(parent.pid!);
      for (let attempt = 0; attempt < 40; attempt += 1) {
        const child = tree.processes.find((p) => p.pid === childPid);
        if (child !== undefined && child.cpuSeconds > 0) break;
        await sleep(50);
        tree = readProcessTree(parent.pid!);
      }

      expect(tree.processes.map((p) => p.pid)).toEqual([parent.pid, childPid]);
      expect(tree.processes[1]?.ppid).toBe(parent.pid);
      expect(tree.processes.find((p) => p.pid === childPid)?.cpuSeconds).toBeGreaterThan(0);
      expect(tree.cpuSeconds).toBeGreaterThan(0);
      expect(tree.rssBytes).toBeGreaterThan(0);
      expect(tree.openFds).toBeGreaterThan(0);
      expect(tree.threads).toBeGreaterThanOrEqual(2);
    });

    it('counts the open files of a process holding 500 more as listing its /proc/PID/fd does', async () => {
      // The reader takes the count from the directory's size where the kernel gives it (Linux >= 6.2).
      const code = `
        const { openSync } = require('node:fs');
        for (let i = 0; i < 500; i += 1) openSync('/dev/null', 'r');
        console.log('open');
        setTimeout(() => {}, 10000);`;
      const holder = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      spawned.push(holder.pid!);
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('error', reject);
      });

      const listed = readdirSync(`/proc/${holder.pid}/fd`).length;
      expect(listed).toBeGreaterThan(500);
      expect(readProcessTree(holder.pid!).openFds).toBe(listed);
    });
  });
});
