/**
 * The fault catalogue, part 1: servers we did not write (the `ws` package, a raw TCP socket, plain HTTP)
 * that break an echo server's promises. Each case asserts the exit code, that the result JSON is written
 * with a status and the reason, that what was measured is kept, and that no process is left behind.
 */
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/run/run-result.js';
import { readJson, runWatched, survivors } from '../support/cli.js';
import { expectCompletedOrBusy } from '../support/busy-machine.js';
import { startFaultServer } from '../support/fault-servers.js';
import type { FaultBehaviour, FaultServer } from '../support/fault-servers.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-faults-'));
const LOAD = ['--connections', '10', '--rate', '20', '--duration', '3s', '--warmup', '1s', '--timeout', '400ms', '--quiet'];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function serve(behaviour: FaultBehaviour): Promise<FaultServer> {
  const server = await startFaultServer(behaviour);
  cleanups.push(() => server.close());
  return server;
}

async function runAgainst(url: string, name: string, extra: string[] = []): Promise<{ exitCode: number | undefined; output: string; result: RunResult }> {
  const json = path.join(outDir, `${name}.json`);
  const run = await runWatched(['run', '--url', url, ...LOAD, '--json', json, ...extra]);
  expect(await survivors(run.seen), 'processes left behind').toEqual([]);
  return { exitCode: run.exitCode, output: run.stdout + run.stderr, result: readJson<RunResult>(json) };
}

function listen<T extends HttpServer | TcpServer>(server: T): Promise<{ server: T; port: number }> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

describe('fault catalogue: servers that do not echo as they should', () => {
  it('a server that never echoes fails the run: exit 1, status failed, the breached budget in the JSON', async () => {
    const server = await serve('never-echo');
    const { exitCode, output, result } = await runAgainst(server.url, 'never-echo');
    expect(exitCode).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('ERROR_BUDGET_EXCEEDED');
    expect(result.errorBudget).toMatchObject({ limit: 0.001, held: false, observed: 1 });
    expect(result.messages.sent).toBeGreaterThan(0);
    expect(result.messages.timedOut).toBe(result.messages.sent);
    expect(output).toMatch(/ERROR BUDGET EXCEEDED/);
    expect(output).toMatch(/messages failed \(100\.0%\): \d+ timed out or were lost/);
  });

  it('a server that echoes every other message fails the run and keeps the half it measured', async () => {
    const server = await serve('echo-half');
    const { exitCode, result } = await runAgainst(server.url, 'echo-half');
    expect(exitCode).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.errorBudget.observed).toBeGreaterThan(0.4);
    expect(result.errorBudget.observed).toBeLessThan(0.6);
    expect(result.messages.received).toBeGreaterThan(0);
    expect(result.latencyMs).not.toBeNull();
  });

  it('a server that truncates echoes to 8 of 256 bytes: messages.mismatched, exit 1, byte throughput from what came back', async () => {
    const server = await serve('truncate');
    const { exitCode, output, result } = await runAgainst(server.url, 'truncate');
    expect(exitCode).toBe(1);
    expect(result.messages.mismatched).toBeGreaterThan(0);
    expect(result.messages.mismatched).toBe(result.messages.sent);
    expect(result.messages.received).toBe(0);
    expect(result.throughput.achievedBytesPerSec).toBeLessThanOrEqual(result.throughput.offeredPerSec * 8);
    expect(output).toMatch(/came back different from what was sent/);
  });

  it('a server that flips one byte of each echo: mismatched, exit 1', async () => {
    const server = await serve('corrupt');
    const { exitCode, result } = await runAgainst(server.url, 'corrupt');
    expect(exitCode).toBe(1);
    expect(result.messages.mismatched).toBe(result.messages.sent);
    expect(result.status).toBe('failed');
  });

  it('a server that answers with garbage: unmatched frames, every message unanswered, exit 1', async () => {
    const server = await serve('garbage');
    const { exitCode, result } = await runAgainst(server.url, 'garbage');
    expect(exitCode).toBe(1);
    expect(result.messages.unmatched).toBeGreaterThan(0);
    expect(result.messages.timedOut).toBe(result.messages.sent);
  });

  it('a server that closes with 1009 on every frame: dropped connections by code, exit 1', async () => {
    const server = await serve('close-1009');
    const { exitCode, output, result } = await runAgainst(server.url, 'close-1009');
    expect(exitCode).toBe(1);
    expect(result.connections.dropped).toBe(10);
    expect(result.connections.errorsByCode['dropped:CLOSE_1009']).toBe(10);
    expect(output).toMatch(/10 connections were closed during the load/);
  });

  // 20 msg/s per connection and a 1 s warm-up: 40 echoes end each connection 1 s into the measured window.
  it('a server that cuts every connection after 40 echoes: exit 1, the echoes before the cut kept', async () => {
    const server = await serve({ closeAfterEchoes: 40 });
    const { exitCode, result } = await runAgainst(server.url, 'close-after');
    expect(exitCode).toBe(1);
    expect(result.connections.dropped).toBe(10);
    expect(result.messages.received).toBeGreaterThan(0);
    expect(result.timeline.length).toBeGreaterThan(0);
  });

  it('a server that echoes after the timeout: late echoes are counted, not credited, exit 1', async () => {
    const server = await serve({ echoDelayMs: 700 });
    const { exitCode, result } = await runAgainst(server.url, 'too-slow');
    expect(exitCode).toBe(1);
    expect(result.messages.late).toBeGreaterThan(0);
    expect(result.messages.received).toBe(0);
  });

  it('a server that also sends unsolicited messages: counted as unmatched, the echoes still judged (exit 0)', async () => {
    const server = await serve('extra-messages');
    const { exitCode, output, result } = await runAgainst(server.url, 'extra-messages', ['--timeout', '5s']);
    expectCompletedOrBusy(exitCode, result, output);
    expect(result.errorBudget.held).toBe(true);
    expect(result.messages.unmatched).toBeGreaterThan(0);
    expect(result.messages.received).toBe(result.messages.sent);
  });

  it('a loss the budget allows passes, and the same loss fails a tighter --error-budget', async () => {
    const server = await serve('echo-half');
    const loose = await runAgainst(server.url, 'budget-loose', ['--error-budget', '0.6']);
    expect(loose.result.errorBudget).toMatchObject({ limit: 0.6, held: true });
    expectCompletedOrBusy(loose.exitCode, loose.result, loose.output);
    const tight = await runAgainst(server.url, 'budget-tight', ['--error-budget', '0.1']);
    expect(tight.exitCode).toBe(1);
    expect(tight.result.errorBudget.limit).toBe(0.1);
  });

  it('a server that refuses every other handshake: the failed connections break the budget, exit 1', async () => {
    let count = 0;
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: () => count++ % 2 === 0 });
    wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    await new Promise((resolve) => wss.once('listening', resolve));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const { exitCode, result } = await runAgainst(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, 'half-refused');
    expect(exitCode).toBe(1);
    expect(result.connections.failed).toBe(5);
    expect(result.errorBudget.breaches.join(' ')).toMatch(/5 of 10 connections failed to open/);
  });

  it('a server that goes away mid-run: exit 1 with what was measured before', async () => {
    // 10 connections × 20 msg/s: 400 echoes in all is 1 s into the measured window (after the 1 s warm-up).
    const server = await serve({ goneAfterEchoes: 400 });
    const { exitCode, result } = await runAgainst(server.url, 'gone-away');
    expect(exitCode).toBe(1);
    expect(result.messages.received).toBeGreaterThan(0);
    expect(result.connections.dropped).toBe(10);
  });
});

