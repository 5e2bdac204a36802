import { writeFileAtomic } from './write-file-atomic.js';

/** Writes JSON atomically (temp file, then rename), so a reader never sees half a result. */
export function writeJsonFile(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
