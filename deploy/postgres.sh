#!/usr/bin/env bash
# A local PostgreSQL server for development and tests, with the services' databases.
#
#   deploy/postgres.sh install   find the PostgreSQL binaries, or apt-get install them
#   deploy/postgres.sh start     initdb the first time, start, wait, create missing databases
#   deploy/postgres.sh stop      stop the server this data dir started (pg_ctl stop -m fast)
#   deploy/postgres.sh status    exit 0 when a server accepts connections on the port
#   deploy/postgres.sh wait      wait until a server accepts connections on the port
#
# Settings (see deploy/env.sh): SIGAP_DATA_DIR, SIGAP_PG_HOST, SIGAP_PG_PORT, SIGAP_PG_USER,
# SIGAP_PG_PASSWORD, SIGAP_PG_DATABASES, SIGAP_PG_START_TIMEOUT, SIGAP_STOP_TIMEOUT, and
# optionally SIGAP_PG_BIN (directory holding initdb/pg_ctl) and SIGAP_PG_CLUSTER_DIR.
#
# Postgres will not run as root. Run as root, this script runs the server as the `postgres`
# system user (or creates `sigap-pg`), and keeps the cluster where that user can reach it:
# /var/tmp/sigap-pg-<hash of SIGAP_DATA_DIR>-<port>/, recorded in
# $SIGAP_DATA_DIR/postgres-<port>/cluster-dir. Otherwise the cluster is in
# $SIGAP_DATA_DIR/postgres-<port>/. Either way the cluster dir holds data/ and postgres.log.
set -euo pipefail

SIGAP_LOG_TAG=postgres
# shellcheck source=deploy/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

readonly STATE_DIR="$SIGAP_DATA_DIR/postgres-$SIGAP_PG_PORT"
readonly RECORD_FILE="$STATE_DIR/cluster-dir"
readonly ADDRESS="$SIGAP_PG_HOST:$SIGAP_PG_PORT"

usage() {
  echo "usage: $0 {install|start|stop|status|wait}" >&2
  exit 2
}

is_root() { [[ "$(id -u)" == 0 ]]; }

# --- binaries ------------------------------------------------------------------------------

# Prints the directory holding initdb, pg_ctl and postgres: SIGAP_PG_BIN, else the newest
# /usr/lib/postgresql/<major>/bin (Debian's layout), else wherever pg_ctl is on PATH.
find_pg_bin() {
  if [[ -n "${SIGAP_PG_BIN:-}" ]]; then
    [[ -x "$SIGAP_PG_BIN/pg_ctl" ]] || return 1
    echo "$SIGAP_PG_BIN"
    return 0
  fi
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
    echo "$dir"
    return 0
  fi
  local pg_ctl
  pg_ctl="$(command -v pg_ctl 2>/dev/null)" || return 1
  dir="$(dirname "$(readlink -f "$pg_ctl")")"
  [[ -x "$dir/initdb" && -x "$dir/postgres" ]] || return 1
  echo "$dir"
}

cmd_install() {
  local bin
  if bin="$(find_pg_bin)"; then
    say "using PostgreSQL $("$bin/postgres" --version | awk '{print $3}') from $bin"
    return 0
  fi
  local -a sudo=()
  if ! is_root; then
    command -v sudo >/dev/null || die "PostgreSQL not found, and not root: install the 'postgresql' package"
    sudo=(sudo -n)
  fi
  say "PostgreSQL not found; installing it with apt-get"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq postgresql >/dev/null
  bin="$(find_pg_bin)" || die "apt-get installed postgresql, yet initdb/pg_ctl are still missing"
  say "installed PostgreSQL $("$bin/postgres" --version | awk '{print $3}') in $bin"
}

# --- who runs the server, and where --------------------------------------------------------

# The OS user the server runs as: ourselves, or when root an unprivileged system user.
server_user() {
  if ! is_root; then
    id -un
  elif id -u postgres >/dev/null 2>&1; then
    echo postgres
  else
    if ! id -u sigap-pg >/dev/null 2>&1; then
      say "creating system user sigap-pg to run the server (Postgres refuses to run as root)" >&2
      useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin sigap-pg
    fi
    echo sigap-pg
  fi
}

