#!/bin/bash
# webhooks.sh: the outbound webhook benchmark (make bench-webhooks).
#
#   bench/webhooks.sh
#
# One run, loopback only, everything throwaway under
# var/bench-webhooks-<pid>: a private PostgreSQL cluster, an httpd with
# both modules (TicketsWebhookAllowLocal On, as make run has it) and the
# tests' webhook receiver, which answers every delivery at once.
# bench/webhooks.py then measures, in this one run:
#   1. the receiver's own capacity (POSTs/s from a client over 8
#      connections), the ceiling of what follows;
#   2. deliveries/s: BENCH_DELIVERIES events committed at once, from the
#      commit to the last one received, every signature checked;
#   3. commit -> delivery latency of tickets created through the API at
#      BENCH_RATE a second for BENCH_DURATION seconds: p50 and p99;
#   4. a table with the ratio of 2 to 1.
# Results also go to var/bench-results/webhooks-<timestamp>/.
#
# Environment (defaults in brackets):
#   BENCH_DELIVERIES   [5000]  events of the throughput run
#   BENCH_RATE         [20]    tickets a second in the latency run
#   BENCH_DURATION     [15]    seconds of the latency run
#   BENCH_JOB_WORKERS  [4]     TicketsJobWorkers (per child)
#   BENCH_PG_FAST      [0]     1: fsync=off etc.
#   TICKETS_BUILD_DIR [build], HTTPD [/usr/sbin/apache2], PG_BINDIR
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

N=${BENCH_DELIVERIES:-5000}
RATE=${BENCH_RATE:-20}
DURATION=${BENCH_DURATION:-15}
WORKERS=${BENCH_JOB_WORKERS:-4}
DIR=$root/var/bench-webhooks-$$
INST=$DIR/httpd
CONF=$INST/httpd.conf
OUT=$root/var/bench-results/webhooks-$(date -u +%Y%m%dT%H%M%SZ)
RESULT=$OUT/summary.txt

log() { echo "bench-webhooks: $(date +%T) $*" >&2; }
die() {
    echo "bench-webhooks: error: $*" >&2
    exit 1
}

# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    bench_teardown
    rm -rf "$DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_watchdog bench-webhooks $((600 + 4 * DURATION))

[ -x "$HTTPD" ] || die "no httpd at $HTTPD"
[ -f "$BUILD/mod_tickets.so" ] || die "$BUILD/mod_tickets.so is missing: run make first"
mkdir -p "$DIR" "$OUT" "$INST"

log "PostgreSQL cluster in $DIR/pg"
PG_FAST=${BENCH_PG_FAST:-0} bench_pg "$(bench_free_port)"
echo "TicketsJobWorkers $WORKERS" >"$INST/extra.conf"
HTTP_PORT=$(bench_free_port)
log "httpd on 127.0.0.1:$HTTP_PORT, $WORKERS job workers per child"
bench_httpd "$HTTP_PORT"
TOKEN=$(bench_token bench-webhooks)
sleep 2
CHILDREN=$(pgrep -P "$(cat "$INST/run/httpd.pid")" | wc -l)

log "receiver capacity, $N deliveries, then ${DURATION}s of tickets at $RATE/s"
PATH=$PG_BINDIR:$PATH python3 bench/webhooks.py "$URL" "$TOKEN" "$N" "$RATE" "$DURATION" "$OUT" \
    >"$OUT/driver.out" || die "the driver failed: $(tail -5 "$OUT/driver.out")"
val() { awk -v k="$1" '$1 == k {print $2}' "$OUT/driver.out"; }
[ "$(val distinct)" = "$N" ] || die "$(val distinct) distinct events of $N were delivered"
[ "$(val bad_signatures)" = 0 ] || die "$(val bad_signatures) deliveries failed the signature check"
read -r FAILED PENDING <<<"$(psql_ -At -F ' ' -c "SELECT count(*) FILTER (WHERE state = 'failed'),
                                                  count(*) FILTER (WHERE state = 'pending')
                                             FROM webhook_deliveries")"
[ "$FAILED" = 0 ] || die "$FAILED deliveries failed"

{
    echo "webhooks benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    bench_machine
    echo "httpd: $CHILDREN children x $WORKERS job workers; PostgreSQL $("$PSQL" -V | awk '{print $3}')," \
         "fsync $([ "${BENCH_PG_FAST:-0}" = 1 ] && echo off || echo on)"
    echo
    printf '%-56s %10s %10s %6s\n' "" "module" "receiver" "ratio"
    printf '%-56s %10s %10s %6s\n' "signed deliveries/s (commit -> last received)" \
        "$(val throughput)" "$(val capacity)" "$(bench_ratio "$(val throughput)" "$(val capacity)")"
    echo
    echo "throughput run: $N events in one commit, all delivered once each, signatures checked;" \
         "first received $(val first_ms) ms after the commit; $PENDING still pending after (0 expected)"
    echo "latency run: $(val tickets) tickets at $RATE/s; API answer -> delivery p50 $(val answer_p50) ms," \
         "p99 $(val answer_p99) ms; request sent -> delivery p50 $(val send_p50) ms, p99 $(val send_p99) ms"
} | tee "$RESULT"
