#!/bin/bash
# run.sh: the mod_tickets throughput benchmark (make bench).
#
#   bench/run.sh
#
# One run, loopback only, everything throwaway under var/bench-<pid>:
#   1. a private PostgreSQL cluster (scripts/pg.sh) and httpd instance
#      (scripts/httpd-conf.sh, apache2 -k start); migrations, sql/demo.sql,
#      BENCH_TICKETS extra tickets for org acme, ANALYZE;
#   2. an API token for admin@acme.test inserted directly in SQL;
#   3. wrk (32 connections, 2 threads) against GET /api/tickets/:number,
#      GET /api/tickets?status=open&limit=20 and POST /api/tickets;
#   4. pgbench (-M prepared, 32 clients, 2 threads) running the very SQL
#      those endpoints run, cut out of sql/queries.sql by bench/sqlq.py;
#   5. a table: req/s, p50, p99, pgbench tps, ratio, PASS/MISS;
#   6. a per-org counter row versus a per-org sequence for ticket numbers
#      (pgbench, 32 clients, one org, scratch tables).
# Results also go to var/bench-results/<timestamp>/ (summary.txt, the raw
# wrk and pgbench outputs and the pgbench scripts).
#
# Environment (defaults in brackets):
#   BENCH_DURATION [15]   seconds per measured wrk/pgbench run
#   BENCH_WARMUP   [3]    seconds of warm-up before each measured run
#   BENCH_CONNS    [32]   connections / pgbench clients
#   BENCH_THREADS  [2]    wrk / pgbench threads
#   BENCH_TICKETS  [10000] extra tickets seeded for org acme
#   BENCH_PG_FAST  [0]    1: fsync=off etc. (default: durable commits)
#   BENCH_PERF     [0]    1: perf record -a -g during a second GET-by-id run,
#                          report in var/bench-results/<timestamp>/perf.txt
#   BENCH_KEEP     [0]    1: leave the instance running for inspection
#                          (prints how to stop it); no cleanup
#   TICKETS_BUILD_DIR [build], HTTPD [/usr/sbin/apache2], PG_BINDIR
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
CONNS=${BENCH_CONNS:-32}
THREADS=${BENCH_THREADS:-2}
NTICKETS=${BENCH_TICKETS:-10000}

ORG=00000000-0000-4000-8000-0000000000a1      # acme (sql/demo.sql)
ADMIN=00000000-0000-4000-8000-00000000a001    # admin@acme.test
AGENT=00000000-0000-4000-8000-00000000a002
CUSTOMER=00000000-0000-4000-8000-00000000c001

DIR=$root/var/bench-$$
INST=$DIR/httpd
CONF=$INST/httpd.conf
WORK=$DIR/work
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESDIR=$root/var/bench-results
OUT=$RESDIR/$STAMP
RESULT=$OUT/summary.txt
# Hard limit for the whole run; a watchdog ends it if anything hangs.
MAX_SECONDS=${BENCH_MAX_SECONDS:-$((300 + 10 * (DURATION + WARMUP)))}

log() { echo "bench: $(date +%T) $*" >&2; }
die() {
    echo "bench: error: $*" >&2
    exit 1
}

# ---- cleanup -----------------------------------------------------------------
# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "${BENCH_KEEP:-0}" = 1 ] && [ "$rc" -eq 0 ]; then
        [ -n "$watchdog_pid" ] && { kill "$watchdog_pid" 2>/dev/null || true; wait "$watchdog_pid" 2>/dev/null || true; }
        log "BENCH_KEEP=1: left running; stop with:"
        log "  $HTTPD -f $CONF -k stop; scripts/pg.sh destroy $DIR; rm -rf $DIR"
        return
    fi
    bench_teardown
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_watchdog bench "$MAX_SECONDS"

# ---- prerequisites -------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "wrk is not installed (apt-get install wrk)"
    log "installing wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } ||
        die "could not install wrk"
fi
command -v python3 >/dev/null || die "python3 is needed"
[ -x "$HTTPD" ] || die "no httpd at $HTTPD"
[ -f "$BUILD/mod_tickets.so" ] || die "$BUILD/mod_tickets.so is missing: run make first"

mkdir -p "$DIR" "$WORK" "$OUT"

HTTP_PORT=$(bench_free_port)

# ---- 1. PostgreSQL: cluster, schema, demo data, seed --------------------------
log "PostgreSQL cluster in $DIR/pg"
PG_FAST=${BENCH_PG_FAST:-0} bench_pg "$(bench_free_port)"

