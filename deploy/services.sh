#!/usr/bin/env bash
# Starts and stops the whole system: Kafka, PostgreSQL, the four services and the web pages.
#
#   deploy/services.sh run      start everything, print the URLs, stop it all on Ctrl-C
#   deploy/services.sh up       start everything in the background and return when ready
#   deploy/services.sh down     stop the services, then Kafka and PostgreSQL
#   deploy/services.sh status   show what is running
#   deploy/services.sh restart NAME   stop one service and start it again with the settings of
#                               this shell's environment; Kafka, PostgreSQL and the others keep running
#   deploy/services.sh stop NAME      stop one service
#
# Each service reads SIGAP_* settings from its environment (docs/settings.md); logs go to
# $SIGAP_DATA_DIR/logs/.
set -euo pipefail

SIGAP_LOG_TAG=sigap
# shellcheck source=deploy/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# web last: it serves the pages over the other four's HTTP APIs and is ready once they answer.
readonly SERVICES=(intake routing status notify web)
declare -A PORTS=([intake]=8000 [routing]=8001 [status]=8002 [notify]=8003 [web]=8080)
readonly RUN_DIR="$SIGAP_DATA_DIR/run"
readonly LOG_DIR="$SIGAP_DATA_DIR/logs"
readonly VENV_BIN="$SIGAP_REPO_ROOT/.venv/bin"

port_of() {
  local name="$1" var
  var="SIGAP_${name^^}_PORT"
  echo "${!var:-${PORTS[$name]}}"
}

