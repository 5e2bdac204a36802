import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseThreadScheduling, raiseLoopAboveHelpers, readThreadScheduling, SCHED_RR, SINGLE_THREADED_GC_FLAG, workerV8FlagsForScheduling } from '../../src/driver/loop-priority.js';

describe('parseThreadScheduling', () => {
  it('reads rt_priority and policy after a command name with spaces and parentheses', () => {
    const tail = Array.from({ length: 50 }, (_, i) => String(i + 3));
    tail[40 - 3] = '2';
    tail[41 - 3] = '2';
    expect(parseThreadScheduling(`1234 (node (x) y) ${tail.join(' ')}`)).toEqual({ policy: 2, rtPriority: 2 });
  });

  it('gives undefined for a line without those fields', () => {
    expect(parseThreadScheduling('1234 (node) S 1 2')).toBeUndefined();
  });
});

describe('raiseLoopAboveHelpers', () => {
  it('leaves a normally scheduled process alone', async () => {
    expect(readThreadScheduling(process.pid)?.policy).not.toBe(SCHED_RR);
    expect(await raiseLoopAboveHelpers()).toEqual({ raised: false, why: 'not real-time' });
  });
});

describe('workerV8FlagsForScheduling', () => {
  it('keeps a real-time worker\'s garbage collection off its helper threads, and leaves other workers alone', () => {
    expect(workerV8FlagsForScheduling({ policy: SCHED_RR, rtPriority: 1 })).toEqual([SINGLE_THREADED_GC_FLAG]);
    expect(workerV8FlagsForScheduling({ policy: 0, rtPriority: 0 })).toEqual([]);
    expect(workerV8FlagsForScheduling(undefined)).toEqual([]);
  });

  it('names a flag this Node accepts', () => {
    expect(spawnSync(process.execPath, [SINGLE_THREADED_GC_FLAG, '-e', '0'], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
  });
});

// SCHED_RR needs root or CAP_SYS_NICE (CI runs as root); without them compare/bench run at normal scheduling.
const canRealtime = spawnSync('chrt', ['-r', '1', 'true']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'wsbench-loop-priority-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!canRealtime)('a Node process started at SCHED_RR 1 (needs CAP_SYS_NICE)', () => {
  it('raises only its main thread, to RR 2; Node\'s helper threads stay at RR 1', () => {
    const script = join(dir, 'raise.mts');
    writeFileSync(script, [
      `import { readdirSync } from 'node:fs';`,
      `import { raiseLoopAboveHelpers, readThreadScheduling } from ${JSON.stringify(resolve('src/driver/loop-priority.ts'))};`,
      `const outcome = await raiseLoopAboveHelpers();`,
      `const threads = readdirSync('/proc/self/task').map((tid) => ({ tid: Number(tid), ...readThreadScheduling(process.pid, Number(tid)) }));`,
      `console.log(JSON.stringify({ pid: process.pid, outcome, threads }));`,
    ].join('\n'));
    const out = execFileSync('chrt', ['-r', '1', process.execPath, '--import', 'tsx', script], { encoding: 'utf8' });
    const { pid, outcome, threads } = JSON.parse(out) as { pid: number; outcome: unknown; threads: { tid: number; policy: number; rtPriority: number }[] };

    expect(outcome).toEqual({ raised: true, rtPriority: 2 });
    expect(threads.find((t) => t.tid === pid)).toMatchObject({ policy: SCHED_RR, rtPriority: 2 });
    const helpers = threads.filter((t) => t.tid !== pid);
    expect(helpers.length).toBeGreaterThan(0);
    for (const helper of helpers) expect(helper).toMatchObject({ policy: SCHED_RR, rtPriority: 1 });
  });
});
