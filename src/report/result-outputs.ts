import { writeJsonFile } from '../write-json-file.js';
import { OUTPUT_FORMATS } from './output-formats.js';
import type { FormatPaths } from './output-formats.js';
import { checkOutputPaths, outputRequests } from '../output-path.js';
import type { ReportInput } from './report-input.js';
import { writeStoredResult } from './results-store.js';
import { writeFileAtomic } from '../write-file-atomic.js';
import { outputFailure, writeOutputs } from './write-outputs.js';
import type { OutputTask } from './write-outputs.js';
import type { InfrastructureError } from '../errors.js';

/** Where a command was asked to write its result (`--json`, each of OUTPUT_FORMATS, `--results-dir`/`--save`). */
export interface ResultOutputPaths extends FormatPaths {
  json?: string | undefined;
  /** The seed's layout: `DIR/<kind>_<date>.json` and `DIR/charts/…html`. */
  resultsDir?: string | undefined;
  /** The flag that named `resultsDir`, for messages (default `--results-dir`). */
  resultsDirFlag?: string;
}

/** Checks every output before any load: exit 2 naming the path and the fix. */
export function checkResultOutputs(paths: ResultOutputPaths): void {
  checkOutputPaths(outputRequests([['--json', paths.json], ...OUTPUT_FORMATS.map((format) => [`--${format.name}`, paths[format.name]] as [string, string | undefined]), [paths.resultsDirFlag ?? '--results-dir', paths.resultsDir, 'dir']]));
}

/**
 * Writes every requested form of a result, each independently (one failing does not stop the others);
 * returns what was written and, when something was not, the error to end with.
 */
export function writeResultOutputs<T extends object>(result: T, paths: T extends ReportInput ? ResultOutputPaths : Pick<ResultOutputPaths, 'json'>): { written: string[]; failure: InfrastructureError | undefined } {
  const { json, resultsDir } = paths as ResultOutputPaths;
  const report = result as ReportInput; // only rendered when the paths type allowed the formats and resultsDir
  const tasks: OutputTask[] = [
    ...(json === undefined ? [] : [{ label: `--json ${json}`, write: () => (writeJsonFile(json, result), [json]) }]),
    ...OUTPUT_FORMATS.flatMap((format) => {
      const file = (paths as ResultOutputPaths)[format.name];
      return file === undefined ? [] : [{ label: `--${format.name} ${file}`, write: () => (writeFileAtomic(file, format.render(report)), [file]) }];
    }),
    ...(resultsDir === undefined ? [] : [{ label: `${(paths as ResultOutputPaths).resultsDirFlag ?? '--results-dir'} ${resultsDir}`, write: () => Object.values(writeStoredResult(resultsDir, report)) }]),
  ];
  const { written, failures } = writeOutputs(tasks);
  return { written, failure: outputFailure(failures) };
}
