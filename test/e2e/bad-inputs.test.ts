/**
 * The bad-input catalogue, black-box: arguments and config files in, exit code and message out. Every case
 * must exit 2 within 2 s, name the problem and the fix, and start nothing (no target, no driver worker).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CLI, REPO_ROOT, runWatched } from '../support/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-bad-'));
const file = (name: string, text: string): string => {
  const target = path.join(dir, name);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
  return target;
};
const plain = file('plain.txt', 'not a folder\n');
const notJson = file('not-json.json', 'x\n');
const yaml = (name: string, text: string): string => file(name, text);
const noUnit = yaml('no-unit.yaml', 'scenarios:\n  - { name: s, connections: 10, rate: 1, size: 64, duration: 10 }\n');
const broken = yaml('broken.yaml', 'scenarios: [\n');
const unknownKey = yaml('unknown-key.yaml', 'scenarios:\n  - { name: s, connections: 10, rate: 1, size: 64, duraton: 10s }\n');
const badTarget = yaml('bad-target.yaml', 'scenarios:\n  - { name: s, target: "nginx", connections: 10, rate: 1, size: 64 }\n');
const withTarget = yaml('with-target.yaml', 'targets:\n  mine:\n    start: { command: "/bin/true" }\nscenarios:\n  - { name: smoke, target: mine, connections: 10, rate: 1, size: 64, duration: 2s, warmup: 1s }\n');
const cwdWithConfig = path.dirname(file('cwd/wsbench.yaml', 'scenarios:\n  - { name: only, connections: 10, rate: 1, size: 64, duration: 0s }\n'));
const RESULT = path.join(REPO_ROOT, 'test', 'fixtures', 'run-result.json');

/** More runnable processes than cores over the last minute: wall-clock times measure the queue. */
function machineIsBusy(): boolean {
  return os.loadavg()[0]! > os.cpus().length;
}

type Case = [label: string, args: string[], message: RegExp, options?: { cwd?: string }];

/** Words that say what to do next: an example, a "give/write/use", a did-you-mean, or where to look. */
const FIX = /e\.g\.|give |write |use |did you mean|see wsbench|pass |remove |omit |keep |add |lower |leave |check |define |fix /i;

