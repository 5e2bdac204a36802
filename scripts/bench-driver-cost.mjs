#!/usr/bin/env node
// Benchmark of the load generator itself, against a reference: wsbench and the Go client in
// bench/go-client (the seed's client design: gobwas/ws, a goroutine pair per connection, open model, RTT
// from the intended send time) drive the same gobwas fixture, the fixture pinned to core 0 and each
// generator in turn to core 1 (taskset), at each total rate. It reports each generator's CPU µs per echoed
// message, send-lag p99 and RTT p99, and the other processes' CPU during each trial (a busy machine is
// noise: repeat). A benchmark, not a test: it reports, it asserts nothing.
//
//   npm run build && node scripts/bench-driver-cost.mjs [--rates 10000,30000,50000,70000] [--repeats 2]
//       [--connections 1000] [--size 128] [--duration 12s] [--warmup 3s] [--pacer precise|timer]
//       [--generators wsbench,go] [--json OUT.json]
//
// Trials alternate A B B A … so drift on a shared machine falls on both generators alike. CPU per echo is
// each generator's own figure over its load phase (warm-up included) divided by the echoes in it: for
// wsbench its coordinator plus its worker, for Go its process.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startPinnedFixture } from './lib/pinned-fixture.mjs';
import { getClockTicksPerSecond, readProcessTree } from '../dist/metrics/process-tree.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '10000,30000,50000,70000' },
    repeats: { type: 'string', default: '2' },
    connections: { type: 'string', default: '1000' },
    size: { type: 'string', default: '128' },
    duration: { type: 'string', default: '12s' },
    warmup: { type: 'string', default: '3s' },
    pacer: { type: 'string', default: 'precise' },
    generators: { type: 'string', default: 'wsbench,go' },
    json: { type: 'string' },
  },
});
const rates = values.rates.split(',').map(Number);
const connections = Number(values.connections);
const generators = values.generators.split(',');
for (const rate of rates) if (!(rate > 0)) usage(`--rates takes total messages per second, e.g. 10000,50000; got ${values.rates}`);
for (const name of generators) if (!['wsbench', 'go'].includes(name)) usage(`--generators takes wsbench and/or go; got ${values.generators}`);

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'dist/cli/bin.js');
const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-driver-cost-'));

const goClient = path.join(outDir, 'go-client');
if (generators.includes('go')) await run('go', ['build', '-o', goClient, '.'], { cwd: path.join(root, 'bench/go-client') });
const fixture = await startPinnedFixture();
const { url } = fixture;

const rows = [];
try {
  for (const rate of rates) {
    for (let repeat = 0; repeat < Number(values.repeats); repeat++) {
      // A B, then B A: each generator goes first as often as second.
      const order = repeat % 2 === 0 ? generators : [...generators].reverse();
      for (const generator of order) {
        const row = generator === 'go' ? await trialGo(rate, repeat) : await trialWsbench(rate, repeat);
        rows.push(row);
        console.error(`  ${formatRow(row)}`);
      }
    }
  }
} finally {
  fixture.stop();
}

