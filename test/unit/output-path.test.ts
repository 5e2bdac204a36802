import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { checkOutputPaths, ensureDirectory, outputPathProblem } from '../../src/output-path.js';
import { writeFileAtomic } from '../../src/write-file-atomic.js';
import { outputFailure, writeOutputs } from '../../src/report/write-outputs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('outputPathProblem', () => {
  it('accepts a new file in a folder that exists or can be created', () => {
    expect(outputPathProblem({ flag: '--json', path: path.join(dir, 'a.json'), kind: 'file' })).toBeNull();
    expect(outputPathProblem({ flag: '--json', path: path.join(dir, 'new', 'deeper', 'a.json'), kind: 'file' })).toBeNull();
    expect(outputPathProblem({ flag: '--results-dir', path: path.join(dir, 'results'), kind: 'dir' })).toBeNull();
  });

  it.each([
    ['/proc/x.json', /under \/proc, a kernel pseudo-filesystem/],
    ['/proc/wsbench/deep/x.json', /under \/proc/],
    ['/sys/x.json', /under \/sys/],
  ])('refuses %s without touching it', (file, message) => {
    expect(outputPathProblem({ flag: '--json', path: file, kind: 'file' })).toMatch(message);
  });

  it('refuses a folder given as a file, a file given as a folder, and a path under a regular file', () => {
    const file = path.join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    expect(outputPathProblem({ flag: '--json', path: dir, kind: 'file' })).toMatch(/is a folder: give a file name inside it/);
    expect(outputPathProblem({ flag: '--results-dir', path: file, kind: 'dir' })).toMatch(/is a file, not a folder/);
    expect(outputPathProblem({ flag: '--md', path: path.join(file, 'x.md'), kind: 'file' })).toMatch(/plain\.txt is a file, not a folder/);
  });

  it('refuses a link that leads into /proc', async () => {
    const { symlinkSync } = await import('node:fs');
    const link = path.join(dir, 'to-proc');
    symlinkSync('/proc/self', link);
    expect(outputPathProblem({ flag: '--json', path: path.join(link, 'x.json'), kind: 'file' })).toMatch(/through a link\) into \/proc/);
  });

  it('lists every bad output at once, as one usage error (exit 2)', () => {
    const error = (() => {
      try {
        checkOutputPaths([{ flag: '--json', path: '/proc/a.json', kind: 'file' }, { flag: '--html', path: dir, kind: 'file' }, undefined]);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toMatch(/--json "\/proc\/a.json"[\s\S]*--html/);
  });
});

describe('writes', () => {
  it('writes atomically and leaves no temp file behind, also when the rename fails', () => {
    const target = path.join(dir, 'out', 'r.json');
    writeFileAtomic(target, '{"a":1}\n');
    expect(readFileSync(target, 'utf8')).toBe('{"a":1}\n');
    const folder = path.join(dir, 'is-a-folder');
    mkdirSync(path.join(folder, 'child'), { recursive: true });
    expect(() => writeFileAtomic(folder, 'x')).toThrow();
    expect(readdirSync(dir).filter((name) => name.includes('.partial-'))).toEqual([]);
  });

  it('never calls mkdir under /proc (Node 20 spins forever there)', () => {
    expect(() => ensureDirectory('/proc/wsbench/x')).toThrow(/pseudo-filesystem/);
  });

  it('keeps writing the other outputs when one fails, and names the one that failed', () => {
    const good = path.join(dir, 'good.md');
    const readOnly = path.join(dir, 'ro');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o500);
    const { written, failures } = writeOutputs([
      { label: '--json /proc/nope.json', write: () => (writeFileAtomic('/proc/nope.json', 'x'), ['/proc/nope.json']) },
      { label: `--md ${good}`, write: () => (writeFileAtomic(good, 'ok'), [good]) },
    ]);
    expect(written).toEqual([good]);
    expect(failures.map((failure) => failure.label)).toEqual(['--json /proc/nope.json']);
    const error = outputFailure(failures);
    expect(error?.code).toBe('OUTPUT_WRITE_FAILED');
    expect(error?.exitCode).toBe(3);
    expect(error?.message).toMatch(/the others were written/);
  });
});
