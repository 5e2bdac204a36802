import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { readProcessTree } from '../../src/metrics/process-tree.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** End-to-end tests run the built CLI, as a user would (`npm test` builds first). */
export const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'bin.js');

export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const result = await execa(process.execPath, [CLI, ...args], {
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    env: { ...options.env, CI: 'true' },
    cwd: REPO_ROOT,
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Starts the CLI without waiting, for tests that interrupt it or kill its target. */
/** Preloaded into the CLI when asked: writes the process's own CPU time (ms) to a file as it exits. */
const CPU_REPORTER = `data:text/javascript,${encodeURIComponent('import fs from "node:fs"; process.on("exit", () => { const u = process.cpuUsage(); fs.writeFileSync(process.env.WSBENCH_TEST_CPU_FILE, String((u.user + u.system) / 1000)); });')}`;

export function startCli(args: string[], options: { cwd?: string; cpuFile?: string } = {}): ResultPromise<{ reject: false; all: true }> {
  const preload = options.cpuFile === undefined ? [] : ['--import', CPU_REPORTER];
  const env: Record<string, string> = { CI: 'true', ...(options.cpuFile === undefined ? {} : { WSBENCH_TEST_CPU_FILE: options.cpuFile }) };
  return execa(process.execPath, [...preload, CLI, ...args], { reject: false, all: true, cwd: options.cwd ?? REPO_ROOT, env });
}

/** Waits until the CLI's combined output matches `pattern`; returns the match. */
export function waitForOutput(subprocess: ResultPromise<{ reject: false; all: true }>, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in:\n${text}`)), timeoutMs);
    subprocess.all?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

/** Like waitForOutput, but null when the process ends first (e.g. a ramp a busy machine stopped early). */
export function waitForOutputOrExit(subprocess: ResultPromise<{ reject: false; all: true }>, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray | null> {
  return Promise.race([waitForOutput(subprocess, pattern, timeoutMs), subprocess.then(() => null)]);
}

/** Every descendant of `pid` now (target, its children, driver workers). */
export function descendantsOf(pid: number): number[] {
  return readProcessTree(pid).processes.map((process) => process.pid).filter((candidate) => candidate !== pid);
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie has exited; it only waits for its parent (or init) to reap it.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits briefly for processes to disappear; returns those still alive. */
export async function survivors(pids: number[], withinMs = 3000): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    alive = alive.filter(isAlive);
  }
  return alive;
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export interface WatchedRun extends CliResult {
  /** Every descendant seen while it ran (driver workers, targets), for the no-orphan check. */
  seen: number[];
  wallMs: number;
  /** The CLI process's own CPU time (user + system), when asked for with `measureCpu`. */
  cpuMs: number | undefined;
}

/**
 * Runs the CLI to its end while sampling its process tree, so a test can check afterwards that nothing it
 * started is still alive. `during` may act on the running CLI (send a signal, kill a worker).
 */
export async function runWatched(
  args: string[],
  options: { during?: (cli: ResultPromise<{ reject: false; all: true }>, seen: () => number[]) => Promise<void>; timeoutMs?: number; cwd?: string; measureCpu?: boolean } = {},
): Promise<WatchedRun> {
  const started = Date.now();
  const cpuFile = options.measureCpu === true ? path.join(mkdtempSync(path.join(tmpdir(), 'wsbench-cpu-')), 'cpu-ms') : undefined;
  const cli = startCli(args, { ...(options.cwd === undefined ? {} : { cwd: options.cwd }), ...(cpuFile === undefined ? {} : { cpuFile }) });
  const seen = new Set<number>();
  const sample = (): void => {
    if (cli.pid !== undefined) for (const pid of descendantsOf(cli.pid)) seen.add(pid);
  };
  const sampler = setInterval(sample, 50);
  const killer = setTimeout(() => cli.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  try {
    if (options.during !== undefined) await options.during(cli, () => (sample(), [...seen]));
    const result = await cli;
    const cpuMs = cpuFile !== undefined && existsSync(cpuFile) ? Number(readFileSync(cpuFile, 'utf8')) : undefined;
    return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), seen: [...seen], wallMs: Date.now() - started, cpuMs };
  } finally {
    clearInterval(sampler);
    clearTimeout(killer);
  }
}
