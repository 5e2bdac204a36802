import { renderHtmlReport } from './html-report.js';
import { renderMarkdownReport } from './markdown-report.js';
import type { ReportInput } from './report-input.js';
import { writeFileAtomic } from '../write-file-atomic.js';

export interface ReportOutputs {
  html?: string;
  md?: string;
}

const writeText = writeFileAtomic;

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