const CASES: Case[] = [
  // numbers
  ['negative connections', ['run', '--connections', '-5'], /--connections must be positive; got "-5"/],
  ['zero connections', ['run', '--connections', '0'], /Expected --connections to be a positive integer/],
  ['fractional connections', ['run', '--connections', '1.5'], /Expected --connections to be a positive integer.*got "1\.5"/],
  ['connections not a number', ['run', '--connections', 'many'], /Expected --connections to be a positive integer/],
  ['negative rate', ['run', '--rate', '-1'], /--rate must be positive/],
  ['zero rate', ['run', '--rate', '0'], /Expected --rate to be a positive number/],
  ['absurd rate', ['run', '--rate', '1000000000'], /--rate 1000000000 is more than the 10,000 msg\/s per connection/],
  ['absurd total offer', ['run', '--connections', '1000', '--rate', '5000'], /offers 5,000,000 msg\/s, more than the 2,000,000/],
  ['size with a bad unit', ['run', '--size', '12 parsecs'], /Expected --size to be a size in bytes/],
  ['size below the header', ['run', '--size', '4'], /Expected --size to be at least 8 bytes/],
  ['absurd size', ['run', '--size', '2000MB'], /--size 2000000000 bytes is more than the largest message wsbench sends \(64 MiB\)/],
  ['negative size', ['run', '--size', '-1'], /--size must be positive/],
  ['duration without unit', ['run', '--duration', '10'], /Expected --duration to be a duration with a unit/],
  ['negative duration', ['run', '--duration', '-5s'], /--duration must be positive/],
  ['zero duration', ['run', '--duration', '0s'], /--duration must be longer than 0/],
  ['warm-up longer than the run', ['run', '--duration', '2s', '--warmup', '5s'], /Expected --warmup \(5000 ms\) to be shorter than --duration \(2000 ms\)/],
  ['absurd duration', ['run', '--duration', '100000m'], /is more than 24 h/],
  ['zero timeout', ['run', '--timeout', '0ms'], /--timeout 0 ms is shorter than 10 ms/],
  ['timeout without unit', ['run', '--timeout', '5'], /Expected --timeout to be a duration with a unit/],
  ['zero workers', ['run', '--workers', '0'], /Expected --workers to be a positive integer/],
  ['absurd workers', ['run', '--workers', '1000'], /--workers 1000 is more than 64 driver processes/],
  ['unknown pacer', ['run', '--pacer', 'fast'], /Expected --pacer to be precise or timer; got "fast"/],
  ['error budget above 1', ['run', '--error-budget', '2'], /Expected --error-budget to be a fraction between 0 and 1/],
  ['error budget not a number', ['run', '--error-budget', 'some'], /Expected --error-budget to be a fraction/],
  ['metrics port out of range', ['run', '--metrics-port', '99999'], /Expected --metrics-port to be a TCP port/],
  // names
  ['unknown command', ['fly'], /Unknown command "fly"\. Commands: run, bench/],
  ['mistyped command', ['rnu'], /Unknown command "rnu"\. Did you mean "run"\?/],
  ['a command named like an Object method', ['constructor'], /Unknown command "constructor"/],
  ['mistyped flag', ['run', '--conections', '10'], /unknown option --conections\. Did you mean --connections\?/],
  ['unknown flag', ['run', '--frobnicate'], /unknown option --frobnicate\. See wsbench run --help/],
  ['flag without its value', ['run', '--connections'], /'--connections <value>' argument missing/],
  ['stray positional argument', ['run', 'fast'], /Unexpected argument 'fast'/],
  ['unknown target', ['run', '--target', 'nginx'], /Unknown target "nginx".*Known targets: gobwas, node/],
  ['mistyped target', ['run', '--target', 'gobwa'], /Unknown target "gobwa"\. Did you mean "gobwas"\?/],
  ['mistyped target with knobs', ['run', '--target', 'gobwass:model=epoll'], /Unknown target "gobwass" \(in gobwass:model=epoll\)\. Did you mean "gobwas"\?/],
  ['target named like an Object method', ['run', '--target', 'constructor'], /Unknown target "constructor"/],
  ['mistyped knob', ['run', '--target', 'gobwas:modle=epoll'], /has no knob "modle"\. Did you mean "model"\?/],
  ['bad knob value', ['run', '--target', 'gobwas:model=threads'], /knob model to be one of goroutine \| epoll; got "threads"/],
  ['knob value with a typo', ['run', '--target', 'gobwas:model=epol'], /Did you mean model=epoll\?/],
  ['zero processes', ['run', '--target', 'gobwas:procs=0'], /knob procs to be a positive integer/],
  ['a thousand processes', ['run', '--target', 'gobwas:procs=1000'], /knob procs to be at most 64/],
  ['a sysctl knob out of the kernel\'s range', ['run', '--target', 'gobwas:tw-reuse=3'], /knob tw-reuse to be an integer in 0\.\.2; got "3"\. Give e\.g\. tw-reuse=1/],
  ['a file limit below what a server needs', ['compare', '--a', 'gobwas:nofile=4', '--b', 'gobwas'], /gobwas:nofile=4: Expected knob nofile to be an integer in 16\.\.1048576/],
  ['malformed target spec', ['run', '--target', 'gobwas:model'], /"model" is not KEY=VALUE/],
  ['knob given twice', ['run', '--target', 'gobwas:model=epoll,model=goroutine'], /knob model is given twice/],
  ['target at a git ref in run', ['run', '--target', 'gobwas@v1'], /a target at a git ref is built in a worktree by `wsbench compare`/],
  ['both --target and --url', ['run', '--target', 'gobwas', '--url', 'ws://127.0.0.1:1/'], /either --target .* or --url/],
  ['http URL', ['run', '--url', 'http://127.0.0.1:1/'], /Expected --url to be a WebSocket URL/],
  ['URL without a host', ['run', '--url', 'ws://'], /Expected --url to be a WebSocket URL/],
  // outputs
  ['JSON under /proc', ['run', '--json', '/proc/x.json'], /--json "\/proc\/x\.json" is under \/proc/],
  ['JSON deep under /proc (mkdir would spin)', ['run', '--json', '/proc/wsbench/deep/x.json'], /is under \/proc/],
  ['HTML under /sys', ['run', '--html', '/sys/x.html'], /--html "\/sys\/x\.html" is under \/sys/],
  ['JSON is a folder', ['run', '--json', os.tmpdir()], /is a folder: give a file name inside it/],
  ['JSON under a regular file', ['run', '--json', path.join(plain, 'x.json')], /plain\.txt is a file, not a folder/],
  ['results dir is a file', ['run', '--results-dir', plain], /--results-dir ".*plain\.txt" is a file, not a folder/],
  ['ramp JSON under /proc', ['ramp', '--from', '10', '--step', '10', '--json', '/proc/r.json'], /is under \/proc/],
  ['limit JSON under /proc', ['limit', '--connections', '10', '--json', '/proc/l.json'], /is under \/proc/],
  ['compare Markdown under /proc', ['compare', '--a', 'gobwas', '--b', 'node', '--md', '/proc/c.md'], /--md "\/proc\/c\.md" is under \/proc/],
  ['bench out under /proc', ['bench', '--out', '/proc/bench'], /--out "\/proc\/bench" is under \/proc/],
  ['report HTML under /proc', ['report', RESULT, '--html', '/proc/r.html'], /is under \/proc/],
  ['every bad output at once', ['run', '--json', '/proc/a.json', '--md', os.tmpdir()], /These outputs cannot be written[\s\S]*--json[\s\S]*--md/],
  // config
  ['missing --config file', ['run', '--config', path.join(dir, 'missing.yaml')], /missing\.yaml \(from --config\) does not exist/],
  ['YAML syntax error', ['run', '--config', broken], /is not valid YAML/],
  ['YAML duration without a unit', ['run', '--config', noUnit], /duration: a bare number has no unit: write "10s" for seconds or "10ms"/],
  ['unknown config key', ['run', '--config', unknownKey], /unknown key "duraton"/],
  ['config scenario with an unknown target', ['run', '--config', badTarget], /scenarios\[0\]\.target: unknown target "nginx"; known targets: gobwas, node/],
  ['unknown scenario in the config', ['run', '--config', withTarget, '--scenario', 'smok'], /--scenario "smok" is not a scenario of .*Did you mean "smoke"\?/],
  ['a wsbench.yaml in the working folder is read', ['run'], /duration: expected a duration above zero/, { cwd: cwdWithConfig }],
  ['ramp --config with a bad duration', ['ramp', '--from', '10', '--step', '10', '--config', noUnit], /a bare number has no unit/],
  ['limit --config missing', ['limit', '--connections', '10', '--config', path.join(dir, 'nope.yaml')], /does not exist/],
  // other commands
  ['ramp without --from', ['ramp'], /wsbench ramp: needs --from N and --step N/],
  ['ramp from zero', ['ramp', '--from', '0', '--step', '10'], /Expected --from to be a positive integer/],
  ['ramp --to below --from', ['ramp', '--from', '10', '--step', '10', '--to', '5'], /Expected --to \(5\) to be at least --from \(10\)/],
  ['ramp SLO not a duration', ['ramp', '--from', '10', '--step', '10', '--slo-p99', 'fast'], /Expected --slo-p99 to be a duration/],
  ['ramp negative step', ['ramp', '--from', '10', '--step', '-10'], /--step must be positive/],
  ['limit without --connections', ['limit'], /wsbench limit: needs --connections N/],
  ['limit negative connections', ['limit', '--connections', '-3'], /--connections must be positive/],
  ['limit min-achieved above 1', ['limit', '--connections', '10', '--min-achieved', '2'], /Expected --min-achieved to be a fraction/],
  ['compare with one arm', ['compare', '--a', 'gobwas'], /wsbench compare: needs both --a SPEC and --b SPEC/],
  ['compare arm with a bad knob value', ['compare', '--a', 'gobwas', '--b', 'gobwas:model=banana'], /gobwas:model=banana: Expected knob model to be one of goroutine \| epoll/],
  ['compare arm with a mistyped knob', ['compare', '--a', 'gobwas', '--b', 'gobwas:modle=epoll'], /Did you mean "model"\?/],
  ['compare arm with an unknown target', ['compare', '--a', 'nginx', '--b', 'gobwas'], /Unknown target "nginx"/],
  ['compare with one pair', ['compare', '--a', 'gobwas', '--b', 'node', '--pairs', '1'], /Expected --pairs to be at least 2/],
  ['report without a file', ['report'], /wsbench report: needs a result file/],
  ['report of a missing file', ['report', path.join(dir, 'missing.json')], /Cannot read the result file .*no such file/],
  ['report of a file that is not JSON', ['report', notJson], /is not valid JSON/],
  ['bench with an unknown profile', ['bench', '--profile', 'huge'], /Unknown profile "huge"\. Give one of the profiles: quick, full/],
  ['bench with zero pairs', ['bench', '--pairs', '0'], /Expected --pairs to be a positive integer/],
  ['baseline with an unknown action', ['baseline', 'frobnicate'], /Expected `wsbench baseline record` or `wsbench baseline show`/],
];

