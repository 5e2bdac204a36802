import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { parseReportJson } from '../../src/report/report-input.js';
import type { ReportInput } from '../../src/report/report-input.js';
import { REPO_ROOT } from '../support/cli.js';

const load = (name: string): ReportInput => {
  const file = path.join(REPO_ROOT, 'test', 'fixtures', name);
  return parseReportJson(readFileSync(file, 'utf8'), file);
};

const FIXTURES = [
  { name: 'run-result.json', charts: 4 },
  { name: 'ramp-result.json', charts: 4 },
  { name: 'compare-report.json', charts: 6 },
] as const;

const svgs = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

describe('renderHtmlReport', () => {
  for (const { name, charts } of FIXTURES) {
    describe(`for ${name}`, () => {
      const html = renderHtmlReport(load(name));

      it('is one HTML document that fetches nothing when opened', () => {
        expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
        expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|@import|url\(/i);
        // The only http(s) text allowed is the SVG namespace, which is a name, not a fetch.
        const urls = html.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];
        expect(urls.every((url) => url === 'http://www.w3.org/2000/svg')).toBe(true);
        expect(html).not.toMatch(/(src|href)\s*=/i);
      });

      it('has one SVG per chart, each with a non-empty path', () => {
        const found = svgs(html);
        expect(found).toHaveLength(charts);
        for (const svg of found) expect(svg).toMatch(/<path[^>]* d="M[\d.]+ [\d.]+L/);
      });

      it('titles every chart with a sentence', () => {
        for (const svg of svgs(html)) {
          const title = /<title>([^<]+)<\/title>/.exec(svg)?.[1] ?? '';
          expect(title).toMatch(/^[A-Z][a-z]/);
          expect(title.split(' ').length).toBeGreaterThanOrEqual(4);
        }
      });

      it('ends with the command that reproduces it', () => {
        expect(html).toMatch(/<h2>Reproduce locally<\/h2>\n<pre><code>npx wsbench (run|ramp|compare) /);
      });
    });
  }

  it('puts a run’s outcome first and shades its warm-up', () => {
    const html = renderHtmlReport(load('run-result.json'));
    expect(html).toMatch(/<div class="headline good"><strong>Completed: 50 connections × 10 msg\/s: 500\/s echoed of 500\/s offered/);
    expect(html).toContain('warm-up (excluded)');
    expect(html).toContain('Round-trip latency per second');
    expect(html).toContain('Server CPU per second');
  });

  it('puts a ramp’s capacity verdict and evidence on top and marks the first limit on every chart', () => {
    const html = renderHtmlReport(load('ramp-result.json'));
    const headline = html.indexOf('class="headline');
    expect(headline).toBeGreaterThan(0);
    expect(headline).toBeLessThan(html.indexOf('<svg'));
    expect(html.slice(headline)).toMatch(/^class="headline good"><strong>Holds 6,000 connections[^<]*<\/strong><ul class="evidence"><li>server CPU 99\.4%/);
    expect(svgs(html).every((svg) => svg.includes('first limit: latency'))).toBe(true);
  });

  it('shows each metric’s interval and the same verdict table as the PR comment', () => {
    const html = renderHtmlReport(load('compare-report.json'));
    expect(html).toContain('<div class="headline bad"><strong>FAIL:');
    expect(html).toContain('<th>metric</th><th class="num">base (A) median</th>');
    expect(html).toMatch(/<td>latency p99 \(ms\)<\/td>.*<td>FAIL<\/td><\/tr>/);
    expect(html.match(/class="whisker"/g)).toHaveLength(4);
  });

  it('escapes user text', () => {
    const run = load('run-result.json');
    if (run.kind !== 'run') throw new Error('fixture is not a run');
    const html = renderHtmlReport({ ...run, scenario: { ...run.scenario, name: '<script>alert(1)</script>' } });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
