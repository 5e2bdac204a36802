import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type PythonServerBehaviour, pythonForTestServers, startPythonServer, stopAllPythonServers } from '../support/python-server.js';
import { type TestCa, createTestCa } from '../support/test-ca.js';

// The third-party test servers behave as test/servers/README.md says: other tests rely on each behaviour.

const clients = new Set<WebSocket>();
afterEach(async () => {
  for (const client of clients) client.terminate();
  clients.clear();
  await stopAllPythonServers();
});

interface Opened {
  client: WebSocket;
  received: { data: Buffer; isBinary: boolean }[];
  closed: Promise<{ code: number; reason: string }>;
  errors: Error[];
}

async function open(url: string, options: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<Opened> {
  const client = new WebSocket(url, protocols, { perMessageDeflate: false, ...options });
  clients.add(client);
  const opened: Opened = { client, received: [], errors: [], closed: new Promise((resolve) => client.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))) };
  client.on('message', (data: Buffer, isBinary) => opened.received.push({ data, isBinary }));
  client.on('error', (error) => opened.errors.push(error));
  await new Promise((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  return opened;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function serve(behaviour: PythonServerBehaviour, args: string[] = []) {
  return startPythonServer(behaviour, { args });
}

describe('Python websockets test servers', () => {
  beforeAll(async () => {
    await pythonForTestServers(); // the venv, created once (first run: pip install)
  }, 200_000);

  it('echo: returns text as text and binary as binary, and stops by PID', async () => {
    const server = await serve('echo');
    const { client, received } = await open(server.url);
    client.send('hello');
    client.send(Buffer.from([0, 1, 2, 255]));
    await until(() => received.length === 2);
    expect(received[0]).toEqual({ data: Buffer.from('hello'), isBinary: false });
    expect(received[1]).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
  });

  it('silent: never answers', async () => {
    const { client, received } = await open((await serve('silent')).url);
    for (let i = 0; i < 5; i++) client.send(`m${i}`);
    await sleep(300);
    expect(received).toEqual([]);
  });

  it('every-other: answers the 1st, 3rd, 5th … message only', async () => {
    const { client, received } = await open((await serve('every-other')).url);
    for (let i = 1; i <= 6; i++) client.send(`m${i}`);
    await until(() => received.length === 3);
    await sleep(200);
    expect(received.map((m) => m.data.toString())).toEqual(['m1', 'm3', 'm5']);
  });

  it('close-after: closes every connection after --after-s with --close-code, or drops it with 0', async () => {
    const polite = await open((await serve('close-after', ['--after-s', '0.3'])).url);
    const startedAt = Date.now();
    expect((await polite.closed).code).toBe(1001);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    const dropped = await open((await serve('close-after', ['--after-s', '0.2', '--close-code', '0'])).url);
    expect((await dropped.closed).code).toBe(1006); // no close frame: abnormal closure
  });

  it('corrupt: answers with random content of the same length and type', async () => {
    const { client, received } = await open((await serve('corrupt')).url);
    const sent = Buffer.alloc(256, 7);
    client.send(sent);
    client.send('a text message of some length');
    await until(() => received.length === 2);
    expect(received[0]!.isBinary).toBe(true);
    expect(received[0]!.data.length).toBe(256);
    expect(received[0]!.data.equals(sent)).toBe(false);
    expect(received[1]!.isBinary).toBe(false);
    expect(received[1]!.data.length).toBe('a text message of some length'.length);
    expect(received[1]!.data.toString()).not.toBe('a text message of some length');
  });

  it('unsolicited: pushes frames nobody asked for, and still echoes', async () => {
    const { client, received } = await open((await serve('unsolicited', ['--interval-ms', '50'])).url);
    await until(() => received.length >= 3);
    client.send('mine');
    await until(() => received.some((m) => m.data.toString() === 'mine'));
    expect(received.filter((m) => m.data.toString().startsWith('unsolicited ')).length).toBeGreaterThanOrEqual(3);
  });

  it('invalid-frames: answers with bytes that are not a valid frame, so the client fails the connection', async () => {
    const { client, closed, errors } = await open((await serve('invalid-frames')).url);
    client.send('x');
    const { code } = await closed;
    expect(errors.map((e) => e.message).join()).toMatch(/RSV1|opcode/i);
    expect([1002, 1006]).toContain(code);
  });

  it('refuse-1009: closes with 1009 on the first frame', async () => {
    const { client, closed } = await open((await serve('refuse-1009')).url);
    client.send('tiny');
    expect((await closed).code).toBe(1009);
  });

  it('truncate: echoes only the first --truncate-bytes bytes', async () => {
    const { client, received } = await open((await serve('truncate')).url);
    const sent = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    client.send(sent);
    await until(() => received.length === 1);
    expect(received[0]!.data).toEqual(sent.subarray(0, 8));
  });

  it('text-line: echoes text and closes with 1003 on a binary frame', async () => {
    const { client, received, closed } = await open((await serve('text-line')).url);
    client.send('line 1');
    await until(() => received.length === 1);
    expect(received[0]).toEqual({ data: Buffer.from('line 1'), isBinary: false });
    client.send(Buffer.from('binary'));
    expect((await closed).code).toBe(1003);
  });

  it('json: answers {"id":N,...} with {"id":N,"result":...} of another size', async () => {
    const { client, received } = await open((await serve('json', ['--result-bytes', '100'])).url);
    const request = JSON.stringify({ id: 42, op: 'ping', pad: 'x'.repeat(10) });
    client.send(request);
    client.send('not json');
    await until(() => received.length === 2);
    const reply = JSON.parse(received[0]!.data.toString());
    expect(reply).toEqual({ id: 42, result: 'r'.repeat(100) });
    expect(received[0]!.data.length).not.toBe(request.length);
    expect(JSON.parse(received[1]!.data.toString())).toMatchObject({ id: null, error: expect.any(String) });
  });

  it('broadcast: sends every frame, unchanged, to every other connection', async () => {
    const server = await serve('broadcast');
    const [a, b, c] = [await open(server.url), await open(server.url), await open(server.url)];
    a.client.send('from a');
    b.client.send(Buffer.from([1, 2, 3]));
    await until(() => b.received.length === 1 && c.received.length === 2 && a.received.length === 1);
    await sleep(100);
    expect(a.received).toEqual([{ data: Buffer.from([1, 2, 3]), isBinary: true }]);
    expect(b.received).toEqual([{ data: Buffer.from('from a'), isBinary: false }]);
    expect(c.received.map((m) => m.data.toString()).sort()).toEqual(['\u0001\u0002\u0003', 'from a']);
  });

  it('slow-handshake: answers the upgrade only after --handshake-delay-ms', async () => {
    const server = await serve('slow-handshake', ['--handshake-delay-ms', '600']);
    const startedAt = Date.now();
    const { client, received } = await open(server.url);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(550);
    client.send('late');
    await until(() => received.length === 1);
  });

  it('refuses the upgrade with 401 without a --require-header, accepts it with the header', async () => {
    const server = await serve('echo', ['--require-header', 'Authorization: Bearer t0ken']);
    await expect(open(server.url)).rejects.toThrow(/401/);
    await open(server.url, { headers: { Authorization: 'Bearer t0ken' } });
  });

  it('accepts --subprotocols and permessage-deflate with --compression deflate', async () => {
    const server = await serve('echo', ['--subprotocols', 'chat,v2', '--compression', 'deflate']);
    const { client, received } = await open(server.url, { perMessageDeflate: true }, ['v2']);
    expect(client.protocol).toBe('v2');
    expect(client.extensions).toContain('permessage-deflate');
    client.send('z'.repeat(1000));
    await until(() => received.length === 1);
    expect(received[0]!.data.toString()).toBe('z'.repeat(1000));
  });

  it('rejects bad flags with exit code 2, naming each', async () => {
    const python = await pythonForTestServers();
    const script = fileURLToPath(new URL('../servers/ws_server.py', import.meta.url));
    const failure = await promisify(execFile)(python, [script, '--behaviour', 'echo', '--tls-cert', 'x.pem', '--close-code', '7']).catch((error) => error);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain('--tls-cert and --tls-key go together');
    expect(failure.stderr).toContain('--close-code must be 0 (drop) or a close code');
    const unknown = await promisify(execFile)(python, [script, '--behaviour', 'chatty']).catch((error) => error);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("invalid choice: 'chatty'");
  });
});

describe('TLS echo (wss://) with a CA generated at test time by openssl', () => {
  let ca: TestCa;
  beforeAll(async () => {
    await pythonForTestServers();
    ca = await createTestCa();
  }, 200_000);
  afterAll(() => ca?.remove());

  it('echoes over wss:// to a client that trusts the CA, and fails a client that does not', async () => {
    const server = await startPythonServer('echo', { tls: ca });
    expect(server.url).toBe(`wss://127.0.0.1:${server.port}/`);
    const { client, received } = await open(server.url, { ca: ca.caCert });
    client.send('secret');
    await until(() => received.length === 1);
    expect(received[0]!.data.toString()).toBe('secret');
    await expect(open(server.url)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    await open(server.url, { rejectUnauthorized: false }); // what --insecure does
  });
});