pid_of() {
  local file="$RUN_DIR/$1.pid"
  [[ -f "$file" ]] || return 1
  local pid
  pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start_service() {
  local name="$1" port
  port="$(port_of "$name")"
  if pid_of "$name" >/dev/null; then
    say "$name already running (pid $(pid_of "$name")) on port $port; to apply changed settings: make restart SERVICE=$name"
    return 0
  fi
  if port_open 127.0.0.1 "$port"; then
    die "port $port is taken by another program; set SIGAP_${name^^}_PORT to use another port"
  fi
  [[ -x "$VENV_BIN/sigap-$name" ]] || die "$VENV_BIN/sigap-$name is missing; run 'make install'"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  # A development run accepts complaints without live photos, so a plain curl can try it out;
  # production keeps intake's default of at least one (see README).
  export SIGAP_MIN_PHOTOS="${SIGAP_MIN_PHOTOS:-0}"
  # Status (after-photos, identity reveal) and notify (reporter contacts) call intake's internal
  # API; routing and notify ask status's whether a staff account is still active. Both with the
  # development internal token unless SIGAP_INTERNAL_TOKEN is set.
  local intake_url="${SIGAP_INTAKE_INTERNAL_URL:-http://127.0.0.1:$(port_of intake)}"
  local status_url="${SIGAP_STATUS_INTERNAL_URL:-http://127.0.0.1:$(port_of status)}"
  # Intake names departments in tracking from routing's public department list.
  export SIGAP_ROUTING_URL="${SIGAP_ROUTING_URL:-http://127.0.0.1:$(port_of routing)}"
  local internal_token="${SIGAP_INTERNAL_TOKEN:-sigap-development-internal-token-change-me}"
  # The web service reaches the four over HTTP on the ports above.
  local svc var
  for svc in intake routing status notify; do
    var="SIGAP_WEB_${svc^^}_URL"
    export "$var=${!var:-http://127.0.0.1:$(port_of "$svc")}"
  done
  # Intake counts its rate limits, and status its failed staff logins, per client address, and
  # the web pages call both from this host with the browser's address in X-Forwarded-For: they
  # believe that header from 127.0.0.1, so each browser gets its own limit instead of all
  # sharing web's (30 mistyped passwords anywhere would otherwise lock every login through web).
  # Safe in a development run: the services listen on loopback (SIGAP_HTTP_HOST 127.0.0.1), so
  # only programs on this machine could send the header, and they could reach the services
  # directly anyway. The others keep what the caller set (empty: the connection's own address).
  local forwarded_allow_ips="${SIGAP_FORWARDED_ALLOW_IPS:-}"
  if [[ "$name" == intake || "$name" == status ]]; then
    forwarded_allow_ips="${SIGAP_FORWARDED_ALLOW_IPS:-127.0.0.1}"
  fi
  # setsid: the service gets its own process group, so Ctrl-C reaches it only through us.
  SIGAP_HTTP_PORT="$port" SIGAP_INTAKE_INTERNAL_URL="$intake_url" SIGAP_STATUS_INTERNAL_URL="$status_url" \
    SIGAP_INTERNAL_TOKEN="$internal_token" SIGAP_FORWARDED_ALLOW_IPS="$forwarded_allow_ips" \
    setsid "$VENV_BIN/sigap-$name" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

wait_ready() {
  local name="$1" port deadline
  port="$(port_of "$name")"
  deadline=$((SECONDS + 90))
  until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    if ! pid_of "$name" >/dev/null; then
      tail -n 40 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up; its log is $LOG_DIR/$name.log"
    fi
    ((SECONDS < deadline)) || die "$name not ready after 90s; see $LOG_DIR/$name.log"
    sleep 0.2
  done
}

stop_service() {
  local name="$1" pid
  if ! pid="$(pid_of "$name")"; then
    rm -f "$RUN_DIR/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name did not stop in 20s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN_DIR/$name.pid"
  say "$name stopped"
}

cmd_up() {
  "$SIGAP_DEPLOY_DIR/infra.sh" up
  local name
  for name in "${SERVICES[@]}"; do start_service "$name"; done
  for name in "${SERVICES[@]}"; do wait_ready "$name"; done
  echo
  say "Sigap is running:"
  printf '  %-8s http://127.0.0.1:%s   <- open this: the citizen page; staff log in at /masuk (log: %s)\n' \
    web "$(port_of web)" "$LOG_DIR/web.log"
  for name in "${SERVICES[@]}"; do
    [[ "$name" == web ]] && continue
    printf '  %-8s http://127.0.0.1:%s   (API docs: /docs, log: %s)\n' \
      "$name" "$(port_of "$name")" "$LOG_DIR/$name.log"
  done
  echo "  First city admin:  .venv/bin/sigap-status-admin create-user --role city_admin admin.kota"
  echo
  echo "  Try:  curl -s -X POST http://127.0.0.1:$(port_of intake)/v1/complaints -H 'content-type: application/json' \\"
  echo "          -d '{\"description\":\"Jalan berlubang di depan pasar Kemiri Muka\",\"category\":\"jalan_rusak\",\"location\":{\"lat\":-6.39,\"lon\":106.83}}'"
  echo "        then GET http://127.0.0.1:$(port_of status)/v1/complaints/<id>"
}

cmd_down() {
  local name
  for name in "${SERVICES[@]}"; do stop_service "$name"; done
  "$SIGAP_DEPLOY_DIR/infra.sh" down
}

known_service() {
  local name="${1:-}" known
  for known in "${SERVICES[@]}"; do [[ "$name" == "$known" ]] && return 0; done
  die "name one service: ${SERVICES[*]} (got '${name}')"
}

cmd_restart() {
  local name="${1:-}"
  known_service "$name"
  stop_service "$name"
  start_service "$name"
  wait_ready "$name"
  say "$name running again (pid $(pid_of "$name")) on port $(port_of "$name"); log: $LOG_DIR/$name.log"
}

cmd_status() {
  local name rc=0
  for name in "${SERVICES[@]}"; do
    if pid_of "$name" >/dev/null; then
      say "$name running (pid $(pid_of "$name")) on port $(port_of "$name")"
    else
      say "$name stopped"
      rc=1
    fi
  done
  "$SIGAP_DEPLOY_DIR/infra.sh" status || rc=1
  return "$rc"
}

stop_started() {
  local name
  for name in "${SERVICES[@]}"; do stop_service "$name"; done
  if ((infra_was_running)); then
    say "Kafka and PostgreSQL were already running before 'make run'; leaving them up"
  else
    "$SIGAP_DEPLOY_DIR/infra.sh" down
  fi
}

cmd_run() {
  infra_was_running=0
  if "$SIGAP_DEPLOY_DIR/infra.sh" status >/dev/null 2>&1; then infra_was_running=1; fi
  trap 'echo; say "stopping"; stop_started; exit 0' INT TERM
  cmd_up
  say "press Ctrl-C to stop everything"
  tail -n 0 -F "$LOG_DIR"/{intake,routing,status,notify,web}.log &
  wait $!
}

case "${1:-}" in
  run) cmd_run ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  restart) cmd_restart "${2:-}" ;;
  stop)
    known_service "${2:-}"
    stop_service "$2"
    ;;
  *)
    echo "usage: $0 {run|up|down|status|restart NAME|stop NAME}" >&2
    exit 2
    ;;
esac
