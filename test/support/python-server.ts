import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestCa } from './test-ca.js';

// Third-party test servers (test/servers/ws_server.py, Python `websockets`): start one on a free loopback port,
// wait for its ready line, stop it by PID. See test/servers/README.md for the behaviours.

const SERVERS_DIR = fileURLToPath(new URL('../servers/', import.meta.url));
const SERVER_SCRIPT = `${SERVERS_DIR}ws_server.py`;
const READY_LINE = /^wsbench-test-server ready addr=127\.0\.0\.1:(\d+) behaviour=(\S+) tls=([01]) pid=(\d+)$/;
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
/** Creating the venv and installing websockets from PyPI, on first use only. */
const SETUP_TIMEOUT_MS = 180_000;

export type PythonServerBehaviour =
  | 'echo' | 'silent' | 'every-other' | 'close-after' | 'corrupt' | 'unsolicited' | 'invalid-frames'
  | 'refuse-1009' | 'truncate' | 'text-line' | 'json' | 'broadcast' | 'slow-handshake';

export interface PythonServerOptions {
  /** More ws_server.py flags, e.g. `['--after-s', '1']`. */
  args?: string[];
  /** Serve wss:// with this CA's server certificate. */
  tls?: TestCa;
}

export interface PythonServer {
  /** `ws://127.0.0.1:PORT/` or `wss://…` */
  url: string;
  port: number;
  pid: number;
  behaviour: PythonServerBehaviour;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

const running = new Set<PythonServer>();
let pythonPath: Promise<string> | undefined;

/** The interpreter with the pinned websockets: WSBENCH_PYTHON, or the venv setup-venv.sh creates once. */
export function pythonForTestServers(): Promise<string> {
  pythonPath ??= process.env.WSBENCH_PYTHON
    ? Promise.resolve(process.env.WSBENCH_PYTHON)
    : promisify(execFile)('bash', [`${SERVERS_DIR}setup-venv.sh`], { timeout: SETUP_TIMEOUT_MS }).then(
        ({ stdout }) => stdout.trim(),
        (error: Error & { stderr?: string }) => {
          pythonPath = undefined; // let a later call try again
          throw new Error(`The Python test servers cannot start: ${error.stderr?.trim() || error.message}`, { cause: error });
        },
      );
  return pythonPath;
}

export async function startPythonServer(behaviour: PythonServerBehaviour, options: PythonServerOptions = {}): Promise<PythonServer> {
  const python = await pythonForTestServers();
  const tlsArgs = options.tls ? ['--tls-cert', options.tls.serverCertPath, '--tls-key', options.tls.serverKeyPath] : [];
  const args = [SERVER_SCRIPT, '--behaviour', behaviour, '--port', '0', '--exit-with-parent', ...tlsArgs, ...(options.args ?? [])];
  const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await readyPort(child);
  const server: PythonServer = {
    url: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`,
    port,
    pid: child.pid!,
    behaviour,
    stop: () => stopChild(child).finally(() => running.delete(server)),
  };
  running.add(server);
  return server;
}

/** Stops every server still running (for an afterEach/afterAll). */
export async function stopAllPythonServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

function readyPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`ws_server.py ${why}; stderr: ${stderr.trim() || '(empty)'}`));
    };
    const timer = setTimeout(() => fail(`printed no ready line within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`));
    child.on('error', (error) => fail(`could not start: ${error.message}`));
    child.stdout!.on('data', function onData(chunk: Buffer) {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // keep draining: a full pipe would block the server
      child.removeAllListeners('exit');
      clearTimeout(timer);
      const match = READY_LINE.exec(stdout.slice(0, newline));
      if (match === null) {
        fail(`printed ${JSON.stringify(stdout.slice(0, newline))} instead of its ready line`);
        return;
      }
      if (Number(match[4]) !== child.pid) {
        fail(`reports pid ${match[4]}, but ${child.pid} was started`);
        return;
      }
      resolve(Number(match[1]));
    });
  });
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  const pid = child.pid!;
  if (child.exitCode !== null || child.signalCode !== null || isGone(pid)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(pid, 'SIGTERM');
  const forced = setTimeout(() => {
    if (!isGone(pid)) process.kill(pid, 'SIGKILL');
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(forced);
}