log "seeding $NTICKETS tickets for org acme"
psql_ <<SQL
SET client_min_messages = warning;
BEGIN;
WITH o AS (
    SELECT id, ticket_seq FROM organizations WHERE id = '$ORG'
), src AS (
    SELECT g, o.id AS org_id, o.ticket_seq,
           (ARRAY['open','in_progress','waiting','resolved','closed'])[1 + g % 5] AS status,
           (ARRAY['low','medium','high','urgent'])[1 + g % 4] AS priority,
           (ARRAY['account','billing','bug','feature'])[1 + g % 4] AS category,
           (ARRAY['auth','invoices','reports','mobile','console','search'])[1 + g % 6] AS product_area,
           (ARRAY['web','api','email','chat','call'])[1 + g % 5] AS source,
           CASE WHEN g % 3 = 0 THEN '$AGENT'::uuid END AS assignee_id,
           CASE WHEN g % 2 = 0 THEN '$ADMIN'::uuid ELSE '$AGENT'::uuid END AS creator_id,
           CASE WHEN g % 4 = 0 THEN '$CUSTOMER'::uuid END AS customer_id,
           now() - interval '1 day' - g * interval '1 minute' AS created_at
      FROM o, generate_series(1, $NTICKETS) g
), ins AS (
    INSERT INTO tickets (org_id, number, title, description, status, priority,
                         category, product_area, source, tags, assignee_id,
                         creator_id, customer_id, closed_at, created_at, updated_at)
    SELECT org_id, nextval(ticket_seq::regclass),
           'Seeded ticket ' || g || ': printer on floor ' || (g % 9) || ' is jammed',
           'Ticket ' || g || ' seeded by bench/run.sh. The printer shows error E'
               || (g % 97) || ' after the last firmware update; please advise.',
           status, priority, category, product_area, source,
           ARRAY['bench', 'tag' || (g % 10)], assignee_id, creator_id, customer_id,
           CASE WHEN status = 'closed' THEN created_at + interval '1 hour' END,
           created_at, created_at
      FROM src ORDER BY g
    RETURNING *
), msg AS (
    INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, content, created_at)
    SELECT i.org_id, i.id, i.creator_id,
           CASE WHEN u.role = 'customer' THEN 'customer' ELSE 'agent' END,
           i.description, i.created_at
      FROM ins i JOIN users u ON u.id = i.creator_id
)
INSERT INTO ticket_events (org_id, ticket_id, actor_id, type, payload, created_at)
SELECT i.org_id, i.id, i.creator_id, 'TICKET_CREATED',
       jsonb_build_object('after', tk_ticket_json(i)), i.created_at
  FROM ins i;
COMMIT;
VACUUM ANALYZE;
SQL
MAXNUM=$(psql_ -At -c "SELECT max(number) FROM tickets WHERE org_id = '$ORG'")
NOPEN=$(psql_ -At -c "SELECT count(*) FROM tickets WHERE org_id = '$ORG' AND status = 'open' AND deleted_at IS NULL")
log "org acme: tickets 1..$MAXNUM, $NOPEN open"

# ---- 2. API token ---------------------------------------------------------
TOKEN=$(bench_token bench)

# ---- httpd ------------------------------------------------------------------
log "httpd on 127.0.0.1:$HTTP_PORT"
mkdir -p "$INST"
: >"$INST/extra.conf"
bench_httpd "$HTTP_PORT"
AUTH="Authorization: Bearer $TOKEN"
CREATE_BODY='{"title":"Benchmark ticket","description":"Created by bench/run.sh under load."}'

# Each endpoint must answer as expected before it is measured.
check() {
    local want=$1 got
    shift
    got=$(curl -sS -o "$WORK/check.out" -w '%{http_code}' -H "$AUTH" "$@")
    [ "$got" = "$want" ] || {
        cat "$WORK/check.out" >&2
        echo >&2
        die "$* answered $got, expected $want"
    }
}
check 200 "$URL/api/tickets/$MAXNUM"
check 200 "$URL/api/tickets?status=open&limit=20"
check 201 -X POST -H 'Content-Type: application/json' --data "$CREATE_BODY" "$URL/api/tickets"

# ---- wrk scripts -------------------------------------------------------------
cat >"$WORK/get.lua" <<'LUA'
-- GET /api/tickets/<number>, a uniformly random ticket of org acme.
local maxn = tonumber(os.getenv("BENCH_MAXNUM"))
local nthreads = 0
function setup(thread)
    nthreads = nthreads + 1
    thread:set("seed", nthreads)
end
function init(args)
    math.randomseed(os.time() * 7919 + (seed or 0) * 104729)
end
function request()
    return wrk.format("GET", "/api/tickets/" .. math.random(1, maxn))
