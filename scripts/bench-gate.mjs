#!/usr/bin/env node
// The regression gate, benchmarked on this machine with real servers: how often an A/A comparison (gobwas vs
// gobwas) FAILs, and how often real regressions of known size are caught: B runs a fixture knob, nothing is
// scaled. A benchmark, not a test: it reports, it asserts nothing.
//
// Each comparison is the shipped procedure, `runComparison` (A B B A …, a fresh server per trial, pinned apart
// with taskset, driver real-time when allowed, stage 2 only when stage 1 is INCONCLUSIVE), at a load where the
// gated metrics are stable and trials are short (1000 × 5/s × 1 KiB, 6 s trials with 2 s warm-up). Cases:
//   aa         gobwas vs gobwas
//   cpu5/10/20 gobwas vs gobwas:inject-delay-us=N  (N calibrated to +5/10/20% server CPU per message at this load)
//   alloc1k    gobwas vs gobwas:inject-alloc-bytes=1024
//   tail       gobwas vs gobwas:inject-lock-us=N   (N calibrated to raise p99 by ≥ 30%)
// Resumable and chunked: every finished comparison is appended to OUT/comparisons.jsonl at once; a run stops
// starting comparisons when the next would pass --budget (hold the CPU lock ≤ 10 minutes), and the next run
// goes on where it stopped, always with the case furthest from its target count. --report prints the table.
//
//   npm run build && flock /tmp/wsbench-load.lock node scripts/bench-gate.mjs --budget 9m   (repeat)
//   node scripts/bench-gate.mjs --report
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decideCpuPinning, resolveRunOptions, runComparison } from '../dist/index.js';
import { gobwasTarget } from '../dist/targets/builtin-targets.js';
import { parseTargetSpec } from '../dist/targets/target-spec.js';
import { parseDurationMs } from '../dist/units.js';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '9m' },
    pairs: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1000' },
    // 5K msg/s (the quick profile's mid mix): at 20K msg/s CPU per message is no steadier (docs/gate-noise.md)
    // and on the busy machine two of three trials lost the driver's schedule (send lag p99 ~80 ms).
    rate: { type: 'string', default: '5' },
    size: { type: 'string', default: '1024' },
    duration: { type: 'string', default: '6s' },
    warmup: { type: 'string', default: '2s' },
    // Calibrated at this load with the driver that keeps its schedule (a92809a on): ~23 µs/msg, and
    // inject-delay-us=4 measured +20–28% CPU/msg in 3 comparisons (the spin's clock reads add to the 4 µs).
    'cpu5-us': { type: 'string', default: '1' },
    'cpu10-us': { type: 'string', default: '2' },
    'cpu20-us': { type: 'string', default: '4' },
    // At 5K msg/s a lock held 100 µs per message is busy half the time: echoes queue behind each other.
    'lock-us': { type: 'string', default: '100' },
    'tail-rate': { type: 'string', default: '5' },
    'alloc-bytes': { type: 'string', default: '1024' },
    only: { type: 'string' },
    out: { type: 'string', default: 'results/gate-benchmark' },
    report: { type: 'boolean', default: false },
  },
});

