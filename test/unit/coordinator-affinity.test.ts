import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { findTaskset, readAllowedCpus } from '../../src/plan/cpu-pinning.js';
import { moveCoordinatorTo } from '../../src/run/coordinator-affinity.js';

const taskset = findTaskset();
const allowed = readAllowedCpus();
const canPin = taskset !== undefined && allowed.length >= 2;
const allowedList = (pid: number, tid: number = pid): string => /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]!;

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('moveCoordinatorTo', () => {
  it('moves nothing without a pin', async () => {
    const moved = await moveCoordinatorTo(undefined);
    expect(moved.note).toBe('');
    await moved.restore();
  });

  it.skipIf(!canPin)('moves every thread of a process onto the driver\'s CPUs, and back (needs taskset and 2 CPUs)', async () => {
    // A Node process has a dozen threads (V8's platform workers, libuv): each must move, not just the main one.
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const pid = child.pid!;
    const before = allowedList(pid);
    const last = allowed.at(-1)!;

    const moved = await moveCoordinatorTo({ taskset: taskset!, cpus: [last] }, pid);

    expect(moved.note).toBe(`, wsbench itself on CPU ${last}`);
    const threads = readdirSync(`/proc/${pid}/task`).map(Number);
    expect(threads.length).toBeGreaterThan(1);
    for (const tid of threads) expect(allowedList(pid, tid)).toBe(String(last));
    await moved.restore();
    for (const tid of threads) expect(allowedList(pid, tid)).toBe(before);
  });
});
