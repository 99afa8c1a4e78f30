#!/bin/bash
# messaging.sh: the messaging benchmark (make bench-messaging).
#
#   bench/messaging.sh
#
# One run, loopback only, everything throwaway under
# var/bench-messaging-<pid>: a private PostgreSQL cluster, an httpd with
# both modules, and a fake platform (tests/integration/platforms.py) that
# answers every send at once.  Then:
#   1. deliveries: wrk posts signed Facebook deliveries (each a new message
#      id, from BENCH_SENDERS customers) to the channel's webhook; each is
#      checked, parsed, stored with its new_message event, committed and
#      answered.  Deliveries/s, and a check that every answered one is
#      stored with its event;
#   2. pgbench running the same SQL (channel_for_webhook, inbound_message
#      and wake of sql/queries/, cut out by bench/sqlq.py, as the webhook
#      runs them for a delivery of one message) with as many clients as
#      wrk has connections: messages/s.
#      1 and 2 alternate, BENCH_ROUNDS rounds of BENCH_DURATION / rounds
#      seconds each, so that a slower minute of a shared machine weighs on
#      both; the ratio is the median of the rounds';
#   3. replies: wrk posts agent replies to BENCH_CONVERSATIONS
#      conversations for BENCH_DURATION seconds; the job workers deliver
#      them to the fake.  Replies/s accepted, and replies/s delivered
#      (from the first reply's creation to the last one's sent);
#   4. the outcome statement (send_outcome) alone, one client, as pgbench
#      runs it: the latency of the window in which a worker's death would
#      send a reply twice (docs/platforms.md);
#   5. a table with the ratios.
# Results also go to var/bench-results/messaging-<timestamp>/.
#
# Environment (defaults in brackets):
#   BENCH_DURATION       [15]   seconds of each run (1 and 2: in all)
#   BENCH_ROUNDS         [3]    rounds of 1 and 2
#   BENCH_CONNECTIONS    [8]    wrk connections (and pgbench clients)
#   BENCH_SENDERS        [200]  customers writing
#   BENCH_CONVERSATIONS  [200]  conversations replied to
#   BENCH_JOB_WORKERS    [4]    TicketsJobWorkers (per child)
#   BENCH_PG_FAST        [0]    1: fsync=off etc.
#   TICKETS_BUILD_DIR [build], HTTPD [/usr/sbin/apache2], PG_BINDIR
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

DURATION=${BENCH_DURATION:-15}
ROUNDS=${BENCH_ROUNDS:-3}
SLICE=$(( (DURATION + ROUNDS - 1) / ROUNDS ))
CONNS=${BENCH_CONNECTIONS:-8}
SENDERS=${BENCH_SENDERS:-200}
CONVS=${BENCH_CONVERSATIONS:-200}
WORKERS=${BENCH_JOB_WORKERS:-4}

ORG=00000000-0000-4000-8000-0000000000a1      # acme (sql/demo.sql)
CHANNEL=00000000-0000-4000-8000-0000000bec01
PAGE=bench-page
SECRET=bench-app-secret
TOKEN=bench-page-token
DIR=$root/var/bench-messaging-$$
INST=$DIR/httpd
CONF=$INST/httpd.conf
OUT=$root/var/bench-results/messaging-$(date -u +%Y%m%dT%H%M%SZ)
RESULT=$OUT/summary.txt
fake_pid=

log() { echo "bench-messaging: $(date +%T) $*" >&2; }
die() {
    echo "bench-messaging: error: $*" >&2
    exit 1
}

# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$fake_pid" ]; then
        kill "$fake_pid" 2>/dev/null || true
        wait "$fake_pid" 2>/dev/null || true
    fi
    bench_teardown
    rm -rf "$DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_watchdog bench-messaging $((600 + 8 * DURATION))

[ -x "$HTTPD" ] || die "no httpd at $HTTPD"
[ -f "$BUILD/mod_tickets.so" ] || die "$BUILD/mod_tickets.so is missing: run make first"
command -v wrk >/dev/null || die "no wrk (scripts/deps.sh installs it)"
mkdir -p "$DIR" "$OUT" "$INST"
q() { psql_ -At -c "$1"; }

# ---- the fake platform -------------------------------------------------------------
# Its base URL is the first line it prints.
PYTHONPATH=$root/tests/integration python3 -u -c '
import time
from platforms import FakePlatform
fake = FakePlatform().start()
print(fake.base, flush=True)
while True:
    time.sleep(3600)
' >"$DIR/fake.out" 2>"$DIR/fake.err" &
fake_pid=$!
for _ in $(seq 1 50); do
    [ -s "$DIR/fake.out" ] && break
    sleep 0.1
done
FAKE=$(head -1 "$DIR/fake.out")
[ -n "$FAKE" ] || die "the fake platform did not start: $(cat "$DIR/fake.err")"

