#!/usr/bin/env bash
# Installs actionlint (the GitHub Actions workflow linter) into <repo>/.cache/bin, built from source
# through the Go module proxy: CI machines reach the proxy but not GitHub's release downloads.
# Idempotent: does nothing when the pinned version is already there. Prints the binary's path last.
#
# ACTIONLINT_VERSION overrides the pin (tests keep the pin); ACTIONLINT_BIN_DIR moves the install.
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Pinned: newer releases add checks, and a lint that changes under us fails unrelated pull requests.
# Bump on purpose (`go list -m -versions github.com/rhysd/actionlint`), then run the workflow tests.
readonly VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
readonly BIN_DIR="${ACTIONLINT_BIN_DIR:-${REPO_ROOT}/.cache/bin}"
readonly BIN="${BIN_DIR}/actionlint"

installed_version() {
  # `actionlint -version` prints the version on its first line ("1.7.12" or "v1.7.12").
  "$BIN" -version 2>/dev/null | head -n 1 | sed 's/^v//'
}

if [ -x "$BIN" ] && [ "$(installed_version)" = "${VERSION#v}" ]; then
  echo "actionlint ${VERSION} already installed" >&2
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-actionlint: Go is required to build actionlint ${VERSION}, and \`go\` is not on PATH." >&2
  echo "  Fix: install Go (go.dev/doc/install, or the toolchain .ci/run installs) and run this again." >&2
  exit 1
fi

echo "Installing actionlint ${VERSION} into ${BIN_DIR} (go install through the module proxy)" >&2
mkdir -p "$BIN_DIR"
# A fixed version in the module path makes go install ignore any go.mod in the working directory;
# GOTOOLCHAIN=auto lets a Go older than actionlint's go.mod (1.25) fetch that toolchain (also a module).
# The binary reports the module version from its build info, which the check above reads.
GOBIN="$BIN_DIR" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" \
  go install "github.com/rhysd/actionlint/cmd/actionlint@${VERSION}"

if [ "$(installed_version)" != "${VERSION#v}" ]; then
  echo "install-actionlint: built ${BIN}, but it reports version '$(installed_version)', expected ${VERSION#v}." >&2
  exit 1
fi
echo "$BIN"
