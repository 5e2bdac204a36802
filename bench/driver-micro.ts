/**
 * Micro-benchmarks of the driver's per-message work, with tinybench: what one send and one reply cost
 * the generator before any socket is involved. They report; they assert nothing (the driver-cost
 * benchmark, scripts/bench-driver-cost.mjs, measures the whole path against a real server).
 *
 *   npx tsx bench/driver-micro.ts [--time-ms 500]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { createBroadcastFrame, intendedEpochUsOf, writeBroadcastFrame } from '../src/driver/broadcast-frame.js';
import { InFlightLedger } from '../src/driver/in-flight-ledger.js';
import { createMessageCodec } from '../src/driver/message-codec.js';
import { SendSchedule } from '../src/driver/send-schedule.js';
import { createHistogram, recordMicros } from '../src/metrics/latency-histogram.js';

const { values } = parseArgs({ options: { 'time-ms': { type: 'string', default: '500' } } });
const bench = new Bench({ time: Number(values['time-ms']), warmupTime: 100 });
const SIZE = 128;
let sink = 0;

// Frame build: the binary echo's header write (the load phase's inline path), and the other shapes.
const binary = Buffer.alloc(SIZE, 0x61);
binary.writeUInt32LE(0x31425357, 4);
let sequence = 0;
bench.add('frame build: binary echo header', () => {
  binary.writeUInt32LE(sequence++ >>> 0, 0);
});
const text = createMessageCodec({ payload: 'text' }, SIZE)!;
bench.add('frame build: --payload text', () => {
  sink += text.build(sequence++, 0, 0).length;
});
const json = createMessageCodec({ payload: 'text', template: '{"id":{{seq}},"op":"ping","pad":"{{pad}}"}', match: { kind: 'json', path: ['id'] } }, SIZE)!;
bench.add('frame build: --message JSON template', () => {
  sink += json.build(sequence++, 7, 1_764_000_000_000_000).length;
});
const broadcast = createBroadcastFrame(SIZE);
bench.add('frame build: broadcast frame', () => {
  writeBroadcastFrame(broadcast, sequence++, 1_764_000_000_000_000, 0);
});

// Reply parse and match.
const echo = Buffer.from(binary);
bench.add('reply parse: binary echo (header + memcmp)', () => {
  sink += echo.readUInt32LE(4) === 0x31425357 && echo.compare(binary, 8, SIZE, 8, SIZE) === 0 ? echo.readUInt32LE(0) : 0;
});
const textReply = Buffer.from(text.build(123_456, 0, 0));
bench.add('reply match: --payload text', () => {
  sink += text.sequenceOf(textReply);
});
const jsonReply = Buffer.from(JSON.stringify({ id: 123_456, result: 'r'.repeat(64) }));
bench.add('reply match: --match json:id', () => {
  sink += json.sequenceOf(jsonReply);
});
const regex = createMessageCodec({ payload: 'text', template: '{"id":{{seq}}}', match: { kind: 'regex', source: '"id":(\\d+)' } }, SIZE)!;
bench.add('reply match: --match regex:"id":(\\d+)', () => {
  sink += regex.sequenceOf(jsonReply);
});
bench.add('reply parse: broadcast delivery time', () => {
  sink += intendedEpochUsOf(broadcast);
});

// Histogram record: one RTT sample.
const histogram = createHistogram();
let micros = 1;
bench.add('histogram record (HDR, µs)', () => {
  recordMicros(histogram, (micros = (micros * 1103515245 + 12345) % 200_000) + 1);
});

// Schedule walk: take the next due send and its intended time, as the pacer does per message.
const schedule = new SendSchedule({ startMs: 0, ratePerConnection: 10, connections: 1000 });
bench.add('schedule walk: takeDue + intendedMs + connectionOf', () => {
  const index = schedule.takeDue(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  sink += schedule.intendedMs(index) + schedule.connectionOf(index);
});

// Ledger: record an intended time at send, resolve it at reply (the resolved entries leave the
// send-order queue at the next sweep, as every 100 ms in a phase).
const ledger = new InFlightLedger(1000);
let ledgerOps = 0;
const sweep = (): void => ledger.expireBefore(Number.NEGATIVE_INFINITY, () => {});
bench.add('ledger: record + resolve', () => {
  const connection = ledgerOps++ % 1000;
  ledger.record(connection, ledgerOps);
  sink += ledger.resolveOldest(connection);
  if ((ledgerOps & 1023) === 0) sweep();
});
const unordered = new InFlightLedger(1000, true);
let unorderedOps = 0;
bench.add('ledger (unordered replies): record + answer', () => {
  const connection = unorderedOps++ % 1000;
  const sequence = unordered.record(connection, unorderedOps);
  sink += unordered.answer(connection, sequence);
  if ((unorderedOps & 1023) === 0) unordered.expireBefore(Number.NEGATIVE_INFINITY, () => {});
});

await bench.run();
console.log(`driver micro-benchmarks (tinybench, ${values['time-ms']} ms per task, Node ${process.version}); ns/op includes tinybench's timer overhead, ops/s is the figure to compare`);
console.table(
  bench.tasks.map((task) => {
    const result = task.result as { state?: string; latency?: { mean: number; p99: number }; throughput?: { mean: number } } | undefined;
    return {
      task: task.name,
      'ns/op (mean)': result?.latency === undefined ? '—' : (result.latency.mean * 1e6).toFixed(1),
      'ns/op (p99)': result?.latency === undefined ? '—' : (result.latency.p99 * 1e6).toFixed(1),
      'ops/s': result?.throughput === undefined ? '—' : Math.round(result.throughput.mean).toLocaleString('en-US'),
    };
  }),
);
if (sink === Number.MIN_VALUE) console.log(sink);
histogram.destroy();
