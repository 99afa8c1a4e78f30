# lib.sh: what the benchmark scripts (bench/run.sh, bench/sse.sh) share;
# sourced, not run.  Each script sets DIR (its throwaway directory), INST,
# CONF and HTTPD, and calls:
#
#   bench_watchdog NAME SECONDS   a background watchdog that sends TERM to
#                                 the script after SECONDS (its pid in
#                                 watchdog_pid; its sleep dies with it)
#   bench_teardown                stop httpd (if httpd_started is set) and
#                                 the watchdog, kill whatever still runs
#                                 with $CONF, destroy the PostgreSQL
#                                 cluster under $DIR and remove $DIR

watchdog_pid=
httpd_started=

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
