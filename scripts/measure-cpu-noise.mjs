#!/usr/bin/env node
// Where the noise of server CPU per message comes from: A/A pairs of the gobwas fixture (pinned apart, a fresh
// server per trial) under several settings, with the target's schedstat also read every 100 ms so each
// trial's CPU per message can be split into its seconds. A benchmark, not a test: it reports, it asserts nothing.
//
// Modes (NAME = rate per connection × 1000 connections × 1 KiB, scheduling):
//   r5rt / r20rt      5 or 20 msg/s per connection, driver SCHED_RR 1 and target nice −10 (what compare does)
//   r5nice / r20nice  the same with normal scheduling (--no-realtime)
// The report gives, per mode, the pair-to-pair SD of ln(B/A) for the whole-window figure and for per-second
// estimators (median, trimmed mean), and splits the variance of trial means into within-trial (seconds) and
// between-trial parts. Trials append to OUT as JSON lines: run in chunks under the CPU lock, report at the end.
//
//   npm run build && flock /tmp/wsbench-load.lock node scripts/measure-cpu-noise.mjs --budget 500 --modes r5rt,r20rt
//   node scripts/measure-cpu-noise.mjs --report
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
const { resolveRunOptions, runScenario } = await import('../dist/index.js');
const { summarizeTrial } = await import('../dist/compare/trial-summary.js');
const { decideCpuPinning } = await import('../dist/plan/cpu-pinning.js');
const { gobwasTarget } = await import('../dist/targets/builtin-targets.js');
const { parseTargetSpec } = await import('../dist/targets/target-spec.js');
const { enterRealtimeScheduling } = await import('../dist/run/realtime-priority.js');
const { withTargetDemotion } = await import('../dist/compare/run-comparison.js');
const { readTreeCpu, treeCpuBetween } = await import('../dist/metrics/thread-cpu.js');
const { values } = parseArgs({ options: { budget: { type: 'string', default: '500' }, modes: { type: 'string', default: 'r5rt,r20rt' }, out: { type: 'string', default: 'results/cpu-noise.jsonl' }, report: { type: 'boolean', default: false } } });
const MODES = { r5rt: { rate: 5, rt: true }, r20rt: { rate: 20, rt: true }, r5nice: { rate: 5, rt: false }, r20nice: { rate: 20, rt: false } };
const DUR = 8000, WARM = 2000;
const lines = () => existsSync(values.out) ? readFileSync(values.out, 'utf8').split('\n').filter(Boolean).map(JSON.parse) : [];
if (values.report) { report(); process.exit(0); }
const modes = values.modes.split(',');
mkdirSync(path.dirname(values.out), { recursive: true });
const pin = decideCpuPinning(true);
const t0 = performance.now();
let round = lines().reduce((m, l) => Math.max(m, l.round + 1), 0);
const spec = parseTargetSpec('gobwas');
while (performance.now() - t0 < Number(values.budget) * 1000 - 45000) {
  for (const mode of (round % 2 ? [...modes].reverse() : modes)) {
    const m = MODES[mode];
    const options = { ...resolveRunOptions({ scenarioName: 'noise2', target: spec, connections: 1000, ratePerConnection: m.rate, messageBytes: 1024, durationMs: DUR, warmupMs: WARM }), pinning: pin.pinning };
    const sched = m.rt ? await enterRealtimeScheduling() : { applied: false, onTargetReady() {}, restore: async () => {} };
    try {
      for (const arm of ['a', 'b']) {
        let pid; let loadingAt; const samples = []; let timer;
        const onEvent = withTargetDemotion(sched, (e) => {
          if (e.type === 'target-ready') { pid = e.pid; timer = setInterval(() => { try { const r = readTreeCpu(pid); samples.push({ t: r.atMs, ns: treeCpuBetween([first ??= r, r]).cpuNs }); } catch {} }, 100); }
          if (e.type === 'stage' && e.stage === 'loading') loadingAt = performance.now();
          if (e.type === 'stage' && e.stage === 'stopping') clearInterval(timer);
        });
        var first = undefined;
        const { result } = await runScenario(options, { definition: gobwasTarget, onEvent });
        clearInterval(timer);
        const s = summarizeTrial(result, arm, 0);
        const start = loadingAt + 200;
        const at = (t) => { // interpolate cumulative ns at time t
          for (let i = 1; i < samples.length; i++) if (samples[i].t >= t) { const a = samples[i - 1], b = samples[i]; return a.ns + (b.ns - a.ns) * (t - a.t) / (b.t - a.t); }
          return null; };
        const perSecond = result.timeline.filter((p) => !p.warmup).map((p) => { const c0 = at(start + p.second * 1000), c1 = at(start + (p.second + 1) * 1000); return c0 === null || c1 === null || p.received === 0 ? null : (c1 - c0) / 1000 / p.received; });
        const row = { round, mode, arm, at: new Date().toISOString(), loadavg1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]), cpu: s.serverCpuMicrosPerMessage, perSecond, p99: s.p99Ms, sat: s.saturated, other: result.machine?.otherCpuPercent ?? null, alloc: s.serverAllocBytesPerMessage, allocs: s.serverAllocsPerMessage, gc: s.serverGcPer10kMessages, mem: s.serverMemoryBytesPerConnection };
        appendFileSync(values.out, JSON.stringify(row) + '\n');
        process.stderr.write(`${round} ${mode} ${arm}: cpu ${s.serverCpuMicrosPerMessage?.toFixed(2)} perSec ${perSecond.map((x) => x?.toFixed(1)).join(' ')} other ${row.other?.toFixed(0)} sat ${s.saturated}\n`);
      }
    } finally { await sched.restore(); }
  }
  round++;
}
report();
function report() {
  const rows = lines();
  const med = (xs) => { const s = xs.filter((x) => x > 0).sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null; };
  const trim = (xs) => { const s = xs.filter((x) => x > 0).sort((a, b) => a - b); const k = Math.floor(s.length / 4); const t = s.slice(k, s.length - k); return t.reduce((a, b) => a + b, 0) / t.length; };
  const minOf = (xs) => Math.min(...xs.filter((x) => x > 0));
  const ests = { window: (r) => r.cpu, medianSec: (r) => med(r.perSecond), trimmedSec: (r) => trim(r.perSecond), minSec: (r) => minOf(r.perSecond), mem: (r) => r.mem, alloc: (r) => r.alloc, allocs: (r) => r.allocs, p99: (r) => r.p99 };
  const by = {};
  for (const r of rows) { (by[r.mode] ??= {})[r.round] ??= {}; by[r.mode][r.round][r.arm] = r; }
  for (const [mode, rounds] of Object.entries(by)) {
    const out = [];
    for (const [name, f] of Object.entries(ests)) {
      const d = Object.values(rounds).filter((p) => p.a && p.b && f(p.a) > 0 && f(p.b) > 0).map((p) => Math.log(f(p.b) / f(p.a)));
      const mean = d.reduce((s, x) => s + x, 0) / d.length;
      out.push(`${name} ${Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1)).toFixed(3)}`);
    }
    const all = rows.filter((r) => r.mode === mode);
    const trialMeans = all.map((r) => r.perSecond.filter((x) => x > 0).map(Math.log)).filter((x) => x.length > 1);
    const within = trialMeans.map((x) => { const m = x.reduce((a, b) => a + b, 0) / x.length; return x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1) / x.length; });
    const means = trialMeans.map((x) => x.reduce((a, b) => a + b, 0) / x.length);
    const gm = means.reduce((a, b) => a + b, 0) / means.length;
    const between = means.reduce((a, b) => a + (b - gm) ** 2, 0) / (means.length - 1);
    const withinVar = within.reduce((a, b) => a + b, 0) / within.length;
    out.push(`SD of trial means ${Math.sqrt(between).toFixed(3)} of which within-trial ${Math.sqrt(withinVar).toFixed(3)}`);
    console.log(`${mode} (n=${Object.keys(rounds).length} pairs, sat ${all.filter((r) => r.sat).length}/${all.length}, other ${(all.reduce((s, r) => s + (r.other ?? 0), 0) / all.length).toFixed(0)}%): ${out.join(', ')}`);
  }
}
