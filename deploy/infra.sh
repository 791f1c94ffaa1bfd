#!/usr/bin/env bash
# All local infrastructure at once: Kafka and PostgreSQL.
#
#   deploy/infra.sh up       start both (side by side) and print where they listen
#   deploy/infra.sh down     stop both
#   deploy/infra.sh status   exit 0 when both answer
#
# Takes the same SIGAP_* settings as deploy/kafka.sh and deploy/postgres.sh (see deploy/env.sh).
set -euo pipefail

SIGAP_LOG_TAG=infra
# shellcheck source=deploy/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

readonly KAFKA="$SIGAP_DEPLOY_DIR/kafka.sh"
readonly POSTGRES="$SIGAP_DEPLOY_DIR/postgres.sh"

usage() {
  echo "usage: $0 {up|down|status}" >&2
  exit 2
}

# Run "kafka.sh <kafka_cmd>" and "postgres.sh <pg_cmd>" in parallel; fail if either fails.
both() {
  local kafka_cmd="$1" pg_cmd="$2" kafka_pid pg_pid failed=0
  "$KAFKA" "$kafka_cmd" &
  kafka_pid=$!
  "$POSTGRES" "$pg_cmd" &
  pg_pid=$!
  wait "$kafka_pid" || failed=1
  wait "$pg_pid" || failed=1
  return "$failed"
}

cmd_up() {
  local started=$SECONDS
  both start start || die "infrastructure did not come up; see the messages above"
  say "up in $((SECONDS - started))s"
  local db
  echo
  echo "  Kafka bootstrap:  $SIGAP_KAFKA_HOST:$SIGAP_KAFKA_PORT"
  echo "  PostgreSQL:       $SIGAP_PG_HOST:$SIGAP_PG_PORT  user $SIGAP_PG_USER"
  for db in $SIGAP_PG_DATABASES; do
    echo "    postgresql://$SIGAP_PG_USER:$SIGAP_PG_PASSWORD@$SIGAP_PG_HOST:$SIGAP_PG_PORT/$db"
  done
  echo "  State and logs:   $SIGAP_DATA_DIR"
}

cmd_down() {
  both stop stop || die "could not stop everything; see the messages above"
}

cmd_status() {
  both status status
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) usage ;;
esac