# Run a command as the server user, from a directory that user can enter.
as_server_user() {
  if ! is_root; then
    (cd "$CLUSTER_DIR" && "$@")
  elif command -v runuser >/dev/null; then
    (cd "$CLUSTER_DIR" && runuser -u "$SERVER_USER" -- "$@")
  else
    (cd "$CLUSTER_DIR" && setpriv --reuid="$SERVER_USER" --regid="$SERVER_USER" --init-groups -- "$@")
  fi
}

# Prints the cluster dir: the recorded one, else the one to use from now on.
cluster_dir() {
  if [[ -n "${SIGAP_PG_CLUSTER_DIR:-}" ]]; then
    echo "$SIGAP_PG_CLUSTER_DIR"
    return 0
  fi
  if [[ -s "$RECORD_FILE" ]]; then
    cat "$RECORD_FILE"
    return 0
  fi
  local dir
  if is_root; then
    # The repo (and so SIGAP_DATA_DIR) may sit under /root, which the server user cannot
    # traverse. /var/tmp can be, and outlives a reboot.
    dir="/var/tmp/sigap-pg-$(printf '%s' "$SIGAP_DATA_DIR" | sha256sum | cut -c1-10)-$SIGAP_PG_PORT"
  else
    dir="$STATE_DIR"
  fi
  # Only `start` commits to the choice; `stop` and `status` just look.
  if [[ "$command" == start ]]; then
    mkdir -p "$STATE_DIR"
    echo "$dir" >"$RECORD_FILE"
  fi
  echo "$dir"
}

