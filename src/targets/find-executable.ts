import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** The command as it will be run, or undefined when there is no such executable (PATH searched for a bare name). */
export function findExecutable(command: string, cwd: string | undefined, searchPath: string | undefined): string | undefined {
  const runnable = (candidate: string): boolean => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const resolved = path.resolve(cwd ?? process.cwd(), command);
    return runnable(resolved) ? resolved : undefined;
  }
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    if (runnable(candidate)) return candidate;
  }
  return undefined;
}