end
LUA
cat >"$WORK/post.lua" <<LUA
-- POST /api/tickets with a small valid body (no Idempotency-Key).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$CREATE_BODY'
LUA

# ---- pgbench scripts: the endpoints' own SQL -----------------------------------
q() { python3 bench/sqlq.py "$@"; }
# tk_handle_tickets_get: org_id, own_user (NULL for staff), uuid (NULL when
# :id is a number), number, staff.
q ticket_get "'$ORG'" NULL NULL :n "'true'" >"$WORK/ticket_get.sql.body"
{
    echo "\\set n random(1, $MAXNUM)"
    cat "$WORK/ticket_get.sql.body"
} >"$WORK/ticket_get.sql"
# tk_list_query: org_id, own_user, statuses, priorities, product_area,
# category, assignee_id, unassigned, customer_id, sources, tag, created_from,
# created_to, q, sort (default -createdAt), limit, offset.
q ticket_list "'$ORG'" NULL "'open'" NULL NULL NULL NULL NULL NULL NULL NULL \
    NULL NULL NULL "'-createdAt'" "'20'" "'0'" >"$WORK/ticket_list.sql"
# tk_handle_tickets_create (no Idempotency-Key: BEGIN, ticket_create,
# stream_event_ticket, COMMIT, wake): org_id, creator_id, title, description,
# priority (default medium), category, product_area, source (api for a
# Bearer token), tags (default []), assignee_id, customer_id, author_type;
# then the live event of the new ticket (here: the newest ticket of the
# org, with a ticket document of the usual size; the insert, its audience
# look-ups and its NOTIFY are what cost).
# (no colon before a letter or digit: pgbench would read it as a variable)
EVENT_DOC='{"id": "00000000-0000-4000-8000-000000000000", "key": "TKT-1", "tags": [], "title": "Benchmark ticket", "number": 1, "source": "api", "status": "open", "category": null, "closedAt": null, "priority": "medium", "assignee": null, "createdAt": "2026-01-01T00.00.00.000Z", "creatorId": "00000000-0000-4000-8000-00000000a001", "updatedAt": "2026-01-01T00.00.00.000Z", "customerId": null, "assigneeId": null, "description": "Created by bench/run.sh under load.", "productArea": null}'
{
    echo "BEGIN;"
    q ticket_create "'$ORG'" "'$ADMIN'" "'Benchmark ticket'" \
        "'Created by bench/run.sh under load.'" "'medium'" NULL NULL "'api'" \
        "'[]'" NULL NULL "'agent'" NULL
    q stream_event_ticket \
        "(SELECT t.id FROM tickets t WHERE t.org_id = '$ORG' ORDER BY t.number DESC LIMIT 1)" \
        "'ticket_created'" "'false'" "'$EVENT_DOC'"
    echo "COMMIT;"
    q wake "'true'" "'false'"
} >"$WORK/ticket_create.sql"

# ---- measuring helpers ---------------------------------------------------------
# wrk_run NAME LUA PATH: measured run after a warm-up; writes $WORK/NAME.wrk
# (LUA "-": plain GET of PATH)
wrk_run() {
    local name=$1 lua=$2 path=$3 s=()
    [ "$lua" = - ] || s=(-s "$lua")
    BENCH_MAXNUM=$MAXNUM timeout $((WARMUP + 30)) wrk -t "$THREADS" -c "$CONNS" \
        -d "${WARMUP}s" "${s[@]}" -H "$AUTH" "$URL$path" >/dev/null
    BENCH_MAXNUM=$MAXNUM timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNS" \
        -d "${DURATION}s" --latency "${s[@]}" -H "$AUTH" "$URL$path" >"$WORK/$name.wrk"
}

# pgbench_run NAME SCRIPT: warm-up, then a measured run with per-transaction
# logs; writes $WORK/NAME.pgbench and $WORK/NAME.log.*
pgbench_run() {
    local name=$1 script=$2
    timeout $((WARMUP + 60)) "$PGBENCH" -n -M prepared -c "$CONNS" -j "$THREADS" \
        -T "$WARMUP" -f "$script" >/dev/null 2>"$WORK/$name.warm.err" ||
        { cat "$WORK/$name.warm.err" >&2; die "pgbench warm-up of $name failed"; }
    rm -f "$WORK/$name.log".*
    timeout $((DURATION + 60)) "$PGBENCH" -n -M prepared -c "$CONNS" -j "$THREADS" \
        -T "$DURATION" -f "$script" -l --log-prefix="$WORK/$name.log" \
        >"$WORK/$name.pgbench" 2>"$WORK/$name.err" ||
        { cat "$WORK/$name.err" >&2; die "pgbench $name failed"; }
}

