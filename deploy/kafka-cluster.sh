#!/usr/bin/env bash
# A 3-node KRaft Kafka cluster on this machine, for tests of replication: each node is a broker
# and a controller on its own loopback ports and data directory, started by deploy/kafka.sh
# from the same jars. Topics get 3 copies, 2 of which must hold a record before it is
# acknowledged, so the cluster keeps taking writes with one node down.
#
#   deploy/kafka-cluster.sh start          start the three nodes (formatting them the first time)
#                                          and wait until every one has joined
#   deploy/kafka-cluster.sh stop           stop the three nodes
#   deploy/kafka-cluster.sh status         exit 0 when all three answer
#   deploy/kafka-cluster.sh stop-node N    stop node N (1-3): SIGTERM, a controlled shutdown
#   deploy/kafka-cluster.sh start-node N   start node N again and wait until it answers
#   deploy/kafka-cluster.sh bootstrap      print the bootstrap servers (host:port,host:port,...)
#
# Settings (besides deploy/env.sh's): SIGAP_KAFKA_CLUSTER_PORTS (three client ports, default
# "19092 19093 19094"), SIGAP_KAFKA_CLUSTER_CONTROLLER_PORTS (default "19192 19193 19194"),
# SIGAP_KAFKA_CLUSTER_HEAP_OPTS (default "-Xms128m -Xmx512m" per node).
# State lives in $SIGAP_DATA_DIR/kafka-<port>/ per node, as for a single broker, plus
# $SIGAP_DATA_DIR/kafka-cluster-<first port>.id, the cluster id all three are formatted with.
set -euo pipefail

SIGAP_LOG_TAG=kafka-cluster
# shellcheck source=deploy/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

: "${SIGAP_KAFKA_CLUSTER_PORTS:=19092 19093 19094}"
: "${SIGAP_KAFKA_CLUSTER_CONTROLLER_PORTS:=19192 19193 19194}"
: "${SIGAP_KAFKA_CLUSTER_HEAP_OPTS:=-Xms128m -Xmx512m}"

read -r -a PORTS <<<"${SIGAP_KAFKA_CLUSTER_PORTS//,/ }"
read -r -a CONTROLLER_PORTS <<<"${SIGAP_KAFKA_CLUSTER_CONTROLLER_PORTS//,/ }"
((${#PORTS[@]} == 3 && ${#CONTROLLER_PORTS[@]} == 3)) ||
  die "SIGAP_KAFKA_CLUSTER_PORTS and SIGAP_KAFKA_CLUSTER_CONTROLLER_PORTS need three ports each"
readonly KAFKA_SH="$SIGAP_DEPLOY_DIR/kafka.sh"
readonly CLUSTER_ID_FILE="$SIGAP_DATA_DIR/kafka-cluster-${PORTS[0]}.id"

usage() {
  echo "usage: $0 {start|stop|status|bootstrap|stop-node N|start-node N}" >&2
  exit 2
}

voters() {
  local i list=""
  for i in 0 1 2; do
    list+="${list:+,}$((i + 1))@$SIGAP_KAFKA_HOST:${CONTROLLER_PORTS[$i]}"
  done
  echo "$list"
}

bootstrap() {
  local port list=""
  for port in "${PORTS[@]}"; do
    list+="${list:+,}$SIGAP_KAFKA_HOST:$port"
  done
  echo "$list"
}

cluster_id() {
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    mkdir -p "$SIGAP_DATA_DIR"
    # A cluster id is 16 random bytes in unpadded base64url: 22 characters. Like Kafka's own
    # random-uuid, never one that starts with "-": command-line parsers would read it as an option.
    local id=""
    while [[ ! "$id" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]{21}$ ]]; do
      id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    echo "$id" >"$CLUSTER_ID_FILE"
  fi
  cat "$CLUSTER_ID_FILE"
}

# Runs deploy/kafka.sh as node N (1-3).
node() {
  local n="$1"
  shift
  [[ "$n" =~ ^[123]$ ]] || die "node must be 1, 2 or 3 (got '$n')"
  SIGAP_KAFKA_PORT="${PORTS[$((n - 1))]}" \
    SIGAP_KAFKA_CONTROLLER_PORT="${CONTROLLER_PORTS[$((n - 1))]}" \
    SIGAP_KAFKA_NODE_ID="$n" \
    SIGAP_KAFKA_QUORUM_VOTERS="$(voters)" \
    SIGAP_KAFKA_CLUSTER_ID="$(cluster_id)" \
    SIGAP_KAFKA_REPLICATION_FACTOR=3 \
    SIGAP_KAFKA_MIN_INSYNC_REPLICAS=2 \
    SIGAP_KAFKA_HEAP_OPTS="$SIGAP_KAFKA_CLUSTER_HEAP_OPTS" \
    SIGAP_LOG_TAG="kafka-node-$n" \
    bash "$KAFKA_SH" "$@"
}

cmd_start() {
  bash "$KAFKA_SH" install
  local n
  # A node cannot finish starting before a majority of controllers is up: launch all, then wait.
  for n in 1 2 3; do node "$n" launch; done
  for n in 1 2 3; do node "$n" wait; done
  say "cluster ready on $(bootstrap)"
}

cmd_stop() {
  local n
  # All at once: a node shuts down in order only while a majority of controllers is there.
  for n in 1 2 3; do node "$n" stop & done
  wait
}

cmd_status() {
  local n failed=0
  for n in 1 2 3; do node "$n" status || failed=1; done
  return "$failed"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  bootstrap) bootstrap ;;
  stop-node) node "${2:-}" stop ;;
  start-node) node "${2:-}" start ;;
  *) usage ;;
esac
