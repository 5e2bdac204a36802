#!/usr/bin/env node
// Benchmark of the load generator itself: driver CPU microseconds per echoed message, send lag and
// event-loop use at 1,000 connections × 10 msg/s × 128 B, with the target pinned to core 0 and the
// driver to core 1 (taskset), for each pacer. A benchmark, not a test: it reports, it asserts nothing.
//
//   npm run build && node scripts/bench-driver-cost.mjs [--repeats 3] [--connections 1000] [--rate 10]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildGobwasFixture } from '../dist/targets/fixture-build.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '10' },
    size: { type: 'string', default: '128' },
    duration: { type: 'string', default: '12s' },
    warmup: { type: 'string', default: '3s' },
  },
});
const cli = path.resolve('dist/cli/bin.js');
const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-driver-cost-'));

const freePort = () =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const binary = await buildGobwasFixture();
const port = await freePort();
const fixture = spawn('taskset', ['-c', '0', binary, '--port', String(port), '--model', 'epoll'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => fixture.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve()));

const rows = [];
try {
  for (let repeat = 0; repeat < Number(values.repeats); repeat++) {
    for (const pacer of ['precise', 'timer']) {
      const json = path.join(outDir, `${pacer}-${repeat}.json`);
      // Exit 3 (saturated) still writes the result: a saturated driver is a finding here, not an error.
      spawnSync('taskset', ['-c', '1', process.execPath, cli, 'run', '--url', `ws://127.0.0.1:${port}/`, '--connections', values.connections, '--rate', values.rate, '--size', values.size, '--duration', values.duration, '--warmup', values.warmup, '--pacer', pacer, '--json', json, '--quiet'], { stdio: 'ignore' });
      const result = JSON.parse(readFileSync(json, 'utf8'));
      rows.push({
        pacer,
        repeat,
        cpuMicrosPerEcho: result.generator.cpuMicrosPerMessage,
        sendLagP99Ms: result.generator.sendLagP99Ms,
        eventLoopUtilization: result.generator.eventLoopUtilization,
        achievedRatio: result.throughput.achievedPerSec / result.throughput.offeredPerSec,
        rttP50Ms: result.latencyMs?.p50,
        rttP99Ms: result.latencyMs?.p99,
        timedOut: result.messages.timedOut,
        saturated: result.generator.saturated,
      });
    }
  }
} finally {
  fixture.kill('SIGTERM');
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`driver cost at ${values.connections} connections × ${values.rate} msg/s × ${values.size} B, target on core 0, driver on core 1`);
console.log('  pacer    repeat  CPU µs/echo  send lag p99  event loop  achieved  RTT p50   RTT p99   timed out');
for (const row of rows) {
  console.log(
    (row.saturated ? '! ' : '  ') + `${row.pacer.padEnd(8)} ${String(row.repeat).padStart(6)}  ${row.cpuMicrosPerEcho.toFixed(1).padStart(11)}  ${row.sendLagP99Ms.toFixed(2).padStart(9)} ms  ${(row.eventLoopUtilization * 100).toFixed(0).padStart(9)}%  ${(row.achievedRatio * 100).toFixed(1).padStart(7)}%  ${row.rttP50Ms.toFixed(2).padStart(6)} ms  ${row.rttP99Ms.toFixed(2).padStart(6)} ms  ${String(row.timedOut).padStart(9)}`,
  );
}
console.log('(! = marked saturated by wsbench)');
for (const pacer of ['precise', 'timer']) {
  const mine = rows.filter((row) => row.pacer === pacer);
  console.log(`median ${pacer}: ${median(mine.map((row) => row.cpuMicrosPerEcho)).toFixed(1)} µs CPU per echo, send lag p99 ${median(mine.map((row) => row.sendLagP99Ms)).toFixed(2)} ms`);
}
