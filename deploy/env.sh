# shellcheck shell=bash
# Shared settings and helpers for the deploy/*.sh scripts. Source it; do not run it.
#
# Every setting comes from the environment when set, else takes the default below.
# Per-instance state is keyed by port, so a second broker or database for a test is
# just another port (and, if you like, another SIGAP_DATA_DIR).

SIGAP_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck disable=SC2034  # used by the scripts that source this file
SIGAP_DEPLOY_DIR="$SIGAP_REPO_ROOT/deploy"

: "${SIGAP_DATA_DIR:=$SIGAP_REPO_ROOT/.data}"

: "${SIGAP_KAFKA_HOST:=127.0.0.1}"
: "${SIGAP_KAFKA_PORT:=9092}"
: "${SIGAP_KAFKA_CONTROLLER_PORT:=9093}"
: "${SIGAP_KAFKA_VERSION:=3.9.1}"
# The jars are shared by every instance, whatever its SIGAP_DATA_DIR.
: "${SIGAP_KAFKA_LIBS:=$SIGAP_REPO_ROOT/.data/kafka-libs}"
: "${SIGAP_KAFKA_HEAP_OPTS:=-Xms256m -Xmx1g}"
: "${SIGAP_KAFKA_START_TIMEOUT:=90}"

: "${SIGAP_PG_HOST:=127.0.0.1}"
: "${SIGAP_PG_PORT:=55432}"
: "${SIGAP_PG_USER:=sigap}"
: "${SIGAP_PG_PASSWORD:=sigap}"
: "${SIGAP_PG_DATABASES:=sigap_intake sigap_routing sigap_status sigap_notify}"
: "${SIGAP_PG_START_TIMEOUT:=60}"

: "${SIGAP_STOP_TIMEOUT:=30}"

# Make paths absolute, so state does not depend on the caller's cwd. Nothing is created here:
# `status` and `stop` leave no trace.
# realpath -m gives the same answer before and after the directory exists.
SIGAP_DATA_DIR="$(realpath -m -- "$SIGAP_DATA_DIR")"
SIGAP_KAFKA_LIBS="$(realpath -m -- "$SIGAP_KAFKA_LIBS")"

export SIGAP_DATA_DIR SIGAP_KAFKA_HOST SIGAP_KAFKA_PORT SIGAP_KAFKA_CONTROLLER_PORT \
  SIGAP_KAFKA_VERSION SIGAP_KAFKA_LIBS SIGAP_KAFKA_HEAP_OPTS SIGAP_KAFKA_START_TIMEOUT \
  SIGAP_PG_HOST SIGAP_PG_PORT SIGAP_PG_USER SIGAP_PG_PASSWORD SIGAP_PG_DATABASES \
  SIGAP_PG_START_TIMEOUT SIGAP_STOP_TIMEOUT

# Messages carry the script's tag, so the output of `infra.sh up`, which starts
# Kafka and Postgres side by side, stays readable.
: "${SIGAP_LOG_TAG:=deploy}"

say() { printf '[%s] %s\n' "$SIGAP_LOG_TAG" "$*"; }
warn() { printf '[%s] warning: %s\n' "$SIGAP_LOG_TAG" "$*" >&2; }
die() {
  printf '[%s] error: %s\n' "$SIGAP_LOG_TAG" "$*" >&2
  exit 1
}

# True when something accepts TCP connections on host:port.
port_open() {
  local host="$1" port="$2"
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# True when the process is alive (and not a zombie).
pid_alive() {
  local pid="$1"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" ]]
}

# Send SIGTERM, wait up to SIGAP_STOP_TIMEOUT seconds, then SIGKILL.
terminate_pid() {
  local pid="$1" what="$2" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while pid_alive "$pid"; do
    if ((waited >= SIGAP_STOP_TIMEOUT * 10)); then
      warn "$what (pid $pid) did not stop within ${SIGAP_STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}
