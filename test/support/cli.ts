import { existsSync, readFileSync } from 'node:fs';
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
export function startCli(args: string[]): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, [CLI, ...args], { reject: false, all: true, cwd: REPO_ROOT, env: { CI: 'true' } });
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
