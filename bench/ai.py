"""ai.py: the driver of bench/ai.sh (make bench-ai).

    python3 bench/ai.py URL TOKEN LLM_PORT N OUTDIR

Starts the tests' scripted provider (tests/integration/llm_server.py) on
LLM_PORT, answering every request at once (a valid analysis when a JSON
Schema is asked for, a search_tickets call when the message asks for a
tool and no tool result is there yet, else a short text), and measures:

  1. copilot latency: N analyses posted one after another; for each, the
     time from sending the POST to the copilot_job_updated event with
     state success on the user's event stream (/api/events/stream); p50,
     p99;
  2. chat overhead: N agent chat messages answered with text, and N that
     make one tool call first (two provider calls and a REST call made
     within the module); for each, the request's time minus the
     provider's own time (arrival of each of its requests to the end of
     its answer); p50, p99.

Prints "name value" lines for the shell to put in the summary.
"""

import http.client
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from llm_server import Provider  # noqa: E402

ANALYSIS = {"summary": "The customer cannot sign in.", "sentiment": "negative",
            "category": "account", "urgency": "high", "suggestedActions": ["Reset the password"]}


class BenchProvider(Provider):
    def default_answer(self, rec):
        body = rec["body"] or {}
        msgs = body.get("messages", [])
        if body.get("response_format", {}).get("type") == "json_schema":
            return self.json_answer(ANALYSIS)
        if body.get("tools") and "use a tool" in (msgs[-1].get("content") or "") \
                and not any(m["role"] == "tool" for m in msgs):
            return self.tool_calls([("search_tickets", {"query": "password", "limit": 3})])
        return self.text("Done.")


def api(url, token, method, path, body=None):
    host = url.split("//", 1)[1]
    c = http.client.HTTPConnection(host, timeout=60)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data)["data"] if data else None


class Events(threading.Thread):
    """The user's event stream: when each suggestion's success arrived."""

    def __init__(self, url, token):
        super().__init__(daemon=True)
        self.host = url.split("//", 1)[1]
        self.token = token
        self.done = {}
        self.cond = threading.Condition()
        self.ready = threading.Event()

    def run(self):
        c = http.client.HTTPConnection(self.host, timeout=600)
        c.request("GET", "/api/events/stream?types=copilot_job_updated",
                  headers={"Authorization": f"Bearer {self.token}",
                           "Accept": "text/event-stream"})
        r = c.getresponse()
        self.ready.set()
        while True:
            line = r.fp.readline()
            if not line:
                return
            if line.startswith(b"data:"):
                doc = json.loads(line[5:])
                doc = doc.get("data", doc)
                if doc.get("state") == "success":
                    with self.cond:
                        self.done[doc["id"]] = time.time()
                        self.cond.notify_all()

    def wait(self, sid, timeout=60):
        deadline = time.time() + timeout
        with self.cond:
            while sid not in self.done:
                left = deadline - time.time()
                if left <= 0:
                    raise SystemExit(f"no success event for {sid}")
                self.cond.wait(left)
            return self.done[sid]


def pct(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def provider_ms(llm, since):
    return sum((r["done"] - r["time"]) for r in llm.records()[since:] if "done" in r) * 1000


def chat_run(url, token, llm, sid, n, content):
    overhead, total = [], []
    for _ in range(n):
        before = len(llm.records())
        t0 = time.time()
        api(url, token, "POST", f"/api/chat/sessions/{sid}/messages", {"content": content})
        ms = (time.time() - t0) * 1000
        total.append(ms)
        overhead.append(ms - provider_ms(llm, before))
    return total, overhead


def main():
    url, token, port, n, out = sys.argv[1:6]
    n = int(n)
    with BenchProvider(port=int(port)) as llm:
        ticket = api(url, token, "POST", "/api/tickets",
                     {"title": "Cannot sign in", "description": "Password reset mail never comes"})
        ev = Events(url, token)
        ev.start()
        ev.ready.wait(10)
        time.sleep(0.5)
        copilot = []
        for _ in range(n):
            t0 = time.time()
            s = api(url, token, "POST", "/api/copilot/v1/analyze", {"ticketId": ticket["id"]})
            copilot.append((ev.wait(s["suggestionId"]) - t0) * 1000)
        sid = api(url, token, "POST", "/api/chat/sessions", {})["id"]
        plain_total, plain = chat_run(url, token, llm, sid, n, "Say done")
        sid = api(url, token, "POST", "/api/chat/sessions", {})["id"]
        tool_total, tool = chat_run(url, token, llm, sid, n, "Please use a tool")
        calls = len(llm.records())
    with open(os.path.join(out, "ai.json"), "w") as f:
        json.dump({"copilot_ms": copilot, "chat_overhead_ms": plain,
                   "chat_tool_overhead_ms": tool}, f)
    print(f"n {n}")
    print(f"provider_calls {calls}")
    print(f"copilot_p50 {statistics.median(copilot):.1f}")
    print(f"copilot_p99 {pct(copilot, 0.99):.1f}")
    print(f"chat_p50 {statistics.median(plain):.1f}")
    print(f"chat_p99 {pct(plain, 0.99):.1f}")
    print(f"chat_total_p50 {statistics.median(plain_total):.1f}")
    print(f"tool_p50 {statistics.median(tool):.1f}")
    print(f"tool_p99 {pct(tool, 0.99):.1f}")
    print(f"tool_total_p50 {statistics.median(tool_total):.1f}")


if __name__ == "__main__":
    main()
