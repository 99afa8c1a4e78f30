# lib.sh: what the benchmark scripts (bench/run.sh, bench/sse.sh,
# bench/jobs.sh) share; sourced, not run.  Each script sets DIR (its
# throwaway directory), INST and CONF, defines log and die, and calls what
# follows; sourcing it sets BUILD, HTTPD, PG_BINDIR, PSQL and PGBENCH:
#
#   bench_free_port               a free TCP port on loopback
#   bench_pg PORT                 a private PostgreSQL cluster under $DIR
#                                 (PG_FAST from the caller's environment),
#                                 migrated, with sql/demo.sql; exports
#                                 PGHOST, PGPORT, PGDATABASE, PGUSER
#   bench_token NAME              an API token for admin@acme.test (printed)
#   bench_httpd PORT [PREFIX...]  render the instance's config (with
#                                 $INST/extra.conf, which the caller writes
#                                 first), start httpd (under PREFIX, e.g.
#                                 taskset) and wait for /api/health; sets URL
#   bench_watchdog NAME SECONDS   a background watchdog that sends TERM to
#                                 the script after SECONDS (its pid in
#                                 watchdog_pid; its sleep dies with it)
#   bench_pgbench NAME ARGS...    pgbench -n -M prepared ARGS, its output in
#                                 $OUT/NAME.out; prints its tps
#   bench_ratio A B               A / B with two decimals
#   bench_machine                 the "machine:" line of a summary
#   bench_teardown                stop httpd (if httpd_started is set) and
#                                 the watchdog, kill whatever still runs
#                                 with $CONF, destroy the PostgreSQL
#                                 cluster under $DIR and remove $DIR

# Where things are (the callers' environment may say otherwise).
BUILD=${TICKETS_BUILD_DIR:-build}
HTTPD=${HTTPD:-/usr/sbin/apache2}
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
export PG_BINDIR
PSQL=$PG_BINDIR/psql
PGBENCH=$PG_BINDIR/pgbench
[ -x "$PGBENCH" ] || PGBENCH=pgbench

watchdog_pid=
httpd_started=

psql_() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@"; }

bench_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_pg() {
    local port=$1
    # The cluster listens on a unix socket only; the port just names the
    # socket file, so any free number will do.
    scripts/pg.sh start "$DIR" "$port"
    PGHOST=$(scripts/pg.sh sockdir "$DIR")
    export PGHOST PGPORT=$port PGDATABASE=tickets PGUSER=tickets
    scripts/migrate.sh >/dev/null 2>&1 || scripts/migrate.sh
    psql_ -f sql/demo.sql
}

bench_token() {
    local token
    token=tk_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    psql_ -c "INSERT INTO api_tokens (org_id, user_id, name, token_hash, prefix)
              VALUES ('00000000-0000-4000-8000-0000000000a1',
                      '00000000-0000-4000-8000-00000000a001', '$1',
                      encode(sha256('$token'::bytea), 'hex'), left('$token', 12))" >&2
    echo "$token"
}

bench_httpd() {
    local port=$1 left
    shift
    scripts/httpd-conf.sh "$INST" "$port" "$PGHOST" "$PGPORT" "$BUILD"
    if left=$(grep -o '@[A-Z_]*@' "$CONF" | sort -u | tr '\n' ' ') && [ -n "$left" ]; then
        die "rendered $CONF still has placeholders: $left"
    fi
    "$HTTPD" -t -f "$CONF" >/dev/null 2>&1 || {
        "$HTTPD" -t -f "$CONF" || true
        die "httpd config test failed"
    }
    "$@" "$HTTPD" -f "$CONF" -k start
    httpd_started=1
    URL=http://127.0.0.1:$port
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "$URL/api/health" 2>/dev/null && break
        sleep 0.1
    done
    curl -fsS -o /dev/null "$URL/api/health" ||
        { tail -n 30 "$INST/logs/error_log" >&2; die "httpd did not come up"; }
}

bench_pgbench() {
    local name=$1
    shift
    "$PGBENCH" -n -M prepared "$@" >"$OUT/$name.out" 2>&1 ||
        { cat "$OUT/$name.out" >&2; die "pgbench $name failed"; }
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$OUT/$name.out" | head -1
}

bench_ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

bench_machine() {
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo)," \
         "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
}

bench_watchdog() {
    local name=$1 seconds=$2
    (
        sleep "$seconds" </dev/null >/dev/null 2>&1 &
        sleep_pid=$!
        trap 'kill "$sleep_pid" 2>/dev/null; exit 0' TERM
        wait "$sleep_pid"
        echo "$name: watchdog: still running after ${seconds}s, stopping" >&2
        kill -TERM $$ 2>/dev/null
    ) </dev/null &
    watchdog_pid=$!
}

bench_teardown() {
    local pid p
    if [ -n "$watchdog_pid" ]; then
        kill "$watchdog_pid" 2>/dev/null || true
        wait "$watchdog_pid" 2>/dev/null || true
    fi
    if [ -n "$httpd_started" ] && [ -f "$INST/run/httpd.pid" ]; then
        pid=$(cat "$INST/run/httpd.pid" 2>/dev/null || true)
        "$HTTPD" -f "$CONF" -k stop >/dev/null 2>&1 || true
        for _ in $(seq 1 100); do
            [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
            grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
            sleep 0.1
        done
    fi
    # Whatever still runs with this instance's config (httpd children).
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$CONF"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    scripts/pg.sh destroy "$DIR" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
