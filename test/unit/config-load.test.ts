import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ConfigError, InfrastructureError } from '../../src/errors.js';
import { loadConfig } from '../../src/scenario/load-config.js';

const SRC_INDEX = path.resolve('src/index.ts');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wsbench-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadConfig', () => {
  it('uses the built-in default config when the folder has no config file', async () => {
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.file).toBeUndefined();
    expect(loaded.targets).toEqual({});
    expect(loaded.config.scenarios.map((s) => s.name)).toContain('mid-conn-mid-msg');
  });

  it('loads wsbench.yaml from the folder, with units and targets', async () => {
    writeFileSync(
      path.join(dir, 'wsbench.yaml'),
      [
        'targets:',
        '  mine:',
        '    start: { command: ./server, args: [--port, "{port}"], cwd: srv }',
        '    readyLine: "^ready"',
        '    knobs: { mode: { flag: --mode, values: [a, b] } }',
        'scenarios:',
        '  - { name: smoke, target: "mine:mode=a", connections: 10, rate: 2, size: 4KiB, duration: 3s }',
      ].join('\n'),
    );
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.file).toBe(path.join(dir, 'wsbench.yaml'));
    expect(loaded.config.scenarios[0]).toMatchObject({ name: 'smoke', messageBytes: 4096, durationMs: 3000 });
    const mine = loaded.targets.mine!;
    expect(mine).toMatchObject({ name: 'mine', command: './server', args: ['--port', '{port}'], cwd: path.join(dir, 'srv'), wsPath: '/', servesMetrics: false });
    expect(mine.readyLine?.test('ready on 1234')).toBe(true);
    expect(mine.knobs.mode?.parse('b', 'mode')).toBe('b');
  });

  it('names the file and the problem paths when the YAML content is invalid', async () => {
    writeFileSync(path.join(dir, 'wsbench.yml'), 'scenarios:\n  - { name: x, connections: lots, rate: 1, size: 128 }\n');
    const error = await rejection(loadConfig({ cwd: dir }));
    expect(error.message).toMatch(/^wsbench\.yml is not valid:/);
    expect(error.problems).toEqual(['scenarios[0].connections: expected a positive integer, got "lots" (string)']);
  });

  it('reports a YAML syntax error with its line and column', async () => {
    writeFileSync(path.join(dir, 'wsbench.yaml'), 'scenarios:\n  - name: x\n   connections: [1, 2\n');
    const error = await rejection(loadConfig({ cwd: dir }));
    expect(error.code).toBe('CONFIG_SYNTAX');
    expect(error.message).toMatch(/^wsbench\.yaml is not valid YAML \(fix these lines\):/);
    expect(error.problems[0]).toMatch(/^line 3, column \d+: \S/);
  });

  it('loads a wsbench.config.ts with tsx, defineConfig and all', async () => {
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      path.join(dir, 'wsbench.config.ts'),
      [
        `import { defineConfig } from ${JSON.stringify(SRC_INDEX)};`,
        'const connections: number = 50;',
        'export default defineConfig({',
        "  scenarios: [{ name: 'typed', connections, rate: 5, size: '1KB', tags: ['quick'] }],",
        '});',
      ].join('\n'),
    );
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.file).toBe(path.join(dir, 'wsbench.config.ts'));
    expect(loaded.config.scenarios).toEqual([expect.objectContaining({ name: 'typed', connections: 50, messageBytes: 1000, tags: ['quick'] })]);
  });

  it('names the file when a TypeScript config cannot be imported', async () => {
    writeFileSync(path.join(dir, 'broken.config.ts'), "import './missing-module.js';\nexport default {};\n");
    const error = await rejection(loadConfig({ cwd: dir, file: 'broken.config.ts' }));
    expect(error.code).toBe('CONFIG_IMPORT_FAILED');
    expect(error.message).toMatch(/^Cannot load broken\.config\.ts: /);
  });

  it('fails with the path when --config names a file that does not exist', async () => {
    const error = await rejection(loadConfig({ cwd: dir, file: 'nope.yaml' }));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toContain(path.join(dir, 'nope.yaml'));
  });

  it('refuses two config files in one folder', async () => {
    writeFileSync(path.join(dir, 'wsbench.yaml'), '{}\n');
    writeFileSync(path.join(dir, 'wsbench.config.ts'), 'export default {};\n');
    expect((await rejection(loadConfig({ cwd: dir }))).code).toBe('CONFIG_AMBIGUOUS');
  });

  it('builds a config target once per process and shows the build output when it fails', async () => {
    writeFileSync(
      path.join(dir, 'wsbench.yaml'),
      [
        'targets:',
        '  good: { build: { command: "echo built >> build.log" }, start: { command: ./srv } }',
        '  bad: { build: { command: [sh, -c, "echo compiling; echo boom >&2; exit 3"] }, start: { command: ./srv } }',
      ].join('\n'),
    );
    const { targets } = await loadConfig({ cwd: dir });
    expect(await targets.good!.prepare!()).toBe('./srv');
    await targets.good!.prepare!();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(dir, 'build.log'), 'utf8')).toBe('built\n');
    const failure = await targets.bad!.prepare!().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect((failure as InfrastructureError).message).toMatch(/Building target bad .* failed: exit code 3/);
    expect((failure as InfrastructureError).logTail).toEqual(expect.arrayContaining(['compiling', 'boom']));
  });
});
