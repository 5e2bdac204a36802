import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder (holds package.json, fixtures/, baselines/), from `src/` or `dist/` alike. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const packageJson = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

export const TOOL_NAME = packageJson.name;
export const TOOL_VERSION = packageJson.version;

/** Where built fixtures are cached; `WSBENCH_CACHE_DIR` moves it (CI caches it between jobs). */
export function cacheDir(): string {
  return process.env.WSBENCH_CACHE_DIR ?? path.join(PACKAGE_ROOT, '.cache');
}
