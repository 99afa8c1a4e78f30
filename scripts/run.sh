#!/bin/bash
# run.sh: start mod_tickets for development (make run).
#
#   scripts/run.sh             start PostgreSQL + httpd, stay in foreground
#   scripts/run.sh --destroy   stop everything and delete the var/ cluster
#
# The private PostgreSQL cluster lives in var/pg (see scripts/pg.sh; a
# symlink to /var/tmp when var/ is out of reach of the postgres user), httpd's
# config, logs and pid file in var/httpd.  Migrations and the demo data are
# applied on every start (both are idempotent).  httpd runs in the
# foreground; Ctrl-C (or SIGTERM) stops httpd and then PostgreSQL.  Leftovers
# of a killed run (postmaster.pid, httpd.pid, a still-running httpd of this
# instance) are detected and cleaned up.
#
# Environment: PORT (8080), PG_PORT (5432), TICKETS_BUILD_DIR (build),
# HTTPD (/usr/sbin/apache2), PG_BINDIR (/usr/lib/postgresql/15/bin);
# LLM_ENDPOINT, LLM_MODEL and LLM_KEY_FILE for an AI provider (none by
# default).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"

PORT=${PORT:-8080}
PG_PORT=${PG_PORT:-5432}
BUILD=${TICKETS_BUILD_DIR:-build}
HTTPD=${HTTPD:-/usr/sbin/apache2}
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
export PG_BINDIR
VAR=$root/var
INST=$VAR/httpd
CONF=$INST/httpd.conf
PIDFILE=$INST/run/httpd.pid

log() { echo "run.sh: $*" >&2; }

# Stop an httpd of this instance that a killed run left behind.
stop_stale_httpd() {
    local pid
    [ -f "$PIDFILE" ] || return 0
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONF"; then
        log "stopping httpd left running by an earlier run (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
}

if [ "${1:-}" = --destroy ]; then
    stop_stale_httpd
    scripts/pg.sh destroy "$VAR"
    exit 0
fi

mkdir -p "$VAR"
[ -f "$BUILD/mod_tickets.so" ] || {
    log "$BUILD/mod_tickets.so is missing: run make first"
    exit 1
}

stop_stale_httpd

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
if port_busy "$PORT"; then
    log "127.0.0.1:$PORT is already in use; choose another with PORT=..."
    exit 1
fi

scripts/pg.sh start "$VAR" "$PG_PORT"
PGHOST=$(scripts/pg.sh sockdir "$VAR")
export PGHOST PGPORT=$PG_PORT PGDATABASE=tickets PGUSER=tickets

httpd_pid=
tail_pid=
# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
    trap - INT TERM EXIT
    if [ -n "$httpd_pid" ]; then
        kill -TERM "$httpd_pid" 2>/dev/null || true
        wait "$httpd_pid" 2>/dev/null || true
    fi
    stop_stale_httpd
    if [ -n "$tail_pid" ]; then
        kill "$tail_pid" 2>/dev/null || true
    fi
    log "stopping PostgreSQL"
    scripts/pg.sh stop "$VAR" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/migrate.sh
"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -f sql/demo.sql

scripts/httpd-conf.sh "$INST" "$PORT" "$PGHOST" "$PG_PORT" "$BUILD"
# The limits of this instance, so they can be seen working
# (docs/ratelimits.md); the test instances leave them off.
cat >"$INST/extra.conf" <<'CONF'
TicketsLoginFailureLimit 10/60
<Location /api>
    TicketsRateLimit 1200/60
</Location>
CONF
# The AI provider, when LLM_ENDPOINT names one (docs/ai.md): any
# OpenAI-compatible server, as Ollama's http://127.0.0.1:11434/v1.
if [ -n "${LLM_ENDPOINT:-}" ]; then
    case $LLM_ENDPOINT in
    http://* | https://*) ;;
    *) log "LLM_ENDPOINT must be an http or https URL"; exit 1 ;;
    esac
    if [ -n "${LLM_KEY_FILE:-}" ] && [ ! -r "$LLM_KEY_FILE" ]; then
        log "LLM_KEY_FILE $LLM_KEY_FILE cannot be read"
        exit 1
    fi
    {
        printf 'TicketsLLMEndpoint "%s"\n' "$LLM_ENDPOINT"
        printf 'TicketsLLMModel "%s"\n' "${LLM_MODEL:-llama3.1}"
    } >>"$INST/extra.conf"
    if [ -n "${LLM_KEY_FILE:-}" ]; then
        # a copy only root reads, as httpd wants it (TK00105)
        (umask 077; head -n 1 "$LLM_KEY_FILE" >"$INST/llm.key")
        printf 'TicketsLLMKeyFile "%s"\n' "$INST/llm.key" >>"$INST/extra.conf"
    fi
fi
"$HTTPD" -t -f "$CONF" >/dev/null 2>&1 || {
    "$HTTPD" -t -f "$CONF"
    exit 1
}

touch "$INST/logs/error_log"
tail -n 0 -F --pid=$$ "$INST/logs/error_log" 2>/dev/null &
tail_pid=$!

cat <<EOF

  mod_tickets is running: open http://127.0.0.1:$PORT/console/
  API:     http://127.0.0.1:$PORT/api/  (described at /api/openapi.json)
  health:  http://127.0.0.1:$PORT/api/health

  Demo logins (password: demo-password)
    admin@acme.test      admin    (org acme)
    agent@acme.test      agent    (org acme)
    viewer@acme.test     viewer   (org acme)
    customer@acme.test   customer (org acme)
    admin@globex.test    admin    (org globex)

  AI provider: ${LLM_ENDPOINT:-none (LLM_ENDPOINT=http://host:port/v1 LLM_MODEL=name make run)}
  Logs: $INST/logs/   psql: $PG_BINDIR/psql -h $PGHOST -p $PG_PORT -U tickets tickets
  Press Ctrl-C to stop.

EOF

"$HTTPD" -f "$CONF" -DFOREGROUND &
httpd_pid=$!
status=0
wait "$httpd_pid" || status=$?
httpd_pid=
exit "$status"
