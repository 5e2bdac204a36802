#!/usr/bin/env bash
# One scenario sharded over K generator "hosts" on this machine (issue 12 §5): each host is a Linux
# network namespace with its own address on a bridge, the gobwas fixture runs in a namespace of its own,
# every shard runs `wsbench run --shard I/K` inside its host against the target's address, they start
# together at a rendezvous on host 0, and `wsbench merge` merges their results exactly.
#
#   sudo scripts/netns-shards.sh [OUT_DIR]        (default: results/netns-<date>)
#   HOSTS=4 CONNECTIONS=200000 RATE=0.05 DURATION=75s WARMUP=5s SIZE=64
#   PROCS=12 (target processes, SO_REUSEPORT; each holds < 20000 fds)  MODEL=epoll
#   WORKERS=3 (driver processes per host; each holds < 20000 sockets)
#   PER_ADDRESS=2000 (connections per source address: each host gets ceil(shard / PER_ADDRESS) addresses and
#                     its shard binds them; 0 = one address, ports chosen by connect())
#   KILL_SHARD=I KILL_AFTER=SECONDS   SIGKILL shard I (all its processes) that long after the shards start (default 10)
#   SKIP_SHARD=I                      never start shard I (a shard that never reaches the barrier)
#   BARRIER_TIMEOUT=180s
#
# Needs root (ip netns) and `npm run build`. Everything it creates is in namespaces named wsb<pid>-*:
# the bridge lives in its own namespace, so nothing is added to the host's; the addresses 10.250.0.0/16
# exist only inside them. On exit, failure or Ctrl-C it stops every process it started (by PID, then
# every PID left in its namespaces) and deletes every namespace; the veths and the bridge go with them.
set -euo pipefail

cd "$(dirname "$0")/.."
out="${1:-results/netns-$(date +%Y%m%d-%H%M%S)}"
cli="$PWD/${WSBENCH_CLI:-dist/cli/bin.js}"
hosts="${HOSTS:-4}"
connections="${CONNECTIONS:-200000}"
rate="${RATE:-0.05}"
duration="${DURATION:-75s}"
warmup="${WARMUP:-5s}"
size="${SIZE:-64}"
procs="${PROCS:-12}"
model="${MODEL:-epoll}"
workers="${WORKERS:-3}"
barrier_timeout="${BARRIER_TIMEOUT:-180s}"
per_address="${PER_ADDRESS:-2000}"
port=9000
rendezvous_port=7400

if [[ $(id -u) -ne 0 ]]; then echo "netns-shards: needs root for ip netns (skipped: not root)" >&2; exit 2; fi
command -v ip >/dev/null || { echo "netns-shards: needs iproute2 (ip)" >&2; exit 2; }
[[ -f "$cli" ]] || { echo "netns-shards: $cli is missing; run \`npm run build\` first" >&2; exit 2; }
if (( hosts < 1 || hosts > 200 )); then echo "netns-shards: HOSTS must be 1..200, got $hosts" >&2; exit 2; fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