# Unix socket paths are limited to about 100 bytes; fall back to /tmp for long paths.
socket_dir() {
  if ((${#CLUSTER_DIR} <= 80)); then echo "$CLUSTER_DIR"; else echo /tmp; fi
}

# --- probing -------------------------------------------------------------------------------

pg_ready() {
  "$PG_BIN/pg_isready" -q -h "$SIGAP_PG_HOST" -p "$SIGAP_PG_PORT" -t 2 >/dev/null 2>&1
}

# True when the cluster in CLUSTER_DIR has a live postmaster.
cluster_running() {
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] || return 1
  as_server_user "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

psql_tcp() {
  PGPASSWORD="$SIGAP_PG_PASSWORD" PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -v ON_ERROR_STOP=1 \
    -h "$SIGAP_PG_HOST" -p "$SIGAP_PG_PORT" -U "$SIGAP_PG_USER" "$@"
}

wait_ready() {
  local deadline=$((SECONDS + SIGAP_PG_START_TIMEOUT))
  until pg_ready; do
    ((SECONDS < deadline)) || return 1
    sleep 0.25
  done
}

# --- start ---------------------------------------------------------------------------------

init_cluster() {
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] && return 0
  if [[ -d "$PGDATA_DIR" ]] && [[ -n "$(ls -A "$PGDATA_DIR")" ]]; then
    warn "$PGDATA_DIR holds a half-made cluster (no PG_VERSION); removing it"
    rm -rf "$PGDATA_DIR"
  fi
  local locale=C
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
  local pwfile
  pwfile="$(mktemp "$CLUSTER_DIR/.pwfile.XXXXXX")"
  printf '%s\n' "$SIGAP_PG_PASSWORD" >"$pwfile"
  is_root && chown "$SERVER_USER:" "$pwfile"
  say "initdb in $PGDATA_DIR (superuser $SIGAP_PG_USER, locale $locale)"
  local out rc=0
  out="$(as_server_user "$PG_BIN/initdb" -D "$PGDATA_DIR" --username="$SIGAP_PG_USER" \
    --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 \
    --locale="$locale" 2>&1)" || rc=$?
  rm -f "$pwfile"
  if ((rc != 0)); then
    printf '%s\n' "$out" >&2
    die "initdb failed"
  fi
}

ensure_databases() {
  local db exists
  for db in $SIGAP_PG_DATABASES; do
    [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "not a plain database name: '$db'"
    exists="$(psql_tcp -d postgres -tA -c "select 1 from pg_database where datname = '$db'")" ||
      die "cannot connect to $ADDRESS as $SIGAP_PG_USER (check SIGAP_PG_USER / SIGAP_PG_PASSWORD)"
    if [[ "$exists" != 1 ]]; then
      # Another start may create it at the same moment; only the outcome matters.
      if ! psql_tcp -d postgres -c "create database \"$db\"" 2>/dev/null; then
        exists="$(psql_tcp -d postgres -tA -c "select 1 from pg_database where datname = '$db'")"
        [[ "$exists" == 1 ]] || die "could not create database $db"
      fi
      say "created database $db"
    fi
  done
}

cmd_start() {
  if cluster_running && pg_ready; then
    say "already running on $ADDRESS (cluster $PGDATA_DIR)"
    ensure_databases
    return 0
  fi
  if pg_ready; then
    say "a server already accepts connections on $ADDRESS (not this cluster); reusing it"
    ensure_databases
    return 0
  fi
  if port_open "$SIGAP_PG_HOST" "$SIGAP_PG_PORT"; then
    wait_ready || die "$ADDRESS is taken by something that is not an answering PostgreSQL server"
    say "a server on $ADDRESS came up; reusing it"
    ensure_databases
    return 0
  fi

  mkdir -p "$CLUSTER_DIR"
  if is_root; then
    chown "$SERVER_USER:" "$CLUSTER_DIR"
    chmod 700 "$CLUSTER_DIR"
  fi
  init_cluster

  local sockets started=$SECONDS
  sockets="$(socket_dir)"
  say "starting server on $ADDRESS as OS user $SERVER_USER, log $LOG_FILE"
  # pg_stat_statements ships with PostgreSQL; the system benchmark uses it to show which
  # statements cost the most per complaint.
  if ! as_server_user "$PG_BIN/pg_ctl" start -D "$PGDATA_DIR" -l "$LOG_FILE" -w \
    -t "$SIGAP_PG_START_TIMEOUT" -s -o "-c listen_addresses=$SIGAP_PG_HOST -p $SIGAP_PG_PORT \
-c unix_socket_directories=$sockets -c max_connections=200 -c shared_buffers=256MB -c fsync=on \
-c shared_preload_libraries=pg_stat_statements"; then
    tail -n 20 "$LOG_FILE" >&2 || true
    die "the server did not start"
  fi
  mkdir -p "$STATE_DIR"
  [[ -e "$STATE_DIR/postgres.log" ]] || ln -sfn "$LOG_FILE" "$STATE_DIR/postgres.log"
  wait_ready || die "the server started but does not accept connections on $ADDRESS"
  ensure_databases
  say "ready on $ADDRESS ($((SECONDS - started))s)"
}

# --- stop, status, wait --------------------------------------------------------------------

cmd_stop() {
  if cluster_running; then
    say "stopping server on $ADDRESS (cluster $PGDATA_DIR)"
    as_server_user "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t "$SIGAP_STOP_TIMEOUT" -s ||
      die "pg_ctl stop failed; see $LOG_FILE"
    say "stopped"
  elif port_open "$SIGAP_PG_HOST" "$SIGAP_PG_PORT"; then
    say "something listens on $ADDRESS but is not the cluster in $PGDATA_DIR; leaving it"
  else
    say "not running on $ADDRESS"
  fi
}

cmd_status() {
  if pg_ready; then
    if cluster_running; then
      say "running on $ADDRESS (cluster $PGDATA_DIR)"
    else
      say "running on $ADDRESS (not the cluster in $PGDATA_DIR)"
    fi
    return 0
  fi
  say "not running on $ADDRESS"
  return 1
}

cmd_wait() {
  wait_ready || die "no server accepts connections on $ADDRESS"
  say "accepting connections on $ADDRESS"
}

# --- main ----------------------------------------------------------------------------------

command="${1:-}"
case "$command" in
  install | start | stop | status | wait) ;;
  *) usage ;;
esac

if [[ "$command" == install ]]; then
  cmd_install
  exit 0
fi
if [[ "$command" == start ]]; then
  cmd_install
fi
PG_BIN="$(find_pg_bin)" || die "PostgreSQL binaries not found; run: $0 install"
if [[ -x "$PG_BIN/psql" ]]; then PSQL="$PG_BIN/psql"; else PSQL="$(command -v psql)" || die "psql not found"; fi
SERVER_USER="$(server_user)"
CLUSTER_DIR="$(cluster_dir)"
PGDATA_DIR="$CLUSTER_DIR/data"
LOG_FILE="$CLUSTER_DIR/postgres.log"
readonly PG_BIN PSQL SERVER_USER CLUSTER_DIR PGDATA_DIR LOG_FILE

case "$command" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wait) cmd_wait ;;
esac
