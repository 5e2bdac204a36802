#!/usr/bin/env bash
# Checks, and as root applies, the kernel and process limits wsbench needs to open 100,000+ WebSocket
# connections from one Linux machine. `check` only reads. `apply` changes the running kernel only; to
# keep the values after a reboot, put them in /etc/sysctl.d/90-wsbench.conf.
#
# Reads /proc/sys directly because the sysctl binary may be absent (minimal containers).
# WSBENCH_PROC_SYS points the script at another tree; tests use it to run `apply` on a copy.
set -euo pipefail

readonly PROC_SYS="${WSBENCH_PROC_SYS:-/proc/sys}"
readonly SCRIPT_NAME="${0##*/}"

# One fd per connection in the driver and one in the target, plus a reserve: 100K connections in
# one process need ~100K descriptors. Below this wsbench still works by splitting the load across
# processes (see src/plan/preflight.ts), so a low value costs processes, not correctness.
readonly RECOMMENDED_NOFILE=131072

# name|rule|recommended|why. Rules: min (current >= recommended), max (current <= recommended),
# eq (current == recommended), span (a port range at least as wide as the recommended one).
readonly SYSCTLS=(
  # Caps every listen() backlog: a burst of thousands of handshakes overflows the accept queue,
  # and dropped SYNs come back after a 1 s retransmit that looks like server latency.
  'net.core.somaxconn|min|4096'
  # Queue of half-open connections (SYN received, handshake not finished); same burst, one step earlier.
  'net.ipv4.tcp_max_syn_backlog|min|8192'
  # 1 lets connect() reuse TIME_WAIT ports for any destination, so back-to-back scenarios against a
  # remote target do not run out of ports; 2 (the kernel default) does so for loopback only.
  'net.ipv4.tcp_tw_reuse|eq|1'
  # Orphaned FIN_WAIT_2 sockets hold memory and a port for this long after the driver closes them;
  # the default 60 s carries them into the next scenario.
  'net.ipv4.tcp_fin_timeout|max|10'
  # System-wide open files: driver and target together hold two per connection on one machine.
  'fs.file-max|min|1048576'
  # Ceiling for any process's hard open-files limit; ulimit -Hn cannot go above it.
  'fs.nr_open|min|1048576'
  # Ports per source-address/destination pair. wsbench spreads connections across 127.0.0.2, .3, ...
  # so the default 28,232 ports is enough; a narrower range only means more source addresses.
  'net.ipv4.ip_local_port_range|span|32768 60999'
  # Not in the table: TCP memory (net.ipv4.tcp_mem) is sized from RAM at boot and is ample for idle
  # connections; change it only when dmesg reports "TCP: out of memory".
)

usage() {
  cat <<EOF
Usage: ${SCRIPT_NAME} [check|apply|--help]

Checks the limits that decide how many connections wsbench can open from this machine.

  check   (default) print each setting: current value, recommended value, status
          (ok, low, cannot-change-here, unknown). Changes nothing. Exit 0.
  apply   as root: raise every sysctl below its recommendation, print each change as
          "name: old -> new" and each failure with its reason. Exit 0 when all were set,
          1 when any failed, 2 when not root. The open-files limit (ulimit -n) cannot be
          raised for the shell that started this script; apply prints how to raise it.
  -h, --help
          print this help.

Environment: WSBENCH_PROC_SYS  read and write this tree instead of /proc/sys.
EOF
}

sysctl_path() {
  printf '%s/%s' "${PROC_SYS}" "${1//.//}"
}

# Prints the current value with runs of whitespace squeezed (the port range is tab-separated),
# or nothing when the setting does not exist here.
read_sysctl() {
  local path
  path="$(sysctl_path "$1")"
  [[ -r "${path}" ]] || return 0
  tr -s '[:space:]' ' ' <"${path}" | sed 's/ $//'
}

# Exit 0 when `current` satisfies `rule` against `recommended`.
meets() {
  local rule="$1" current="$2" recommended="$3"
  case "${rule}" in
    min) ((current >= recommended)) ;;
    max) ((current <= recommended)) ;;
    eq) ((current == recommended)) ;;
    span)
      local low high rec_low rec_high
      read -r low high <<<"${current}"
      read -r rec_low rec_high <<<"${recommended}"
      ((high - low >= rec_high - rec_low))
      ;;
    *) return 1 ;;
  esac
}

describe_rule() {
  case "$1" in
    min) printf '>= %s' "$2" ;;
    max) printf '<= %s' "$2" ;;
    eq) printf '%s' "$2" ;;
    span)
      local low high
      read -r low high <<<"$2"
      printf '>= %d ports' "$((high - low + 1))"
      ;;
    *) printf '%s' "$2" ;;
  esac
}

sysctl_status() {
  local name="$1" rule="$2" recommended="$3" current="$4" path
  path="$(sysctl_path "${name}")"
  if [[ -z "${current}" ]]; then
    printf 'unknown'
  elif meets "${rule}" "${current}" "${recommended}"; then
    printf 'ok'
  elif ((EUID == 0)) && [[ ! -w "${path}" ]]; then
    printf 'cannot-change-here'
  else
    printf 'low'
  fi
}

# The hard limit can be raised only with CAP_SYS_RESOURCE; try it in a subshell, which is discarded.
hard_nofile_raisable() {
  (ulimit -Hn "${RECOMMENDED_NOFILE}") 2>/dev/null
}

