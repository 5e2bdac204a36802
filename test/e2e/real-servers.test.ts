import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LimitResult } from '../../src/capacity/limit-result.js';
import type { RampResult } from '../../src/capacity/ramp-result.js';
import type { RunResult } from '../../src/run/run-result.js';
import { rampStoppedByBusyMachine } from '../support/busy-machine.js';
import { readJson, runCli } from '../support/cli.js';
import { expectMeasured, measuredSeconds, scheduledInWindow } from '../support/measured.js';
import { startPythonServer, stopAllPythonServers } from '../support/python-server.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-real-servers-'));
const LOAD = ['--connections', '40', '--rate', '10', '--duration', '4s', '--warmup', '1s', '--quiet'];

/** Servers we did not write (Python `websockets`), each talking something other than our binary echo. */
describe('wsbench run against third-party servers that are not binary echoes', () => {
  afterAll(stopAllPythonServers);

  it('a text-line echo server with --payload text gets every message back', async () => {
    const server = await startPythonServer('text-line');
    const json = path.join(outDir, 'text-line.json');
    const cli = await runCli(['run', '--url', server.url, '--payload', 'text', ...LOAD, '--json', json]);
    const result = readJson<RunResult>(json);
    expectMeasured(cli, result);
    // 40 connections × 10 msg/s over the 3 measured seconds (fewer if the start took longer to settle).
    const sent = scheduledInWindow(result);
    expect(result.messages).toMatchObject({ sent, received: sent, timedOut: 0, unmatched: 0 });
    expect(result.connections.abnormalClosures).toEqual({ total: 0, byCode: {} });
    expect(result.latencyMs!.p50).toBeGreaterThan(0);
  });

  // ws compresses a message of 1 KiB or more later, on zlib's thread: a payload buffer the driver rewrote for
  // the next message meanwhile came back with the wrong sequence numbers (18 of 2,400 timed out, then late).
  it('--compression against a deflate server: 4 KiB messages (compressed, unlike small ones) all come back in order', async () => {
    const server = await startPythonServer('echo', { args: ['--compression', 'deflate'] });
    const json = path.join(outDir, 'deflate-4k.json');
    const cli = await runCli(['run', '--url', server.url, '--compression', '--size', '4KB', '--connections', '20', '--rate', '40', '--duration', '4s', '--warmup', '1s', '--quiet', '--json', json]);
    const result = readJson<RunResult>(json);
    expectMeasured(cli, result);
    expect(result.messages.sent).toBeGreaterThan(0);
    expect(result.messages).toMatchObject({ received: result.messages.sent, timedOut: 0, late: 0, mismatched: 0 });
    // The result says it was compressed, so a reader (and "Reproduce locally") knows what was measured.
    expect(result.scenario.traffic).toEqual({ compression: true });
  });

  it('the same server refuses the default binary frames (1003), counted as abnormal closures by code', async () => {
    const server = await startPythonServer('text-line');
    const json = path.join(outDir, 'text-line-binary.json');
    await runCli(['run', '--url', server.url, ...LOAD, '--json', json]);
    const result = readJson<RunResult>(json);
    expect(result.messages.received).toBe(0);
    expect(result.connections.abnormalClosures!.byCode['1003']).toBe(40);
  });

  it('a JSON request/response server with --message and --match json:id: every reply matched, RTT recorded', async () => {
    const server = await startPythonServer('json', { args: ['--result-bytes', '300'] });
    const json = path.join(outDir, 'json.json');
    const cli = await runCli(['run', '--url', server.url, '--message', '{"id":{{seq}},"op":"ping","pad":"{{pad}}"}', '--match', 'json:id', '--size', '128', ...LOAD, '--json', json]);
    const result = readJson<RunResult>(json);
    expectMeasured(cli, result);
    const sent = scheduledInWindow(result);
    expect(result.messages).toMatchObject({ sent, received: sent, timedOut: 0, unmatched: 0 });
    expect(result.latencyMs!.p99).toBeGreaterThanOrEqual(result.latencyMs!.p50);
  });

  it('--match regex: pairs by the first capture group; a match that reads nothing counts every reply as unmatched', async () => {
    const server = await startPythonServer('json');
    const regex = path.join(outDir, 'json-regex.json');
    const cli = await runCli(['run', '--url', server.url, '--message', '{"id":{{seq}}}', '--match', 'regex:"id":(\\d+)', ...LOAD, '--json', regex]);
    const result = readJson<RunResult>(regex);
    expectMeasured(cli, result);
    const sent = scheduledInWindow(result);
    expect(result.messages).toMatchObject({ sent, received: sent, unmatched: 0 });
    const wrong = path.join(outDir, 'json-wrong.json');
    await runCli(['run', '--url', server.url, '--message', '{"id":{{seq}}}', '--match', 'json:result.id', ...LOAD, '--json', wrong]);
    const missed = readJson<RunResult>(wrong);
    expect(missed.messages.received).toBe(0);
    // Every reply to a measured message comes back unmatched, and each of those messages times out.
    expect(missed.messages.sent).toBe(scheduledInWindow(missed));
    expect(missed.messages.timedOut).toBe(missed.messages.sent);
    expect(missed.messages.unmatched).toBeGreaterThanOrEqual(missed.messages.sent);
    expect(missed.latencyMs).toBeNull();
  });

  it('--ping-interval 1s reports pong RTT from a server that answers pings on its own', async () => {
    const server = await startPythonServer('echo');
    const json = path.join(outDir, 'ping.json');
    const cli = await runCli(['run', '--url', server.url, '--ping-interval', '1s', ...LOAD, '--json', json]);
    const result = readJson<RunResult>(json);
    expectMeasured(cli, result);
    // 40 connections × one ping a second, at least over the measured seconds.
    expect(result.pingRttMs!.pings).toBeGreaterThanOrEqual(40 * Math.floor(measuredSeconds(result)));
    expect(result.pingRttMs!.missed).toBe(0);
    expect(result.pingRttMs!.p50).toBeGreaterThan(0);
    expect(cli.stdout).toMatch(/pings +\d+ sent, pong RTT p50/);
  });

  it('--pattern broadcast against a Python broadcast server: deliveries expected vs made, fan-out latency', async () => {
    const server = await startPythonServer('broadcast');
    const json = path.join(outDir, 'broadcast.json');
    const cli = await runCli(['run', '--url', server.url, '--pattern', 'broadcast', '--publishers', '1', '--connections', '50', '--rate', '10', '--duration', '4s', '--warmup', '1s', '--quiet', '--json', json]);
    const result = readJson<RunResult>(json);
    expectMeasured(cli, result);
    // One publisher × 10/s × 3 measured seconds (fewer if the start settled later) = 30 publishes, each to 49 subscribers.
    const publishes = Math.round(10 * measuredSeconds(result));
    expect(result.messages.sent).toBe(publishes);
    expect(result.delivery).toMatchObject({ publishers: 1, subscribers: 49, expected: 49 * publishes });
    expect(result.delivery!.delivered).toBe(49 * publishes);
    expect(result.delivery!.latencyMs!.p99).toBeGreaterThan(0);
    expect(result.delivery!.slowestSubscriber!.delivered).toBe(publishes);
    expect(result.throughput.offeredPerSec).toBe(490);
  });

  it('--pattern churn at 200 reconnects/s on a healthy server: open-latency percentiles, no abnormal disconnect, nothing lost', async () => {
    const json = path.join(outDir, 'churn.json');
    const cli = await runCli(['run', '--target', 'gobwas', '--pattern', 'churn', '--churn-rate', '200', '--connections', '200', '--rate', '5', '--duration', '5s', '--warmup', '1s', '--quiet', '--json', json]);
    const result = readJson<RunResult>(json);
    expectMeasured(cli, result);
    // 200/s over the 5 s of load; a tick may fall just short at the end.
    expect(result.churn!.reconnects).toBeGreaterThanOrEqual(900);
    expect(result.churn!.failed).toBe(0);
    expect(result.churn!.failureRate).toBe(0);
    expect(result.churn!.openMs!.p99).toBeGreaterThanOrEqual(result.churn!.openMs!.p50);
    expect(result.connections.abnormalClosures).toEqual({ total: 0, byCode: {} });
    expect(result.messages.timedOut).toBe(0);
    expect(result.messages.received).toBe(result.messages.sent);
    expect(cli.stdout).toMatch(/churn +\d+ reconnects, 0 failed; open p50/);
  });

  it('--storm: every connection reconnects at once and the result says how long until all were back', async () => {
    const json = path.join(outDir, 'storm.json');
    const cli = await runCli(['run', '--target', 'gobwas', '--pattern', 'churn', '--storm', '2s', '--connections', '300', '--rate', '2', '--duration', '4s', '--warmup', '1s', '--quiet', '--json', json]);
    const result = readJson<RunResult>(json);
    expectMeasured(cli, result);
    expect(result.churn!.storm).toMatchObject({ connections: 300, reopened: 300, failed: 0 });
    expect(result.churn!.storm!.recoveredMs).toBeGreaterThan(0);
    expect(result.connections.abnormalClosures!.total).toBe(0);
  });

  it('--server-pid gives a --url server the server figures of a managed target', async () => {
    const server = await startPythonServer('echo');
    const json = path.join(outDir, 'server-pid.json');
    const cli = await runCli(['run', '--url', server.url, '--server-pid', String(server.pid), ...LOAD, '--json', json]);
    const result = readJson<RunResult>(json);
    expectMeasured(cli, result);
    expect(result.server.samples.length).toBeGreaterThan(0);
    expect(result.server.cpuPercent).toBeGreaterThan(0);
    expect(result.server.peakRssBytes).toBeGreaterThan(1024 * 1024);
    expect(result.server.cpuMicrosPerMessage).toBeGreaterThan(0);
    const missing = await runCli(['run', '--url', server.url, '--server-pid', '999999999', ...LOAD]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--server-pid 999999999: no such process/);
  });
});

