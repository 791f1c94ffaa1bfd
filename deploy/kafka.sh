#!/usr/bin/env bash
# A local single-node Kafka broker (KRaft mode), run straight from the jars on Maven Central.
#
#   deploy/kafka.sh install   fetch the broker jars into $SIGAP_KAFKA_LIBS (no-op when present)
#   deploy/kafka.sh start     install, format storage the first time, start, wait until it answers
#   deploy/kafka.sh launch    the same without waiting (the nodes of a cluster wait for each other)
#   deploy/kafka.sh stop      stop the broker this data dir started (SIGTERM, then SIGKILL)
#   deploy/kafka.sh status    exit 0 when a broker answers on the port
#   deploy/kafka.sh wait      wait until a broker answers on the port (and, when this data dir
#                             started it, until it logged that it started)
#
# Settings (see deploy/env.sh): SIGAP_DATA_DIR, SIGAP_KAFKA_HOST, SIGAP_KAFKA_PORT,
# SIGAP_KAFKA_CONTROLLER_PORT, SIGAP_KAFKA_LIBS, SIGAP_KAFKA_VERSION, SIGAP_KAFKA_HEAP_OPTS,
# SIGAP_KAFKA_START_TIMEOUT, SIGAP_STOP_TIMEOUT; for one node of a cluster (deploy/kafka-cluster.sh
# sets them): SIGAP_KAFKA_NODE_ID, SIGAP_KAFKA_QUORUM_VOTERS, SIGAP_KAFKA_CLUSTER_ID,
# SIGAP_KAFKA_REPLICATION_FACTOR, SIGAP_KAFKA_MIN_INSYNC_REPLICAS.
#
# State of one instance lives in $SIGAP_DATA_DIR/kafka-<port>/: server.properties, kafka.log
# (the broker's stdout), kafka.pid, cluster.id and data/ (log.dirs). The jars are shared.
set -euo pipefail

SIGAP_LOG_TAG=kafka
# shellcheck source=deploy/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

readonly INSTANCE_DIR="$SIGAP_DATA_DIR/kafka-$SIGAP_KAFKA_PORT"
readonly CONFIG_FILE="$INSTANCE_DIR/server.properties"
readonly LOG_FILE="$INSTANCE_DIR/kafka.log"
readonly PID_FILE="$INSTANCE_DIR/kafka.pid"
readonly CLUSTER_ID_FILE="$INSTANCE_DIR/cluster.id"
readonly LOG_DIRS="$INSTANCE_DIR/data"
readonly MARKER_FILE="$SIGAP_KAFKA_LIBS/.sigap-installed"
readonly TEMPLATE_FILE="$SIGAP_DEPLOY_DIR/kafka/server.properties.template"
readonly LOG4J_FILE="$SIGAP_DEPLOY_DIR/kafka/log4j.properties"
readonly LOG4J_TOOLS_FILE="$SIGAP_DEPLOY_DIR/kafka/log4j-tools.properties"
readonly POM_FILE="$SIGAP_DEPLOY_DIR/kafka/pom.xml"
readonly ADDRESS="$SIGAP_KAFKA_HOST:$SIGAP_KAFKA_PORT"
# A single node unless a cluster script says otherwise.
readonly NODE_ID="${SIGAP_KAFKA_NODE_ID:-1}"
readonly QUORUM_VOTERS="${SIGAP_KAFKA_QUORUM_VOTERS:-1@$SIGAP_KAFKA_HOST:$SIGAP_KAFKA_CONTROLLER_PORT}"
readonly REPLICATION_FACTOR="${SIGAP_KAFKA_REPLICATION_FACTOR:-1}"
readonly MIN_INSYNC_REPLICAS="${SIGAP_KAFKA_MIN_INSYNC_REPLICAS:-1}"

usage() {
  echo "usage: $0 {install|start|launch|stop|status|wait}" >&2
  exit 2
}

# --- install -------------------------------------------------------------------------------