# ---- the instance --------------------------------------------------------------------
log "PostgreSQL cluster in $DIR/pg"
PG_FAST=${BENCH_PG_FAST:-0} bench_pg "$(bench_free_port)"
echo "TicketsJobWorkers $WORKERS" >"$INST/extra.conf"
HTTP_PORT=$(bench_free_port)
log "httpd on 127.0.0.1:$HTTP_PORT, $WORKERS job workers per child"
bench_httpd "$HTTP_PORT"
AGENT_TOKEN=$(bench_token bench-messaging)
q "INSERT INTO channels (id, org_id, platform, name, account_id, api_base, secrets)
   VALUES ('$CHANNEL', '$ORG', 'facebook', 'Bench page', '$PAGE', '$FAKE',
           jsonb_build_object('appSecret', '$SECRET', 'verifyToken', 'v',
                              'accessToken', '$TOKEN'))" >/dev/null
sleep 2
CHILDREN=$(pgrep -P "$(cat "$INST/run/httpd.pid")" | wc -l)

# ---- 1 and 2. deliveries, and pgbench on the same statements ---------------------
# Signed bodies, more than wrk can send in a round, each a new message id:
# one file per round.
PER_ROUND=$((SLICE * 6000))
log "deliveries: $((PER_ROUND * ROUNDS)) signed bodies"
python3 - "$PER_ROUND" "$ROUNDS" "$SENDERS" "$PAGE" "$SECRET" "$DIR/deliveries" <<'PY'
import hashlib, hmac, json, sys, time
n, rounds, senders, page, secret, prefix = (int(sys.argv[1]), int(sys.argv[2]),
                                            int(sys.argv[3]), sys.argv[4], sys.argv[5],
                                            sys.argv[6])
now = int(time.time() * 1000)
for r in range(rounds):
    with open(f"{prefix}-{r + 1}.txt", "w") as out:
        for k in range(n):
            i = r * n + k
            body = json.dumps({"object": "page", "entry": [{"id": page, "time": now, "messaging": [
                {"sender": {"id": f"psid-{i % senders}"}, "recipient": {"id": page},
                 "timestamp": now + i, "message": {"mid": f"m_bench_{i}",
                                                   "text": f"Where is my order {i}?"}}]}]},
                separators=(",", ":"))
            sig = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
            out.write(f"sha256={sig}\t{body}\n")
PY
cat >"$DIR/deliveries.lua" <<'LUA'
-- Each thread sends its own share of the signed bodies, in order.
-- (tid is each thread's own global, set by setup.)
local bodies, n, i = {}, 0, 0
local counter = 0
function setup(thread)
    thread:set("tid", counter)
    counter = counter + 1
end
function init(args)
    local threads = tonumber(args[2])
    local k = 0
    for line in io.lines(args[1]) do
        if k % threads == tid then
            local sig, body = line:match("^([^\t]*)\t(.*)$")
            n = n + 1
            bodies[n] = { sig, body }
        end
        k = k + 1
    end
end
function request()
    i = i + 1
    if i > n then i = 1 end
    local b = bodies[i]
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json",
                                     ["X-Hub-Signature-256"] = b[1] }, b[2])
end
LUA
{
    echo "\\set u random(0, $((SENDERS - 1)))"
    bench/sqlq.py channel_for_webhook "'$CHANNEL'" "'facebook'"
    bench/sqlq.py inbound_message "'$CHANNEL'" "'psid-' || :u" NULL "'psid-' || :u" \
        "'psid-' || :u" "'m_pg_' || :client_id || '_' || nextval('bench_seq')" \
        "'Where is my order?'" "(extract(epoch FROM now()) * 1000)::bigint"
    bench/sqlq.py wake true false
} >"$OUT/inbound.sql"
q "CREATE SEQUENCE bench_seq" >/dev/null
THREADS=2
REQS=0
ROUND_LINES=
for r in $(seq 1 "$ROUNDS"); do
    log "round $r: deliveries for ${SLICE}s, then pgbench"
    wrk -t "$THREADS" -c "$CONNS" -d "${SLICE}s" -s "$DIR/deliveries.lua" \
        "$URL/webhooks/facebook/$CHANNEL" -- "$DIR/deliveries-$r.txt" "$THREADS" \
        >"$OUT/deliveries-$r.out" 2>&1 ||
        { cat "$OUT/deliveries-$r.out" >&2; die "wrk deliveries failed"; }
    rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$OUT/deliveries-$r.out")
    n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$OUT/deliveries-$r.out")
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$OUT/deliveries-$r.out")
    [ -z "$non2xx" ] || die "$non2xx deliveries were not answered 2xx"
    [ "$n" -le "$PER_ROUND" ] || die "wrk sent $n deliveries, more than a round's bodies"
    REQS=$((REQS + n))
    pg=$(bench_pgbench "inbound-$r" -c "$CONNS" -j 2 -T "$SLICE" -f "$OUT/inbound.sql")
    ROUND_LINES="$ROUND_LINES$r $rate $pg
"
done
read -r STORED EVENTS <<<"$(q "SELECT (SELECT count(*) FROM conversation_messages
                                        WHERE channel_id = '$CHANNEL' AND platform_message_id LIKE 'm\\_bench\\_%'),
                                      (SELECT count(*) FROM stream_events WHERE type = 'new_message'
                                        AND data::jsonb->>'platformMessageId' LIKE 'm\\_bench\\_%')" | tr '|' ' ')"
