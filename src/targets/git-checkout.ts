import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { UsageError } from '../errors.js';
import { cacheDir } from '../tool-info.js';

/** A read-only checkout of one commit, for building a target as it was at a git ref. */
export interface RevisionCheckout {
  ref: string;
  commit: string;
  /** The checkout's root folder (a git worktree, cached by commit). */
  root: string;
  /** The root of the repository it was checked out from. */
  repoRoot: string;
}

/**
 * Checks out `ref` of the repository around `cwd` into a detached git worktree under the cache, reused
 * while the commit is the same. The working tree the user is editing is never touched.
 */
export async function checkoutRevision(ref: string, cwd: string = process.cwd()): Promise<RevisionCheckout> {
  const git = simpleGit({ baseDir: cwd });
  if (!(await git.checkIsRepo().catch(() => false))) {
    throw new UsageError('NOT_A_GIT_REPOSITORY', `A target at a git ref (@${ref}) needs a git repository, but ${cwd} is not in one; run wsbench from your repository or drop @${ref}`);
  }
  const repoRoot = (await git.revparse(['--show-toplevel'])).trim();
  const commit = await git.revparse([`${ref}^{commit}`]).then((text) => text.trim()).catch(() => {
    throw new UsageError('UNKNOWN_GIT_REF', `Unknown git ref ${JSON.stringify(ref)} in ${repoRoot}: expected a commit, branch or tag (is it fetched? in CI use fetch-depth: 0)`);
  });
  const root = path.join(cacheDir(), 'worktrees', commit.slice(0, 12));
  if (!existsSync(path.join(root, '.git'))) {
    mkdirSync(path.dirname(root), { recursive: true });
    await git.raw(['worktree', 'prune']);
    await git.raw(['worktree', 'add', '--force', '--detach', root, commit]);
  }
  return { ref, commit, root, repoRoot };
}

/** Where `file` (inside the repository) is in the checkout; an error when it is outside the repository. */
export function pathInCheckout(checkout: RevisionCheckout, file: string, what: string): string {
  const relative = path.relative(checkout.repoRoot, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new UsageError('OUTSIDE_REPOSITORY', `${what} lives in ${file}, outside the repository ${checkout.repoRoot}, so it cannot be built at @${checkout.ref}; define the target in your config with sources in this repository`);
  }
  return path.join(checkout.root, relative);
}