describe('bad-input catalogue: the fd-limit plan', () => {
  it('a fixture given fewer processes than the fd limit needs: exit 2 before it starts, naming procs=N', async () => {
    const result = await execa('bash', ['-c', `ulimit -n 256 && exec "${process.execPath}" "${CLI}" run --target gobwas:procs=1 --connections 300 --quiet`], { reject: false, cwd: REPO_ROOT });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/300 connections need the target to run at least \d+ processes under this machine's fd limit .* Give procs=\d+/);
    expect(result.stdout).not.toMatch(/starting target/);
  });
});

describe('bad-input catalogue', () => {
  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES)('%s: exit 2, the problem and the fix named, nothing started', async (_label, args, message, options) => {
    const run = await runWatched(args, { timeoutMs: 20_000, measureCpu: true, ...(options ?? {}) });
    expect(run.stderr, run.stdout).toMatch(message);
    expect(run.stderr).toMatch(FIX);
    expect(run.exitCode).toBe(2);
    // Started nothing: no target, no driver worker, no progress output.
    expect(run.seen).toEqual([]);
    expect(run.stdout + run.stderr).not.toMatch(/starting target|opening \d+ connections|target ready/);
    // Under 2 s: the CLI's own CPU time always (noise cannot inflate it); the wall clock too, unless other
    // processes hold the cores (CI runners are shared), in which case the wait says nothing about wsbench.
    expect(run.cpuMs).toBeDefined();
    expect(run.cpuMs!).toBeLessThan(2000);
    if (!machineIsBusy()) expect(run.wallMs).toBeLessThan(2000);
  });
});
