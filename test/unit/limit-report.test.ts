import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLimit } from '../../src/capacity/limit.js';
import type { LimitResult } from '../../src/capacity/limit-result.js';
import { reportCommand } from '../../src/cli/commands/report-command.js';
import type { CommandOutput } from '../../src/cli/output.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { renderMarkdownReport } from '../../src/report/markdown-report.js';
import { formatMessageRate } from '../../src/format-numbers.js';
import { writeJsonFile } from '../../src/write-json-file.js';
import { fakeWorld } from '../support/fake-session.js';
import { FAKE_SPEC, fakeDefinition } from '../support/fake-targets.js';

/** A limit search on a server that returns at most 5000 echoes/s, through the real search and result builder. */
async function limitResult(): Promise<LimitResult> {
  const world = fakeWorld(() => ({ latencyMs: (offered) => ({ p50: 1, p99: 2 + offered / 1000 }), capacityPerSec: 5000 }));
  const { result } = await runLimit({ target: FAKE_SPEC, connections: 100, messageBytes: 64, holdMs: 2000, settleMs: 0 }, { definition: fakeDefinition(), deps: world.deps });
  return result;
}

const quiet = (): CommandOutput & { out: string[] } => {
  const out: string[] = [];
  return { out, stdout: (text) => out.push(text), stderr: () => {}, interactive: false };
};

describe('limit reports', () => {
  it('renders the answer first in Markdown, every probe, and the command to reproduce it', async () => {
    const result = await limitResult();
    const markdown = renderMarkdownReport(result);
    expect(markdown.split('\n')[0]).toBe(`**LIMIT**: ${result.summary}`);
    expect(markdown).toContain(`| max rate | ${formatMessageRate(result.maxMessagesPerSec!)} (${result.maxRatePerConnection} per connection) |`);
    for (const probe of result.probes) expect(markdown).toMatch(new RegExp(`^\\| ${probe.index + 1} \\| ${probe.ratePerConnection} \\|`, 'm'));
    expect(markdown).toContain('npx wsbench limit --target fake --connections 100 --size 64 --slo-p99 50ms --min-achieved 0.95 --max-probes 8 --hold 2s --start-rate 10 --json limit.json');
  });

  it('renders a self-contained HTML page with a chart per view and a row per probe', async () => {
    const result = await limitResult();
    const html = renderHtmlReport(result);
    expect(html).toContain('<title>wsbench limit: 100 connections on fake</title>');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html.match(/<tr><td class="num">\d+<\/td>/g)).toHaveLength(result.probes.length);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('is read back by wsbench report from the JSON limit --json writes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-limit-report-'));
    const file = path.join(dir, 'limit.json');
    writeJsonFile(file, await limitResult());
    const output = quiet();
    expect(await reportCommand([file, '--html', path.join(dir, 'limit.html'), '--md', path.join(dir, 'limit.md')], output)).toBe(0);
    expect(readFileSync(path.join(dir, 'limit.md'), 'utf8')).toMatch(/^\*\*LIMIT\*\*: 100 connections sustain/);
    expect(readFileSync(path.join(dir, 'limit.html'), 'utf8')).toContain('Probes against the offered rate');
  });
});
