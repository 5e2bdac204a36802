import type { LimitResult } from '../capacity/limit-result.js';
import type { RampResult } from '../capacity/ramp-result.js';
import type { RunResult } from '../run/run-result.js';
import type { ComparisonReport } from '../compare/comparison-report.js';
import type { ReportInput } from './report-input.js';
import type { TrafficRecord } from '../scenario/traffic-record.js';

/** Quotes a word for a POSIX shell only when it needs it, so the common command stays easy to read. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A duration as the CLI reads it: whole seconds as `4s`, anything else in `ms`. */
export function durationFlag(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

/** `--target SPEC` for a target wsbench started, `--url URL` for a server that was already running. */
function targetFlags(target: RunResult['target']): string[] {
  return target.command === null && /^wss?:\/\//.test(target.spec) ? ['--url', target.spec] : ['--target', target.spec];
}

/** A header's value is not in the result (it may be a credential): the command shows where it goes. */
export const HEADER_VALUE_PLACEHOLDER = '<value>';

/**
 * The traffic flags that give this record back: each field as the flag that set it. The report layer may not
 * import the CLI's flag tables (cli/flags/traffic-flags.ts), so the names are spelled here again;
 * test/unit/reproduce-traffic-flags.test.ts reads this output back through those tables, so the two cannot drift.
 */
export function trafficFlags(record: TrafficRecord | undefined): string[] {
  if (record === undefined) return [];
  const words: string[] = [];
  const flag = (name: string, value: string | number | boolean | undefined): void => {
    if (value === undefined || value === false) return;
    words.push(`--${name}`, ...(value === true ? [] : [String(value)]));
  };
  for (const name of record.headerNames ?? []) flag('header', `${name}: ${HEADER_VALUE_PLACEHOLDER}`);
  flag('subprotocol', record.subprotocol);
  flag('ca', record.caFile);
  flag('insecure', record.insecure);
  flag('compression', record.compression);
  flag('payload', record.payload);
  flag('message', record.messageTemplate);
  flag('match', record.match === undefined ? undefined : record.match.kind === 'json' ? `json:${record.match.path.join('.')}` : `regex:${record.match.source}`);
  flag('pattern', record.pattern);
  flag('publishers', record.publishers);
  flag('subscribe', record.subscribeTemplate);
  flag('ping-interval', record.pingIntervalMs === undefined ? undefined : durationFlag(record.pingIntervalMs));
  flag('churn-rate', record.churnRatePerSec);
  flag('storm', record.stormAtMs === undefined ? undefined : durationFlag(record.stormAtMs));
  flag('server-pid', record.serverPid);
  flag('server-metrics', record.serverMetricsUrl);
  return words;
}

function runCommandLine(result: RunResult): string[] {
  const { scenario } = result;
  return [
    'run', ...targetFlags(result.target), '--scenario', scenario.name, '--connections', String(scenario.connections), '--rate', String(scenario.ratePerConnection),
    '--size', String(scenario.messageBytes), '--duration', durationFlag(scenario.durationMs), '--warmup', durationFlag(scenario.warmupMs), ...trafficFlags(scenario.traffic), '--json', 'run.json',
  ];
}

function rampCommandLine(result: RampResult): string[] {
  const { ramp } = result;
  return [
    'ramp', ...targetFlags(result.target), '--from', String(ramp.from), '--step', String(ramp.step), '--to', String(ramp.to),
    '--hold', durationFlag(ramp.holdMs), '--rate', String(ramp.ratePerConnection), '--size', String(ramp.messageBytes), ...trafficFlags(ramp.traffic), '--json', 'ramp.json',
  ];
}

function limitCommandLine(result: LimitResult): string[] {
  const { search } = result;
  return [
    'limit', ...targetFlags(result.target), '--connections', String(search.connections), '--size', String(search.messageBytes), '--slo-p99', durationFlag(search.sloP99Ms),
    '--min-achieved', String(search.minAchievedRatio), '--max-probes', String(search.maxProbes), '--hold', durationFlag(search.holdMs), '--start-rate', String(search.startRatePerConnection), ...trafficFlags(search.traffic), '--json', 'limit.json',
  ];
}

function compareCommandLine(report: ComparisonReport): string[] {
  const { comparison } = report;
  return [
    'compare', '--a', comparison.arms.a.spec, '--b', comparison.arms.b.spec, '--scenario', comparison.scenario,
    '--pairs', String(comparison.stage.scheduledPairs), '--json', 'compare.json',
  ];
}

/** The command that measures this again on your machine, from the result's own target spec and scenario. */
export function reproduceCommand(report: ReportInput): string {
  const words = report.kind === 'run' ? runCommandLine(report) : report.kind === 'ramp' ? rampCommandLine(report) : report.kind === 'limit' ? limitCommandLine(report) : compareCommandLine(report);
  return ['npx', 'wsbench', ...words].map(shellWord).join(' ');
}
