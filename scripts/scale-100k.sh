#!/usr/bin/env bash
# The 100K proof (issue 4 §5): 100,000 concurrent connections held >= 60 s at 1 msg/s against the
# gobwas fixture (epoll model, 6 processes), then the server's memory per connection for both
# concurrency models. Prints the figures; the result JSONs stay in the output directory.
#
#   scripts/scale-100k.sh [OUT_DIR]          (default: results/scale-<date>)
#   WSBENCH_CLI=path/to/cli.js               the wsbench entry point (default: dist/cli/bin.js)
#   CONNECTIONS=100000 HOLD=65s RATE=1       the big run's size, hold and msg/s per connection
#   MODEL_CONNECTIONS=20000 MODEL_RATE=0.1   last step and rate of the per-model memory ramps
#
# On 2 cores, 100K × 1 msg/s is 100K echoes/s: the driver alone needs ~40 µs of CPU per echo, i.e.
# ~4 cores, so that run ends "generator saturated" (said in its verdict). RATE=0.1 holds all 100K
# with the driver healthy and gives the latency distribution.
set -euo pipefail

cd "$(dirname "$0")/.."
out="${1:-results/scale-$(date +%Y%m%d-%H%M%S)}"
cli="${WSBENCH_CLI:-dist/cli/bin.js}"
connections="${CONNECTIONS:-100000}"
hold="${HOLD:-65s}"
rate="${RATE:-1}"
model_rate="${MODEL_RATE:-0.1}"
model_connections="${MODEL_CONNECTIONS:-20000}"
model_step=$((model_connections / 4))
mkdir -p "$out"

if [[ ! -f "$cli" ]]; then
  echo "scale-100k: $cli is missing; run \`npm run build\` first" >&2
  exit 2
fi

echo "== machine limits"
bash scripts/system_tune.sh check || true

# One step straight to $connections: its open time is the time to open them all; the hold is >= 60 s.
echo "== $connections connections, epoll model, procs=6, $rate msg/s per connection, hold $hold"
node "$cli" ramp --target gobwas:model=epoll,procs=6 --from "$connections" --step "$connections" --to "$connections" \
  --hold "$hold" --rate "$rate" --size 256 --json "$out/100k-epoll.json"

# Server memory per connection, per model: RSS slope over a ramp (procs=2 keeps each process under the fd limit).
for model in goroutine epoll; do
  echo "== server memory per connection: $model model, $model_step..$model_connections connections"
  node "$cli" ramp --target "gobwas:model=$model,procs=2" --from "$model_step" --step "$model_step" --to "$model_connections" \
    --hold 5s --rate "$model_rate" --size 256 --json "$out/ramp-$model.json"
done

echo "== figures"
node --input-type=module - "$out" <<'JS'
import { readFileSync } from 'node:fs';
const dir = process.argv[2];
const read = (name) => JSON.parse(readFileSync(`${dir}/${name}`, 'utf8'));
const big = read('100k-epoll.json');
const step = big.steps[0];
const kib = (bytes) => (bytes / 1024).toFixed(2);
console.log(`verdict         ${big.verdict.summary}`);
console.log(`connections     ${step.established} established of ${step.connections} asked; connect errors ${JSON.stringify(step.connectErrorsByCode)}`);
console.log(`time to open    ${(step.openMs / 1000).toFixed(1)} s`);
console.log(`held            ${(step.holdMs / 1000).toFixed(0)} s at ${step.ratePerConnection} msg/s per connection: achieved ${step.achievedPerSec.toFixed(0)} of ${step.offeredPerSec} msg/s offered`);
console.log(`latency (ms)    p50 ${step.latencyMs?.p50} p90 ${step.latencyMs?.p90} p99 ${step.latencyMs?.p99} p99.9 ${step.latencyMs?.p999} max ${step.latencyMs?.max}; timed out ${step.timedOut}, dropped ${step.dropped}`);
console.log(`driver heap     ${kib(step.generator.heapUsedBytesPerConnection)} KiB per idle connection (after GC, all ${big.generator.workers} workers, ${(step.generator.heapUsedBytes / 2 ** 20).toFixed(0)} MiB heap; RSS ${(step.generator.rssBytes / 2 ** 20).toFixed(0)} MiB)`);
console.log(`server at 100K  RSS ${(step.server.rssBytes / 2 ** 20).toFixed(0)} MiB = ${kib(step.server.rssBytes / step.established)} KiB per connection (epoll, incl. the processes' base), CPU ${step.server.cpuPercent?.toFixed(0)}%`);
console.log(`generator       send lag p99 ${step.generator.sendLagP99Ms} ms, ELU ${(step.generator.eventLoopUtilization * 100).toFixed(0)}%, saturated ${step.generator.saturated}`);
for (const model of ['goroutine', 'epoll']) {
  const ramp = read(`ramp-${model}.json`);
  const last = ramp.steps.at(-1);
  console.log(`server ${model.padEnd(9)} ${kib(ramp.verdict.memoryPerConnectionBytes)} KiB RSS per connection (slope over ${ramp.steps.map((s) => s.established).join(', ')}); at ${last.established}: RSS ${(last.server.rssBytes / 2 ** 20).toFixed(0)} MiB, goroutines ${last.server.goroutines}`);
}
const goals = [
  ['driver <= 4 KiB heap per idle connection', step.generator.heapUsedBytesPerConnection <= 4096],
  ['opened in <= 60 s', step.openMs <= 60_000],
  ['zero connect errors', Object.keys(step.connectErrorsByCode).length === 0 && step.established === step.connections],
  ['held >= 60 s', step.holdMs >= 60_000],
];
for (const [goal, met] of goals) console.log(`goal  ${met ? 'MET   ' : 'MISSED'} ${goal}`);
JS
