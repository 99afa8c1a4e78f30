#!/bin/bash
# jobs.sh: the job-queue benchmark (make bench-jobs).
#
#   bench/jobs.sh
#
# One run, loopback only, everything throwaway under var/bench-jobs-<pid>:
# a private PostgreSQL cluster and an httpd whose job workers run the kind
# test.noop (tests/modules/mod_tickets_testjobs.c: a job that does nothing,
# so what is measured is the queue itself).  Then:
#   1. drain: BENCH_JOBS jobs enqueued in one transaction and woken; the
#      workers claim and finish them.  jobs/s from the table's own times
#      (first created_at to last finished_at);
#   2. flow: pgbench enqueues as requests do (BEGIN, job_enqueue, COMMIT,
#      wake) at full speed for BENCH_DURATION seconds while the workers
#      run them: jobs/s enqueued, jobs/s done within the window, backlog;
#   3. latency: pgbench enqueues BENCH_RATE jobs/s, one per transaction,
#      for BENCH_DURATION seconds; p50/p99/max of started_at - created_at
#      (the time from the enqueuing transaction to the claim);
#   4. pgbench running the very statements of sql/queries.sql (cut out by
#      bench/sqlq.py) with as many clients as the host has job workers:
#      job_claim + job_done (against 1), and that while BENCH_ENQUEUERS
#      more clients run job_enqueue + wake (against 2), on a kind no
#      worker runs;
#   5. a table with the ratios.
# Results also go to var/bench-results/jobs-<timestamp>/ (summary.txt, the
# pgbench scripts and outputs).
#
# Environment (defaults in brackets):
#   BENCH_JOBS        [20000] jobs of the drain
#   BENCH_DURATION    [15]    seconds of each pgbench run and of the flow
#   BENCH_RATE        [50]    jobs/s enqueued for the latency
#   BENCH_ENQUEUERS   [4]     pgbench clients enqueuing in the flow
#   BENCH_JOB_WORKERS [2]     TicketsJobWorkers (per child; 2 children)
#   BENCH_PG_FAST     [0]     1: fsync=off etc. (default: durable commits)
#   TICKETS_BUILD_DIR [build], HTTPD [/usr/sbin/apache2], PG_BINDIR
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

NJOBS=${BENCH_JOBS:-20000}
DURATION=${BENCH_DURATION:-15}
RATE=${BENCH_RATE:-50}
ENQUEUERS=${BENCH_ENQUEUERS:-4}
WORKERS=${BENCH_JOB_WORKERS:-2}

ORG=00000000-0000-4000-8000-0000000000a1      # acme (sql/demo.sql)
DIR=$root/var/bench-jobs-$$
INST=$DIR/httpd
CONF=$INST/httpd.conf
OUT=$root/var/bench-results/jobs-$(date -u +%Y%m%dT%H%M%SZ)
RESULT=$OUT/summary.txt

log() { echo "bench-jobs: $(date +%T) $*" >&2; }
die() {
    echo "bench-jobs: error: $*" >&2
    exit 1
}

# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    bench_teardown
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_watchdog bench-jobs $((600 + 6 * DURATION))

[ -x "$HTTPD" ] || die "no httpd at $HTTPD"
for so in mod_tickets.so mod_tickets_testjobs.so; do
    [ -f "$BUILD/$so" ] || die "$BUILD/$so is missing: run make first"
done
mkdir -p "$DIR" "$OUT" "$INST"

# ---- the instance --------------------------------------------------------------
log "PostgreSQL cluster in $DIR/pg"
PG_FAST=${BENCH_PG_FAST:-0} bench_pg "$(bench_free_port)"
cat >"$INST/extra.conf" <<EOF
LoadModule tickets_testjobs_module $root/$BUILD/mod_tickets_testjobs.so
TicketsJobWorkers $WORKERS
EOF
HTTP_PORT=$(bench_free_port)
log "httpd on 127.0.0.1:$HTTP_PORT, $WORKERS job workers per child"
bench_httpd "$HTTP_PORT"

q() { psql_ -At -c "$1"; }
# Wait until no job of kind $1 is unfinished (at most $2 seconds).
drained() {
    local deadline=$((SECONDS + $2))
    while [ "$(q "SELECT count(*) FROM jobs WHERE kind = '$1' AND state <> 'done'")" != 0 ]; do
        [ $SECONDS -lt $deadline ] || die "jobs of kind $1 still unfinished after $2 s"
        sleep 0.2
    done
}
# Every worker of the host is waiting for work: the host's children have
# started theirs (TK00060 in the error log names each).
sleep 2
CHILDREN=$(pgrep -P "$(cat "$INST/run/httpd.pid")" | wc -l)
NWORKERS=$((CHILDREN * WORKERS))
log "$CHILDREN children: $NWORKERS job workers"

# ---- 1. drain --------------------------------------------------------------------
log "drain: $NJOBS jobs in one transaction"
q "BEGIN;
   INSERT INTO jobs (org_id, kind, payload)
   SELECT '$ORG', 'test.noop', jsonb_build_object('n', g) FROM generate_series(1, $NJOBS) g;
   COMMIT;
   SELECT pg_notify('tickets_jobs', '');" >/dev/null
