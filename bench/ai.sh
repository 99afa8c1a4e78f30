#!/bin/bash
# ai.sh: the AI layer benchmark (make bench-ai).
#
#   bench/ai.sh
#
# One run, loopback only, everything throwaway under var/bench-ai-<pid>:
# a private PostgreSQL cluster, an httpd with both modules whose provider
# is the tests' scripted one (bench/ai.py starts it), answering at once,
# with the answer cache off so every job and message calls it.
# bench/ai.py then measures, in this one run:
#   1. copilot latency: POST /api/copilot/v1/analyze to the
#      copilot_job_updated event of its success on the caller's stream,
#      BENCH_AI_N jobs one after another: p50, p99;
#   2. the overhead of an agent chat message beyond the provider's own
#      time: BENCH_AI_N messages answered at once, and BENCH_AI_N that
#      make one tool call first: p50, p99.
# Results also go to var/bench-results/ai-<timestamp>/.
#
# Environment (defaults in brackets):
#   BENCH_AI_N         [200]   jobs, and messages of each kind
#   BENCH_PG_FAST      [0]     1: fsync=off etc.
#   TICKETS_BUILD_DIR [build], HTTPD [/usr/sbin/apache2], PG_BINDIR
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

N=${BENCH_AI_N:-200}
DIR=$root/var/bench-ai-$$
INST=$DIR/httpd
CONF=$INST/httpd.conf
OUT=$root/var/bench-results/ai-$(date -u +%Y%m%dT%H%M%SZ)
RESULT=$OUT/summary.txt

log() { echo "bench-ai: $(date +%T) $*" >&2; }
die() {
    echo "bench-ai: error: $*" >&2
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
bench_watchdog bench-ai $((600 + N))

[ -x "$HTTPD" ] || die "no httpd at $HTTPD"
[ -f "$BUILD/mod_tickets.so" ] || die "$BUILD/mod_tickets.so is missing: run make first"
mkdir -p "$DIR" "$OUT" "$INST"

log "PostgreSQL cluster in $DIR/pg"
PG_FAST=${BENCH_PG_FAST:-0} bench_pg "$(bench_free_port)"
LLM_PORT=$(bench_free_port)
cat >"$INST/extra.conf" <<CONF
TicketsLLMEndpoint http://127.0.0.1:$LLM_PORT/v1
TicketsLLMModel bench-model
TicketsLLMCacheTTL 0
CONF
HTTP_PORT=$(bench_free_port)
log "httpd on 127.0.0.1:$HTTP_PORT, the provider on 127.0.0.1:$LLM_PORT"
bench_httpd "$HTTP_PORT"
TOKEN=$(bench_token bench-ai)
sleep 2
CHILDREN=$(pgrep -P "$(cat "$INST/run/httpd.pid")" | wc -l)

log "$N copilot jobs, then $N chat messages and $N with a tool call"
python3 bench/ai.py "$URL" "$TOKEN" "$LLM_PORT" "$N" "$OUT" \
    >"$OUT/driver.out" || die "the driver failed: $(tail -5 "$OUT/driver.out")"
val() { awk -v k="$1" '$1 == k {print $2}' "$OUT/driver.out"; }
read -r OK ERR <<<"$(psql_ -At -F ' ' -c "SELECT count(*) FILTER (WHERE state = 'success'),
                                              count(*) FILTER (WHERE state <> 'success')
                                         FROM ai_suggestions")"
[ "$OK" = "$N" ] && [ "$ERR" = 0 ] || die "$OK suggestions succeeded, $ERR did not"

{
    echo "AI benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    bench_machine
    echo "httpd: $CHILDREN children; PostgreSQL $("$PSQL" -V | awk '{print $3}')," \
         "fsync $([ "${BENCH_PG_FAST:-0}" = 1 ] && echo off || echo on);" \
         "a provider on loopback that answers at once; $(val provider_calls) calls to it"
    echo
    printf '%-64s %8s %8s\n' "" "p50 ms" "p99 ms"
    printf '%-64s %8s %8s\n' "copilot: POST analyze -> copilot_job_updated (success)" \
        "$(val copilot_p50)" "$(val copilot_p99)"
    printf '%-64s %8s %8s\n' "chat message answered at once: overhead beyond the provider" \
        "$(val chat_p50)" "$(val chat_p99)"
    printf '%-64s %8s %8s\n' "chat message with one tool call: overhead beyond the provider" \
        "$(val tool_p50)" "$(val tool_p99)"
    echo
    echo "$N of each; the whole chat request took p50 $(val chat_total_p50) ms" \
         "(answer) and $(val tool_total_p50) ms (tool call, two provider calls)"
} | tee "$RESULT"