tag="wsb$$"
switch="$tag-sw"
target_ns="$tag-t"
namespaces=()
pids=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive == 0 )) && break
    sleep 0.1
  done
  # Anything still inside our namespaces is ours (started there by this script): stop it by PID.
  for ns in "${namespaces[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  for ns in "${namespaces[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
  local left
  left=$(ip netns list | awk '{print $1}' | grep -c "^$tag-" || true)
  if (( left > 0 )); then echo "netns-shards: $left namespaces of $tag could not be deleted" >&2; status=1; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

add_namespace() {
  ip netns add "$1"
  namespaces+=("$1")
  ip -n "$1" link set lo up
}

# host index → 10.250.(i+1).1; the target is 10.250.0.1. One /16 on one bridge.
address_of() { echo "10.250.$(( $1 + 1 )).1"; }

echo "== namespaces: bridge in $switch, target in $target_ns, $hosts hosts $tag-h0..$tag-h$((hosts - 1))"
add_namespace "$switch"
ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up
attach() { # namespace, veth name on the bridge side, address
  ip -n "$switch" link add "$2" type veth peer name eth0 netns "$1"
  ip -n "$switch" link set "$2" master br0 up
  ip -n "$1" addr add "$3/16" dev eth0
  ip -n "$1" link set eth0 up
}
# A host's shard: its connections, and the source addresses that carry them (10.250.(i+1).1, .2, …).
shard_size() { echo $(( connections / hosts + ($1 < connections % hosts ? 1 : 0) )); }
address_count() {
  if (( per_address == 0 )); then echo 1; return; fi
  local n=$(( ($(shard_size "$1") + per_address - 1) / per_address ))
  (( n < workers )) && n=$workers
  (( n > 250 )) && n=250
  echo "$n"
}
add_namespace "$target_ns"
attach "$target_ns" vt 10.250.0.1
# The target's accept queue: the seed's somaxconn, set in its namespace only.
ip netns exec "$target_ns" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
for (( i = 0; i < hosts; i++ )); do
  add_namespace "$tag-h$i"
  attach "$tag-h$i" "vh$i" "$(address_of "$i")"
  # connect() and bind() search a source address's ports for a free one, and that search grows with the
  # ports taken: a few thousand connections per address keep every open short (the loopback plan's rule).
  for (( a = 2; a <= $(address_count "$i"); a++ )); do ip -n "$tag-h$i" addr add "10.250.$(( i + 1 )).$a/16" dev eth0; done
  # One source address per host: its whole port range (per namespace) to the one target address.
  ip netns exec "$tag-h$i" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
  # Shard 0 listens for the rendezvous after opening its connections: keep their ports off that one.
  ip netns exec "$tag-h$i" sysctl -qw net.ipv4.ip_local_reserved_ports="$rendezvous_port"
done

binary=$(node -e "import('$PWD/dist/targets/fixture-build.js').then((m) => m.buildGobwasFixture()).then((p) => console.log(p))")
echo "== target: $binary --model $model --procs $procs on 10.250.0.1:$port"
ip netns exec "$target_ns" "$binary" --host 0.0.0.0 --port "$port" --model "$model" --procs "$procs" >"$out/target.log" 2>&1 &
pids+=($!)
target_pid=$!
for _ in $(seq 100); do grep -q '^wsbench-fixture ready' "$out/target.log" && break; sleep 0.1; done
grep -q '^wsbench-fixture ready' "$out/target.log" || { echo "netns-shards: the target did not start:" >&2; tail "$out/target.log" >&2; exit 3; }

rss_kib() { # sum of VmRSS over the PIDs in a namespace
  local total=0 pid kib
  for pid in $(ip netns pids "$1" 2>/dev/null); do
    kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$(( total + ${kib:-0} ))
  done
  echo "$total"
}

echo "== $hosts shards of $connections connections × $rate msg/s × $size B for $duration (warm-up $warmup), $workers driver processes per host"
shard_pids=()
for (( i = 0; i < hosts; i++ )); do
  if [[ "${SKIP_SHARD:-}" == "$i" ]]; then echo "   shard $i/$hosts not started (SKIP_SHARD)"; shard_pids+=(0); continue; fi
  sources=()
  (( per_address > 0 )) && sources=(--source-addresses "10.250.$(( i + 1 )).1-$(address_count "$i")")
  ip netns exec "$tag-h$i" node "$cli" run --url "ws://10.250.0.1:$port/" --shard "$i/$hosts" "${sources[@]}" \
    --connections "$connections" --rate "$rate" --size "$size" --duration "$duration" --warmup "$warmup" --workers "$workers" \
    --rendezvous "$(address_of 0):$rendezvous_port" --barrier-timeout "$barrier_timeout" \
    --json "$out/shard-$i.json" --quiet >"$out/shard-$i.log" 2>&1 &
  pids+=($!)
  shard_pids+=($!)
done

# Memory while the shards run: RSS of every process in each namespace, every 2 s (peak kept in the CSV).
echo "seconds,target_rss_kib,generators_rss_kib" >"$out/memory.csv"
started=$(date +%s)
killed=0
while :; do
  running=0
  for pid in "${shard_pids[@]}"; do (( pid > 0 )) && kill -0 "$pid" 2>/dev/null && running=1; done
  (( running == 0 )) && break
  generators=0
  for (( i = 0; i < hosts; i++ )); do generators=$(( generators + $(rss_kib "$tag-h$i") )); done
  echo "$(( $(date +%s) - started )),$(rss_kib "$target_ns"),$generators" >>"$out/memory.csv"
  if [[ -n "${KILL_SHARD:-}" && $killed -eq 0 ]] && (( $(date +%s) - started >= ${KILL_AFTER:-10} )); then
    echo "   killing shard $KILL_SHARD/$hosts (pid ${shard_pids[$KILL_SHARD]}) and its workers (KILL_SHARD)"
    for pid in $(ip netns pids "$tag-h$KILL_SHARD"); do kill -KILL "$pid" 2>/dev/null || true; done
    killed=1
  fi
  sleep 2
done
kill -0 "$target_pid" 2>/dev/null || { echo "netns-shards: the target died during the run:" >&2; tail "$out/target.log" >&2; exit 3; }
for (( i = 0; i < hosts; i++ )); do
  status=0
  (( ${shard_pids[$i]} > 0 )) && { wait "${shard_pids[$i]}" || status=$?; }
  echo "   shard $i/$hosts exit $status: $(grep -m1 -E 'status:|^wsbench:' "$out/shard-$i.log" 2>/dev/null || echo 'no output')"
done

echo "== merge"
shard_files=()
for (( i = 0; i < hosts; i++ )); do shard_files+=("$out/shard-$i.json"); done
merge_status=0
node "$cli" merge "${shard_files[@]}" --json "$out/merged.json" --md "$out/merged.md" || merge_status=$?

echo "== figures"
node --input-type=module - "$out" "$connections" <<'JS' | tee "$out/figures.txt"
import { existsSync, readFileSync } from 'node:fs';
const [dir, asked] = process.argv.slice(2);
if (!existsSync(`${dir}/merged.json`)) process.exit(0);
const merged = JSON.parse(readFileSync(`${dir}/merged.json`, 'utf8'));
const rows = readFileSync(`${dir}/memory.csv`, 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
const peak = (column) => Math.max(0, ...rows.map((row) => row[column]));
const established = merged.connections.established;
const kib = (bytes) => (bytes / 1024).toFixed(2);
const measured = (merged.scenario.durationMs - merged.scenario.warmupMs) / 1000;
console.log(`shards          ${merged.shards.filter((s) => s.merged).length} of ${merged.shards.length} merged${merged.partial ? ' (PARTIAL)' : ''}: ${merged.shards.map((s) => `${s.index}:${s.status}`).join(' ')}`);
console.log(`connections     ${established} established of ${asked} asked; failed ${merged.connections.failed} ${JSON.stringify(merged.connections.errorsByCode)}, dropped ${merged.connections.dropped}`);
console.log(`time to open    ${(merged.connections.openMs / 1000).toFixed(1)} s (slowest shard; shards open in parallel)`);
console.log(`held            ${(merged.scenario.durationMs / 1000).toFixed(0)} s after the barrier (${measured.toFixed(0)} s measured) at ${merged.scenario.ratePerConnection} msg/s per connection: ${merged.messages.received} of ${merged.messages.sent} echoed, ${merged.messages.timedOut} timed out; ${merged.throughput.achievedPerSec.toFixed(0)} of ${merged.throughput.offeredPerSec.toFixed(0)} msg/s`);
console.log(`latency (ms)    p50 ${merged.latencyMs?.p50} p90 ${merged.latencyMs?.p90} p99 ${merged.latencyMs?.p99} p99.9 ${merged.latencyMs?.p999} max ${merged.latencyMs?.max} (merged histogram of all shards)`);
if (established > 0) {
  console.log(`generator mem   ${kib((peak(2) * 1024) / established)} KiB RSS per connection (peak ${(peak(2) / 1024).toFixed(0)} MiB over all hosts' processes); JS heap ${kib(merged.generator.heapBytesPerConnection ?? 0)} KiB per connection`);
  console.log(`server mem      ${kib((peak(1) * 1024) / established)} KiB RSS per connection (peak ${(peak(1) / 1024).toFixed(0)} MiB, all target processes, base included)`);
}
console.log(`generator       ${merged.generator.workers} driver processes, send lag p99 ${merged.generator.sendLagP99Ms} ms, busiest event loop ${(merged.generator.eventLoopUtilization * 100).toFixed(0)}%, saturated ${merged.generator.saturated}`);
for (const shard of merged.shards) if (shard.problem) console.log(`! ${shard.problem}`);
JS
exit "$merge_status"