drained test.noop 600
DRAIN=$(q "SELECT round($NJOBS / extract(epoch FROM max(finished_at) - min(created_at)))
             FROM jobs WHERE kind = 'test.noop'")
q "DELETE FROM jobs WHERE kind = 'test.noop'" >/dev/null

# ---- pgbench scripts: the module's statements ---------------------------------------
enqueue() { # $1: the kind
    echo "BEGIN;"
    bench/sqlq.py job_enqueue "'$ORG'" "'$1'" "'{\"bench\": 1}'" 0 NULL
    echo "COMMIT;"
    bench/sqlq.py wake false true
}
enqueue test.noop >"$OUT/enqueue.sql"
{
    bench/sqlq.py job_claim "'bench-' || :client_id" 60 "'bench.sql'" | sed 's/;$/ \\gset/'
    echo "BEGIN;"
    bench/sqlq.py job_done ":id" "'bench-' || :client_id"
    echo "COMMIT;"
} >"$OUT/claim_done.sql"
enqueue bench.sql >"$OUT/enqueue_sql.sql"

# ---- 2. flow: enqueued as requests do, run as they come ------------------------------
log "flow: $ENQUEUERS clients enqueue for ${DURATION}s"
FLOW_START=$(q "SELECT now()")
ENQ_TPS=$(bench_pgbench flow -c "$ENQUEUERS" -j 2 -T "$DURATION" -f "$OUT/enqueue.sql")
FLOW_END=$(q "SELECT now()")
read -r FLOW_DONE BACKLOG <<<"$(q "SELECT round(count(*) FILTER (WHERE finished_at <= '$FLOW_END')
                                                / extract(epoch FROM timestamptz '$FLOW_END' - '$FLOW_START')),
                                          count(*) FILTER (WHERE finished_at IS NULL OR finished_at > '$FLOW_END')
                                     FROM jobs WHERE kind = 'test.noop'" | tr '|' ' ')"
drained test.noop 600
q "DELETE FROM jobs WHERE kind = 'test.noop'" >/dev/null

# ---- 3. latency ----------------------------------------------------------------------
log "latency: $RATE jobs/s for ${DURATION}s"
bench_pgbench latency -c 1 -R "$RATE" -T "$DURATION" -f "$OUT/enqueue.sql" >/dev/null
drained test.noop 120
read -r P50 P99 PMAX NLAT <<<"$(q "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 1),
                                          round(percentile_cont(0.99) WITHIN GROUP (ORDER BY d)::numeric, 1),
                                          round(max(d)::numeric, 1), count(*)
                                     FROM (SELECT extract(epoch FROM started_at - created_at) * 1000 AS d
                                             FROM jobs WHERE kind = 'test.noop') l" | tr '|' ' ')"
q "DELETE FROM jobs WHERE kind = 'test.noop'" >/dev/null

# ---- 4. pgbench, the same statements -------------------------------------------------
PREFILL=$((DURATION * 8000))
log "pgbench: $PREFILL jobs of a kind no worker runs, $NWORKERS clients"
q "INSERT INTO jobs (org_id, kind, payload)
   SELECT '$ORG', 'bench.sql', '{}' FROM generate_series(1, $PREFILL)" >/dev/null
q "VACUUM ANALYZE jobs" >/dev/null
PG_CLAIM=$(bench_pgbench claim_done -c "$NWORKERS" -j 2 -T "$DURATION" -f "$OUT/claim_done.sql")
[ "$(q "SELECT count(*) FROM jobs WHERE kind = 'bench.sql' AND state IN ('queued', 'retrying')")" != 0 ] ||
    die "the pgbench queue ran dry: raise PREFILL"
q "DELETE FROM jobs WHERE kind = 'bench.sql'" >/dev/null
q "VACUUM ANALYZE jobs" >/dev/null
# The flow's pair: enqueuers and claimers at once, as in 2.  A standing
# backlog, so that a claimer never finds the queue empty.
q "INSERT INTO jobs (org_id, kind, payload)
   SELECT '$ORG', 'bench.sql', '{}' FROM generate_series(1, 2000)" >/dev/null
bench_pgbench enqueue_sql -c "$ENQUEUERS" -j 1 -T "$DURATION" -f "$OUT/enqueue_sql.sql" >"$OUT/enqueue_sql.tps" &
enq_pid=$!
PG_FLOW=$(bench_pgbench flow_claim_done -c "$NWORKERS" -j 1 -T "$DURATION" -f "$OUT/claim_done.sql")
wait "$enq_pid" || die "pgbench enqueue_sql failed"
PG_ENQ=$(cat "$OUT/enqueue_sql.tps")
q "DELETE FROM jobs WHERE kind = 'bench.sql'" >/dev/null

# ---- 5. summary ----------------------------------------------------------------------
{
    echo "job-queue benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    bench_machine
    echo "httpd: $CHILDREN children x $WORKERS job workers; PostgreSQL $("$PSQL" -V | awk '{print $3}')," \
         "fsync $([ "${BENCH_PG_FAST:-0}" = 1 ] && echo off || echo on)"
    echo
    printf '%-44s %10s %12s %6s\n' "" "workers" "pgbench" "ratio"
    printf '%-44s %10s %12s %6s\n' "drain: claim + done, jobs/s ($NJOBS jobs)" "$DRAIN" "$PG_CLAIM" "$(bench_ratio "$DRAIN" "$PG_CLAIM")"
    printf '%-44s %10s %12s %6s\n' "flow: enqueue -> claim -> done, jobs/s" "$FLOW_DONE" "$PG_FLOW" "$(bench_ratio "$FLOW_DONE" "$PG_FLOW")"
    echo
    echo "flow: $ENQUEUERS clients enqueued $ENQ_TPS jobs/s (pgbench: $PG_ENQ); $BACKLOG were not done at the end of the ${DURATION}s"
    echo "latency, enqueue -> start ($NLAT jobs at $RATE/s): p50 $P50 ms, p99 $P99 ms, max $PMAX ms"
} | tee "$RESULT"