console.log(`\ngenerator cost: ${connections} connections × 128 B echo, gobwas fixture (epoll) on core 0, generator on core 1, ${values.duration} (warm-up ${values.warmup}) per trial`);
console.log('  generator  total rate  repeat  CPU µs/echo  send lag p99  RTT p99    achieved  other CPU');
for (const row of rows) console.log(`  ${formatRow(row)}`);
console.log('\nmedians            CPU µs/echo (wsbench / go = ratio)   send lag p99 (wsbench / go)');
for (const rate of rates) {
  const of = (generator, key) => median(rows.filter((row) => row.rate === rate && row.generator === generator).map((row) => row[key]));
  const [ws, go] = [of('wsbench', 'cpuMicrosPerEcho'), of('go', 'cpuMicrosPerEcho')];
  console.log(`  ${formatRate(rate).padStart(9)}         ${fmt(ws)} / ${fmt(go)} = ${Number.isFinite(ws / go) ? (ws / go).toFixed(2) : '—'}          ${fmt(of('wsbench', 'sendLagP99Ms'), 2)} ms / ${fmt(of('go', 'sendLagP99Ms'), 2)} ms`);
}
console.log('(! = wsbench marked itself saturated; other CPU = processes outside this benchmark, % of one core)');
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ connections, size: Number(values.size), duration: values.duration, warmup: values.warmup, rows }, null, 2)}\n`);

async function trialWsbench(rate, repeat) {
  const json = path.join(outDir, `wsbench-${rate}-${repeat}.json`);
  const args = [cli, 'run', '--url', url, '--connections', String(connections), '--rate', String(rate / connections), '--size', values.size, '--duration', values.duration, '--warmup', values.warmup, '--workers', '1', '--pacer', values.pacer, '--json', json, '--quiet'];
  // Exit 3 (saturated) still writes the result: a saturated driver is a finding here, not an error.
  const otherCpuPercent = await watchOthers(() => spawn('taskset', ['-c', '1', process.execPath, ...args], { stdio: 'ignore' }));
  const result = JSON.parse(readFileSync(json, 'utf8'));
  return {
    generator: 'wsbench',
    rate,
    repeat,
    cpuMicrosPerEcho: result.generator.cpuMicrosPerMessage,
    sendLagP99Ms: result.generator.sendLagP99Ms,
    rttP99Ms: result.latencyMs?.p99 ?? null,
    achievedRatio: result.throughput.achievedPerSec / result.throughput.offeredPerSec,
    saturated: result.generator.saturated,
    otherCpuPercent,
  };
}

async function trialGo(rate, repeat) {
  let stdout = '';
  const otherCpuPercent = await watchOthers(() => {
    const child = spawn('taskset', ['-c', '1', goClient, '-url', url, '-connections', String(connections), '-rate', String(rate / connections), '-size', values.size, '-duration', values.duration, '-warmup', values.warmup], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => (stdout += chunk));
    return child;
  });
  const result = JSON.parse(stdout);
  return {
    generator: 'go',
    rate,
    repeat,
    cpuMicrosPerEcho: result.cpuMicrosPerEcho,
    sendLagP99Ms: result.sendLagP99Ms,
    rttP99Ms: result.rttP99Ms,
    achievedRatio: result.achievedPerSec / result.offeredPerSec,
    saturated: false,
    otherCpuPercent,
  };
}

/**
 * Runs a generator to its end and returns the CPU that processes outside this script's tree (fixture,
 * generator and its workers) used meanwhile, in percent of one core: the machine's busy time from
 * /proc/stat minus ours, sampled each second while the generator lives (its opening included).
 */
async function watchOthers(start) {
  const read = () => {
    const [user, nice, system] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1, 4).map(Number);
    return { atMs: performance.now(), busySeconds: (user + nice + system) / getClockTicksPerSecond(), oursSeconds: readProcessTree(process.pid).cpuSeconds };
  };
  const child = start();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const first = read();
  let last = first;
  const timer = setInterval(() => (last = read()), 1000);
  await exited;
  clearInterval(timer);
  const elapsed = (last.atMs - first.atMs) / 1000;
  return elapsed <= 0 ? null : Math.max(0, ((last.busySeconds - first.busySeconds - (last.oursSeconds - first.oursSeconds)) / elapsed) * 100);
}

function formatRow(row) {
  return `${row.saturated ? '!' : ' '}${row.generator.padEnd(9)} ${formatRate(row.rate).padStart(10)}  ${String(row.repeat).padStart(6)}  ${fmt(row.cpuMicrosPerEcho).padStart(11)}  ${fmt(row.sendLagP99Ms, 2).padStart(9)} ms  ${fmt(row.rttP99Ms, 2).padStart(6)} ms  ${fmt(row.achievedRatio * 100).padStart(8)}%  ${fmt(row.otherCpuPercent, 0).padStart(7)}%`;
}

function formatRate(rate) {
  return rate >= 1000 ? `${rate / 1000}K msg/s` : `${rate} msg/s`;
}

function fmt(value, digits = 1) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function median(values) {
  const sorted = values.filter((value) => typeof value === 'number').sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: 'inherit' });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
    child.once('error', reject);
  });
}

function usage(message) {
  console.error(`bench-driver-cost: ${message}`);
  process.exit(2);
}
