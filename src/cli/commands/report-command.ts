import { readFileSync } from 'node:fs';
import { ConfigError, UsageError } from '../../errors.js';
import { renderMarkdownReport } from '../../report/markdown-report.js';
import { parseReportJson } from '../../report/report-input.js';
import type { ReportInput } from '../../report/report-input.js';
import { checkResultOutputs, writeResultOutputs } from '../../report/result-outputs.js';
import type { CommandOutput } from '../output.js';
import { stringFlag } from '../flags/flag.js';
import { formatFlagHelp, pickFlags, readFlags } from '../flags/flag-table.js';
import { FORMAT_FLAGS, HELP_FLAG } from '../flags/shared-flags.js';

const REPORT_FLAGS = {
  ...FORMAT_FLAGS,
  html: stringFlag('html', 'FILE', 'one self-contained HTML file: inline CSS and SVG charts, nothing fetched when opened'),
  md: stringFlag('md', 'FILE', 'Markdown for a pull-request comment or $GITHUB_STEP_SUMMARY'),
  ...HELP_FLAG,
};

export const REPORT_USAGE = `Usage: wsbench report RESULT.json [--html OUT.html] [--md OUT.md]

Renders a result written by wsbench run, ramp, limit or compare (--json). With neither flag, prints the
Markdown report (verdict, table, mermaid chart, command to reproduce) to stdout.

${formatFlagHelp(REPORT_FLAGS)}
`;

/** Reads and checks a result file; every way it can be unusable is a ConfigError that names the file. */
export function readReportFile(file: string): ReportInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new ConfigError('RESULT_FILE_UNREADABLE', `Cannot read the result file ${file}: ${reason}. Give a JSON file written by wsbench run, ramp, limit or compare with --json`, [], { cause: error });
  }
  return parseReportJson(text, file);
}

export async function reportCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options, positionals } = readFlags('report', args, REPORT_FLAGS, { positionals: 1 });
  if (options.help === true) {
    output.stdout(REPORT_USAGE);
    return 0;
  }
  const [file] = positionals;
  if (file === undefined) throw new UsageError('MISSING_ARGUMENT', 'needs a result file, e.g. wsbench report run.json --html run.html. See wsbench report --help', { command: 'report' });
  const formats = pickFlags(FORMAT_FLAGS, options);
  checkResultOutputs(formats);
  const report = readReportFile(file);
  if (Object.keys(formats).length === 0) {
    output.stdout(renderMarkdownReport(report));
    return 0;
  }
  const { written, failure } = writeResultOutputs(report, formats);
  for (const file of written) output.stdout(`wrote ${file}\n`);
  if (failure !== undefined) throw failure;
  return 0;
}
