import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDirectory } from './output-path.js';

/**
 * Writes a file atomically: a temp file in the same folder, then rename, so a reader never sees half a
 * report. On any failure the temp file is removed (no `.partial-PID` litter) and the error is rethrown.
 */
export function writeFileAtomic(file: string, text: string): void {
  const resolved = path.resolve(file);
  ensureDirectory(path.dirname(resolved));
  const partial = path.join(path.dirname(resolved), `.${path.basename(resolved)}.partial-${process.pid}`);
  try {
    writeFileSync(partial, text);
    renameSync(partial, resolved);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}
