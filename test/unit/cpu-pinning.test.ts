import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describePinning, pinnedCommand } from '../../src/cpu-pin.js';
import { WorkerProcess } from '../../src/driver/worker-process.js';
import { findTaskset, parseCpuList, planCpuPinning, readAllowedCpus } from '../../src/plan/cpu-pinning.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-pin-'));
  dirs.push(dir);
  return dir;
}

describe('parseCpuList', () => {
  it('reads ranges and single CPUs as /proc and taskset write them', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('1')).toEqual([1]);
  });

  it('returns undefined for anything else', () => {
    expect(parseCpuList('')).toBeUndefined();
    expect(parseCpuList('3-1')).toBeUndefined();
    expect(parseCpuList('a,b')).toBeUndefined();
  });
});

describe('planCpuPinning', () => {
  it('gives the target the first half of the allowed CPUs and the driver the rest', () => {
    const decision = planCpuPinning({ enabled: true, allowedCpus: [0, 1], taskset: '/usr/bin/taskset' });

    expect(decision).toMatchObject({ pinned: true, pinning: { target: { cpus: [0] }, driver: { cpus: [1] } } });
    expect(decision.pinned && decision.description).toBe('target pinned to CPU 0, driver workers to CPU 1 (taskset); --no-pin turns it off');
    expect(planCpuPinning({ enabled: true, allowedCpus: [2, 3, 4, 5], taskset: 't' })).toMatchObject({ pinning: { target: { cpus: [2, 3] }, driver: { cpus: [4, 5] } } });
  });

  it('does not pin with --no-pin, on one CPU, or without taskset, and says why and what to do', () => {
    expect(planCpuPinning({ enabled: false, allowedCpus: [0, 1], taskset: 't' })).toEqual({ pinned: false, reason: 'not pinned (--no-pin)' });
    expect(planCpuPinning({ enabled: true, allowedCpus: [0], taskset: 't' })).toMatchObject({ pinned: false, reason: expect.stringMatching(/needs 2/) });
    const missing = planCpuPinning({ enabled: true, allowedCpus: [0, 1], taskset: undefined });
    expect(missing.pinned).toBe(false);
    expect(!missing.pinned && missing.reason).toMatch(/`taskset` was not found on PATH.*install util-linux.*--no-pin/);
  });
});

describe('finding taskset and the allowed CPUs', () => {
  it('finds the first executable taskset on PATH, and none on a PATH without it', () => {
    const [empty, withIt] = [tempDir(), tempDir()];
    writeFileSync(join(withIt, 'taskset'), '#!/bin/sh\n');
    chmodSync(join(withIt, 'taskset'), 0o755);

    expect(findTaskset(`${empty}:${withIt}`)).toBe(join(withIt, 'taskset'));
    expect(findTaskset(empty)).toBeUndefined();
  });

  it('reads Cpus_allowed_list from /proc/self/status', () => {
    const procRoot = tempDir();
    mkdirSync(join(procRoot, 'self'));
    writeFileSync(join(procRoot, 'self', 'status'), 'Name:\tnode\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n');

    expect(readAllowedCpus(procRoot)).toEqual([0, 1]);
    expect(readAllowedCpus(tempDir())).toEqual([]);
  });
});

const taskset = findTaskset();
const allowed = readAllowedCpus();
const canPin = taskset !== undefined && allowed.length >= 2;
const lastCpu = allowed.at(-1) ?? 0;
const allowedListOf = (pid: number): string => /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;

describe.skipIf(!canPin)('pinning real processes', () => {
  it('runs a command on the chosen CPU, with the command\'s own PID', () => {
    const { command, args } = pinnedCommand({ taskset: taskset!, cpus: [lastCpu] }, process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync("/proc/self/status","utf8"))']);
    const status = execFileSync(command, args, { encoding: 'utf8' });

    expect(command).toBe(taskset);
    expect(/^Cpus_allowed_list:\s*(.+)$/m.exec(status)![1]).toBe(String(lastCpu));
  });

  it('starts a driver worker on the driver\'s CPU, as the same PID', async () => {
    const worker = new WorkerProcess(0, () => {}, { taskset: taskset!, cpus: [lastCpu] });
    try {
      // taskset sets the affinity, then execs Node: wait for the exec, after which the PID is the worker's.
      const node = realpathSync(process.execPath);
      for (let waited = 0; readlinkSync(`/proc/${worker.pid!}/exe`) !== node && waited < 5000; waited += 20) await sleep(20);
      expect(readlinkSync(`/proc/${worker.pid!}/exe`)).toBe(node);
      expect(allowedListOf(worker.pid!)).toBe(String(lastCpu));
    } finally {
      await worker.close();
    }
  });
});

describe('describePinning', () => {
  it('says where the target and the driver ran, or that they shared the cores', () => {
    expect(describePinning({ target: { taskset: 't', cpus: [0] }, driver: { taskset: 't', cpus: [1] } })).toBe('target pinned to CPU 0, driver workers to CPU 1 (taskset)');
    expect(describePinning(undefined)).toBe('target and driver not pinned (they shared every core)');
  });
});