/** Ramp and limit take run's traffic flags through the shared flag groups; they must reach every step and probe. */
describe('wsbench ramp and limit with run\'s traffic flags', () => {
  afterAll(stopAllPythonServers);

  it('--payload text reaches every ramp step and limit probe: a server that refuses binary frames echoes them all', async () => {
    const server = await startPythonServer('text-line');
    const rampJson = path.join(outDir, 'ramp-text.json');
    const ramp = await runCli(['ramp', '--url', server.url, '--payload', 'text', '--from', '10', '--step', '10', '--to', '20', '--hold', '2s', '--rate', '5', '--slo-p99', '10s', '--quiet', '--json', rampJson]);
    expect(ramp.exitCode, ramp.stderr).toBe(0);
    const rampResult = readJson<RampResult>(rampJson);
    const steps = rampResult.steps;
    // A busy machine may stop the ramp at step 1 (the driver starved, and the verdict says so); the steps it did offer must still have echoed text.
    if (!rampStoppedByBusyMachine(rampResult, 10)) expect(steps.map((step) => step.connections)).toEqual([10, 20]);
    for (const step of steps) {
      expect(step.received).toBeGreaterThan(0);
      expect(step.timedOut).toBe(0);
    }
    const limitJson = path.join(outDir, 'limit-text.json');
    const limit = await runCli(['limit', '--url', server.url, '--payload', 'text', '--connections', '10', '--start-rate', '5', '--max-probes', '2', '--hold', '2s', '--slo-p99', '10s', '--quiet', '--json', limitJson]);
    expect(limit.exitCode, limit.stderr).toBe(0);
    const probes = readJson<LimitResult>(limitJson).probes;
    expect(probes.length).toBeGreaterThan(0);
    for (const probe of probes) expect(probe.received).toBeGreaterThan(0);
  });
});
