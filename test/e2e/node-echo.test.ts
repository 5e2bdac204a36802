import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const SERVER_PATH = fileURLToPath(new URL('../../fixtures/node-echo/server.js', import.meta.url));
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const READY_LINE = /^wsbench-fixture ready addr=127\.0\.0\.1:(\d+) model=node procs=(\d+) pid=(\d+)$/;

interface Fixture {
  child: ChildProcess;
  port: number;
  pid: number;
  readyLine: string;
}

// Every process a test starts, stopped by PID after each test.
const startedPids = new Set<number>();
const openClients = new Set<WebSocket>();

afterEach(async () => {
  for (const client of openClients) client.terminate();
  openClients.clear();
  await Promise.all([...startedPids].map((pid) => stopProcess(pid)));
  startedPids.clear();
});

/** A zombie counts as gone: an orphan waits for its new parent (pid 1 here) to reap it. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}

/** SIGTERM, then SIGKILL if it is still there after STOP_TIMEOUT_MS. */
async function stopProcess(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  if (await waitUntil(() => !isAlive(pid), STOP_TIMEOUT_MS)) return;
  process.kill(pid, 'SIGKILL');
  await waitUntil(() => !isAlive(pid), STOP_TIMEOUT_MS);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function spawnFixture(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [SERVER_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) startedPids.add(child.pid);
  return child;
}

/** Resolves with the first stdout line; rejects if the process exits or stays silent first. */
function readFirstLine(child: ChildProcess, timeoutMs = READY_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      resolve(stdout.slice(0, newline));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready; stderr: ${stderr}`));
    });
  });
}

async function startFixture(args: string[] = []): Promise<Fixture> {
  const port = await freePort();
  const child = spawnFixture(['--port', String(port), ...args]);
  const readyLine = await readFirstLine(child);
  const match = READY_LINE.exec(readyLine);
  if (match === null) throw new Error(`unexpected ready line: ${readyLine}`);
  expect(Number(match[1])).toBe(port);
  expect(Number(match[3])).toBe(child.pid);
  return { child, port, pid: child.pid!, readyLine };
}

/** Runs the fixture to completion: for flag errors and failed listens. */
function runToExit(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawnFixture(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr, stdout })));
}

function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function connect(port: number, path = '/'): Promise<WebSocket> {
  const client = new WebSocket(`ws://${HOST}:${port}${path}`, { perMessageDeflate: false });
  openClients.add(client);
  await new Promise((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  return client;
}

interface Received {
  data: Buffer;
  isBinary: boolean;
}

function nextMessages(client: WebSocket, count: number): Promise<Received[]> {
  return new Promise((resolve) => {
    const received: Received[] = [];
    const onMessage = (data: Buffer, isBinary: boolean) => {
      received.push({ data, isBinary });
      if (received.length < count) return;
      client.off('message', onMessage);
      resolve(received);
    };
    client.on('message', onMessage);
  });
}

function closeEvent(client: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => client.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** CPU time of a process's main thread (the event loop), in ns: /proc/PID/schedstat, not 10 ms ticks. */
function mainThreadCpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  const response = await fetch(`http://${HOST}:${port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const values = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [name, value] = line.split(' ');
    values.set(name!, Number(value));
  }
  return values;
}

function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

describe('node-echo fixture', () => {
  it('echoes a text message as text and a binary message as binary on any path', async () => {
    const { port } = await startFixture();
    const client = await connect(port, '/any/path?x=1');
    const echoes = nextMessages(client, 2);
    client.send('hello');
    client.send(Buffer.from([0, 1, 2, 255]));
    const [text, binary] = await echoes;
    expect(text).toEqual({ data: Buffer.from('hello'), isBinary: false });
    expect(binary).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
  });

  it('reassembles a message sent in three fragments and echoes it whole', async () => {
    const { port } = await startFixture();
    const client = await connect(port);
    const echoes = nextMessages(client, 1);
    client.send('one-', { fin: false });
    client.send('two-', { fin: false });
    client.send('three', { fin: true });
    const [echo] = await echoes;
    expect(echo).toEqual({ data: Buffer.from('one-two-three'), isBinary: false });
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    const { port } = await startFixture();
    const client = await connect(port);
    const pong = new Promise<Buffer>((resolve) => client.once('pong', resolve));
    client.ping('are you there');
    expect((await pong).toString()).toBe('are you there');
  });

  it("completes the close handshake, echoing the client's close code", async () => {
    const { port } = await startFixture();
    const client = await connect(port);
    const closed = closeEvent(client);
    client.close(4000, 'done');
    expect(await closed).toEqual({ code: 4000, reason: 'done' });
  });

  it('closes with 1009 when a message is larger than --max-frame', async () => {
    const { port } = await startFixture(['--max-frame', '1024']);
    const client = await connect(port);
    const fits = nextMessages(client, 1);
    client.send(Buffer.alloc(1024, 1));
    expect((await fits)[0]!.data.length).toBe(1024);
    const closed = closeEvent(client);
    client.send(Buffer.alloc(1025, 1));
    expect((await closed).code).toBe(1009);
  });

  it('echoes every message in order when writes are batched', async () => {
    const { port } = await startFixture(['--write', 'batch']);
    const clients = await Promise.all([connect(port), connect(port), connect(port)]);
    const count = 200;
    const all = clients.map((client) => nextMessages(client, count));
    for (let i = 0; i < count; i++) {
      for (const [c, client] of clients.entries()) client.send(i % 2 === 0 ? `c${c}m${i}` : Buffer.from(`c${c}m${i}`));
    }
    for (const [c, received] of (await Promise.all(all)).entries()) {
      expect(received.map((echo) => echo.data.toString())).toEqual(
        Array.from({ length: count }, (_, i) => `c${c}m${i}`),
      );
      expect(received.map((echo) => echo.isBinary)).toEqual(Array.from({ length: count }, (_, i) => i % 2 === 1));
    }
  });

  it.skipIf(process.platform !== 'linux')(
    'sends a burst of echoes in a few writes with --write batch and one write each with --write single',
    async () => {
      const writeSyscalls = (pid: number) => Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
      const count = 500;
      const writesPerMode: Record<string, number> = {};
      for (const mode of ['single', 'batch']) {
        const { port, pid } = await startFixture(['--write', mode]);
        const client = await connect(port);
        const echoes = nextMessages(client, count);
        const before = writeSyscalls(pid);
        // One TCP write carrying every message, so the server reads them in one turn.
        const socket = (client as unknown as { _socket: import('node:net').Socket })._socket;
        socket.cork();
        for (let i = 0; i < count; i++) client.send(`m${i}`);
        socket.uncork();
        await echoes;
        writesPerMode[mode] = writeSyscalls(pid) - before;
      }
      expect(writesPerMode.single).toBeGreaterThanOrEqual(count / 2);
      expect(writesPerMode.batch).toBeLessThan(count / 10);
    },
  );

  it('spends at least --inject-delay-us of CPU on every message', async () => {
    const { port } = await startFixture(['--inject-delay-us', '5000']);
    const client = await connect(port);
    const echoes = nextMessages(client, 20);
    const startedAt = performance.now();
    for (let i = 0; i < 20; i++) client.send(`m${i}`);
    await echoes;
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(20 * 5);
  });

  it('allocates --inject-alloc-bytes of garbage per message, so V8 collects more often', async () => {
    const gcRunsOver = async (args: string[]): Promise<number> => {
      const metricsPort = await freePort();
      const { port } = await startFixture([...args, '--metrics-addr', `${HOST}:${metricsPort}`]);
      const client = await connect(port);
      const before = (await scrapeMetrics(metricsPort)).get('nodejs_gc_runs_total')!;
      for (let i = 0; i < 10; i++) {
        const echoes = nextMessages(client, 50);
        for (let j = 0; j < 50; j++) client.send(`m${j}`);
        await echoes;
      }
      await new Promise((resolve) => setTimeout(resolve, 100)); // gc entries are delivered asynchronously
      return (await scrapeMetrics(metricsPort)).get('nodejs_gc_runs_total')! - before;
    };
    // 500 messages × 1 MiB = 500 MiB of garbage: far past what V8 lets external memory grow without a GC.
    const withGarbage = await gcRunsOver(['--inject-alloc-bytes', String(1 << 20)]);
    const without = await gcRunsOver([]);
    expect(withGarbage).toBeGreaterThanOrEqual(5);
    expect(withGarbage).toBeGreaterThan(without + 3);
  });

  it('holds the event loop --inject-lock-us per message without burning CPU, so echoes queue', async () => {
    const holdMs = 20;
    const { port, pid } = await startFixture(['--inject-lock-us', String(holdMs * 1000)]);
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => connect(port)));
    const cpuBeforeNs = mainThreadCpuNs(pid);
    const startedAt = performance.now();
    await Promise.all(
      clients.map((client, i) => {
        const echo = nextMessages(client, 1);
        client.send(`conn ${i}`);
        return echo;
      }),
    );
    const tookMs = performance.now() - startedAt;
    const burntMs = (mainThreadCpuNs(pid) - cpuBeforeNs) / 1e6;
    expect(tookMs).toBeGreaterThanOrEqual(clients.length * holdMs);
    expect(burntMs).toBeLessThan((clients.length * holdMs) / 4);
  });

  it('counts connections, messages, bytes and refused frames on /metrics', async () => {
    const metricsPort = await freePort();
    const { port } = await startFixture(['--max-frame', '100', '--metrics-addr', `${HOST}:${metricsPort}`]);
    const before = await scrapeMetrics(metricsPort);
    expect(before.get('echo_connections_accepted_total')).toBe(0);
    expect(before.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(before.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(before.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    const client = await connect(port);
    const echoes = nextMessages(client, 3);
    for (const message of ['a', 'bb', 'ccc']) client.send(message);
    await echoes;
    const during = await scrapeMetrics(metricsPort);
    expect(during.get('echo_connections_active')).toBe(1);
    expect(during.get('echo_connections_accepted_total')).toBe(1);
    expect(during.get('echo_messages_received_total')).toBe(3);
    expect(during.get('echo_messages_sent_total')).toBe(3);
    expect(during.get('echo_bytes_received_total')).toBe(6);

    const closed = closeEvent(client);
    client.send(Buffer.alloc(101));
    expect((await closed).code).toBe(1009);
    await waitUntil(() => false, 100);
    const after = await scrapeMetrics(metricsPort);
    expect(after.get('echo_frames_refused_total')).toBe(1);
    expect(after.get('echo_connections_active')).toBe(0);
  });

  it('serves echoes from two worker processes and sums their counters with --procs 2', async () => {
    const metricsPort = await freePort();
    const { port, pid, readyLine } = await startFixture(['--procs', '2', '--metrics-addr', `${HOST}:${metricsPort}`]);
    expect(readyLine).toContain('procs=2');
    if (process.platform === 'linux') expect(childPids(pid)).toHaveLength(2);

    const clients = await Promise.all(Array.from({ length: 4 }, () => connect(port)));
    const echoes = await Promise.all(
      clients.map((client, i) => {
        const echo = nextMessages(client, 1);
        client.send(`client ${i}`);
        return echo;
      }),
    );
    expect(echoes.map(([echo]) => echo!.data.toString())).toEqual(['client 0', 'client 1', 'client 2', 'client 3']);

    const metrics = await scrapeMetrics(metricsPort);
    expect(metrics.get('echo_connections_accepted_total')).toBe(4);
    expect(metrics.get('echo_messages_received_total')).toBe(4);
  });

  it.skipIf(process.platform !== 'linux')('stops its workers when the primary is killed', async () => {
    const { child, pid } = await startFixture(['--procs', '2']);
    const workers = childPids(pid);
    expect(workers).toHaveLength(2);
    process.kill(pid, 'SIGKILL');
    await waitForExit(child);
    expect(await waitUntil(() => workers.every((worker) => !isAlive(worker)), 1_000)).toBe(true);
  });

  it.each([['--procs', '1'], ['--procs', '2']])(
    'closes clients with 1001 and exits 0 promptly on SIGTERM (%s %s)',
    async (...args) => {
      const { child, port, pid } = await startFixture(args);
      const client = await connect(port);
      const closed = closeEvent(client);
      const startedAt = performance.now();
      process.kill(pid, 'SIGTERM');
      expect((await closed).code).toBe(1001);
      expect(await waitForExit(child)).toEqual({ code: 0, signal: null });
      expect(performance.now() - startedAt).toBeLessThan(2_000);
    },
  );

  it('exits when its parent dies with --exit-with-parent', async () => {
    const port = await freePort();
    // An intermediate parent that shares its stdout with the fixture, then is killed.
    const launcher = `require('node:child_process').spawn(process.execPath, ${JSON.stringify([
      SERVER_PATH,
      '--port',
      String(port),
      '--exit-with-parent',
    ])}, { stdio: ['ignore', 'inherit', 'inherit'] }); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', launcher], { stdio: ['ignore', 'pipe', 'pipe'] });
    startedPids.add(parent.pid!);
    const match = READY_LINE.exec(await readFirstLine(parent));
    const fixturePid = Number(match![3]);
    startedPids.add(fixturePid);
    process.kill(parent.pid!, 'SIGKILL');
    expect(await waitUntil(() => !isAlive(fixturePid), 1_000)).toBe(true);
  });

  it.each([
    [['--read-buffer', '4096'], '--read-buffer only applies to the gobwas fixture'],
    [['--model=epoll'], '--model only applies to the gobwas fixture'],
    [['--write', 'sometimes'], 'Expected --write to be one of single | batch, got `sometimes`'],
    [['--port=-1'], 'Expected --port to be an integer from 0 to 65535, got `-1`'],
    [['--procs=0'], 'Expected --procs to be an integer from 1 to 256, got `0`'],
    [['--metrics-addr', '9100'], 'Expected --metrics-addr to be HOST:PORT'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
  ])('refuses %j with exit code 2 and a message naming the flag', async (args, message) => {
    const { code, stderr, stdout } = await runToExit(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it('reports every bad flag at once', async () => {
    const { code, stderr } = await runToExit(['--model', 'epoll', '--write', 'x', '--inject-delay-us', 'lots']);
    expect(code).toBe(2);
    expect(stderr).toContain('--model');
    expect(stderr).toContain('--write');
    expect(stderr).toContain('--inject-delay-us');
  });

  it.each([['--procs', '1'], ['--procs', '2']])(
    'says the address is in use and exits 1 when the port is taken (%s %s)',
    async (...args) => {
      const { port } = await startFixture();
      const { code, stderr, stdout } = await runToExit(['--port', String(port), ...args]);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(`listen 127.0.0.1:${port}: address already in use`);
      expect(stdout).toBe('');
    },
  );
});
