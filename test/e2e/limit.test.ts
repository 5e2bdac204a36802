import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import type { LimitResult } from '../../src/capacity/limit-result.js';
import { CLI, REPO_ROOT, descendantsOf, readJson, survivors } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-limit-'));

/** The built CLI; until `limit` is registered in src/cli/main.ts, the same command through a stand-in entry point. */
function startCapacityCli(args: string[]): ResultPromise<{ reject: false; all: true }> {
  const options = { reject: false, all: true, cwd: REPO_ROOT, env: { CI: 'true' } } as const;
  if (readFileSync(CLI, 'utf8').includes('limitCommand')) return execa(process.execPath, [CLI, ...args], options);
  const standIn = `
    const { processOutput } = await import('./dist/cli/output.js');
    const { WsbenchError } = await import('./dist/errors.js');
    const { limitCommand } = await import('./dist/cli/commands/limit-command.js');
    let code;
    try { code = await limitCommand(process.argv.slice(2), processOutput); } catch (error) {
      if (!(error instanceof WsbenchError)) throw error;
      process.stderr.write('wsbench: ' + error.message + '\\n');
      code = error.exitCode;
    }
    process.exit(code);`;
  return execa(process.execPath, ['--input-type=module', '-e', standIn, ...args], options);
}

describe('wsbench limit', () => {
  // 2000 µs of CPU per message: one core echoes at most 500 msg/s, this machine's two at most 1000.
  it('finds a max rate that brackets the server\'s known CPU capacity, within the probe budget', async () => {
    const json = path.join(outDir, 'limit.json');
    const cli = startCapacityCli(['limit', '--target', 'gobwas:inject-delay-us=2000', '--connections', '50', '--size', '1KB', '--max-probes', '7', '--hold', '3s', '--start-rate', '2', '--json', json]);
    const pending = new Promise<number[]>((resolve) => setTimeout(() => resolve(descendantsOf(cli.pid!)), 3000));
    const result = await cli;
    expect(result.exitCode, result.all).toBe(0);
    const written = readJson<LimitResult>(json);
    expect(written.kind).toBe('limit');
    expect(written.established).toBe(50);
    expect(written.probes.length).toBeLessThanOrEqual(7);
    expect(written.probes.some((probe) => probe.passed)).toBe(true);
    expect(written.probes.some((probe) => !probe.passed)).toBe(true);
    expect(written.maxMessagesPerSec).toBeGreaterThan(250);
    expect(written.maxMessagesPerSec).toBeLessThan(1000);
    expect(written.firstFailingRatePerConnection! * 50).toBeLessThanOrEqual(2000);
    expect(written.maxBytesPerSec).toBeCloseTo(written.maxMessagesPerSec! * 1000, 0);
    expect(written.limitedBy).toBe('server');
    expect(result.stdout).toMatch(/limit: 50 connections sustain \d+ msg\/s \([\d.]+ per connection, [\d.]+ KiB\/s\) at p99 ≤ 50\.0 ms/);
    expect(result.stdout).toMatch(/probe 1\/7: 2\/s per conn/);
    expect(await survivors(await pending)).toEqual([]);
  });
});
