import { readFileSync } from 'node:fs';
import { InfrastructureError, UsageError } from '../../errors.js';
import { formatRunSummary } from '../../report/console-summary.js';
import { writeJsonFile } from '../../write-json-file.js';
import { parseReportJson } from '../../report/report-input.js';
import type { RunResult } from '../../run/run-result.js';
import { mergeShardResults } from '../../shard/merge-results.js';
import type { ShardInput } from '../../shard/merge-results.js';
import { shardName } from '../../shard/shard-spec.js';
import type { CommandOutput } from '../output.js';
import { stringFlag } from '../flags/flag.js';
import { formatFlagHelp, readFlags } from '../flags/flag-table.js';
import { FORMAT_FLAGS, HELP_FLAG } from '../flags/shared-flags.js';
import { writeReports } from '../../report/write-reports.js';

const MERGE_FLAGS = {
  json: stringFlag('json', 'FILE', 'write the merged result (required)'),
  ...FORMAT_FLAGS,
  html: stringFlag('html', 'FILE', 'write the HTML report of the merged result'),
  md: stringFlag('md', 'FILE', 'write the Markdown report of the merged result'),
  ...HELP_FLAG,
};

export const MERGE_USAGE = `Usage: wsbench merge SHARD.json... --json OUT.json [--html F] [--md F]

Merges the results of one scenario run as shards (wsbench run --shard I/K or --shards K) into one
result: HDR histograms added exactly (the percentiles are those of all shards' samples together),
counters summed, timelines aligned by wall-clock second. A shard that saturated its generator marks
the result saturated; a shard missing, unreadable or failed makes it partial and is named.
The merged file is a run result: wsbench report renders it, and the gate reads it like any other.

${formatFlagHelp(MERGE_FLAGS)}

Exit codes: 0 merged, every shard present and measured · 2 bad files or shards of different scenarios ·
            3 partial (a shard missing or failed) or a shard's generator saturated — files still written
`;


/** Shard files, e.g. one per Kubernetes pod, are many; no scenario needs more. */
const MAX_SHARD_FILES = 10_000;

export async function mergeCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options, positionals } = readFlags('merge', args, MERGE_FLAGS, { positionals: MAX_SHARD_FILES });
  if (options.help === true) {
    output.stdout(MERGE_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('MISSING_ARGUMENT', 'needs the shard result files, e.g. wsbench merge shard-*.json --json merged.json. See wsbench merge --help', { command: 'merge' });
  if (options.json === undefined) throw new UsageError('MISSING_OUTPUT', 'needs --json OUT.json: where to write the merged result', { command: 'merge' });
  const merged = mergeShardResults(positionals.map(readShard));
  writeJsonFile(options.json, merged);
  const reports = writeReports(merged, options);
  output.stdout(`${formatRunSummary(merged)}\n${formatShards(merged)}\n`);
  for (const file of [options.json, ...reports]) output.stdout(`  written     ${file}\n`);
  if (merged.partial === true) {
    const left = (merged.shards ?? []).filter((shard) => !shard.merged).map((shard) => shardName(shard.index, merged.shards!.length));
    throw new InfrastructureError('PARTIAL_MERGE', `The merged result is partial: ${left.join(', ')} ${left.length === 1 ? 'is' : 'are'} not in it (see above); its counts cover only the shards that measured`);
  }
  if (merged.status === 'saturated') {
    throw new InfrastructureError('GENERATOR_SATURATED', `A shard's load generator saturated, so the merged latencies describe a driver, not the server:\n  - ${merged.generator.saturationReasons.join('\n  - ')}`);
  }
  return 0;
}

function readShard(file: string): ShardInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { file, unreadable: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error) };
  }
  if (text.trim() === '') return { file, unreadable: 'empty file (the shard died before writing its result?)' };
  const result = parseReportJson(text, file);
  if (result.kind !== 'run') throw new UsageError('NOT_SHARD_RESULTS', `${file} is a "${result.kind}" result; wsbench merge takes the run results of shards (wsbench run --shard I/K --json FILE)`);
  return { file, result: result as RunResult };
}

/** One line per shard: merged or not, and why. */
export function formatShards(result: RunResult): string {
  const shards = result.shards ?? [];
  const lines = [`  shards      ${shards.filter((shard) => shard.merged).length} of ${shards.length} merged${result.partial === true ? ' — PARTIAL' : ''}`];
  for (const shard of shards) {
    lines.push(`    ${shard.merged ? '✓' : '✗'} ${shardName(shard.index, shards.length)} ${shard.status} ${shard.established}/${shard.connections} connections${shard.file === '' ? '' : ` (${shard.file})`}`);
    if (shard.problem !== undefined) lines.push(`      ! ${shard.problem}`);
  }
  return lines.join('\n');
}
