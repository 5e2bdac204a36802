/**
 * The fault catalogue, part 2: servers from the Python `websockets` package (test/servers), interrupted and
 * broken runs, and outputs that fail after the measurement. Each case asserts the exit code, the result
 * JSON with a status and the reason, that what was measured is kept, and that no process is left behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LimitResult } from '../../src/capacity/limit-result.js';
import type { RampResult } from '../../src/capacity/ramp-result.js';
import type { RunResult } from '../../src/run/run-result.js';
import { execa } from 'execa';
import { CLI, REPO_ROOT, isAlive, readJson, runWatched, survivors, waitForOutput } from '../support/cli.js';
import { startFaultServer } from '../support/fault-servers.js';
import { pythonForTestServers, startPythonServer } from '../support/python-server.js';
import type { PythonServerBehaviour } from '../support/python-server.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-faults2-'));
const LOAD = ['--connections', '10', '--rate', '20', '--duration', '3s', '--warmup', '1s', '--timeout', '400ms', '--quiet'];
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function runJson(args: string[], name: string, during?: NonNullable<Parameters<typeof runWatched>[1]>['during']) {
  const json = path.join(outDir, `${name}.json`);
  const run = await runWatched([...args, '--json', json], during === undefined ? {} : { during });
  expect(await survivors(run.seen), 'processes left behind').toEqual([]);
  return { ...run, output: run.stdout + run.stderr, json };
}

describe('fault catalogue: Python websockets servers that break the echo', () => {
  it.each<[PythonServerBehaviour, string[], (result: RunResult) => void]>([
    ['silent', [], (result) => expect(result.messages.timedOut).toBe(result.messages.sent)],
    ['every-other', [], (result) => expect(result.messages.received).toBeGreaterThan(0)],
    ['truncate', [], (result) => expect(result.messages.mismatched).toBe(result.messages.sent)],
    // Whether a corrupted byte lands in the header (unrecognisable: unmatched) or the body (mismatched) is the server's choice.
    ['corrupt', [], (result) => expect(result.messages.mismatched + result.messages.unmatched).toBeGreaterThan(0)],
    ['refuse-1009', ['--max-size', '16'], (result) => expect(result.connections.dropped).toBe(10)],
    ['close-after', ['--after-s', '2.5'], (result) => expect(result.connections.dropped).toBe(10)],
  ])('%s: exit 1, status failed with the breached budget, the measurements kept', async (behaviour, serverArgs, check) => {
    const server = await startPythonServer(behaviour, { args: serverArgs });
    stops.push(() => server.stop());
    const run = await runJson(['run', '--url', server.url, ...LOAD], `py-${behaviour}`);
    const result = readJson<RunResult>(run.json);
    expect(run.exitCode, run.output).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('ERROR_BUDGET_EXCEEDED');
    expect(result.errorBudget.held).toBe(false);
    expect(result.messages.sent).toBeGreaterThan(0);
    check(result);
    await server.stop();
  });
});

describe('fault catalogue: runs cut short', () => {
  it('a driver worker SIGKILLed mid-run: exit 3, and the surviving worker\'s totals and histogram are kept', async () => {
    const server = await startFaultServer('echo');
    stops.push(() => server.close());
    const run = await runJson(['run', '--url', server.url, '--connections', '20', '--rate', '20', '--duration', '8s', '--warmup', '1s', '--workers', '2'], 'worker-killed', async (cli, seen) => {
      await waitForOutput(cli, /connections open/);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const workers = seen().filter((pid) => isAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-main'));
      expect(workers).toHaveLength(2);
      process.kill(workers[0]!, 'SIGKILL');
    });
    const result = readJson<RunResult>(run.json);
    expect(run.exitCode).toBe(3);
    expect(result.error?.code).toBe('WORKER_DIED');
    expect(result.error?.message).toMatch(/what the other workers measured is kept/);
    expect(result.messages.received).toBeGreaterThan(0);
    expect(result.histogram).not.toBeNull();
    expect(result.latencyMs).not.toBeNull();
    await server.close();
  });

  it('SIGTERM mid-run: exit 130, status interrupted, the echoes so far kept', async () => {
    const server = await startFaultServer('echo');
    stops.push(() => server.close());
    const run = await runJson(['run', '--url', server.url, '--connections', '10', '--duration', '30s', '--warmup', '1s'], 'sigterm', async (cli) => {
      await waitForOutput(cli, /connections open/);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      cli.kill('SIGTERM');
    });
    const result = readJson<RunResult>(run.json);
    expect(run.exitCode).toBe(130);
    expect(result.status).toBe('interrupted');
    expect(result.messages.received).toBeGreaterThan(0);
    await server.close();
  });

  it('Ctrl-C while connections are still opening (handshakes that never finish): exit 130 at once, not after the 10 s handshake timeout', async () => {
    const server = await startPythonServer('slow-handshake', { args: ['--handshake-delay-ms', '60000'] });
    stops.push(() => server.stop());
    let signalledAt = 0;
    const run = await runJson(['run', '--url', server.url, '--connections', '5', '--duration', '5s', '--warmup', '1s'], 'interrupt-connect', async (cli) => {
      await waitForOutput(cli, /opening 5 connections/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      signalledAt = Date.now();
      cli.kill('SIGINT');
    });
    expect(run.exitCode).toBe(130);
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(readJson<RunResult>(run.json).status).toBe('interrupted');
    await server.stop();
  });

  it('Ctrl-C during a ramp: exit 130, the steps kept, and no capacity claimed from a step cut short', async () => {
    const server = await startFaultServer('echo');
    stops.push(() => server.close());
    // Interrupted in the middle of step 1's 6 s hold: whatever a busy machine does to the latencies, the step is cut short.
    const run = await runJson(['ramp', '--url', server.url, '--from', '10', '--step', '10', '--to', '40', '--hold', '6s', '--rate', '5'], 'ramp-interrupted', async (cli) => {
      await waitForOutput(cli, /connections open/);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      cli.kill('SIGINT');
    });
    const result = readJson<RampResult>(run.json);
    expect(run.exitCode).toBe(130);
    expect(result.status).toBe('interrupted');
    expect(result.steps.length).toBeGreaterThanOrEqual(1);
    expect(result.verdict.partial).toBe(true);
    expect(result.verdict.maxConnections).toBeNull();
    expect(run.stdout).toMatch(/interrupted — partial, no capacity measured/);
    expect(run.stdout).not.toMatch(/holds \d+ connections and 0\.0 msg\/s/);
    await server.close();
  });

  it('Ctrl-C during a limit search after a passing probe: exit 130, the rate that held reported, not "no rate held"', async () => {
    const server = await startFaultServer('echo');
    stops.push(() => server.close());
    let firstProbePassed = false;
    const run = await runJson(['limit', '--url', server.url, '--connections', '10', '--start-rate', '2', '--hold', '3s', '--slo-p99', '10s', '--min-achieved', '0.5'], 'limit-interrupted', async (cli) => {
      const [line] = (await waitForOutput(cli, /probe 1\/\d+: .* (pass|fail)/)) as RegExpMatchArray;
      firstProbePassed = / pass$/.test(line);
      // Past the 1 s settle, inside probe 2's 3 s hold.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      cli.kill('SIGINT');
    });
    const result = readJson<LimitResult>(run.json);
    expect(run.exitCode).toBe(130);
    expect(result.status).toBe('interrupted');
    expect(result.partial).toBe(true);
    expect(result.summary).toMatch(/^interrupted — partial: after 1 finished probe/);
    expect(result.summary).not.toMatch(/no rate held/);
    // A busy machine may fail the first probe (the generator saturates): then nothing held, and it says so.
    if (firstProbePassed) expect(result.maxRatePerConnection).toBe(2);
    else expect(result.summary).toMatch(/no finished probe held/);
    await server.close();
  });
});

describe('fault catalogue: the fd-limit plan applied', () => {
  it('ulimit -n 256 and 300 connections: the fixture is started with the processes the plan needs, and every connection opens', async () => {
    const json = path.join(outDir, 'fd-plan.json');
    const result = await execa('bash', ['-c', `ulimit -n 256 && exec "${process.execPath}" "${CLI}" run --target gobwas --connections 300 --rate 1 --duration 3s --warmup 1s --json "${json}"`], { reject: false, cwd: REPO_ROOT, all: true });
    expect(result.all).toMatch(/starting the target with procs=\d+: one process cannot hold 300 connections/);
    const written = readJson<RunResult>(json);
    expect(written.connections.established).toBe(300);
    expect(written.connections.failed).toBe(0);
    expect([0, 3]).toContain(result.exitCode);
    if (result.exitCode === 3) expect(written.machine?.noisy).toBe(true);
  });
});

describe('fault catalogue: outputs and targets that fail', () => {
  it('an output that cannot be written after the run: exit 3 naming it, every other output and the summary still written, no temp file left', async () => {
    const server = await startFaultServer('echo');
    stops.push(() => server.close());
    const doomed = path.join(outDir, 'doomed');
    mkdirSync(doomed);
    const md = path.join(outDir, 'kept.md');
    const json = path.join(doomed, 'result.json');
    const run = await runWatched(['run', '--url', server.url, ...LOAD.filter((arg) => arg !== '--quiet'), '--json', json, '--md', md], {
      during: async (cli) => {
        await waitForOutput(cli, /connections open/);
        // The folder becomes a file while the run measures: the JSON can no longer be written there.
        rmSync(doomed, { recursive: true });
        writeFileSync(doomed, 'in the way\n');
      },
    });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/OUTPUT_WRITE_FAILED|Could not write an output/);
    expect(run.stderr).toMatch(/--json .*doomed\/result\.json/);
    expect(existsSync(md)).toBe(true);
    expect(run.stdout).toMatch(/messages +\d+ sent/);
    expect(readdirSync(outDir).filter((name) => name.includes('.partial-'))).toEqual([]);
    expect(await survivors(run.seen)).toEqual([]);
    await server.close();
  });

  it('a config target whose command does not exist: exit 2 naming the command, never "(exit null)"', async () => {
    const config = path.join(outDir, 'missing-command.yaml');
    writeFileSync(config, 'targets:\n  mine:\n    start: { command: "no-such-server-binary", args: ["--port", "{port}"] }\n');
    const run = await runJson(['run', '--config', config, '--target', 'mine', ...LOAD], 'missing-command');
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/the command "no-such-server-binary" was not found on PATH/);
    expect(run.stderr).not.toMatch(/exit null/);
  });

  it('a config target that exits at once: exit 3, the JSON written with the reason', async () => {
    const config = path.join(outDir, 'exits.yaml');
    writeFileSync(config, 'targets:\n  quitter:\n    start: { command: "/bin/sh", args: ["-c", "echo giving up; exit 4"] }\n');
    const run = await runJson(['run', '--config', config, '--target', 'quitter', ...LOAD], 'quitter');
    const result = readJson<RunResult>(run.json);
    expect(run.exitCode).toBe(3);
    expect(result.status).toBe('errored');
    expect(result.error?.code).toBe('TARGET_EXITED_BEFORE_READY');
    expect(result.error?.logTail).toContain('giving up');
  });

  it('SIGKILL to wsbench leaves no config-defined target running', async () => {
    const python = await pythonForTestServers();
    const script = path.resolve('test/servers/ws_server.py');
    const config = path.join(outDir, 'orphan.yaml');
    writeFileSync(config, `targets:\n  py:\n    start: { command: ${JSON.stringify(python)}, args: [${JSON.stringify(script)}, "--behaviour", "echo", "--port", "{port}"] }\n    readyLine: "wsbench-test-server ready"\n`);
    let targetPid = 0;
    await runWatched(['run', '--config', config, '--target', 'py', '--connections', '5', '--duration', '30s', '--warmup', '1s'], {
      during: async (cli) => {
        const [, pid] = (await waitForOutput(cli, /target ready: pid (\d+)/)) as RegExpMatchArray;
        targetPid = Number(pid);
        await waitForOutput(cli, /connections open/);
        cli.kill('SIGKILL');
      },
    });
    expect(targetPid).toBeGreaterThan(0);
    expect(await survivors([targetPid], 5000)).toEqual([]);
  });

  it('bench with a scenario whose server loses every message: exit 1, the budget named, not "NO REGRESSION FOUND"', async () => {
    const python = await pythonForTestServers();
    const script = path.resolve('test/servers/ws_server.py');
    const config = path.join(outDir, 'bench-silent.yaml');
    writeFileSync(
      config,
      `targets:\n  silent:\n    start: { command: ${JSON.stringify(python)}, args: [${JSON.stringify(script)}, "--behaviour", "silent", "--port", "{port}", "--exit-with-parent"] }\n    readyLine: "wsbench-test-server ready"\n` +
        'scenarios:\n  - { name: lossy, target: silent, connections: 10, rate: 10, size: 64, duration: 3s, warmup: 1s, timeout: 500ms, errorBudget: 0.01 }\n' +
        'profiles:\n  quick: { scenarios: [lossy] }\n',
    );
    const out = path.join(outDir, 'bench-out');
    const run = await runWatched(['bench', '--config', config, '--baselines-dir', path.join(outDir, 'no-baselines'), '--out', out, '--quiet']);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/exceeded their error budget/);
    expect(run.stdout).not.toMatch(/NO REGRESSION FOUND/);
    expect(run.stderr).toMatch(/lossy exceeded the error budget/);
    expect(existsSync(path.join(out, 'summary.json'))).toBe(true);
    expect(await survivors(run.seen)).toEqual([]);
  });
});
