#!/usr/bin/env node
// Is one build of the load generator costlier per message than another? Two wsbench checkouts (each built)
// drive the same gobwas fixture, pinned to core 0, with the driver pinned to core 1, interleaved A B B A …
// so slow drifts of the machine fall on both; the unit is the pair. Reports driver CPU µs per echoed
// message per run, the geometric-mean ratio B/A and its 95% interval (t on the pairs' log-ratios).
// A benchmark, not a test: it reports, it asserts nothing.
//
//   git worktree add --detach /tmp/before <ref> && (cd /tmp/before && npm ci && npm run build)
//   flock /tmp/wsbench-load.lock node scripts/bench-driver-ab.mjs --a /tmp/before --b . [--pairs 8]
//     [--connections 1000 --rate 10 --size 128 --duration 8s --warmup 2s --pacer precise]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startPinnedFixture } from './lib/pinned-fixture.mjs';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    pairs: { type: 'string', default: '8' },
    connections: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '10' },
    size: { type: 'string', default: '128' },
    duration: { type: 'string', default: '8s' },
    warmup: { type: 'string', default: '2s' },
    pacer: { type: 'string', default: 'precise' },
  },
});
const cliOf = (dir) => {
  const cli = path.resolve(dir ?? '', 'dist/cli/bin.js');
  if (dir === undefined || !existsSync(cli)) {
    console.error(`bench-driver-ab: --a and --b must each name a built wsbench checkout (missing ${cli}; run npm ci && npm run build there)`);
    process.exit(2);
  }
  return cli;
};
const arms = { A: cliOf(values.a), B: cliOf(values.b) };
const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-driver-ab-'));

const fixture = await startPinnedFixture();

function runArm(arm, index) {
  const json = path.join(outDir, `${arm}-${index}.json`);
  // Exit 3 (saturated) still writes the result; a saturated run is reported and left out of the ratio.
  spawnSync('taskset', ['-c', '1', process.execPath, arms[arm], 'run', '--url', fixture.url, '--connections', values.connections, '--rate', values.rate, '--size', values.size, '--duration', values.duration, '--warmup', values.warmup, '--pacer', values.pacer, '--json', json, '--quiet'], { stdio: 'ignore' });
  const result = JSON.parse(readFileSync(json, 'utf8'));
  return { arm, cpu: result.generator.cpuMicrosPerMessage, lag: result.generator.sendLagP99Ms, saturated: result.generator.saturated, other: result.machine?.otherCpuPercent ?? null };
}

const pairs = [];
try {
  for (let pair = 0; pair < Number(values.pairs); pair++) {
    const order = pair % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    const runs = Object.fromEntries(order.map((arm) => [arm, runArm(arm, pair)]));
    pairs.push(runs);
    const line = (run) => `${run.arm} ${run.cpu.toFixed(2)} µs/echo, send lag p99 ${run.lag.toFixed(2)} ms, other CPU ${run.other ?? '?'}%${run.saturated ? ' (saturated)' : ''}`;
    console.log(`pair ${pair + 1}: ${line(runs.A)} | ${line(runs.B)} | B/A ${(runs.B.cpu / runs.A.cpu).toFixed(3)}`);
  }
} finally {
  fixture.stop();
}

// Two-sided 97.5% quantile of Student's t for small df (df ≥ 30 uses the normal's 1.96).
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045];
const usable = pairs.filter((p) => !p.A.saturated && !p.B.saturated);
const logs = usable.map((p) => Math.log(p.B.cpu / p.A.cpu));
if (logs.length < 2) {
  console.log(`only ${logs.length} unsaturated pair(s): no ratio`);
} else {
  const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / (logs.length - 1));
  const half = (T975[logs.length - 2] ?? 1.96) * (sd / Math.sqrt(logs.length));
  const pct = (x) => `${x >= 0 ? '+' : ''}${((Math.exp(x) - 1) * 100).toFixed(1)}%`;
  console.log(`driver CPU per echo, B vs A over ${logs.length} unsaturated pairs: ${pct(mean)} (95% CI ${pct(mean - half)} to ${pct(mean + half)}); pair-to-pair SD of ln(B/A) ${sd.toFixed(3)}`);
}
