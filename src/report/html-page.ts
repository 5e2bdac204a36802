import { escapeXml } from './svg-chart.js';

/** HTML text escaping; the same rules as XML's for the characters that matter in both. */
export const escapeHtml = escapeXml;

/** A cell that is already HTML (a badge, a code span); plain strings are escaped. */
export interface RawHtml {
  html: string;
}

export const raw = (html: string): RawHtml => ({ html });

const cellHtml = (value: string | number | RawHtml): string => (typeof value === 'object' ? value.html : escapeHtml(String(value)));

/** A table; columns whose header starts with `#` or ends in a unit in parentheses are right-aligned numbers. */
export function renderHtmlTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | RawHtml>>, numeric: readonly boolean[] = []): string {
  const th = headers.map((h, i) => `<th${numeric[i] === true ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((value, i) => `<td${numeric[i] === true ? ' class="num"' : ''}>${cellHtml(value)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Two-column "what: value" table for summaries. */
export function renderKeyValueTable(rows: ReadonlyArray<readonly [string, string | RawHtml]>): string {
  return `<table class="kv">\n<tbody>\n${rows.map(([key, value]) => `<tr><th scope="row">${escapeHtml(key)}</th><td>${cellHtml(value)}</td></tr>`).join('\n')}\n</tbody>\n</table>`;
}

export type Tone = 'good' | 'bad' | 'warn' | 'neutral';

export function badge(text: string, tone: Tone): RawHtml {
  return raw(`<span class="badge ${tone}">${escapeHtml(text)}</span>`);
}

export function figure(svg: string): string {
  return `<figure>${svg}</figure>`;
}

export interface HtmlPage {
  title: string;
  /** One line under the title: target, commit, when. */
  subtitle: string;
  /** The answer, first: a verdict sentence with its tone. */
  headline: { text: string; tone: Tone; evidence?: readonly string[] };
  sections: ReadonlyArray<{ heading: string; html: string }>;
}

// Inline only: the report must open from a CI artifact with no network.
const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: #1f2328; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; min-height: 100vh; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
.subtitle { color: #57606a; margin: 0 0 16px; }
.headline { padding: 12px 16px; border-radius: 6px; border-left: 5px solid; font-size: 15px; margin: 0 0 8px; }
.headline strong { font-weight: 600; }
.headline ul { font-size: 14px; }
.headline.good { background: #dafbe1; border-color: #1a7f37; }
.headline.bad { background: #ffebe9; border-color: #cf222e; }
.headline.warn { background: #fff8c5; border-color: #9a6700; }
.headline.neutral { background: #f6f8fa; border-color: #8c959f; }
ul.evidence { margin: 6px 0 0; }
figure { margin: 12px 0; }
svg.chart { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #d0d7de; }
td.num, th.num { text-align: right; }
table.kv th { font-weight: 500; color: #57606a; white-space: nowrap; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f6f8fa; padding: 10px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.good { background: #dafbe1; color: #116329; }
.badge.bad { background: #ffebe9; color: #a40e26; }
.badge.warn { background: #fff8c5; color: #7d4e00; }
.badge.neutral { background: #eaeef2; color: #424a53; }
.note { color: #57606a; }
footer { margin-top: 40px; color: #8c959f; font-size: 12px; }
`;

/** The whole report: one self-contained file, CSS and SVG inline, nothing fetched when it is opened. */
export function renderHtmlPage(page: HtmlPage, footer: string): string {
  const items = page.headline.evidence ?? [];
  const evidence = items.length === 0 ? '' : `<ul class="evidence">${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
  const sections = page.sections.map((s) => `<section>\n<h2>${escapeHtml(s.heading)}</h2>\n${s.html}\n</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
<p class="subtitle">${escapeHtml(page.subtitle)}</p>
<div class="headline ${page.headline.tone}"><strong>${escapeHtml(page.headline.text)}</strong>${evidence}</div>
${sections}
<footer>${escapeHtml(footer)}</footer>
</main>
</body>
</html>
`;
}
