"""webhooks.py: the driver of bench/webhooks.sh (make bench-webhooks).

    python3 bench/webhooks.py URL TOKEN N RATE SECONDS OUTDIR

Starts the tests' receiver (tests/integration/receiver.py) on loopback,
answering 200 at once, subscribes it as admin (TOKEN) to customer_created
and ticket_created, then:

  1. capacity: how many POSTs a second the receiver itself takes, from a
     client in this process over 8 keep-alive connections for 5 s (what
     the deliveries below cannot exceed);
  2. throughput: N customer_created events committed in one transaction
     (psql, the SQL the module's triggers fan out), then the wait until the
     receiver has every one: deliveries/s from the commit to the last;
  3. latency: tickets created through the API, one at a time at RATE a
     second for SECONDS; for each, the receiver's arrival time of its
     ticket_created minus the moment the API answered (the commit came
     before the answer, so this is at most the commit-to-delivery time)
     and minus the moment the request was sent (at least it): p50, p99.

Every delivery's signature is checked with the receiver's own verify().
Prints "name value" lines for the shell to put in the summary.
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from receiver import Receiver, verify  # noqa: E402


def api(url, token, method, path, body=None):
    host = url.split("//", 1)[1]
    c = http.client.HTTPConnection(host, timeout=30)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Authorization": f"Bearer {token}",
                       "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return json.loads(data)["data"] if data else None


def capacity(rx, seconds=5, conns=8):
    stop = time.time() + seconds
    counts = [0] * conns

    def run(i):
        c = http.client.HTTPConnection("127.0.0.1", rx.port, timeout=10)
        while time.time() < stop:
            c.request("POST", "/capacity", body=b'{"x":1}',
                      headers={"Content-Type": "application/json"})
            c.getresponse().read()
            counts[i] += 1
        c.close()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    rx.clear()
    return sum(counts) / seconds


def percentile(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main():
    url, token, n, rate, seconds, out = sys.argv[1:7]
    n, rate, seconds = int(n), float(rate), int(seconds)
    with Receiver() as rx:
        cap = capacity(rx)
        sub = api(url, token, "POST", "/api/webhooks",
                  {"url": rx.url, "events": ["customer_created", "ticket_created"]})
        secret = sub["secret"]

        # 2. throughput
        sql = ("BEGIN; INSERT INTO stream_events (org_id, type, data) "
               "SELECT '00000000-0000-4000-8000-0000000000a1', 'customer_created', "
               "jsonb_build_object('id', 'bench-' || i)::text "
               f"FROM generate_series(1, {n}) i; COMMIT; NOTIFY tickets_stream;")
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                       stdout=subprocess.DEVNULL)
        committed = time.time()
        recs = rx.wait_for(n, timeout=600)
        last = max(r["time"] for r in recs)
        first = min(r["time"] for r in recs)
        bad = sum(1 for r in recs if not verify(secret, r["headers"], r["body"]))
        ids = {json.loads(r["body"])["data"]["id"] for r in recs}
        throughput = n / (last - committed)
        rx.clear()

        # 3. latency
        sent, answered = {}, {}
        gap = 1.0 / rate
        t0 = time.time()
        k = 0
        while time.time() - t0 < seconds:
            due = t0 + k * gap
            if due > time.time():
                time.sleep(due - time.time())
            s = time.time()
            t = api(url, token, "POST", "/api/tickets",
                    {"title": f"Bench {k}", "description": "webhook latency"})
            answered[t["id"]] = time.time()
            sent[t["id"]] = s
            k += 1
        recs = rx.wait_for(len(sent), timeout=120)
        arrival = {json.loads(r["body"])["data"]["id"]: r["time"] for r in recs}
        bad += sum(1 for r in recs if not verify(secret, r["headers"], r["body"]))
        after_answer = [(arrival[i] - answered[i]) * 1000 for i in sent]
        after_send = [(arrival[i] - sent[i]) * 1000 for i in sent]
        api(url, token, "DELETE", f"/api/webhooks/{sub['id']}")

    with open(os.path.join(out, "latency.json"), "w") as f:
        json.dump({"after_answer_ms": after_answer, "after_send_ms": after_send}, f)
    print(f"capacity {cap:.0f}")
    print(f"deliveries {n}")
    print(f"distinct {len(ids)}")
    print(f"throughput {throughput:.0f}")
    print(f"first_ms {(first - committed) * 1000:.1f}")
    print(f"tickets {len(sent)}")
    print(f"answer_p50 {statistics.median(after_answer):.1f}")
    print(f"answer_p99 {percentile(after_answer, 0.99):.1f}")
    print(f"send_p50 {statistics.median(after_send):.1f}")
    print(f"send_p99 {percentile(after_send, 0.99):.1f}")
    print(f"bad_signatures {bad}")


if __name__ == "__main__":
    main()
