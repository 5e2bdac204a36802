import { writeFileAtomic } from '../write-file-atomic.js';
import { OUTPUT_FORMATS } from './output-formats.js';
import type { FormatPaths } from './output-formats.js';
import type { ReportInput } from './report-input.js';

export type ReportOutputs = FormatPaths;

/** Writes every rendered report asked for (`--html`, `--md`, … as OUTPUT_FORMATS lists them); returns the paths written. */
export function writeReports(report: ReportInput, outputs: ReportOutputs): string[] {
  const written: string[] = [];
  for (const format of OUTPUT_FORMATS) {
    const file = outputs[format.name];
    if (file === undefined) continue;
    writeFileAtomic(file, format.render(report));
    written.push(file);
  }
  return written;
}
