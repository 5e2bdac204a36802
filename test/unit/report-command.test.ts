import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/commands/report-command.js';
import { writeReports } from '../../src/report/write-reports.js';
import type { CommandOutput } from '../../src/cli/output.js';
import { ConfigError, EXIT_USAGE } from '../../src/errors.js';
import { parseReportJson } from '../../src/report/report-input.js';
import { writeStoredResult } from '../../src/report/results-store.js';
import { REPO_ROOT } from '../support/cli.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'run-result.json');

function capture(): CommandOutput & { out: string[] } {
  const out: string[] = [];
  return { out, stdout: (text) => out.push(text), stderr: () => {}, interactive: false };
}

async function configError(file: string): Promise<ConfigError> {
  const error = await reportCommand([file], capture()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('wsbench report', () => {
  it('prints the Markdown report when given no output flag', async () => {
    const output = capture();
    expect(await reportCommand([FIXTURE], output)).toBe(0);
    expect(output.out.join('')).toMatch(/^\*\*COMPLETED\*\*: /);
  });

  it('writes the HTML and Markdown files it is asked for', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-report-'));
    const output = capture();
    expect(await reportCommand([FIXTURE, '--html', path.join(dir, 'out', 'r.html'), '--md', path.join(dir, 'r.md')], output)).toBe(0);
    expect(readFileSync(path.join(dir, 'out', 'r.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(readFileSync(path.join(dir, 'r.md'), 'utf8')).toMatch(/^\*\*COMPLETED\*\*/);
    expect(output.out.join('')).toContain('wrote ');
  });

  it('names the file and the problem when the file is missing, not JSON, or not a result', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-report-'));
    const missing = await configError(path.join(dir, 'nope.json'));
    expect(missing.exitCode).toBe(EXIT_USAGE);
    expect(missing.message).toContain(`${path.join(dir, 'nope.json')}: no such file`);

    writeFileSync(path.join(dir, 'broken.json'), '{"kind": "run",');
    expect((await configError(path.join(dir, 'broken.json'))).message).toMatch(/broken\.json is not valid JSON: /);

    writeFileSync(path.join(dir, 'other.json'), '{"name": "something else"}');
    const other = await configError(path.join(dir, 'other.json'));
    expect(other.message).toContain('other.json is not a wsbench result file');
    expect(other.problems).toEqual(['schemaVersion: expected a number, got nothing', 'kind: expected one of "run", "ramp", "limit", "compare", got nothing']);
  });

  it('lists the fields a result of its kind lacks', () => {
    expect(() => parseReportJson('{"schemaVersion": 1, "kind": "ramp", "steps": []}', 'r.json')).toThrow(/ramp: expected an object in a "ramp" result, got nothing/);
  });

  it('writes the reports the run, ramp and compare commands ask for through the same function', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-report-'));
    const report = parseReportJson(readFileSync(FIXTURE, 'utf8'), FIXTURE);
    expect(writeReports(report, { html: path.join(dir, 'a.html') })).toEqual([path.join(dir, 'a.html')]);
    expect(writeReports(report, {})).toEqual([]);
  });
});

describe('writeStoredResult', () => {
  it('stores the JSON and its charts in the seed’s layout, named by kind and start time', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-results-'));
    const report = parseReportJson(readFileSync(FIXTURE, 'utf8'), FIXTURE);
    if (report.kind !== 'run') throw new Error('fixture is not a run');
    const paths = writeStoredResult(path.join(dir, 'results'), { ...report, startedAt: '2026-11-24T21:42:50.733Z' });
    expect(paths).toEqual({ json: path.join(dir, 'results', 'run_2026-11-24_214250.json'), charts: path.join(dir, 'results', 'charts', 'run_2026-11-24_214250.html') });
    expect(JSON.parse(readFileSync(paths.json, 'utf8')).kind).toBe('run');
    expect(readFileSync(paths.charts, 'utf8')).toContain('<svg');
  });
});