# Parsers print: value or "-".
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_pct() { # FILE PCT -> milliseconds
    awk -v p="$2%" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
        printf "%.2f\n", v }' "$1"
}
wrk_errors() { # non-2xx responses plus socket errors
    awk '/Non-2xx or 3xx responses:/ {n += $NF}
         /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10}
         END {print n + 0}' "$1"
}
pgb_tps() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1" | head -n1 | awk '{printf "%.1f\n", $1}'; }
pgb_pct() { # NAME -> "p50 p99" in ms from the per-transaction logs (field 3 is µs)
    cat "$WORK/$1.log".* | python3 -c '
import sys
v = sorted(int(l.split()[2]) for l in sys.stdin if l.strip())
pick = lambda q: v[min(len(v) - 1, int(q * len(v)))] / 1000.0
print("%.2f %.2f" % (pick(0.50), pick(0.99)) if v else "- -")'
}

# ---- 3+4. measure -----------------------------------------------------------------
declare -A RPS P50 P99 ERR TPS PG50 PG99
measure() {
    local name=$1 lua=$2 path=$3 sql=$4
    log "wrk $name ($CONNS connections, ${DURATION}s)"
    wrk_run "$name" "$lua" "$path"
    RPS[$name]=$(wrk_rps "$WORK/$name.wrk")
    P50[$name]=$(wrk_pct "$WORK/$name.wrk" 50)
    P99[$name]=$(wrk_pct "$WORK/$name.wrk" 99)
    ERR[$name]=$(wrk_errors "$WORK/$name.wrk")
    log "pgbench $name ($CONNS clients, ${DURATION}s)"
    pgbench_run "$name" "$sql"
    TPS[$name]=$(pgb_tps "$WORK/$name.pgbench")
    read -r "PG50[$name]" "PG99[$name]" < <(pgb_pct "$name")
}

measure get_by_id "$WORK/get.lua" "/api/tickets/1" "$WORK/ticket_get.sql"
measure list_open - "/api/tickets?status=open&limit=20" "$WORK/ticket_list.sql"
measure create "$WORK/post.lua" "/api/tickets" "$WORK/ticket_create.sql"

# ---- optional profile ------------------------------------------------------------
if [ "${BENCH_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
    log "perf record -a -g during GET by id (10s)"
    BENCH_MAXNUM=$MAXNUM timeout 60 wrk -t "$THREADS" -c "$CONNS" -d 12s -s "$WORK/get.lua" \
        -H "$AUTH" "$URL/api/tickets/1" >/dev/null &
    wrk_bg=$!
    sleep 1
    perf record -q -a -g -o "$WORK/perf.data" -- sleep 10 >/dev/null 2>&1 || true
    wait "$wrk_bg" || true
    perf report -i "$WORK/perf.data" --no-children --sort comm,dso,symbol \
        --stdio 2>/dev/null | grep -v '^$' | head -n 400 >"$OUT/perf.txt" || true
    log "perf report: $OUT/perf.txt"
fi

# ---- 6. ticket numbers: counter row vs sequence ---------------------------------
log "ticket numbers: counter row vs sequence ($CONNS clients, one org)"
psql_ <<SQL
SET client_min_messages = warning;
CREATE TABLE bench_counters (org uuid PRIMARY KEY, n integer NOT NULL);
INSERT INTO bench_counters VALUES ('$ORG', 0);
CREATE SEQUENCE bench_number_seq;
CREATE TABLE bench_items (
    org_id      uuid NOT NULL,
    number      integer NOT NULL,
    title       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, number)
);
SQL
# Same shape for both: take a number, insert the row with it, commit.  The
# counter row stays locked from the UPDATE to the COMMIT; the sequence is
# not transactional and locks nothing.
cat >"$WORK/number_counter.sql" <<SQL
BEGIN;
UPDATE bench_counters SET n = n + 1 WHERE org = '$ORG' RETURNING n \gset
INSERT INTO bench_items (org_id, number, title) VALUES ('$ORG', :n, 'Benchmark ticket');
COMMIT;
SQL
cat >"$WORK/number_sequence.sql" <<SQL
BEGIN;
SELECT nextval('bench_number_seq') AS n \gset
INSERT INTO bench_items (org_id, number, title) VALUES ('$ORG', :n, 'Benchmark ticket');
COMMIT;
SQL
pgbench_run number_counter "$WORK/number_counter.sql"
NUM_COUNTER=$(pgb_tps "$WORK/number_counter.pgbench")
read -r NC50 NC99 < <(pgb_pct number_counter)
DUPS=$(psql_ -At -c "SELECT count(*) - count(DISTINCT (org_id, number)) FROM bench_items")
psql_ -c "TRUNCATE bench_items"
pgbench_run number_sequence "$WORK/number_sequence.sql"
NUM_SEQ=$(pgb_tps "$WORK/number_sequence.pgbench")
read -r NS50 NS99 < <(pgb_pct number_sequence)
DUPS=$((DUPS + $(psql_ -At -c "SELECT count(*) - count(DISTINCT (org_id, number)) FROM bench_items")))

