#!/usr/bin/env bash
# Runs the whole test suite against real Kafka and PostgreSQL: starts them once for the
# session (or reuses running ones) and stops what it started, whatever the outcome.
#
#   deploy/test.sh [pytest args...]
set -euo pipefail

SIGAP_LOG_TAG=test
# shellcheck source=deploy/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

UV="$("$SIGAP_DEPLOY_DIR/bootstrap.sh")"
# The web pages' npm libraries, and Debian's Chromium for the browser tests.
"$SIGAP_DEPLOY_DIR/web.sh" install

started_infra=0
if ! "$SIGAP_DEPLOY_DIR/infra.sh" status >/dev/null 2>&1; then
  started_infra=1
fi
stop_infra() {
  if ((started_infra)); then
    "$SIGAP_DEPLOY_DIR/infra.sh" down || true
  fi
}
trap stop_infra EXIT
"$SIGAP_DEPLOY_DIR/infra.sh" up

cd "$SIGAP_REPO_ROOT"
set +e
"$UV" run --frozen --no-sync pytest "$@"
status=$?
set -e
if ((status == 5)); then
  say "pytest collected no tests: that is a failure"
  status=1
fi
exit "$status"
