#!/usr/bin/env bash
# Creates, once, the Python venv the test servers run in (websockets pinned in requirements.txt) and prints
# its python on stdout. The venv lives in the cache folder (WSBENCH_CACHE_DIR, default .cache/) under a name
# derived from requirements.txt, so a new pin gets a new venv. Used by test/support/python-server.ts and .ci/run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${WSBENCH_CACHE_DIR:-$root/.cache}
hash=$(sha1sum "$here/requirements.txt" | cut -c1-12)
venv="$cache/python-venv-$hash"
if [ -x "$venv/bin/python" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "setup-venv.sh: python3 is missing; the test servers need it. Install it (Debian: apt-get install python3 python3-venv) or set WSBENCH_PYTHON to a python that has $(cat "$here/requirements.txt")" >&2
  exit 1
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/python-venv-tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! python3 -m venv "$tmp" >&2; then
  echo "setup-venv.sh: 'python3 -m venv' failed; install the venv module (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
if ! "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2; then
  echo "setup-venv.sh: pip could not install $(cat "$here/requirements.txt") (is PyPI reachable?)" >&2
  exit 1
fi
# Built aside and renamed: a concurrent run either wins the rename or keeps its own copy out of the way.
mv -T "$tmp" "$venv" 2>/dev/null || true
echo "$venv/bin/python"