nofile_status() {
  local current="$1"
  if [[ "${current}" == unlimited ]] || ((current >= RECOMMENDED_NOFILE)); then
    printf 'ok'
  elif hard_nofile_raisable; then
    printf 'low'
  else
    local hard
    hard="$(ulimit -Hn)"
    # The soft limit can still rise to a hard limit that is high enough.
    if [[ "${hard}" == unlimited ]] || ((hard >= RECOMMENDED_NOFILE)); then
      printf 'low'
    else
      printf 'cannot-change-here'
    fi
  fi
}

print_row() {
  printf '%-30s %-14s %-20s %s\n' "$1" "$2" "$3" "$4"
}

check() {
  local soft hard entry name rule recommended shown current status nofile_ok=1 sysctls_ok=1
  soft="$(ulimit -Sn)"
  hard="$(ulimit -Hn)"
  print_row setting current recommended status
  status="$(nofile_status "${soft}")"
  [[ "${status}" == ok ]] || nofile_ok=0
  print_row 'ulimit -n (soft)' "${soft}" ">= ${RECOMMENDED_NOFILE}" "${status}"
  status="$(nofile_status "${hard}")"
  [[ "${status}" == ok ]] || nofile_ok=0
  print_row 'ulimit -n (hard)' "${hard}" ">= ${RECOMMENDED_NOFILE}" "${status}"
  for entry in "${SYSCTLS[@]}"; do
    IFS='|' read -r name rule recommended <<<"${entry}"
    current="$(read_sysctl "${name}")"
    status="$(sysctl_status "${name}" "${rule}" "${recommended}" "${current}")"
    [[ "${status}" == ok ]] || sysctls_ok=0
    shown="$(describe_rule "${rule}" "${recommended}")"
    print_row "${name}" "${current:-unavailable}" "${shown}" "${status}"
  done
  ((sysctls_ok)) || printf '\nRaise the low sysctls with: sudo %s apply\n' "$0"
  ((nofile_ok)) || print_nofile_advice
  if ((!sysctls_ok || !nofile_ok)); then
    printf '\nwsbench still runs below these values: it splits connections across processes and\n'
    printf 'source addresses, and its preflight warns with the numbers before a run.\n'
  fi
}

print_nofile_advice() {
  local soft hard
  soft="$(ulimit -Sn)"
  hard="$(ulimit -Hn)"
  if [[ "${soft}" != unlimited ]] && ((soft < RECOMMENDED_NOFILE)); then
    cat <<EOF

ulimit -n: soft ${soft}, hard ${hard}, recommended ${RECOMMENDED_NOFILE}. A script cannot raise the limit
of the shell that started it; raise it where wsbench runs:
  - in that shell:      ulimit -n ${RECOMMENDED_NOFILE}   (up to the hard limit; above it needs root)
  - login sessions:     /etc/security/limits.conf:  *  -  nofile  ${RECOMMENDED_NOFILE}
  - systemd services:   LimitNOFILE=${RECOMMENDED_NOFILE} in the unit's [Service] section
  - containers:         docker run --ulimit nofile=${RECOMMENDED_NOFILE}:${RECOMMENDED_NOFILE}
The hard limit cannot exceed fs.nr_open. Without this, wsbench uses more processes.
EOF
  fi
}

# Writes the recommended value of every sysctl that does not meet it, then reads it back: the kernel
# may clamp a value or refuse it in a container without failing the write.
apply() {
  if ((EUID != 0)); then
    printf '%s apply: must run as root (it writes %s); try: sudo %s apply\n' \
      "${SCRIPT_NAME}" "${PROC_SYS}" "$0" >&2
    return 2
  fi
  local entry name rule recommended current path error after changed=0 failed=0
  for entry in "${SYSCTLS[@]}"; do
    IFS='|' read -r name rule recommended <<<"${entry}"
    current="$(read_sysctl "${name}")"
    path="$(sysctl_path "${name}")"
    if [[ -z "${current}" ]]; then
      printf '%s: not changed: %s does not exist here\n' "${name}" "${path}" >&2
      failed=$((failed + 1))
      continue
    fi
    meets "${rule}" "${current}" "${recommended}" && continue
    if ! error="$( { printf '%s\n' "${recommended}" >"${path}"; } 2>&1)"; then
      printf '%s: not changed (%s -> %s failed): %s\n' "${name}" "${current}" "${recommended}" \
        "${error:-write refused}" >&2
      failed=$((failed + 1))
      continue
    fi
    after="$(read_sysctl "${name}")"
    if [[ "${after}" != "${recommended}" ]]; then
      printf '%s: not changed (%s -> %s): the kernel kept %s\n' "${name}" "${current}" "${recommended}" \
        "${after}" >&2
      failed=$((failed + 1))
      continue
    fi
    printf '%s: %s -> %s\n' "${name}" "${current}" "${after}"
    changed=$((changed + 1))
  done
  printf '%d sysctl(s) changed, %d failed.\n' "${changed}" "${failed}"
  print_nofile_advice
  ((failed == 0)) || return 1
}

main() {
  local command="${1:-check}"
  case "${command}" in
    check) check ;;
    apply) apply ;;
    -h | --help | help) usage ;;
    *)
      printf '%s: unknown command "%s"; expected check, apply or --help\n' "${SCRIPT_NAME}" "${command}" >&2
      usage >&2
      return 2
      ;;
  esac
}

main "$@"