# wrk stops counting with deliveries in flight: those may be stored too.
[ "$STORED" -ge "$REQS" ] && [ "$STORED" -le $((REQS + CONNS * ROUNDS)) ] && [ "$EVENTS" = "$STORED" ] ||
    die "$REQS deliveries answered, $STORED messages stored, $EVENTS new_message events"
read -r DELIV PG_DELIV RATIO <<<"$(printf '%s' "$ROUND_LINES" | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
m = [float(r[1]) for r in rows]
p = [float(r[2]) for r in rows]
print(f"{statistics.median(m):.0f} {statistics.median(p):.0f} "
      f"{statistics.median(a / b for a, b in zip(m, p)):.2f}")')"
DELIV_LAT=$(awk '/Latency/ {print $2; exit}' "$OUT/deliveries-1.out")

# ---- 3. replies --------------------------------------------------------------------
log "replies: $CONVS conversations"
q "SELECT id FROM conversations WHERE channel_id = '$CHANNEL' ORDER BY created_at LIMIT $CONVS" \
    >"$DIR/conversations.txt"
cat >"$DIR/replies.lua" <<'LUA'
local convs, n, i = {}, 0, 0
function init(args)
    for line in io.lines(args[1]) do
        n = n + 1
        convs[n] = "/api/conversations/" .. line .. "/messages"
    end
    i = math.random(n)
end
function request()
    i = i % n + 1
    return wrk.format("POST", convs[i], { ["Content-Type"] = "application/json",
                                          ["Authorization"] = "Bearer " .. wrk.token },
                      '{"content":"Your order ships today."}')
end
LUA
sed -i "s/wrk.token/\"$AGENT_TOKEN\"/" "$DIR/replies.lua"
wrk -t 2 -c "$CONNS" -d "${DURATION}s" -s "$DIR/replies.lua" "$URL" -- "$DIR/conversations.txt" \
    >"$OUT/replies.out" 2>&1 || { cat "$OUT/replies.out" >&2; die "wrk replies failed"; }
REPLIES=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$OUT/replies.out")
NON2XX=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$OUT/replies.out")
[ -z "$NON2XX" ] || die "$NON2XX replies were not answered 2xx"
deadline=$((SECONDS + 600))
while [ "$(q "SELECT count(*) FROM conversation_messages WHERE sender = 'agent' AND status = 'pending'")" != 0 ]; do
    [ $SECONDS -lt $deadline ] || die "replies still pending after 600 s"
    sleep 0.5
done
read -r NREPLIES NFAILED SENT_RATE P50 P99 <<<"$(q "
    SELECT count(*), count(*) FILTER (WHERE status <> 'sent'),
           round(count(*) / extract(epoch FROM max(sent_at) - min(created_at))),
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) * 1000)::numeric, 1),
           round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) * 1000)::numeric, 1)
      FROM conversation_messages WHERE sender = 'agent'" | tr '|' ' ')"
[ "$NFAILED" = 0 ] || die "$NFAILED replies were not sent"

# ---- 4. the outcome statement --------------------------------------------------------
q "UPDATE conversation_messages SET status = 'pending'
    WHERE id = (SELECT id FROM conversation_messages WHERE sender = 'agent' LIMIT 1)" >/dev/null
MID=$(q "SELECT id FROM conversation_messages WHERE status = 'pending' LIMIT 1")
bench/sqlq.py send_outcome "'$MID'" "'pending'" NULL "'bench'" >"$OUT/outcome.sql"
bench_pgbench outcome -c 1 -T 5 -f "$OUT/outcome.sql" >/dev/null
OUTCOME_MS=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$OUT/outcome.out")

# ---- 5. summary ----------------------------------------------------------------------
{
    echo "messaging benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    bench_machine
    echo "httpd: $CHILDREN children x $WORKERS job workers; PostgreSQL $("$PSQL" -V | awk '{print $3}')," \
         "fsync $([ "${BENCH_PG_FAST:-0}" = 1 ] && echo off || echo on); $CONNS connections"
    echo
    printf '%-52s %10s %10s %6s\n' "" "module" "pgbench" "ratio"
    printf '%-52s %10s %10s %6s\n' "signed Facebook deliveries -> stored + event, /s" "$DELIV" "$PG_DELIV" "$RATIO"
    printf '%s' "$ROUND_LINES" | while read -r r m p; do
        printf '%-52s %10s %10s %6s\n' "  round $r" "$m" "$p" "$(bench_ratio "$m" "$p")"
    done
    echo
    echo "deliveries: $REQS answered, $STORED stored, $EVENTS new_message events; mean latency $DELIV_LAT (round 1)"
    echo "replies: $REPLIES/s accepted; $NREPLIES delivered to the fake platform at $SENT_RATE/s" \
         "(first created to last sent); created -> sent p50 $P50 ms, p99 $P99 ms"
    echo "outcome statement (send_outcome, 1 client): $OUTCOME_MS ms"
} | tee "$RESULT"
