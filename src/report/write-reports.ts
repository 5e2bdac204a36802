import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderHtmlReport } from './html-report.js';
import { renderMarkdownReport } from './markdown-report.js';
import type { ReportInput } from './report-input.js';

export interface ReportOutputs {
  html?: string;
  md?: string;
}

function writeText(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

/** Writes the HTML and/or Markdown report of a result; `run`, `ramp` and `compare` call this for their flags. */
export function writeReports(report: ReportInput, outputs: ReportOutputs): string[] {
  const written: string[] = [];
  if (outputs.html !== undefined) {
    writeText(outputs.html, renderHtmlReport(report));
    written.push(outputs.html);
  }
  if (outputs.md !== undefined) {
    writeText(outputs.md, renderMarkdownReport(report));
    written.push(outputs.md);
  }
  return written;
}
