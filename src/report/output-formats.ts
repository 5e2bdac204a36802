import { renderHtmlReport } from './html-report.js';
import { renderMarkdownReport } from './markdown-report.js';
import type { ReportInput } from './report-input.js';

/** A rendered form of a result, written where its flag says (`--html FILE`). Rendering is pure. */
export interface OutputFormat<Name extends string = string> {
  /** The flag and the key of the output paths: `html` for `--html FILE`. */
  readonly name: Name;
  /** The flag's help line in every command's usage text. */
  readonly help: string;
  readonly render: (report: ReportInput) => string;
}

/**
 * Every rendered output a command can write, in the usage text's order. A new format (say CSV) is its
 * renderer in its own file and one entry here: the `--csv FILE` flag of run, ramp, limit, compare, merge
 * and report (cli/flags/shared-flags.ts), the check of the path before any load and the writing
 * (result-outputs.ts, write-reports.ts) all come from this list.
 */
export const OUTPUT_FORMATS = [
  { name: 'html', help: 'write a self-contained HTML report with charts', render: renderHtmlReport },
  { name: 'md', help: 'write a Markdown report (for PR comments and job summaries)', render: renderMarkdownReport },
] as const satisfies readonly OutputFormat[];

export type OutputFormatName = (typeof OUTPUT_FORMATS)[number]['name'];

/** Where each rendered output goes, by format name (`{ html: 'r.html' }`); absent: not asked for. */
export type FormatPaths = { [Name in OutputFormatName]?: string | undefined };
