#!/bin/bash
# sse.sh: the event-stream benchmark (make bench-sse).
#
#   bench/sse.sh
#
# One run, loopback only, everything throwaway under var/bench-sse-<pid>:
#   1. a private PostgreSQL cluster and httpd instance, as bench/run.sh
#      makes them (demo data only), with TicketsSSEMaxStreams 10000, no
#      per-user limit (one user holds every stream), and an
#      API token for admin@acme.test; the open-files limit is raised
#      (ulimit -n) before httpd and the load generator start;
#   2. for N in SSE_STREAMS (1000 5000 10000): bench/sse_load holds N
#      streams; then httpd's RSS per stream (children's VmRSS with the
#      streams, less before any stream, / N), httpd's CPU over SSE_IDLE seconds
#      with the streams idle (utime + stime of every httpd process, from
#      /proc/<pid>/stat), and SSE_RATE tickets a second created through
#      the API for SSE_SECS seconds: events received (expected = N x
#      posted), publish-to-delivery latency p50/p99 (from sending the POST
#      to reading the event on each stream);
#   3. with the largest N: a graceful restart (how long until the API
#      answers a new request, the slowest API request in the 5 s after it,
#      all streams back, and events posted after it reach every stream with
#      no gap in the ids), then a reconnect storm (every stream dropped and
#      reopened at once with Last-Event-ID while tickets are posted).
# Results go to var/bench-results/sse-<timestamp>/summary.txt.
#
# Environment (defaults in brackets):
#   SSE_STREAMS ["1000 5000 10000"]  stream counts
#   SSE_RATE [10] SSE_SECS [20]      tickets per second, seconds of posting
#   SSE_IDLE [10]                    seconds of idle CPU measurement
#   SSE_PIN [0]                      1: httpd on CPU 0 and the load generator
#                                    on CPU 1 (taskset), so neither takes the
#                                    other's core, as when clients are remote
#   TICKETS_BUILD_DIR [build], HTTPD [/usr/sbin/apache2], PG_BINDIR
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

STREAMS=${SSE_STREAMS:-"1000 5000 10000"}
RATE=${SSE_RATE:-10}
SECS=${SSE_SECS:-20}
IDLE=${SSE_IDLE:-10}
PIN=${SSE_PIN:-0}
ON_SERVER=() ON_CLIENT=()
if [ "$PIN" = 1 ]; then
    ON_SERVER=(taskset -c 0) ON_CLIENT=(taskset -c 1)
fi
LOAD=$BUILD/sse_load

ORG=00000000-0000-4000-8000-0000000000a1      # acme (sql/demo.sql)
ADMIN=00000000-0000-4000-8000-00000000a001    # admin@acme.test

DIR=$root/var/bench-sse-$$
INST=$DIR/httpd
CONF=$INST/httpd.conf
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$root/var/bench-results/sse-$STAMP
RESULT=$OUT/summary.txt
MAX_SECONDS=${BENCH_MAX_SECONDS:-1200}

log() { echo "bench-sse: $(date +%T) $*" >&2; }
die() {
    echo "bench-sse: error: $*" >&2
    exit 1
}

# ---- cleanup -----------------------------------------------------------------
load_pid=
# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$load_pid" ] && { kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; }
    bench_teardown
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_watchdog bench-sse "$MAX_SECONDS"

# ---- prerequisites -------------------------------------------------------
[ -x "$HTTPD" ] || die "no httpd at $HTTPD"
[ -f "$BUILD/mod_tickets.so" ] && [ -f "$BUILD/mod_tickets_sse.so" ] ||
    die "$BUILD/mod_tickets.so or mod_tickets_sse.so is missing: run make first"
[ -x "$LOAD" ] || die "$LOAD is missing: run make sse-load"
max_n=0
for n in $STREAMS; do [ "$n" -gt "$max_n" ] && max_n=$n; done
# Each process (the load generator, an httpd child) needs a descriptor per
# stream it holds, with room.
want_files=$((max_n + 4096))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want_files" ]; then
    if ! ulimit -Hn "$want_files" 2>/dev/null; then
        [ "$hard" -ge $((max_n + 256)) ] || die "the open-files hard limit ($hard) is too low for $max_n streams"
        want_files=$hard
    fi