describe('fault catalogue: nothing that speaks WebSocket', () => {
  it('nothing listening: exit 3 NO_CONNECTIONS, the JSON written with the reason and a hint', async () => {
    const { exitCode, output, result } = await runAgainst('ws://127.0.0.1:9/', 'refused');
    expect(exitCode).toBe(3);
    expect(result.status).toBe('errored');
    expect(result.error?.code).toBe('NO_CONNECTIONS');
    expect(result.connections.errorsByCode.ECONNREFUSED).toBe(10);
    expect(output).toMatch(/ECONNREFUSED/);
  });

  it('a plain HTTP server (404 to the upgrade): exit 3, the status code named', async () => {
    const { server, port } = await listen(createHttpServer((_request, response) => response.writeHead(404).end('no')));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { exitCode, output, result } = await runAgainst(`ws://127.0.0.1:${port}/`, 'http-404');
    expect(exitCode).toBe(3);
    expect(result.error?.code).toBe('NO_CONNECTIONS');
    expect(output).toMatch(/404/);
  });

  it('a TCP server that hangs up at once: exit 3, the reset named', async () => {
    const { server, port } = await listen(createTcpServer((socket: Socket) => socket.destroy()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { exitCode, result } = await runAgainst(`ws://127.0.0.1:${port}/`, 'tcp-hangup');
    expect(exitCode).toBe(3);
    expect(result.connections.failed).toBe(10);
    expect(Object.keys(result.connections.errorsByCode).length).toBeGreaterThan(0);
  });

  it('a server that sends bytes that are not WebSocket frames after the handshake: the connections drop, exit 1', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    // Raw bytes on the upgraded socket: an invalid frame (reserved opcode) the client must reject.
    wss.on('connection', (_socket, request) => request.socket.write(Buffer.from([0x83, 0x05, 1, 2, 3, 4, 5])));
    await new Promise((resolve) => wss.once('listening', resolve));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const { exitCode, result } = await runAgainst(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, 'bad-frames');
    expect(exitCode).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.connections.dropped).toBe(10);
    // Connections lost between opening and the load still owe their scheduled messages.
    expect(result.messages.sent).toBeGreaterThan(0);
    expect(result.messages.timedOut).toBe(result.messages.sent);
  });

  it('wss:// to a server that speaks plain ws: exit 3, the TLS failure named with a hint', async () => {
    const server = await serve('echo');
    const { exitCode, output, result } = await runAgainst(server.url.replace('ws://', 'wss://'), 'tls-mismatch');
    expect(exitCode).toBe(3);
    expect(result.error?.code).toBe('NO_CONNECTIONS');
    expect(output).toMatch(/TLS|SSL|EPROTO/);
  });
});
