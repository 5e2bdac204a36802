import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enterRealtimeScheduling, RR_TIMESLICE_MS } from '../../src/run/realtime-priority.js';

const dir = mkdtempSync(join(tmpdir(), 'wsbench-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// SCHED_RR needs root or CAP_SYS_NICE (CI runs as root).
const canRealtime = spawnSync('chrt', ['-r', '1', 'true']).status === 0;
const policyOf = (pid: number): string => spawnSync('chrt', ['-p', String(pid)], { encoding: 'utf8' }).stdout;

describe('enterRealtimeScheduling', () => {
  it('runs at normal scheduling, and says why, when the round-robin slice cannot be set', async () => {
    const scheduling = await enterRealtimeScheduling(process.pid, join(dir, 'missing', 'sched_rr_timeslice_ms'));
    expect(scheduling.applied).toBe(false);
    expect(scheduling.note).toMatch(/^normal scheduling \(real-time not available: .*cannot be written.*up to 100 ms/);
  });

  it.skipIf(!canRealtime)('shortens the slice while trials run and gives it back after (needs CAP_SYS_NICE)', async () => {
    const slice = join(dir, 'slice');
    writeFileSync(slice, '100\n');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    try {
      const scheduling = await enterRealtimeScheduling(child.pid!, slice);
      expect(scheduling.applied).toBe(true);
      expect(readFileSync(slice, 'utf8').trim()).toBe(String(RR_TIMESLICE_MS));
      expect(policyOf(child.pid!)).toMatch(/SCHED_RR/);
      expect(scheduling.note).toMatch(/SCHED_RR 1, 2 ms round-robin slice while trials run/);

      await scheduling.restore();

      expect(readFileSync(slice, 'utf8').trim()).toBe('100');
      expect(policyOf(child.pid!)).toMatch(/SCHED_OTHER/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
