import { accessSync, constants, mkdirSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

/**
 * Output paths are checked before any load starts, so a typo in `--json` never costs a whole run, and
 * folders are created only where that is safe: on Node 20, `mkdirSync(p, { recursive: true })` spins
 * forever on a path under /proc (and SIGTERM cannot stop a synchronous loop), so it is never called there.
 */

/** Kernel pseudo-filesystems: nothing written there is a result file, and mkdir can hang. */
const PSEUDO_FILESYSTEMS = ['/proc', '/sys'];

export type OutputKind = 'file' | 'dir';

export interface OutputRequest {
  /** The flag that named it, e.g. `--json`. */
  flag: string;
  path: string;
  kind: OutputKind;
}

/** A file name that fits the flag, for examples in messages. */
function exampleName(flag: string): string {
  if (flag.includes('html')) return 'report.html';
  if (flag.includes('md')) return 'report.md';
  return 'result.json';
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

function underPseudoFilesystem(resolved: string): string | undefined {
  return PSEUDO_FILESYSTEMS.find((root) => resolved === root || resolved.startsWith(`${root}/`));
}

/** The nearest ancestor of `resolved` that exists (itself included), with symlinks resolved. */
function nearestExisting(resolved: string): { existing: string; stats: Stats } {
  let current = resolved;
  for (;;) {
    const stats = statOrNull(current);
    if (stats !== null) {
      let real = current;
      try {
        real = realpathSync(current);
      } catch {
        // keep the unresolved name: the stat above succeeded, so it is good enough to report
      }
      return { existing: real, stats };
    }
    const parent = path.dirname(current);
    if (parent === current) return { existing: current, stats: statSync(current) };
    current = parent;
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why `request` cannot be written, or null when it can (as far as can be known before writing). */
export function outputPathProblem(request: OutputRequest): string | null {
  const { flag, kind } = request;
  const shown = JSON.stringify(request.path);
  if (request.path.trim() === '') return `${flag} is empty: give a ${kind === 'file' ? 'file name, e.g. result.json' : 'folder, e.g. results'}`;
  const resolved = path.resolve(request.path);
  const example = kind === 'file' ? path.join('results', path.basename(resolved) || exampleName(flag)) : 'results';
  const pseudo = underPseudoFilesystem(resolved);
  if (pseudo !== undefined) return `${flag} ${shown} is under ${pseudo}, a kernel pseudo-filesystem where no file can be stored: give a path in a normal folder, e.g. ${example}`;
  const own = statOrNull(resolved);
  if (own !== null) {
    if (kind === 'file' && own.isDirectory()) return `${flag} ${shown} is a folder: give a file name inside it, e.g. ${path.join(request.path, exampleName(flag))}`;
    if (kind === 'file' && !own.isFile()) return `${flag} ${shown} exists and is not a regular file: give a new file name, e.g. ${example}`;
    if (kind === 'dir' && !own.isDirectory()) return `${flag} ${shown} is a file, not a folder: give a folder name, e.g. ${example}`;
  }
  const { existing, stats } = nearestExisting(own !== null && kind === 'dir' ? resolved : path.dirname(resolved));
  const realPseudo = underPseudoFilesystem(existing);
  if (realPseudo !== undefined) return `${flag} ${shown} leads (through a link) into ${realPseudo}, a kernel pseudo-filesystem: give a path in a normal folder, e.g. ${example}`;
  if (!stats.isDirectory()) return `${flag} ${shown} cannot be created: ${existing} is a file, not a folder. Give a path whose folders exist or can be created, e.g. ${example}`;
  if (!writable(existing)) return `${flag} ${shown} cannot be written: no write permission in ${existing}. Give a path in a folder you can write to, e.g. ${example}`;
  if (own !== null && kind === 'file') {
    try {
      accessSync(resolved, constants.W_OK);
    } catch {
      return `${flag} ${shown} exists and is read-only: remove it or give another file name, e.g. ${example}`;
    }
  }
  return null;
}

/** Checks every output a command will write; one UsageError lists all problems (exit 2, before any load). */
export function checkOutputPaths(requests: ReadonlyArray<OutputRequest | undefined>): void {
  const problems = requests.flatMap((request) => {
    if (request === undefined) return [];
    const problem = outputPathProblem(request);
    return problem === null ? [] : [problem];
  });
  if (problems.length === 1) throw new UsageError('UNWRITABLE_OUTPUT', `${problems[0]!} (nothing was run)`);
  if (problems.length > 1) throw new UsageError('UNWRITABLE_OUTPUT', `These outputs cannot be written (nothing was run):\n  - ${problems.join('\n  - ')}`);
}

/** Builds the request list from optional flag values; absent flags are skipped. */
export function outputRequests(entries: ReadonlyArray<[flag: string, value: string | undefined, kind?: OutputKind]>): OutputRequest[] {
  return entries.flatMap(([flag, value, kind]) => (value === undefined ? [] : [{ flag, path: value, kind: kind ?? 'file' }]));
}

/** `mkdir -p`, refusing the pseudo-filesystems where Node 20's recursive mkdir never returns. */
export function ensureDirectory(dir: string): void {
  const resolved = path.resolve(dir);
  const pseudo = underPseudoFilesystem(resolved);
  if (pseudo !== undefined) throw new Error(`refusing to create ${resolved}: it is under ${pseudo}, a kernel pseudo-filesystem`);
  if (statOrNull(resolved)?.isDirectory() === true) return;
  const { existing } = nearestExisting(resolved);
  const realPseudo = underPseudoFilesystem(existing);
  if (realPseudo !== undefined) throw new Error(`refusing to create ${resolved}: ${existing} is under ${realPseudo}, a kernel pseudo-filesystem`);
  mkdirSync(resolved, { recursive: true });
}
