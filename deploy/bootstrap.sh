#!/usr/bin/env bash
# Installs the pinned uv (from PyPI) into .data/bootstrap when the machine has no such uv,
# then installs the workspace's locked dependencies. Prints the path of the uv it used.
#
#   deploy/bootstrap.sh            install tools and dependencies; print the uv path last
set -euo pipefail

SIGAP_LOG_TAG=bootstrap
# shellcheck source=deploy/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

readonly UV_VERSION="0.9.30"
readonly TOOLS="$SIGAP_DATA_DIR/bootstrap"

find_python() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  die "Python 3.11 is required (python3.11 or python3 on PATH)"
}

uv_path() {
  if [[ -x "$TOOLS/bin/uv" ]] && [[ "$("$TOOLS/bin/uv" --version 2>/dev/null)" == "uv $UV_VERSION"* ]]; then
    echo "$TOOLS/bin/uv"
    return 0
  fi
  local python
  python="$(find_python)"
  say "installing uv $UV_VERSION into $TOOLS" >&2
  rm -rf "$TOOLS"
  if ! "$python" -m venv "$TOOLS" >&2 2>/dev/null; then
    # Debian's system Python needs python3-venv for `-m venv`.
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
      apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
      "$python" -m venv "$TOOLS" >&2
    else
      die "cannot create a virtualenv; install python3-venv"
    fi
  fi
  "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" >&2
  echo "$TOOLS/bin/uv"
}

main() {
  local uv
  uv="$(uv_path)"
  (cd "$SIGAP_REPO_ROOT" && "$uv" sync --frozen --python "$(find_python)" --quiet) >&2
  echo "$uv"
}

main "$@"