# The marker records the version asked for and the one actually fetched (a fallback may differ).
installed_version() {
  [[ -f "$MARKER_FILE" ]] || return 1
  local requested="" installed=""
  requested="$(sed -n 's/^requested=//p' "$MARKER_FILE")"
  installed="$(sed -n 's/^installed=//p' "$MARKER_FILE")"
  [[ "$requested" == "$SIGAP_KAFKA_VERSION" && -n "$installed" ]] || return 1
  compgen -G "$SIGAP_KAFKA_LIBS/kafka_2.13-$installed.jar" >/dev/null || return 1
  echo "$installed"
}

# Copy kafka_2.13:<version> and its dependencies into <dir>: from ~/.m2 alone when it can,
# otherwise from Maven Central. Maven's output is kept out of sight unless it fails.
fetch_jars() {
  local version="$1" dir="$2" out
  out="$(mktemp)"
  local -a args=(-B -q -Dstyle.color=never -f "$POM_FILE" "-Dkafka.version=$version"
    dependency:copy-dependencies "-DoutputDirectory=$dir" -DincludeScope=runtime)
  if mvn -o "${args[@]}" >"$out" 2>&1 || mvn -U "${args[@]}" >"$out" 2>&1; then
    rm -f "$out"
    return 0
  fi
  warn "Maven could not fetch kafka_2.13 $version:"
  sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -m 1 '\[ERROR\] .' >&2 || tail -n 5 "$out" >&2
  rm -f "$out"
  return 1
}

