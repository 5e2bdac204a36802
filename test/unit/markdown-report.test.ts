import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRunSummary } from '../../src/report/console-summary.js';
import { renderMarkdownReport } from '../../src/report/markdown-report.js';
import type { RunResult } from '../../src/run/run-result.js';
import { summarizeTrial } from '../../src/compare/trial-summary.js';
import { parseReportJson } from '../../src/report/report-input.js';
import type { ReportInput } from '../../src/report/report-input.js';
import { REPO_ROOT } from '../support/cli.js';

const load = (name: string): ReportInput => {
  const file = path.join(REPO_ROOT, 'test', 'fixtures', name);
  return parseReportJson(readFileSync(file, 'utf8'), file);
};

const mermaidBlocks = (markdown: string): string[] => markdown.match(/```mermaid\n[\s\S]*?\n```/g) ?? [];

describe('renderMarkdownReport', () => {
  it('starts a run with its status and outcome, then the table', () => {
    const markdown = renderMarkdownReport(load('run-result.json'));
    expect(markdown.split('\n')[0]).toMatch(/^\*\*COMPLETED\*\*: 50 connections × 10 msg\/s: 500\/s echoed of 500\/s offered, p99 [\d.]+ ms, no errors\.$/);
    expect(markdown).toContain('| metric | value |\n| --- | --- |\n| throughput | 500/s achieved of 500/s offered |');
  });

  it('charts a run’s p99 over its measured seconds', () => {
    const [block] = mermaidBlocks(renderMarkdownReport(load('run-result.json')));
    expect(block).toMatch(/^```mermaid\nxychart-beta\n {2}title "Latency p99 per second \(ms\), warm-up excluded"\n {2}x-axis "second" \[1, 2, 3\]\n/);
  });

  it('starts a ramp with its capacity sentence and has a mermaid xychart-beta of p99 against connections', () => {
    const markdown = renderMarkdownReport(load('ramp-result.json'));
    expect(markdown.startsWith('**CAPACITY**: Holds 6,000 connections and 59.9k msg/s at p99 ≤ 50 ms')).toBe(true);
    const blocks = mermaidBlocks(markdown);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toContain('xychart-beta');
    expect(blocks[0]).toContain('x-axis "connections" [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]');
    expect(blocks[0]).toContain('line [2.9, 3.1, 3.6, 4.2, 5.8, 11.4, 182, 640]');
  });

  it('starts a comparison with the verdict table and folds the trials', () => {
    const markdown = renderMarkdownReport(load('compare-report.json'));
    expect(markdown.split('\n')[0]).toBe('**FAIL**: 50c-10r-256b, head `gobwas:inject-delay-us=200` vs base `gobwas@main`');
    expect(markdown).toContain('| metric | base (A) median | head (B) median |');
    expect(markdown).toMatch(/<details><summary>Trials<\/summary>\n\n\| trial \| arm \|/);
    expect(mermaidBlocks(markdown)[0]).toMatch(/bar \[.*\]\n {2}line \[.*\]\n```$/);
  });

  it('ends with the command to reproduce locally, folded', () => {
    expect(renderMarkdownReport(load('run-result.json'))).toContain(
      '<details><summary>Reproduce locally</summary>\n\n```sh\nnpx wsbench run --target node --scenario 50c-10r-256b --connections 50 --rate 10 --size 256 --duration 4s --warmup 1s --json run.json\n```\n\n</details>\n',
    );
    expect(renderMarkdownReport(load('ramp-result.json'))).toContain('npx wsbench ramp --target gobwas:model=epoll --from 1000 --step 1000 --to 8000 --hold 10s --rate 10 --size 256');
    expect(renderMarkdownReport(load('compare-report.json'))).toContain('npx wsbench compare --a gobwas@main --b gobwas:inject-delay-us=200 --scenario 50c-10r-256b --pairs 5');
  });

  it('keeps pipes in user text from splitting a table cell', () => {
    const run = load('run-result.json');
    if (run.kind !== 'run') throw new Error('fixture is not a run');
    const markdown = renderMarkdownReport({ ...run, status: 'saturated', generator: { ...run.generator, saturated: true, saturationReasons: ['a | b'] } });
    expect(markdown.split('\n')[0]).toMatch(/^\*\*SATURATED\*\*: /);
    expect(markdown).toContain('- a \\| b');
  });
});

describe('server cost in the run reports', () => {
  const measured = (): RunResult => {
    const run = load('run-result.json') as RunResult;
    return {
      ...run,
      server: {
        ...run.server,
        cpuMicrosPerMessage: 28.61,
        capacityPerCoreMessagesPerSec: 34_954,
        memoryBytesPerConnection: 9253,
        allocBytesPerMessage: 18.9,
        allocsPerMessage: 1.04,
        gcPer10kMessages: 0,
        costBasis: null,
      },
    };
  };

  it('lists CPU per message, capacity per core, memory per connection, allocations and GCs in the Markdown table', () => {
    const markdown = renderMarkdownReport(measured());

    expect(markdown).toContain('| server CPU per message | 28.6 µs |');
    expect(markdown).toContain('| capacity per server core | 35.0k/s per core |');
    expect(markdown).toContain('| server memory per connection | 9.0 KiB |');
    expect(markdown).toContain('| server allocations per message | 19 B in 1.04 allocs |');
    expect(markdown).toContain('| server GCs per 10k messages | 0.00 |');
  });

  it('gives the console a cost line with what was measured', () => {
    expect(formatRunSummary(measured())).toContain('\n  cost        28.6 µs CPU per message (35.0k/s per core), 9.0 KiB per connection, 19 B in 1.04 allocs per message, 0.00 GCs per 10k messages\n');
  });

  it('reads a result written before the cost figures as not measured', () => {
    const old = load('run-result.json') as RunResult;

    expect(renderMarkdownReport(old)).toContain('| server CPU per message | — |');
    expect(formatRunSummary(old)).not.toContain('  cost  ');
    expect(summarizeTrial(old, 'a', 0)).toMatchObject({ serverCpuMicrosPerMessage: null, serverAllocBytesPerMessage: null, serverGcPer10kMessages: null });
  });

  it('carries the figures into the trial summary the gate judges', () => {
    expect(summarizeTrial(measured(), 'b', 3)).toMatchObject({
      serverCpuMicrosPerMessage: 28.61,
      serverMemoryBytesPerConnection: 9253,
      serverAllocBytesPerMessage: 18.9,
      serverAllocsPerMessage: 1.04,
      serverGcPer10kMessages: 0,
    });
  });
});
