#!/usr/bin/env bash
# Installs, once, the offline Kubernetes schema validator the manifest tests run (PyPI kubernetes-validate,
# pinned in test/k8s/requirements.txt; it ships the API schemas, so validating needs no cluster and no
# network) and prints the path of the python that runs it (`python -m kubernetes_validate`). The venv lives in the cache folder (WSBENCH_CACHE_DIR,
# default .cache/) under a name derived from the requirements, so a new pin gets a new venv.
# Used by .ci/run and by test/unit/k8s-manifests.test.ts (both install on first use; --lookup only looks).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
requirements="$root/test/k8s/requirements.txt"
cache=${WSBENCH_CACHE_DIR:-$root/.cache}
hash=$(sha1sum "$requirements" | cut -c1-12)
venv="$cache/k8s-validator-$hash"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import kubernetes_validate' 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--lookup" ]; then
  echo "setup-k8s-validator.sh: the validator is not installed; run bash scripts/setup-k8s-validator.sh once (it needs PyPI)" >&2
  exit 1
fi
command -v python3 >/dev/null 2>&1 || { echo "setup-k8s-validator.sh: python3 is missing (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/k8s-validator-tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp" >&2 || { echo "setup-k8s-validator.sh: 'python3 -m venv' failed; install python3-venv" >&2; exit 1; }
"$tmp/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 || { echo "setup-k8s-validator.sh: pip could not install $(cat "$requirements") (is PyPI reachable?)" >&2; exit 1; }
# Built aside and renamed (a concurrent run either wins the rename or keeps its own copy out of the way);
# callers run `$venv/bin/python -m kubernetes_validate`, which does not depend on the venv's path.
mv -T "$tmp" "$venv" 2>/dev/null || true
echo "$venv/bin/python"