cmd_install() {
  local version
  if version="$(installed_version)"; then
    say "jars for Kafka $version already in $SIGAP_KAFKA_LIBS"
    return 0
  fi
  command -v java >/dev/null || die "java not found; install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)"
  command -v mvn >/dev/null || die "mvn not found; install Maven (apt-get install -y maven)"

  # Several instances may start at once and share the jars: one installs, the others wait.
  mkdir -p "$(dirname "$SIGAP_KAFKA_LIBS")"
  exec 9>"$SIGAP_KAFKA_LIBS.lock"
  flock 9
  if version="$(installed_version)"; then
    say "jars for Kafka $version already in $SIGAP_KAFKA_LIBS"
    exec 9>&-
    return 0
  fi

  local -a candidates=("$SIGAP_KAFKA_VERSION")
  [[ "$SIGAP_KAFKA_VERSION" == "3.9.1" ]] && candidates+=("3.9.0")
  local tmp
  tmp="$(mktemp -d "$SIGAP_KAFKA_LIBS.tmp.XXXXXX")"
  version=""
  for candidate in "${candidates[@]}"; do
    say "fetching Kafka $candidate jars with Maven into $SIGAP_KAFKA_LIBS"
    if fetch_jars "$candidate" "$tmp"; then
      version="$candidate"
      break
    fi
    rm -rf "${tmp:?}"/*
  done
  if [[ -z "$version" ]]; then
    rm -rf "$tmp"
    exec 9>&-
    die "could not fetch the Kafka jars (tried ${candidates[*]})"
  fi
  printf 'requested=%s\ninstalled=%s\n' "$SIGAP_KAFKA_VERSION" "$version" >"$tmp/.sigap-installed"
  rm -rf "$SIGAP_KAFKA_LIBS"
  chmod 755 "$tmp"
  mv "$tmp" "$SIGAP_KAFKA_LIBS"
  exec 9>&-
  say "installed Kafka $version ($(find "$SIGAP_KAFKA_LIBS" -name '*.jar' | wc -l) jars)"
}

# --- probing -------------------------------------------------------------------------------

# True when a Kafka broker answers an ApiVersions request (v0) on host:port with no error.
# Plain bash, so it costs milliseconds rather than a JVM start.
kafka_answers() {
  local host="$1" port="$2" reply
  # shellcheck disable=SC2016  # $0 and $1 expand in the inner bash
  reply="$(timeout 3 bash -c '
      exec 3<>"/dev/tcp/$0/$1" || exit 1
      # size 14 | api_key 18 (ApiVersions) | version 0 | correlation id 7 | client id "sgap"
      printf "\x00\x00\x00\x0e\x00\x12\x00\x00\x00\x00\x00\x07\x00\x04sgap" >&3
      head -c 10 <&3 | od -An -tx1
    ' "$host" "$port" 2>/dev/null)" || return 1
  reply="${reply//[[:space:]]/}"
  # Response: size (4 bytes) | correlation id 7 (4 bytes) | error code 0 (2 bytes).
  [[ "${reply:8:12}" == "000000070000" ]]
}

# The pid of the broker this instance dir started, if it is still alive.
our_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $CONFIG_FILE"; then
    echo "$pid"
    return 0
  fi
  rm -f "$PID_FILE"
  return 1
}

# Wait until the broker answers; when we started it (pid given), also until it logged that
# it started, and fail early if it dies. Optional second argument: timeout in seconds.
wait_ready() {
  local pid="${1:-}" timeout="${2:-$SIGAP_KAFKA_START_TIMEOUT}"
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      rm -f "$PID_FILE"
      warn "the broker exited during startup; last lines of $LOG_FILE:"
      tail -n 30 "$LOG_FILE" >&2 || true
      return 1
    fi
    if kafka_answers "$SIGAP_KAFKA_HOST" "$SIGAP_KAFKA_PORT"; then
      if [[ -z "$pid" ]] || grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null; then
        return 0
      fi
    fi
    sleep 0.25
  done
  warn "no broker answered on $ADDRESS within ${timeout}s"
  [[ -n "$pid" ]] && { tail -n 30 "$LOG_FILE" >&2 || true; }
  return 1
}

# --- start ---------------------------------------------------------------------------------

render_config() {
  local text
  text="$(<"$TEMPLATE_FILE")"
  text="${text//@HOST@/$SIGAP_KAFKA_HOST}"
  text="${text//@KAFKA_PORT@/$SIGAP_KAFKA_PORT}"
  text="${text//@CONTROLLER_PORT@/$SIGAP_KAFKA_CONTROLLER_PORT}"
  text="${text//@LOG_DIRS@/$LOG_DIRS}"
  text="${text//@NODE_ID@/$NODE_ID}"
  text="${text//@QUORUM_VOTERS@/$QUORUM_VOTERS}"
  text="${text//@REPLICATION_FACTOR@/$REPLICATION_FACTOR}"
  text="${text//@MIN_INSYNC_REPLICAS@/$MIN_INSYNC_REPLICAS}"
  printf '%s\n' "$text" >"$CONFIG_FILE.tmp"
  mv "$CONFIG_FILE.tmp" "$CONFIG_FILE"
}

java_tool() {
  java -Xmx256m -Djava.awt.headless=true "-Dlog4j.configuration=file:$LOG4J_TOOLS_FILE" \
    -cp "$SIGAP_KAFKA_LIBS/*" "$@"
}

format_storage() {
  [[ -f "$LOG_DIRS/meta.properties" ]] && return 0
  local cluster_id="${SIGAP_KAFKA_CLUSTER_ID:-}" out
  # The nodes of a cluster share the id their cluster script gives them.
  [[ -z "$cluster_id" && -f "$CLUSTER_ID_FILE" ]] && cluster_id="$(tr -d '[:space:]' <"$CLUSTER_ID_FILE")"
  if [[ ! "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]]; then
    # A cluster id is a base64url UUID: 22 characters. Keep it, so a re-format matches.
    cluster_id="$(java_tool kafka.tools.StorageTool random-uuid | grep -E '^[A-Za-z0-9_-]{22}$' | tail -n 1)" ||
      die "kafka-storage random-uuid gave no cluster id"
    echo "$cluster_id" >"$CLUSTER_ID_FILE"
  fi
  say "formatting storage in $LOG_DIRS (cluster id $cluster_id)"
  if ! out="$(java_tool kafka.tools.StorageTool format "--cluster-id=$cluster_id" -c "$CONFIG_FILE" --ignore-formatted 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "kafka-storage format failed"
  fi
}

# Starts the broker (unless it runs already) and prints its pid, without waiting for it.
# Prints nothing when a broker not started from this data dir already answers on the port.
launch() {
  local pid
  if pid="$(our_pid)"; then
    echo "$pid"
    return 0
  fi
  if port_open "$SIGAP_KAFKA_HOST" "$SIGAP_KAFKA_PORT"; then
    # A broker opens its port only once it serves requests, so this need not wait long.
    if wait_ready "" 10; then
      say "a broker already answers on $ADDRESS (not started from $INSTANCE_DIR); reusing it" >&2
      return 0
    fi
    die "$ADDRESS is taken by something that does not answer as a Kafka broker"
  fi
  if port_open "$SIGAP_KAFKA_HOST" "$SIGAP_KAFKA_CONTROLLER_PORT"; then
    die "controller port $SIGAP_KAFKA_HOST:$SIGAP_KAFKA_CONTROLLER_PORT is already in use; set SIGAP_KAFKA_CONTROLLER_PORT"
  fi

  cmd_install >&2
  mkdir -p "$INSTANCE_DIR" "$LOG_DIRS"
  render_config
  format_storage >&2

  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  say "starting broker on $ADDRESS (node $NODE_ID, controller :$SIGAP_KAFKA_CONTROLLER_PORT), log $LOG_FILE" >&2
  # setsid: the broker gets its own session, so it outlives this script and its terminal.
  # shellcheck disable=SC2086
  setsid java $SIGAP_KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true "-Dlog4j.configuration=file:$LOG4J_FILE" "-Dkafka.logs.dir=$INSTANCE_DIR" \
    -cp "$SIGAP_KAFKA_LIBS/*" kafka.Kafka "$CONFIG_FILE" \
    </dev/null >>"$LOG_FILE" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$pid"
}

cmd_launch() {
  launch >/dev/null
}

cmd_start() {
  local pid
  if pid="$(our_pid)"; then
    if kafka_answers "$SIGAP_KAFKA_HOST" "$SIGAP_KAFKA_PORT"; then
      say "already running on $ADDRESS (pid $pid)"
      return 0
    fi
    say "pid $pid is still starting; waiting for it"
    wait_ready "$pid" || die "the broker on $ADDRESS did not become ready"
    say "ready on $ADDRESS (pid $pid)"
    return 0
  fi
  local started=$SECONDS
  pid="$(launch)"
  [[ -n "$pid" ]] || return 0
  wait_ready "$pid" || die "the broker on $ADDRESS did not start"
  say "ready on $ADDRESS (pid $pid, $((SECONDS - started))s)"
}

# --- stop, status, wait --------------------------------------------------------------------

cmd_stop() {
  local pid
  if pid="$(our_pid)"; then
    say "stopping broker on $ADDRESS (pid $pid)"
    terminate_pid "$pid" "the broker"
    rm -f "$PID_FILE"
    say "stopped"
  elif port_open "$SIGAP_KAFKA_HOST" "$SIGAP_KAFKA_PORT"; then
    say "something listens on $ADDRESS but was not started from $INSTANCE_DIR; leaving it"
  else
    say "not running on $ADDRESS"
  fi
}

cmd_status() {
  local pid=""
  pid="$(our_pid)" || true
  if kafka_answers "$SIGAP_KAFKA_HOST" "$SIGAP_KAFKA_PORT"; then
    if [[ -n "$pid" ]]; then
      say "running on $ADDRESS (pid $pid)"
    else
      say "running on $ADDRESS (not started from $INSTANCE_DIR)"
    fi
    return 0
  fi
  if [[ -n "$pid" ]]; then
    say "starting on $ADDRESS (pid $pid), not answering yet"
  else
    say "not running on $ADDRESS"
  fi
  return 1
}

cmd_wait() {
  local pid=""
  pid="$(our_pid)" || true
  wait_ready "$pid" || die "no broker on $ADDRESS"
  say "answering on $ADDRESS"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  launch) cmd_launch ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wait) cmd_wait ;;
  *) usage ;;
esac
