#!/usr/bin/env bash
# What the web service and its browser tests need besides Python: the JavaScript libraries it
# serves (npm, from services/web/package-lock.json) and Debian's Chromium for the real-browser
# tests (Playwright drives /usr/bin/chromium; it never downloads a browser of its own).
#
#   deploy/web.sh install     npm ci when node_modules is missing or older than the lockfile,
#                             and apt-get install chromium when it is missing
#   deploy/web.sh assets      only the npm part
#   deploy/web.sh chromium    only the Chromium part
#
# Settings: SIGAP_CHROMIUM (default /usr/bin/chromium).
set -euo pipefail

SIGAP_LOG_TAG=web
# shellcheck source=deploy/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

readonly WEB_DIR="$SIGAP_REPO_ROOT/services/web"
readonly STAMP="$WEB_DIR/node_modules/.sigap-lock.sha256"
: "${SIGAP_CHROMIUM:=/usr/bin/chromium}"

lock_digest() { sha256sum "$WEB_DIR/package-lock.json" | awk '{print $1}'; }

cmd_assets() {
  command -v npm >/dev/null || die "npm is needed for the web service's JavaScript libraries (install Node.js 20 and npm)"
  if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(lock_digest)" ]]; then
    return 0
  fi
  say "installing the web service's JavaScript libraries (npm ci)"
  # --ignore-scripts: the libraries are served as files; none of their install scripts is needed.
  (cd "$WEB_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  lock_digest >"$STAMP"
}

cmd_chromium() {
  if [[ -x "$SIGAP_CHROMIUM" ]]; then
    return 0
  fi
  local -a sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "Chromium not found at $SIGAP_CHROMIUM, and not root: install Debian's 'chromium' package"
    sudo=(sudo -n)
  fi
  say "Chromium not found; installing Debian's chromium package for the browser tests"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  [[ -x "$SIGAP_CHROMIUM" ]] || die "apt-get installed chromium, yet $SIGAP_CHROMIUM is missing; set SIGAP_CHROMIUM"
  say "installed $("$SIGAP_CHROMIUM" --version 2>/dev/null || echo chromium)"
}

case "${1:-}" in
  install)
    cmd_assets
    cmd_chromium
    ;;
  assets) cmd_assets ;;
  chromium) cmd_chromium ;;
  *)
    echo "usage: $0 {install|assets|chromium}" >&2
    exit 2
    ;;
esac
