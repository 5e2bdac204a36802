import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { InfrastructureError } from '../errors.js';
import { PACKAGE_ROOT, cacheDir } from '../tool-info.js';

export const GOBWAS_FIXTURE_DIR = path.join(PACKAGE_ROOT, 'fixtures', 'gobwas-echo');
/** A cold `go build` downloads modules; a warm one takes seconds. */
const GO_BUILD_TIMEOUT_MS = 10 * 60_000;
const BUILD_LOG_TAIL_LINES = 30;

/** Hash of every source file under `dir` (sorted by path), so a cached binary is reused only for identical sources. */
export function hashSources(dir: string, include: (file: string) => boolean): string {
  const hash = createHash('sha256');
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'bin' && !entry.name.startsWith('.')) walk(full);
      } else if (include(entry.name)) {
        hash.update(path.relative(dir, full)).update('\0').update(readFileSync(full)).update('\0');
      }
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the gobwas/ws fixture once per source hash into the cache and returns the binary's path.
 * `sourceDir` lets a git-worktree arm build its own copy of the fixture.
 */
export async function buildGobwasFixture(sourceDir: string = GOBWAS_FIXTURE_DIR): Promise<string> {
  const hash = hashSources(sourceDir, (file) => file.endsWith('.go') || file === 'go.mod' || file === 'go.sum');
  const binary = path.join(cacheDir(), `gobwas-echo-${hash}`);
  if (existsSync(binary) && statSync(binary).size > 0) return binary;
  mkdirSync(cacheDir(), { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  const build = await execa('go', ['build', '-o', partial, '.'], {
    cwd: sourceDir,
    reject: false,
    all: true,
    timeout: GO_BUILD_TIMEOUT_MS,
  });
  if (build.code === 'ENOENT') {
    throw new InfrastructureError(
      'GO_MISSING',
      'Go is needed to build the gobwas fixture but `go` was not found on PATH. Install Go ≥ 1.22 (https://go.dev/dl/ or `apt-get install golang`) and re-run, or use `--target node`.',
    );
  }
  if (build.failed) {
    const tail = String(build.all ?? '').split('\n').slice(-BUILD_LOG_TAIL_LINES);
    throw new InfrastructureError('TARGET_BUILD_FAILED', `go build of ${sourceDir} failed (exit code ${build.exitCode ?? 'none'})`, { logTail: tail });
  }
  renameSync(partial, binary);
  return binary;
}