# ---- 5. report --------------------------------------------------------------------
mpm=$(sed -n '/<IfModule mpm_event_module>/,/<\/IfModule>/p' "$CONF" |
    grep -v IfModule | awk '{printf "%s%s=%s", sep, $1, $2; sep=", "}')
dbd=$(grep -E '^DBD(Min|Keep|Max|Exptime)' "$CONF" | awk '{printf "%s%s=%s", sep, $1, $2; sep=", "}')
pgver=$("$PSQL" -X -At -c 'SHOW server_version')
pgdur=$("$PSQL" -X -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name)
                            FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit',
                            'shared_buffers', 'max_connections')")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
verdict() { # RATIO TARGET P99
    awk -v r="$1" -v t="$2" -v p="$3" 'BEGIN {
        s = (r >= t) ? "PASS" : "MISS"
        s = s " (>=" t "x)"
        s = s ", p99 " ((p + 0 < 20) ? "PASS" : "MISS")
        print s }'
}

{
    echo "mod_tickets benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "machine:  $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores," \
        "$(free -g | awk '/^Mem:/ {print $2}') GB RAM, kernel $(uname -r)"
    echo "software: $("$HTTPD" -v | sed -n 's/^Server version: //p'), PostgreSQL $pgver," \
        "$(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), $("$PGBENCH" --version)"
    echo "httpd:    $(grep -o 'mod_mpm_[a-z]*' "$CONF" | head -n1 | sed 's/^mod_mpm_/MPM /'): $mpm"
    echo "mod_dbd:  $dbd"
    echo "postgres: $pgdur"
    echo "data:     org acme $MAXNUM tickets ($NOPEN open), one message + one event each"
    echo "load:     $CONNS connections, $THREADS threads, ${DURATION}s measured after ${WARMUP}s warm-up"
    echo
    printf '%-38s %9s %8s %8s %6s %11s %8s %8s %6s  %s\n' endpoint "httpd r/s" "p50 ms" "p99 ms" \
        errors "pgbench tps" "pg p50" "pg p99" ratio "target"
    row() { # NAME LABEL TARGET
        local n=$1 r
        r=$(ratio "${RPS[$n]}" "${TPS[$n]}")
        printf '%-38s %9s %8s %8s %6s %11s %8s %8s %6s  %s\n' "$2" "${RPS[$n]}" "${P50[$n]}" \
            "${P99[$n]}" "${ERR[$n]}" "${TPS[$n]}" "${PG50[$n]}" "${PG99[$n]}" "$r" \
            "$([ -n "$3" ] && verdict "$r" "$3" "${P99[$n]}" ||
                awk -v p="${P99[$n]}" 'BEGIN { print "p99 " ((p + 0 < 20) ? "PASS" : "MISS") }')"
    }
    row get_by_id "GET /api/tickets/:number" 0.6
    row list_open "GET /api/tickets?status=open&limit=20" ""
    row create "POST /api/tickets" 0.7
    echo
    echo "targets: POST >= 0.7x and GET by id >= 0.6x the pgbench rate of its own SQL;"
    echo "         p99 < 20 ms at $CONNS connections. errors = non-2xx + socket errors (wrk)."
    echo
    echo "ticket numbers, one org, $CONNS clients (take number, insert, commit):"
    printf '  %-44s %9s tps  p50 %6s ms  p99 %6s ms\n' \
        "counter row (UPDATE ... RETURNING n)" "$NUM_COUNTER" "$NC50" "$NC99" \
        "sequence (nextval)" "$NUM_SEQ" "$NS50" "$NS99"
    echo "  duplicate numbers: $DUPS"
} | tee "$RESULT"

cp "$WORK"/*.wrk "$WORK"/*.pgbench "$WORK"/*.sql "$WORK"/*.lua "$OUT/" 2>/dev/null || true
if grep -qE '\[(tickets|dbd):(error|crit|alert|emerg)\]' "$INST/logs/error_log"; then
    log "httpd logged errors during the run:"
    grep -E '\[(tickets|dbd):(error|crit|alert|emerg)\]' "$INST/logs/error_log" | tail -n 5 >&2
fi
log "results: $RESULT"
