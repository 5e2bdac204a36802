import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/run/run-result.js';
import { descendantsOf, readJson, startCli, survivors, waitForOutput } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-lifecycle-'));

describe('wsbench run when things go wrong', () => {
  it('fails with exit 3 and the target\'s last lines when the target crashes mid-run, and leaves no process behind', async () => {
    const json = path.join(outDir, 'crash.json');
    const cli = startCli(['run', '--target', 'gobwas', '--connections', '50', '--rate', '10', '--duration', '30s', '--warmup', '1s', '--json', json]);
    const [, pid] = await waitForOutput(cli, /target ready: pid (\d+)/);
    await waitForOutput(cli, /connections open/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const children = descendantsOf(cli.pid!);
    process.kill(Number(pid), 'SIGKILL');
    const result = await cli;
    expect(result.exitCode).toBe(3);
    expect(result.all).toMatch(/The target \(pid \d+\) exited during the run \(killed by SIGKILL \(likely the OOM killer\)\)/);
    expect(result.all).toMatch(/last lines of output:\n(\s+\| .*\n)*\s+\| wsbench-fixture ready/);
    const written = readJson<RunResult>(json);
    expect(written.status).toBe('errored');
    expect(written.error?.code).toBe('TARGET_CRASHED');
    expect(written.error?.logTail?.some((line) => line.startsWith('wsbench-fixture ready'))).toBe(true);
    expect(written.messages.sent).toBeGreaterThan(0);
    expect(children.length).toBeGreaterThanOrEqual(2);
    expect(await survivors(children)).toEqual([]);
  });

  it('stops on Ctrl-C with exit 130, writes the partial result, and leaves no process behind', async () => {
    const json = path.join(outDir, 'interrupted.json');
    const cli = startCli(['run', '--target', 'node', '--connections', '50', '--rate', '10', '--duration', '60s', '--warmup', '1s', '--json', json]);
    await waitForOutput(cli, /connections open/);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const children = descendantsOf(cli.pid!);
    cli.kill('SIGINT');
    const result = await cli;
    expect(result.exitCode).toBe(130);
    const written = readJson<RunResult>(json);
    expect(written.status).toBe('interrupted');
    expect(written.messages.received).toBeGreaterThan(0);
    expect(written.latencyMs).not.toBeNull();
    expect(children.length).toBeGreaterThanOrEqual(2);
    expect(await survivors(children)).toEqual([]);
  });

  it('fails with exit 3 and says so when nothing listens at --url', async () => {
    const cli = startCli(['run', '--url', 'ws://127.0.0.1:9/', '--connections', '5', '--duration', '2s', '--warmup', '1s']);
    const result = await cli;
    expect(result.exitCode).toBe(3);
    expect(result.all).toMatch(/None of 5 connections to ws:\/\/127\.0\.0\.1:9\/ could be opened \(ECONNREFUSED ×5\)/);
  });
});

describe('wsbench run when a driver worker dies', () => {
  it('fails with exit 3, names the worker, stops the target and leaves no process behind', async () => {
    const json = path.join(outDir, 'worker-died.json');
    const cli = startCli(['run', '--target', 'gobwas', '--connections', '50', '--rate', '10', '--duration', '30s', '--warmup', '1s', '--json', json]);
    const [, targetPid] = await waitForOutput(cli, /target ready: pid (\d+)/);
    await waitForOutput(cli, /connections open/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const children = descendantsOf(cli.pid!);
    const workers = children.filter((pid) => pid !== Number(targetPid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-main'));
    expect(workers).toHaveLength(1);
    process.kill(workers[0]!, 'SIGKILL');
    const result = await cli;
    expect(result.exitCode).toBe(3);
    expect(result.all).toMatch(/driver worker 0 \(pid \d+\) exited unexpectedly \(SIGKILL\)/);
    expect(readJson<RunResult>(json).error?.code).toBe('WORKER_DIED');
    expect(await survivors(children)).toEqual([]);
  });
});
