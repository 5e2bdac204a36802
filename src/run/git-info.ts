import { simpleGit } from 'simple-git';

export interface GitInfo {
  commit: string | null;
  ref: string | null;
  dirty: boolean | null;
}

/** Commit, branch or tag, and dirtiness of the repository at `dir`; nulls outside a git repository. */
export async function readGitInfo(dir: string = process.cwd()): Promise<GitInfo> {
  try {
    const git = simpleGit({ baseDir: dir });
    if (!(await git.checkIsRepo())) return { commit: null, ref: null, dirty: null };
    const [commit, ref, status] = await Promise.all([
      git.revparse(['HEAD']).catch(() => null),
      git.raw(['describe', '--tags', '--exact-match']).then((tag) => tag.trim()).catch(() => git.revparse(['--abbrev-ref', 'HEAD']).catch(() => null)),
      git.status().catch(() => null),
    ]);
    return { commit, ref, dirty: status === null ? null : !status.isClean() };
  } catch {
    return { commit: null, ref: null, dirty: null };
  }
}