fi
ulimit -n "$want_files"
mkdir -p "$DIR" "$OUT"

HTTP_PORT=$(bench_free_port)

# ---- PostgreSQL, token, httpd ---------------------------------------------------
log "PostgreSQL cluster in $DIR/pg"
PG_FAST=1 bench_pg "$(bench_free_port)"
TOKEN=$(bench_token bench-sse)

log "httpd on 127.0.0.1:$HTTP_PORT"
mkdir -p "$INST"
# One user holds every stream: no per-user limit here.
cat >"$INST/extra.conf" <<EOF
TicketsSSEMaxStreams 10000
TicketsSSEMaxStreamsPerUser 0
LogLevel tickets_sse:notice
EOF
bench_httpd "$HTTP_PORT" "${ON_SERVER[@]}"
AUTH="Authorization: Bearer $TOKEN"

# ---- measuring helpers -------------------------------------------------------------
httpd_pids() { # every process of this instance (parent and children)
    pgrep -f -- "-f $CONF" || true
}
children_rss_kb() {
    local parent total=0 p kb
    parent=$(cat "$INST/run/httpd.pid")
    for p in $(httpd_pids); do
        [ "$p" = "$parent" ] && continue
        kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}
cpu_ticks() { # utime + stime of every httpd process
    local p total=0 t
    for p in $(httpd_pids); do
        t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)
        total=$((total + ${t:-0}))
    done
    echo "$total"
}
stat_field() { curl -fsS -H "$AUTH" "$URL/api/events/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['data']['$1'])"; }
wait_streams_closed() {
    for _ in $(seq 1 300); do
        [ "$(stat_field streamsOpen)" = 0 ] && return 0
        sleep 0.1
    done
    log "warning: streams still open: $(stat_field streamsOpen)"
}