const CASES = {
  aa: { target: 50, b: 'gobwas', label: 'A/A (no change)', expect: 'PASS' },
  cpu5: { target: 10, b: `gobwas:inject-delay-us=${values['cpu5-us']}`, label: '+5% server CPU/msg', metric: 'cpuPerMessage' },
  cpu10: { target: 20, b: `gobwas:inject-delay-us=${values['cpu10-us']}`, label: '+10% server CPU/msg', metric: 'cpuPerMessage' },
  cpu20: { target: 10, b: `gobwas:inject-delay-us=${values['cpu20-us']}`, label: '+20% server CPU/msg', metric: 'cpuPerMessage' },
  alloc1k: { target: 20, b: `gobwas:inject-alloc-bytes=${values['alloc-bytes']}`, label: '+1 KiB/msg allocated', metric: 'allocBytesPerMessage' },
  // --tail-rate: the tail case may run at another rate (A/A p99 varies ~0.2 per pair at 5K msg/s, ~0.8 at 20K).
  tail: { target: 20, b: `gobwas:inject-lock-us=${values['lock-us']}`, label: 'tail (p99 ≥ +30%)', metric: 'p99', rate: Number(values['tail-rate']) },
};
const store = path.join(values.out, 'comparisons.jsonl');
mkdirSync(values.out, { recursive: true });
const load = () => (existsSync(store) ? readFileSync(store, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : []);

if (values.report) {
  report(load());
} else {
  await run();
  report(load());
}

async function run() {
  const budgetMs = parseDurationMs(values.budget, '--budget');
  const started = performance.now();
  // Pinned apart as compare and bench run by default (the gate's own noise is what is benchmarked).
  const pin = decideCpuPinning(true);
  const scenario = {
    ...resolveRunOptions({
    scenarioName: 'gate-benchmark',
    connections: Number(values.connections),
    ratePerConnection: Number(values.rate),
    messageBytes: Number(values.size),
    durationMs: parseDurationMs(values.duration, '--duration'),
    warmupMs: parseDurationMs(values.warmup, '--warmup'),
    }),
    ...(pin.pinned ? { pinning: pin.pinning } : {}),
  };
  process.stderr.write(`gate benchmark: ${pin.pinned ? pin.description : pin.reason}\n`);
  const pairs = Number(values.pairs);
  // A trial's wall time: the load plus ~1.5 s to start the server and open the connections.
  const trialWallMs = scenario.durationMs + 1500;
  const a = { spec: parseTargetSpec('gobwas'), definition: gobwasTarget };
  const only = values.only?.split(',');
  let lastWallMs = 0;
  for (;;) {
    const done = load();
    const next = Object.entries(CASES)
      .filter(([name]) => only === undefined || only.includes(name))
      .map(([name, spec]) => ({ name, spec, ratio: done.filter((c) => c.case === name).length / spec.target }))
      .filter((c) => c.ratio < 1)
      .sort((x, y) => x.ratio - y.ratio)[0];
    if (next === undefined) return;
    const elapsed = performance.now() - started;
    // A comparison that may run both stages takes about twice the last one's stage 1: do not start one the budget cannot hold.
    if (elapsed + Math.max(lastWallMs, 2 * pairs * 2 * trialWallMs) > budgetMs) return;
    const t0 = performance.now();
    const caseScenario = next.spec.rate === undefined ? scenario : { ...scenario, ratePerConnection: next.spec.rate };
    const { report, failure } = await runComparison({
      scenario: caseScenario,
      a,
      b: { spec: parseTargetSpec(next.spec.b), definition: gobwasTarget },
      pairs,
      secondStageBudgetMs: pairs * 2 * (trialWallMs + 1000),
    });
    lastWallMs = performance.now() - t0;
    const c = report.comparison;
    const others = report.trials.map((t) => t.result.machine?.otherCpuPercent).filter((x) => typeof x === 'number').sort((p, q) => p - q);
    const row = {
      case: next.name,
      b: next.spec.b,
      at: new Date().toISOString(),
      load: { connections: caseScenario.connections, ratePerConnection: caseScenario.ratePerConnection, messageBytes: scenario.messageBytes, durationMs: scenario.durationMs, warmupMs: scenario.warmupMs, pairs },
      // How busy the machine was: load average at the end, and the median trial's CPU used by everyone else (% of a core).
      loadavg1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
      otherCpuPercent: others.length === 0 ? null : others[Math.floor((others.length - 1) / 2)],
      verdict: failure === undefined ? c.verdict : `ERROR ${failure.code}`,
      stage: c.stage.stage,
      usablePairs: c.stage.usablePairs,
      wallMs: Math.round(lastWallMs),
      scheduling: report.scheduling?.note ?? null,
      pinning: report.pinning ?? null,
      metrics: Object.fromEntries(c.metrics.map((m) => [m.metric, { verdict: m.verdict, change: m.changePercent, low: m.ciLowPercent, high: m.ciHighPercent, p: m.pValue, a: m.aMedian, b: m.bMedian }])),
      // Each trial's summary with its latency sketch (25 quantiles), so another tail estimator can be tried on these trials later.
      trials: c.trials,
    };
    appendFileSync(store, `${JSON.stringify(row)}\n`);
    const failed = c.metrics.filter((m) => m.verdict === 'FAIL').map((m) => m.metric);
    process.stderr.write(`${next.name} ${done.filter((x) => x.case === next.name).length + 1}/${next.spec.target}: ${row.verdict}${failed.length > 0 ? ` (${failed.join(', ')})` : ''} stage ${row.stage}, ${(lastWallMs / 1000).toFixed(0)} s\n`);
  }
}

function report(rows) {
  const pct = (n, d) => (d === 0 ? '—' : `${((100 * n) / d).toFixed(0)}%`);
  const median = (xs) => {
    const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((p, q) => p - q);
    return s.length === 0 ? null : s[Math.floor((s.length - 1) / 2)];
  };
  const lines = [
    '| case | B | comparisons | FAIL | PASS | INCONCLUSIVE | FAIL on the metric | decided in stage 1 | measured change (median) | median wall per comparison |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const loads = rows.filter((r) => typeof r.loadavg1 === 'number');
  for (const [name, spec] of Object.entries(CASES)) {
    const mine = rows.filter((r) => r.case === name);
    if (mine.length === 0) continue;
    const count = (v) => mine.filter((r) => r.verdict === v).length;
    const onMetric = spec.metric === undefined ? '—' : `${mine.filter((r) => r.metrics[spec.metric]?.verdict === 'FAIL').length}`;
    const change = spec.metric === undefined ? '—' : `${median(mine.map((r) => r.metrics[spec.metric]?.change))?.toFixed(1) ?? '—'}% ${spec.metric}`;
    const wall = median(mine.map((r) => r.wallMs));
    // The knob each comparison really ran (a store may hold runs of older defaults).
    const knobs = [...new Set(mine.map((r) => r.b))].map((b) => `\`${b}\``).join(', ');
    lines.push(`| ${spec.label} | ${knobs} | ${mine.length} | ${count('FAIL')} (${pct(count('FAIL'), mine.length)}) | ${count('PASS')} (${pct(count('PASS'), mine.length)}) | ${count('INCONCLUSIVE')} | ${onMetric} | ${mine.filter((r) => r.stage === 1).length} | ${change} | ${wall === null ? '—' : `${(wall / 1000).toFixed(0)} s`} |`);
  }
  const aa = rows.filter((r) => r.case === 'aa');
  const errors = rows.filter((r) => String(r.verdict).startsWith('ERROR')).length;
  if (loads.length > 0) {
    const others = loads.map((r) => r.otherCpuPercent).filter((x) => typeof x === 'number');
    lines.push('', `Machine load while measuring: 1-minute load average median ${median(loads.map((r) => r.loadavg1)).toFixed(1)} (range ${Math.min(...loads.map((r) => r.loadavg1)).toFixed(1)}–${Math.max(...loads.map((r) => r.loadavg1)).toFixed(1)}) on 2 cores; other processes' CPU per trial, median over comparisons ${others.length === 0 ? '—' : `${median(others).toFixed(0)}% of a core`}.`);
  }
  lines.push('', `${rows.length} comparisons, ${rows.reduce((n, r) => n + r.trials.length, 0)} real trials (${rows.reduce((n, r) => n + r.trials.filter((t) => t.saturated).length, 0)} saturated, excluded), ${errors} errored.`);
  // The noise the default gates rest on: pair-to-pair SD of ln(B/A) per metric, over the A/A pairs.
  if (aa.length > 0) {
    const picks = {
      throughput: (t) => t.achievedPerSec,
      p50: (t) => t.p50Ms,
      p99: (t) => t.p99Ms,
      cpuPerMessage: (t) => t.serverCpuMicrosPerMessage,
      allocBytesPerMessage: (t) => t.serverAllocBytesPerMessage,
      allocsPerMessage: (t) => t.serverAllocsPerMessage,
      memoryPerConnection: (t) => t.serverMemoryBytesPerConnection,
      gcPer10kMessages: (t) => t.serverGcPer10kMessages,
    };
    const sds = [];
    for (const [metric, pick] of Object.entries(picks)) {
      const d = [];
      for (const r of aa) {
        const bySlot = new Map();
        for (const t of r.trials) bySlot.set(`${Math.floor(t.index / 2)}${t.arm}`, t);
        for (let k = 0; k < 20; k++) {
          const x = bySlot.get(`${k}a`);
          const y = bySlot.get(`${k}b`);
          if (x && y && !x.saturated && !y.saturated && pick(x) > 0 && pick(y) > 0) d.push(Math.log(pick(y) / pick(x)));
        }
      }
      if (d.length < 3) continue;
      const mean = d.reduce((s, x) => s + x, 0) / d.length;
      sds.push(`${metric} ${Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1)).toFixed(3)} (${d.length} pairs)`);
    }
    lines.push(`A/A pair-to-pair SD of ln(B/A): ${sds.join(', ')}.`);
  }
  console.log(lines.join('\n'));
}
