#!/usr/bin/env node
// How noisy is each gated metric from one A/A pair to the next, with the target and the driver pinned to
// separate CPUs (taskset) and without? A benchmark, not a test: it reports, it asserts nothing.
//
// Method: ROUNDS rounds; each round runs one A/A pair pinned and one unpinned (which goes first alternates
// by round, so drift hits both alike). A pair is two trials of the same target (gobwas by default), each a
// fresh server under the quick mid-conn-mid-msg load (1000 × 5/s × 1 KiB, 10 s with 2 s warm-up). Per pair
// the change B vs A is ln(B/A) (× 100, ≈ %), or B − A for GCs per 10k messages (often 0); the table is the
// standard deviation of those changes over the pairs, per metric and mode. Trials append to OUT as JSON
// lines, so the measurement can be taken in chunks (each under the CPU lock) and reported at the end.
//
//   npm run build && node scripts/measure-gate-noise.mjs --rounds 8 [--out results/gate-noise.jsonl]
//   node scripts/measure-gate-noise.mjs --report [--out results/gate-noise.jsonl]
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveRunOptions, runScenario } from '../dist/index.js';
import { summarizeTrial } from '../dist/compare/trial-summary.js';
import { decideCpuPinning } from '../dist/plan/cpu-pinning.js';
import { BUILTIN_TARGETS } from '../dist/targets/builtin-targets.js';
import { parseTargetSpec } from '../dist/targets/target-spec.js';
import { parseDurationMs } from '../dist/units.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    target: { type: 'string', default: 'gobwas' },
    connections: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '5' },
    size: { type: 'string', default: '1024' },
    duration: { type: 'string', default: '10s' },
    warmup: { type: 'string', default: '2s' },
    out: { type: 'string', default: 'results/gate-noise.jsonl' },
    report: { type: 'boolean', default: false },
  },
});

const METRICS = [
  ['throughput', (t) => t.achievedPerSec, 'log'],
  ['p50', (t) => t.p50Ms, 'log'],
  ['p99', (t) => t.p99Ms, 'log'],
  ['server CPU/msg', (t) => t.serverCpuMicrosPerMessage, 'log'],
  ['server memory/conn', (t) => t.serverMemoryBytesPerConnection, 'log'],
  ['server alloc B/msg', (t) => t.serverAllocBytesPerMessage, 'log'],
  ['server allocs/msg', (t) => t.serverAllocsPerMessage, 'log'],
  ['server GC/10k msgs', (t) => t.serverGcPer10kMessages, 'diff'],
];

if (values.report) report();
else await measure();

async function measure() {
  const spec = parseTargetSpec(values.target);
  const definition = BUILTIN_TARGETS[spec.name];
  const pinned = decideCpuPinning(true);
  if (!pinned.pinned) throw new Error(`cannot measure pinned trials here: ${pinned.reason}`);
  const scenario = resolveRunOptions({
    scenarioName: 'gate-noise',
    target: spec,
    connections: Number(values.connections),
    ratePerConnection: Number(values.rate),
    messageBytes: Number(values.size),
    durationMs: parseDurationMs(values.duration, '--duration'),
    warmupMs: parseDurationMs(values.warmup, '--warmup'),
  });
  mkdirSync(path.dirname(values.out), { recursive: true });
  const round0 = readLines().reduce((max, line) => Math.max(max, line.round + 1), 0);
  for (let round = round0; round < round0 + Number(values.rounds); round++) {
    const modes = round % 2 === 0 ? ['pinned', 'unpinned'] : ['unpinned', 'pinned'];
    for (const mode of modes) {
      for (const arm of ['a', 'b']) {
        const options = mode === 'pinned' ? { ...scenario, pinning: pinned.pinning } : scenario;
        const { result } = await runScenario(options, { definition });
        const summary = summarizeTrial(result, arm, 0);
        const costNotes = result.server.costBasis?.notes ?? [];
        appendFileSync(values.out, `${JSON.stringify({ round, mode, arm, summary, costNotes, otherCpuPercent: result.machine?.otherCpuPercent ?? null })}\n`);
        process.stderr.write(`round ${round} ${mode} ${arm}: ${result.status}, cpu ${summary.serverCpuMicrosPerMessage?.toFixed(2)} µs/msg, p99 ${summary.p99Ms?.toFixed(2)} ms\n`);
      }
    }
  }
}

function readLines() {
  try {
    return readFileSync(values.out, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

function report() {
  const lines = readLines();
  const rows = [];
  const counts = {};
  for (const mode of ['pinned', 'unpinned']) {
    const byRound = new Map();
    for (const line of lines.filter((l) => l.mode === mode)) byRound.set(line.round, { ...byRound.get(line.round), [line.arm]: line.summary });
    // Latency and throughput: a pair counts when neither trial saturated the generator (the gate leaves such
    // trials out). Server cost does not depend on the driver keeping its schedule: saturated trials count.
    const measured = (t) => t !== undefined && (t.status === 'completed' || t.status === 'saturated');
    const all = [...byRound.values()].filter((p) => measured(p.a) && measured(p.b));
    const clean = all.filter((p) => !p.a.saturated && !p.b.saturated && p.a.status === 'completed' && p.b.status === 'completed');
    counts[mode] = `${clean.length} (latency) / ${all.length} (server cost) of ${byRound.size}`;
    for (const [name, pick, kind] of METRICS) {
      const pairs = name.startsWith('server') ? all : clean;
      const changes = pairs.flatMap((p) => {
        const [a, b] = [pick(p.a), pick(p.b)];
        if (a == null || b == null) return [];
        if (kind === 'diff') return [b - a];
        return a > 0 && b > 0 ? [100 * Math.log(b / a)] : [];
      });
      const values = pairs.flatMap((p) => [pick(p.a), pick(p.b)]).filter((v) => v != null);
      rows.push({ mode, name, kind, n: changes.length, sd: sd(changes), mean: mean(values) });
    }
  }
  console.log(`pairs used: pinned ${counts.pinned}, unpinned ${counts.unpinned}\n`);
  console.log('| metric | mean (pinned) | pair-to-pair SD pinned | pair-to-pair SD unpinned | mean (unpinned) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, , kind] of METRICS) {
    const p = rows.find((r) => r.mode === 'pinned' && r.name === name);
    const u = rows.find((r) => r.mode === 'unpinned' && r.name === name);
    const unit = kind === 'diff' ? '' : '%';
    const f = (r) => (r.sd === null ? 'n/a' : `${r.sd.toFixed(kind === 'diff' ? 2 : 1)}${unit} (n=${r.n})`);
    console.log(`| ${name} | ${fmt(p.mean)} | ${f(p)} | ${f(u)} | ${fmt(u.mean)} |`);
  }
  console.log('\nSD of ln(B/A) × 100 over A/A pairs (≈ % change), GCs per 10k messages: SD of B − A.');
}

function mean(xs) {
  return xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length;
}

function sd(xs) {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

function fmt(x) {
  if (x === null || x === undefined) return 'n/a';
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2);
}
