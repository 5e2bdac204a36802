#!/usr/bin/env node
// Benchmark of the regression gate itself on this machine: how often an A/A comparison (the same target in
// both arms) FAILs, and how often injected regressions of 10% throughput and 25% p99 are caught, with the
// wall time per comparison. A benchmark, not a test: it reports, it asserts nothing.
//
// Method: each comparison runs 2 × PAIRS pairs of real trials, A B B A …, each a fresh gobwas server under
// the same offered load, both arms the same target. The shipped two-stage procedure is then replayed on
// them: stage 1 on the first PAIRS pairs; if INCONCLUSIVE, stage 2 on all of them. Regressions are injected
// into the B trials of the same real data (throughput × 0.9, p99 × 1.25), so detection is measured against
// this machine's real trial-to-trial noise.
//
//   npm run build && node scripts/bench-gate.mjs [--comparisons 20] [--pairs 5] [--duration 3s] [--warmup 1s]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compareTrials, resolveRunOptions, runScenario } from '../dist/index.js';
import { interleavedSchedule } from '../dist/compare/schedule.js';
import { summarizeTrial } from '../dist/compare/trial-summary.js';
import { gobwasTarget } from '../dist/targets/builtin-targets.js';
import { parseTargetSpec } from '../dist/targets/target-spec.js';
import { parseDurationMs } from '../dist/units.js';

const { values } = parseArgs({
  options: {
    comparisons: { type: 'string', default: '20' },
    pairs: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '5' },
    size: { type: 'string', default: '1024' },
    duration: { type: 'string', default: '3s' },
    warmup: { type: 'string', default: '1s' },
    out: { type: 'string', default: 'results/gate-benchmark' },
  },
});
const comparisons = Number(values.comparisons);
const pairs = Number(values.pairs);
const spec = parseTargetSpec('gobwas');
const scenario = resolveRunOptions({
  scenarioName: 'gate-aa',
  connections: Number(values.connections),
  ratePerConnection: Number(values.rate),
  messageBytes: Number(values.size),
  durationMs: parseDurationMs(values.duration, '--duration'),
  warmupMs: parseDurationMs(values.warmup, '--warmup'),
});
mkdirSync(values.out, { recursive: true });

const runs = [];
for (let c = 0; c < comparisons; c++) {
  const trials = [];
  for (const [index, arm] of interleavedSchedule(2 * pairs).entries()) {
    const started = performance.now();
    const { result } = await runScenario({ ...scenario, target: spec }, { definition: gobwasTarget });
    trials.push({ summary: summarizeTrial(result, arm, index), wallMs: performance.now() - started });
  }
  runs.push(trials);
  writeFileSync(path.join(values.out, 'trials.json'), JSON.stringify(runs, null, 1));
  process.stderr.write(`comparison ${c + 1}/${comparisons}: ${trials.filter((t) => t.summary.saturated).length} saturated trials\n`);
}

const input = (summaries) => ({ scenario: 'gate-aa', arms: { a: { spec: 'gobwas' }, b: { spec: 'gobwas' } }, trials: summaries });
/** The shipped procedure: stage 1 on the first `pairs` pairs, stage 2 on all when stage 1 is INCONCLUSIVE. */
function gate(trials, inject) {
  const summaries = trials.map(({ summary }) => (summary.arm === 'b' ? inject({ ...summary }) : summary));
  const first = summaries.filter((s) => s.index < 2 * pairs);
  const stage1 = compareTrials(input(first), { stages: 2, stage: 1 });
  const wall1 = trials.filter((t) => t.summary.index < 2 * pairs).reduce((sum, t) => sum + t.wallMs, 0);
  if (stage1.verdict !== 'INCONCLUSIVE') return { verdict: stage1.verdict, stage: 1, wallMs: wall1, metrics: stage1.metrics };
  const stage2 = compareTrials(input(summaries), { stages: 2, stage: 2 });
  return { verdict: stage2.verdict, stage: 2, wallMs: trials.reduce((sum, t) => sum + t.wallMs, 0), metrics: stage2.metrics };
}

const cases = {
  'A/A (no change)': (s) => s,
  'throughput −10%': (s) => ({ ...s, achievedPerSec: s.achievedPerSec * 0.9 }),
  'p99 +25%': (s) => ({ ...s, p99Ms: s.p99Ms === null ? null : s.p99Ms * 1.25 }),
};
const lines = [`gate benchmark: ${comparisons} comparisons × up to ${2 * pairs} pairs, ${scenario.connections} connections × ${scenario.ratePerConnection} msg/s × ${scenario.messageBytes} B, ${scenario.durationMs / 1000} s trials (${scenario.warmupMs / 1000} s warm-up)`];
lines.push('case              FAIL  PASS  INCONCLUSIVE  decided in stage 1  median wall time per comparison');
const summary = {};
for (const [name, inject] of Object.entries(cases)) {
  const verdicts = runs.map((trials) => gate(trials, inject));
  const count = (v) => verdicts.filter((x) => x.verdict === v).length;
  const walls = verdicts.map((v) => v.wallMs).sort((a, b) => a - b);
  summary[name] = { fail: count('FAIL'), pass: count('PASS'), inconclusive: count('INCONCLUSIVE'), stage1: verdicts.filter((v) => v.stage === 1).length, medianWallMs: walls[Math.floor(walls.length / 2)] };
  lines.push(`${name.padEnd(17)} ${String(count('FAIL')).padStart(4)}  ${String(count('PASS')).padStart(4)}  ${String(count('INCONCLUSIVE')).padStart(12)}  ${String(summary[name].stage1).padStart(18)}  ${(summary[name].medianWallMs / 1000).toFixed(0).padStart(6)} s`);
}
const noise = runs.flat().map((t) => t.summary);
lines.push(`trials: ${noise.length}, saturated (excluded): ${noise.filter((s) => s.saturated).length}`);
writeFileSync(path.join(values.out, 'summary.json'), JSON.stringify(summary, null, 2));
console.log(lines.join('\n'));