# The load generator as a coprocess: commands in, result lines out.
start_load() { # N
    coproc LOADP { exec "${ON_CLIENT[@]}" "$LOAD" -p "$HTTP_PORT" -n "$1" -H "$AUTH" -c 512 2>>"$OUT/sse_load.err"; }
    load_pid=$LOADP_PID
}
send() { echo "$*" >&"${LOADP[1]}"; }
expect() { # PREFIX TIMEOUT -> the line
    local line deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if read -r -t $((deadline - SECONDS + 1)) line <&"${LOADP[0]}"; then
            echo "$line" >>"$OUT/sse_load.out"
            case $line in "$1"*) echo "$line"; return 0 ;; esac
        fi
    done
    die "sse_load said no '$1' within $2 s"
}
stop_load() {
    send quit || true
    wait "$load_pid" 2>/dev/null || true
    load_pid=
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# A graceful restart while API requests are made every 0.1 s for 5 s:
# sets first (seconds from the signal to the first answer) and slowest.
graceful_probe() {
    local t0 end took
    first= slowest=0
    t0=$(date +%s.%N)
    "$HTTPD" -f "$CONF" -k graceful
    end=$(awk -v t="$t0" 'BEGIN { printf "%.3f", t + 5 }')
    while awk -v t="$(date +%s.%N)" -v e="$end" 'BEGIN { exit !(t + 0 < e + 0) }'; do
        took=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 -H "$AUTH" \
            "$URL/api/tickets?limit=1" || echo "000 10")
        if [ "${took%% *}" = 200 ] && [ -z "$first" ]; then
            first=$(awk -v t="$(date +%s.%N)" -v s="$t0" 'BEGIN { printf "%.3f", t - s }')
        fi
        slowest=$(awk -v a="$slowest" -v b="${took#* }" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
        sleep 0.1
    done
}

log "graceful restart without streams (for comparison)"
graceful_probe
BASE_FIRST=$first BASE_SLOWEST=$slowest
sleep 2
# Children's memory before any stream: every N is measured against it.
base=$(children_rss_kb)

declare -A HELD RSS CPU RES
HZ=$(getconf CLK_TCK)
for n in $STREAMS; do
    wait_streams_closed
    log "N=$n: opening streams"
    start_load "$n"
    ready=$(expect READY 180)
    sleep 2
    HELD[$n]=$(stat_field streamsOnLoop)
    rss=$(children_rss_kb)
    RSS[$n]=$(awk -v a="$rss" -v b="$base" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }')
    log "N=$n: open in ${ready#READY }s, ${HELD[$n]} on the loop, RSS $base -> $rss KB; idle CPU for ${IDLE}s"
    t0=$(cpu_ticks)
    sleep "$IDLE"
    t1=$(cpu_ticks)
    CPU[$n]=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$IDLE" 'BEGIN { printf "%.1f", 100 * d / hz / s }')
    log "N=$n: posting $RATE tickets/s for ${SECS}s"
    send post "$RATE" "$SECS"
    RES[$n]=$(expect RESULT $((SECS + 60)))
    log "N=$n: ${RES[$n]}"
    [ "$n" = "$max_n" ] && break        # the largest stays open for what follows
    stop_load
done

# ---- graceful restart with the largest N open --------------------------------------
log "graceful restart with $max_n streams"
graceful_probe
send waitopen 60
reopen=$(expect OPEN 70)
send post "$RATE" 5
RESTART_RES=$(expect RESULT 70)
send status
RESTART_STATUS=$(expect STATUS 10)
log "restart: API at +${first}s, slowest ${slowest}s, $reopen; $RESTART_RES"

# ---- reconnect storm ----------------------------------------------------------------
log "reconnect storm: $max_n streams dropped and reopened at once"
send drop
expect DROPPED 10 >/dev/null
send post "$RATE" 5
send waitopen 120
storm_open=$(expect OPEN 130)
STORM_RES=$(expect RESULT 70)
send status
STORM_STATUS=$(expect STATUS 10)
log "storm: $storm_open; $STORM_RES"
stop_load
wait_streams_closed
FINAL_STATS=$(curl -fsS -H "$AUTH" "$URL/api/events/stats")

# ---- report ----------------------------------------------------------------------
pgver=$("$PSQL" -X -At -c 'SHOW server_version')
mpm=$(sed -n '/<IfModule mpm_event_module>/,/<\/IfModule>/p' "$CONF" |
    grep -v IfModule | awk '{printf "%s%s=%s", sep, $1, $2; sep=", "}')
{
    echo "mod_tickets_sse stream benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "machine:  $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores," \
        "$(free -g | awk '/^Mem:/ {print $2}') GB RAM, kernel $(uname -r)"
    echo "software: $("$HTTPD" -v | sed -n 's/^Server version: //p'), PostgreSQL $pgver"
    echo "httpd:    MPM event: $mpm; TicketsSSEMaxStreams 10000; TicketsSSEMaxStreamsPerUser 0; open files $(ulimit -n)"
    echo "load:     bench/sse_load on the same machine$([ "$PIN" = 1 ] && echo " (httpd pinned to CPU 0, sse_load to CPU 1)");" \
        "$RATE tickets/s for ${SECS}s through POST /api/tickets"
    echo
    printf '%7s %6s %9s %9s %8s %8s %8s %6s %9s %8s\n' streams held expected received \
        missing "p50 ms" "p99 ms" gaps "KB/strm" "idle CPU"
    for n in $STREAMS; do
        r=${RES[$n]}
        printf '%7s %6s %9s %9s %8s %8s %8s %6s %9s %7s%%\n' "$n" "${HELD[$n]}" \
            "$(field expected "$r")" "$(field received "$r")" "$(field missing "$r")" \
            "$(field p50_ms "$r")" "$(field p99_ms "$r")" "$(field gaps "$r")" "${RSS[$n]}" "${CPU[$n]}"
    done
    echo
    echo "graceful restart without streams: first API answer ${BASE_FIRST:-none}s after the signal," \
        "slowest API request in the next 5 s ${BASE_SLOWEST}s"
    echo "graceful restart with $max_n streams: first API answer ${first:-none}s after the signal," \
        "slowest API request in the next 5 s ${slowest}s;"
    echo "  streams back: $reopen (seconds, open); after it: $RESTART_RES"
    echo "  $RESTART_STATUS"
    echo "reconnect storm of $max_n: $storm_open (seconds, open); posted during it: $STORM_RES"
    echo "  $STORM_STATUS"
    echo
    echo "stats at the end: $FINAL_STATS"
} | tee "$RESULT"
cp "$INST/logs/error_log" "$OUT/error_log" 2>/dev/null || true
log "results: $RESULT"
