"""mod_tickets_sse: live event streams (SPEC section 9).

Streams are read over raw sockets with HTTP/1.0 (no chunking: the body is
the event stream itself) and a deadline on every read, and every stream is
closed by the test that opened it, so nothing here can hang.  Events are
produced through the REST API; each test creates its own tickets and
looks only for events about them.
"""

import base64
import json
import re
import socket
import subprocess
import threading
import time

import os

import pytest
import requests

from tickets_util import (ADMIN, AGENT, CUSTOMER, CUSTOMER_ID, CUSTOMER_USER_ID,
                          GLOBEX_ADMIN, Api, uniq)
from tkenv import DEMO_PASSWORD

STREAM = "/api/events/stream"


class Stream:
    """One text/event-stream response read from a raw socket."""

    def __init__(self, env, user=ADMIN, path=STREAM, headers=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", env.port), timeout=timeout)
        h = {"Host": "127.0.0.1", "Accept": "text/event-stream"}
        if user:
            cred = base64.b64encode(f"{user}:{DEMO_PASSWORD}".encode()).decode()
            h["Authorization"] = f"Basic {cred}"
        h.update(headers or {})
        req = f"GET {path} HTTP/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        self.closed = False
        head = self._read_until(b"\r\n\r\n", time.time() + timeout)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.events = []        # every block read so far, in order

    def _read_until(self, sep, deadline):
        while sep not in self.buf:
            if not self._recv(deadline):
                raise EOFError(f"stream ended before {sep!r}: {self.buf[:500]!r}")
        out, _, self.buf = self.buf.partition(sep)
        return out

    def _recv(self, deadline):
        left = deadline - time.time()
        if left <= 0 or self.closed:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def body(self, timeout=10):
        """The whole body of a response that ends (an error)."""
        deadline = time.time() + timeout
        while self._recv(deadline):
            pass
        return self.buf

    def json(self):
        return json.loads(self.body())

    def next_block(self, timeout=10):
        """The next block as a dict (id, event, data, comments, retry), or
        None when none arrived in time or the stream ended."""
        deadline = time.time() + timeout
        while b"\n\n" not in self.buf:
            if not self._recv(deadline):
                return None
        raw, _, self.buf = self.buf.partition(b"\n\n")
        block = {"comments": [], "data": None}
        for line in raw.decode().split("\n"):
            if line.startswith(":"):
                block["comments"].append(line[1:].strip())
                continue
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            if k == "data":
                block["data"] = v if block["data"] is None else block["data"] + "\n" + v
            else:
                block[k] = v
        self.events.append(block)
        return block

    def collect(self, until, timeout=10):
        """Read event blocks (those with event:) until until(list) is true or
        the time is up; return them with data parsed."""
        out = []
        deadline = time.time() + timeout
        while not until(out):
            b = self.next_block(max(0.01, deadline - time.time()))
            if b is None:
                break
            if "event" in b:
                b["json"] = json.loads(b["data"])
                out.append(b)
        return out

    def quiet(self, timeout=1.0):
        """Event blocks arriving within timeout (expected: none)."""
        return self.collect(lambda out: False, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def start(env, **kw):
    """A stream that answered 200 and sent its retry: line."""
    s = Stream(env, **kw)
    assert s.status == 200, s.body()
    first = s.next_block()
    assert first is not None and "retry" in first, first
    return s


def eid(text):
    """An event id ("<xid>-<n>") as a tuple that sorts like the server's
    positions."""
    m = re.fullmatch(r"(\d+)-(\d+)", text)
    assert m, f"not an event id: {text!r}"
    return int(m.group(1)), int(m.group(2))


def about(ticket_id):
    """until(): an event about ticket_id arrived."""
    return lambda out: any(e["json"].get("id") == ticket_id or
                           e["json"].get("ticketId") == ticket_id for e in out)


def stats(env):
    """The host's figures (mod_status, the operator's view) with the names
    and shape /api/events/stats had before it became an organization's:
    {"streamsOpen": n, ..., "ring": {"size": n, ...}}."""
    out = {"ring": {}}
    for key, value in host_figures(env).items():
        v = int(value) if value.isdigit() else value
        if key.startswith("Ring"):
            out["ring"][key[4].lower() + key[5:]] = v
        else:
            out[key[0].lower() + key[1:]] = v
    return out


def host_figures(env):
    """The streams' figures for the whole host, from mod_status (the
    operator's view; an organization's admin sees their own figures only)."""
    text = env.get("/server-status?auto", timeout=10).text
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition(": ")
        if sep and k.startswith("TicketsSSE"):
            out[k[len("TicketsSSE"):]] = v.strip()
    assert "NewestEventId" in out and "StreamsOpen" in out, text
    return out


def settle(env, timeout=10):
    """Wait until this host's ring holds every committed event (the relay
    appends them a moment after their commit); return the newest id."""
    deadline = time.time() + timeout
    while True:
        rows = env.psql("SELECT xid || '-' || id FROM stream_events "
                        "ORDER BY xid DESC, id DESC LIMIT 1")
        newest = host_figures(env)["NewestEventId"]
        if not rows or newest == rows[0][0] or time.time() > deadline:
            return newest
        time.sleep(0.05)


def wait_streams_closed(env, baseline=0, timeout=10):
    """Wait until the host's open streams (every organization's) are down
    to baseline; return their number."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = int(host_figures(env)["StreamsOpen"])
        if n <= baseline:
            return n
        time.sleep(0.1)
    return int(host_figures(env)["StreamsOpen"])


def new_ticket(api, **fields):
    body = {"title": f"sse {uniq()}", "description": "streamed", "priority": "medium"}
    body.update(fields)
    r = api.post("/api/tickets", body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


# ---- format, authentication, refusals -------------------------------------

def test_headers_and_retry_line(env):
    with Stream(env) as s:
        assert s.status == 200
        assert s.headers["content-type"].startswith("text/event-stream")
        assert s.headers["cache-control"] == "no-cache"
        assert s.headers["x-accel-buffering"] == "no"
        assert "content-encoding" not in s.headers
        first = s.next_block()
        assert first["retry"].isdigit()


def test_http11_stream(env):
    """The way a browser reads it: HTTP/1.1, each event flushed.  The
    connection closes after a stream, so the body is delimited by the close
    (no chunking, no length)."""
    r = env.session(ADMIN).get(env.url(STREAM), stream=True, timeout=(5, 5))
    try:
        assert r.status_code == 200
        assert "Content-Length" not in r.headers
        assert r.headers.get("Connection") == "close"
        lines = r.iter_lines(chunk_size=1, decode_unicode=True)
        assert next(lines).startswith("retry: ")
        t = new_ticket(Api(env, AGENT))
        seen = []
        for line in lines:
            seen.append(line)
            if line.startswith("data: ") and t["id"] in line:
                break
        assert "event: ticket_created" in seen
    finally:
        r.close()


def test_anonymous_is_401_json(env):
    with Stream(env, user=None) as s:
        assert s.status == 401
        assert s.headers["content-type"].startswith("application/json")
        assert s.json()["error"]["code"] == "UNAUTHENTICATED"


def test_wrong_password_is_401_json(env):
    cred = base64.b64encode(b"admin@acme.test:nope").decode()
    with Stream(env, user=None, headers={"Authorization": f"Basic {cred}"}) as s:
        assert s.status == 401
        assert s.json()["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("query", [
    "types=nonsense", "types=ticket_created,ticket_created", "ticket=not-a-uuid",
    "conversation=42", "lastEventId=abc", "color=blue",
])
def test_bad_filters_are_400(env, query):
    with Stream(env, path=f"{STREAM}?{query}") as s:
        assert s.status == 400
        assert s.json()["error"]["code"] == "INVALID_QUERY"


def test_only_get(env):
    r = Api(env, ADMIN).post(STREAM, {})
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_session_cookie_opens_a_stream(env):
    login = env.session().post(env.url("/api/auth/login"),
                               json={"email": AGENT, "password": DEMO_PASSWORD}, timeout=30)
    assert login.status_code == 200, login.text
    cookie = "; ".join(f"{c.name}={c.value}" for c in login.cookies)
    with start(env, user=None, headers={"Cookie": cookie}) as s:
        assert s.status == 200


def test_stats_are_for_admins(env):
    assert env.get("/api/events/stats", user=AGENT).status_code == 403
    d = stats(env)
    for k in ("streamsOpen", "streamsStarted", "appended", "resets"):
        assert isinstance(d[k], int)
    assert d["ring"]["size"] > 0
    assert d["ring"]["newestId"] >= d["ring"]["oldestId"] - 1


# ---- every change emits exactly one event ------------------------------------

def _of(events, ticket_id):
    return [e for e in events if e["json"].get("id") == ticket_id or
            e["json"].get("ticketId") == ticket_id]


def test_every_change_emits_one_event(env):
    api = Api(env, AGENT)
    with start(env, user=ADMIN) as s:
        t = new_ticket(api)
        tid = t["id"]
        got = s.collect(about(tid))
        assert [e["event"] for e in got] == ["ticket_created"]
        assert got[0]["json"]["title"] == t["title"]
        eid(got[0]["id"])

        new_title = f"renamed {uniq()}"
        assert api.patch(f"/api/tickets/{tid}", {"title": new_title}).status_code == 200
        assert api.patch(f"/api/tickets/{tid}/status",
                         {"status": "in_progress"}).status_code == 200
        r = api.post(f"/api/tickets/{tid}/messages", {"content": "on it"})
        assert r.status_code == 201
        mid = r.json()["data"]["id"]
        assert Api(env, ADMIN).delete(f"/api/tickets/{tid}").status_code == 204
        got += s.collect(lambda out: any(e["event"] == "ticket_deleted" for e in out))
        got += s.quiet(1.0)

    mine = _of(got, tid)
    assert [e["event"] for e in mine] == ["ticket_created", "ticket_updated",
                                          "ticket_updated", "ticket_message_added",
                                          "ticket_deleted"]
    ids = [eid(e["id"]) for e in mine]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    edit, status, message, deleted = (e["json"] for e in mine[1:])
    assert edit["title"] == new_title
    assert edit["changes"] == {"title": {"before": t["title"], "after": new_title}}
    assert status["status"] == "in_progress"
    assert status["changes"] == {"status": {"before": "open", "after": "in_progress"}}
    assert message["id"] == mid and message["content"] == "on it"
    assert "body" not in message
    assert deleted == {"id": tid}


def test_a_refused_change_emits_nothing(env):
    api = Api(env, AGENT)
    t = new_ticket(api)
    settle(env)
    with start(env, user=ADMIN, path=f"{STREAM}?ticket={t['id']}") as s:
        # closed -> waiting is not a move of the lifecycle: 409, nothing emitted
        assert api.patch(f"/api/tickets/{t['id']}/status",
                         {"status": "closed"}).status_code == 200
        assert api.patch(f"/api/tickets/{t['id']}/status",
                         {"status": "waiting"}).status_code == 409
        got = s.collect(lambda out: False, timeout=1.5)
    assert [e["json"]["changes"]["status"]["after"] for e in got] == ["closed"]


# ---- visibility ------------------------------------------------------------------

def test_org_isolation(env):
    with start(env, user=GLOBEX_ADMIN) as globex, start(env, user=ADMIN) as acme:
        t = new_ticket(Api(env, AGENT))
        assert _of(acme.collect(about(t["id"])), t["id"])
        assert _of(globex.quiet(1.0), t["id"]) == []


def test_customer_sees_own_ticket_but_no_internal_note(env):
    agent = Api(env, AGENT)
    with start(env, user=CUSTOMER) as s:
        theirs = new_ticket(agent, customerId=CUSTOMER_ID)
        other = new_ticket(agent)
        assert agent.post(f"/api/tickets/{other['id']}/messages",
                          {"content": "not yours"}).status_code == 201
        assert agent.post(f"/api/tickets/{theirs['id']}/messages",
                          {"content": "secret", "internal": True}).status_code == 201
        assert agent.post(f"/api/tickets/{theirs['id']}/messages",
                          {"content": "hello"}).status_code == 201
        own = new_ticket(Api(env, CUSTOMER))
        got = s.collect(about(own["id"]))
        got += s.quiet(0.5)
    assert _of(got, other["id"]) == []
    mine = _of(got, theirs["id"])
    assert [e["event"] for e in mine] == ["ticket_created", "ticket_message_added"]
    assert mine[1]["json"]["content"] == "hello"
    assert all("secret" not in e["data"] for e in got)
    assert [e["event"] for e in _of(got, own["id"])] == ["ticket_created"]
    assert _of(got, own["id"])[0]["json"]["creatorId"] == CUSTOMER_USER_ID


def test_staff_see_internal_notes(env):
    agent = Api(env, AGENT)
    t = new_ticket(agent)
    settle(env)
    with start(env, user=ADMIN, path=f"{STREAM}?ticket={t['id']}") as s:
        assert agent.post(f"/api/tickets/{t['id']}/messages",
                          {"content": "note", "internal": True}).status_code == 201
        got = s.collect(lambda out: len(out) >= 1)
    assert got[0]["event"] == "ticket_message_added"
    assert got[0]["json"]["internal"] is True


# ---- filters ---------------------------------------------------------------------

def test_filters_types_and_ticket(env):
    agent = Api(env, AGENT)
    t, other = new_ticket(agent), new_ticket(agent)
    path = f"{STREAM}?types=ticket_message_added&ticket={t['id'].upper()}"
    with start(env, user=ADMIN, path=path) as s:
        assert agent.patch(f"/api/tickets/{t['id']}", {"priority": "high"}).status_code == 200
        assert agent.post(f"/api/tickets/{other['id']}/messages",
                          {"content": "elsewhere"}).status_code == 201
        assert agent.post(f"/api/tickets/{t['id']}/messages",
                          {"content": "here"}).status_code == 201
        got = s.collect(lambda out: len(out) >= 1)
        got += s.quiet(0.5)
    assert [(e["event"], e["json"]["content"]) for e in got] == [("ticket_message_added", "here")]


def test_ticket_stream(env):
    with start(env, user=ADMIN, path="/api/sse/tickets") as s:
        t = new_ticket(Api(env, AGENT))
        assert [e["event"] for e in _of(s.collect(about(t["id"])), t["id"])] == ["ticket_created"]


# ---- resume ----------------------------------------------------------------------

def test_last_event_id_resumes_from_the_ring(env):
    api = Api(env, AGENT)
    with start(env, user=ADMIN) as s:
        first = new_ticket(api)
        last_id = _of(s.collect(about(first["id"])), first["id"])[0]["id"]
    missed = [new_ticket(api)["id"] for _ in range(4)]
    before = stats(env)
    for how in ({"headers": {"Last-Event-ID": last_id}},
                {"path": f"{STREAM}?lastEventId={last_id}"}):
        with start(env, user=ADMIN, **how) as s:
            got = s.collect(about(missed[-1]))
        assert [e["json"]["id"] for e in got] == missed
        ids = [eid(e["id"]) for e in got]
        assert ids == sorted(set(ids)) and ids[0] > eid(last_id)
    after = stats(env)
    assert after["resumes"] == before["resumes"] + 2
    assert after["resumesFromDatabase"] == before["resumesFromDatabase"]


@pytest.mark.parametrize("last", ["99999999999-1", "1-1"])
def test_id_that_was_never_an_event_is_reset(env, last):
    """Past every event (no such row in the log), or before the ring with
    no such row: the client is told to reload, and its last event id is
    cleared (an empty id: line), so it starts afresh; no other
    organization's position is named."""
    new_ticket(Api(env, AGENT))
    newest = stats(env)["newestEventId"]
    with Stream(env, headers={"Last-Event-ID": last}) as s:
        assert s.status == 200
        blocks = [s.next_block() for _ in range(2)]
        assert blocks[1]["event"] == "reset"
        assert json.loads(blocks[1]["data"])["reason"] in ("expired", "unknown id")
        assert blocks[1]["id"] == ""
        del newest
        assert s.next_block(timeout=3) is None and s.closed


def test_id_between_two_events_is_reset(env):
    api = Api(env, AGENT)
    with start(env, user=ADMIN) as s:
        a, b = new_ticket(api), new_ticket(api)
        got = s.collect(about(b["id"]))
    x, n = eid(_of(got, b["id"])[0]["id"])
    with Stream(env, headers={"Last-Event-ID": f"{x}-{n - 1}"}) as s:
        blocks = [s.next_block() for _ in range(2)]
        assert blocks[1]["event"] == "reset", blocks
        assert json.loads(blocks[1]["data"])["reason"] == "unknown id"


def test_commits_out_of_order_are_delivered_in_order(env):
    """A transaction that wrote an event and is still open holds back every
    event committed after it (their positions are larger), so a stream
    never passes an event that is yet to commit: the open one's event
    arrives first once it commits, then the later ones, in position
    order, and a client resuming in between misses neither."""
    api = Api(env, AGENT)
    org = "00000000-0000-4000-8000-0000000000a1"
    slow = subprocess.Popen(
        [os.path.join(env.pg_bindir, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
         "-h", env.pg_host, "-p", str(env.pg_port), "-U", "tickets", "-d", "tickets"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with start(env, user=ADMIN) as s:
            marker = f"slow {uniq()}"
            slow.stdin.write(
                "BEGIN;\n"
                "INSERT INTO stream_events (org_id, type, data) VALUES "
                f"('{org}', 'ticket_updated', '{{\"id\":\"{marker}\"}}');\n"
                "SELECT 'inserted';\n")
            slow.stdin.flush()
            assert slow.stdout.readline().strip() == "inserted"
            fast = new_ticket(api)
            # the later commit is held back while the earlier one is open
            assert s.quiet(1.5) == []
            held_at = stats(env)["newestEventId"]
            slow.stdin.write("COMMIT;\n")
            slow.stdin.flush()
            got = s.collect(about(fast["id"]), timeout=10)
        assert [e["json"]["id"] for e in got] == [marker, fast["id"]]
        assert eid(got[0]["id"]) < eid(got[1]["id"])
        assert eid(held_at) < eid(got[0]["id"])
    finally:
        slow.stdin.close()
        slow.wait(10)


def test_malformed_id_is_400(env):
    for bad in ("42", "abc", "1-2-3", "-1", "1-", "18446744073709551616-1"):
        with Stream(env, headers={"Last-Event-ID": bad}) as s:
            assert s.status == 400
            assert s.json()["error"]["code"] == "INVALID_QUERY"


@pytest.mark.parametrize("how", ["header", "query"])
def test_empty_id_is_no_id(env, how):
    """An empty id, which a reset's `id:` leaves a client, is no id: the
    stream starts at the newest event and says which that is."""
    kw = ({"headers": {"Last-Event-ID": ""}} if how == "header"
          else {"path": f"{STREAM}?lastEventId="})
    with start(env, **kw) as s:
        t = new_ticket(Api(env, AGENT))
        got = s.collect(about(t["id"]), timeout=10)
        assert any(e["event"] == "ticket_created" for e in got), got


@pytest.mark.parametrize("how", ["header", "query"])
@pytest.mark.parametrize("bad", ["1-9223372036854775808", "9223372036854775808-1",
                                 "1-18446744073709551615"])
def test_id_past_the_signed_64_bit_range_is_400(env, how, bad):
    """Positions are PostgreSQL bigint / xid8 pairs the server sent: a part
    past 2^63 - 1 was never one, and is refused before any database
    query (the error-log check fails on a query error)."""
    kw = ({"headers": {"Last-Event-ID": bad}} if how == "header"
          else {"path": f"{STREAM}?lastEventId={bad}"})
    with Stream(env, **kw) as s:
        assert s.status == 400, (s.status, s.body(timeout=2)[:300])
        assert s.headers["content-type"].startswith("application/json")
        assert s.json()["error"]["code"] == "INVALID_QUERY"


@pytest.mark.parametrize("bad", ["abc", "1-2-3", "1-", "-1", "1-9223372036854775808"])
def test_bad_last_event_id_parameter_is_400_with_a_good_header(env, bad):
    """The lastEventId parameter is checked even when a Last-Event-ID
    header (which takes precedence) is valid."""
    new_ticket(Api(env, AGENT))
    good = settle(env)
    with Stream(env, path=f"{STREAM}?lastEventId={bad}",
                headers={"Last-Event-ID": good}) as s:
        assert s.status == 400, (s.status, s.body(timeout=2)[:300])
        assert s.json()["error"]["code"] == "INVALID_QUERY"
    with start(env, path=f"{STREAM}?lastEventId={good}",
               headers={"Last-Event-ID": good}) as s:
        assert s.status == 200


# ---- many streams, many writers ----------------------------------------------------

def test_twenty_streams_fifty_writers(env):
    streams = [start(env, user=ADMIN) for _ in range(20)]
    try:
        ids, errors = [], []

        def write(i):
            try:
                r = Api(env, AGENT).post("/api/tickets",
                                         {"title": f"load {i} {uniq()}", "description": "x"})
                assert r.status_code == 201, r.text
                ids.append(r.json()["data"]["id"])
            except Exception as e:      # reported below
                errors.append(e)

        writers = [threading.Thread(target=write, args=(i,)) for i in range(50)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(60)
        assert not errors, errors
        assert len(ids) == 50
        want = set(ids)
        results = [None] * len(streams)

        def read(i):
            got = streams[i].collect(
                lambda out: want <= {e["json"].get("id") for e in out}, timeout=30)
            results[i] = got

        readers = [threading.Thread(target=read, args=(i,)) for i in range(len(streams))]
        for t in readers:
            t.start()
        for t in readers:
            t.join(40)
        for got in results:
            created = [e["json"]["id"] for e in got if e["event"] == "ticket_created"
                       and e["json"]["id"] in want]
            assert sorted(created) == sorted(ids), "a stream missed or repeated events"
            seq = [eid(e["id"]) for e in got]
            assert seq == sorted(seq)
    finally:
        for s in streams:
            s.close()
    assert wait_streams_closed(env) == 0


def test_streams_end_when_clients_go(env):
    assert wait_streams_closed(env) == 0
    streams = [start(env, user=ADMIN) for _ in range(5)]
    assert stats(env)["streamsOpen"] == 5
    for s in streams:
        s.close()
    assert wait_streams_closed(env, timeout=5) == 0


# ---- small ring, fast pings, low limit (one restart) ---------------------------------

SMALL = ("TicketsSSERingSize 64K\nTicketsSSEKeepAlive 1\nTicketsSSEMaxStreams 3\n"
         "TicketsSSEMaxLifetime 3\n")


@pytest.fixture(scope="class")
def small_ring(env):
    env.restart(SMALL)
    yield env
    env.restart("")


@pytest.mark.usefixtures("small_ring")
class TestSmallRing:

    def test_ping_when_idle(self, env):
        with start(env, user=ADMIN) as s:
            t0 = time.time()
            b = s.next_block(timeout=3)
            assert b is not None and "ping" in b["comments"], b
            assert time.time() - t0 < 2.5

    def test_lifetime_ends_the_stream_at_the_current_id(self, env):
        with start(env, user=ADMIN, path=f"{STREAM}?types=ticket_deleted") as s:
            t = new_ticket(Api(env, AGENT))         # filtered out
            newest = settle(env)
            t0 = time.time()
            blocks = []
            while not s.closed and time.time() - t0 < 6:
                b = s.next_block(timeout=0.5)
                if b is not None:
                    blocks.append(b)
            assert s.closed and time.time() - t0 < 5
        assert not any("event" in b for b in blocks)
        assert [b["id"] for b in blocks if "id" in b] == [newest]

    def test_lapped_cursor_resumes_from_the_database(self, env):
        """The ring (64K) has moved on: the missed events come from the
        log, in order, and the stream then goes on with live ones."""
        api = Api(env, AGENT)
        t = new_ticket(api)
        settle(env)
        st = stats(env)
        before, ring_before = st["newestEventId"], st["ring"]["newestId"]
        big = "x" * 4000
        bodies = [f"{i} {big}" for i in range(30)]
        for b in bodies:
            assert api.post(f"/api/tickets/{t['id']}/messages", {"content": b}).status_code == 201
        settle(env)
        st = stats(env)
        assert st["ring"]["oldestId"] > ring_before + 1, st["ring"]
        with start(env, user=ADMIN, headers={"Last-Event-ID": before}) as s:
            got = s.collect(lambda out: len(out) >= 30, timeout=15)
            assert [e["json"]["content"] for e in got] == bodies
            ids = [eid(e["id"]) for e in got]
            assert ids == sorted(set(ids)) and ids[0] > eid(before)
            live = new_ticket(api)
            more = s.collect(about(live["id"]))
            assert [e["json"]["id"] for e in more] == [live["id"]]
        after = stats(env)
        assert after["resumesFromDatabase"] == st["resumesFromDatabase"] + 1
        assert after["resets"] == st["resets"]

    def test_id_past_retention_gets_reset(self, env):
        api = Api(env, AGENT)
        with start(env, user=ADMIN) as s:
            t = new_ticket(api)
            old = _of(s.collect(about(t["id"])), t["id"])[0]["id"]
        for i in range(20):
            assert api.post(f"/api/tickets/{t['id']}/messages",
                            {"content": f"{i} " + "y" * 4000}).status_code == 201
        x, n = eid(old)
        env.psql(f"DELETE FROM stream_events WHERE (xid, id) <= ('{x}'::xid8, {n})")
        before = stats(env)["resets"]
        with Stream(env, headers={"Last-Event-ID": old}) as s:
            assert "retry" in s.next_block()
            reset = s.next_block()
            assert reset["event"] == "reset"
            assert json.loads(reset["data"])["reason"] == "expired"
            assert reset["id"] == ""      # the client starts afresh
            assert s.next_block(timeout=3) is None and s.closed
        assert stats(env)["resets"] == before + 1

    def test_over_the_limit_is_503(self, env):
        opened, refused = [], None
        try:
            for _ in range(8):      # 3 per child, 2 children
                s = Stream(env)
                if s.status != 200:
                    refused = s
                    break
                opened.append(s)
                assert "retry" in s.next_block()
            assert refused is not None, "no stream was refused"
            assert refused.status == 503
            assert refused.headers.get("retry-after", "").isdigit()
            assert refused.json()["error"]["code"] == "RATE_LIMITED"
        finally:
            for s in opened + ([refused] if refused else []):
                s.close()
        assert wait_streams_closed(env) == 0


# ---- graceful restart --------------------------------------------------------------

def test_graceful_restart_keeps_ids_and_resume(env):
    api = Api(env, AGENT)
    with start(env, user=ADMIN) as s:
        t = new_ticket(api)
        last_id = _of(s.collect(about(t["id"])), t["id"])[0]["id"]
        env.restart("", graceful=True)
        # the stream of the old generation ends by itself
        deadline = time.time() + 10
        while not s.closed and time.time() < deadline:
            s.next_block(timeout=0.5)
        assert s.closed
    after = new_ticket(api)
    with start(env, user=ADMIN, headers={"Last-Event-ID": last_id}) as s:
        got = s.collect(about(after["id"]))
    assert [e["json"]["id"] for e in got] == [after["id"]]
    assert eid(got[0]["id"]) > eid(last_id)
    assert stats(env)["resumesFromDatabase"] == 0


# ---- review fixes ----------------------------------------------------------------

def test_ticket_events_carry_no_staff_version(env):
    """The staff view's version counts internal notes; a ticket event is
    shared with customers, so it carries none."""
    api = Api(env, AGENT)
    with start(env, user=ADMIN) as s:
        t = new_ticket(api)
        for i in range(2):
            assert api.post(f"/api/tickets/{t['id']}/messages",
                            {"content": f"note {i}", "internal": True}).status_code == 201
        assert api.patch(f"/api/tickets/{t['id']}", {"priority": "high"}).status_code == 200
        got = s.collect(lambda out: any(e["event"] == "ticket_updated" and
                                        e["json"].get("id") == t["id"] for e in out))
    for e in _of(got, t["id"]):
        if e["event"] in ("ticket_created", "ticket_updated"):
            assert "version" not in e["json"], e


@pytest.fixture
def few_db_connections(env):
    env.restart("DBDMin 1\nDBDKeep 1\nDBDMax 2\n")
    try:
        yield
    finally:
        env.restart("")


def test_streams_hold_no_database_connection(env, few_db_connections):
    """Each stream is identified with a database connection it gives back at
    once: six cookie streams on children allowed two connections each leave
    the API answering."""
    login = env.session().post(env.url("/api/auth/login"),
                               json={"email": AGENT, "password": DEMO_PASSWORD}, timeout=30)
    assert login.status_code == 200, login.text
    cookie = "; ".join(f"{c.name}={c.value}" for c in login.cookies)
    streams = [start(env, user=None, headers={"Cookie": cookie}) for _ in range(6)]
    try:
        for _ in range(6):
            r = env.session(AGENT).get(env.url("/api/tickets?limit=1"), timeout=10)
            assert r.status_code == 200, r.text
    finally:
        for s in streams:
            s.close()


# ---- the relay ----------------------------------------------------------------------

RELAY_OUTAGE_LOG = (r"TK000\d\d", r"AH0\d{4}", r"\[dbd:", r"server closed the connection",
                    r"Connection refused", r"No such file or directory",
                    r"terminating connection", r"could not connect")


@pytest.mark.allow_log(*RELAY_OUTAGE_LOG)
def test_relay_comes_back_after_a_database_restart(env):
    """The relay holds a connection and LISTENs; when PostgreSQL restarts
    it reconnects by itself, listens again, and events flow to a stream
    that stayed open all along, with nothing committed lost."""
    with start(env, user=ADMIN) as s:
        env.pg_stop()
        env.pg_start()
        deadline = time.time() + 30
        made = []
        while time.time() < deadline:
            try:
                r = Api(env, AGENT).post("/api/tickets",
                                         {"title": f"after {uniq()}", "description": "x"})
            except requests.RequestException:
                r = None        # the API itself recovering (test_db_outage.py)
            if r is not None and r.status_code == 201:
                made.append(r.json()["data"]["id"])
                break
            time.sleep(0.5)
        assert made, "the API did not recover"
        got = s.collect(about(made[0]), timeout=20)
        assert [e["json"]["id"] for e in got if e["event"] == "ticket_created"] == made
    env.restart("")


# ---- revoked credentials -------------------------------------------------------------

def _ends_within(s, seconds):
    deadline = time.time() + seconds
    while not s.closed and time.time() < deadline:
        s.next_block(timeout=0.5)
    return s.closed


def test_logout_ends_the_streams_of_that_session(env):
    login = env.session().post(env.url("/api/auth/login"),
                               json={"email": AGENT, "password": DEMO_PASSWORD}, timeout=30)
    assert login.status_code == 200, login.text
    cookie = "; ".join(f"{c.name}={c.value}" for c in login.cookies)
    with start(env, user=None, headers={"Cookie": cookie}) as by_cookie, \
            start(env, user=AGENT) as by_password:
        r = env.session().post(env.url("/api/auth/logout"),
                               headers={"Cookie": cookie}, timeout=30)
        assert r.status_code == 204
        assert _ends_within(by_cookie, 5), "the session's stream went on"
        # the same user's stream by other credentials is not affected
        t = new_ticket(Api(env, AGENT))
        assert [e["json"]["id"] for e in by_password.collect(about(t["id"]))] == [t["id"]]
        assert not by_password.closed
    # and the cookie opens nothing any more
    with Stream(env, user=None, headers={"Cookie": cookie}) as s:
        assert s.status == 401


def test_revoking_a_token_ends_its_streams(env):
    r = env.session(ADMIN).post(env.url("/api/tokens"), json={"name": f"sse {uniq()}"},
                                timeout=30)
    assert r.status_code == 201, r.text
    tok = r.json()["data"]
    bearer = {"Authorization": f"Bearer {tok['token']}"}
    with start(env, user=None, headers=bearer) as s:
        t = new_ticket(Api(env, AGENT))
        assert [e["json"]["id"] for e in s.collect(about(t["id"]))] == [t["id"]]
        r = env.session(ADMIN).delete(env.url(f"/api/tokens/{tok['id']}"), timeout=30)
        assert r.status_code == 204
        assert _ends_within(s, 5), "the revoked token's stream went on"
    with Stream(env, user=None, headers=bearer) as s:
        assert s.status == 401


# ---- stats and ids across organizations --------------------------------------------

def _leaves(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_leaves(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def test_org_admin_stats_show_only_their_org(env):
    """An organization's admin sees figures of their own organization
    only: acme's streams, users and events move nothing in globex's
    stats (no host-wide appended, newestEventId, usersStreaming ...)."""
    def globex():
        r = env.get("/api/events/stats", user=GLOBEX_ADMIN)
        assert r.status_code == 200, r.text
        return _leaves(r.json()["data"])

    settle(env)
    before = globex()
    api = Api(env, AGENT)
    with start(env, user=ADMIN) as s, start(env, user=AGENT):
        made = [new_ticket(api)["id"] for _ in range(3)]
        got = s.collect(lambda out: set(made) <= {e["json"].get("id") for e in out})
        assert set(made) <= {e["json"].get("id") for e in got}
        settle(env)
        during = globex()
    after = globex()
    for name, figures in (("with acme's streams open", during), ("after", after)):
        moved = {k: (before.get(k), figures.get(k)) for k in set(before) | set(figures)
                 if before.get(k) != figures.get(k)}
        assert not moved, f"globex's stats moved with acme's activity ({name}): {moved}"


@pytest.fixture
def fast_pings(env):
    env.restart("TicketsSSEKeepAlive 1\n")
    try:
        yield
    finally:
        env.restart("")


def test_keepalive_ids_never_name_another_orgs_event(env, fast_pings):
    """The id-only block sent with a ping moves a stream's cursor past the
    events it was not sent; a globex stream must never be told the
    position of an acme event (it would learn when acme writes)."""
    with start(env, user=GLOBEX_ADMIN) as globex, start(env, user=ADMIN) as acme:
        api = Api(env, AGENT)
        made = []
        for _ in range(3):
            made.append(new_ticket(api)["id"])
            time.sleep(1.2)         # a keep-alive between two acme events
        got = acme.collect(lambda out: set(made) <= {e["json"].get("id") for e in out})
        acme_ids = {e["id"] for e in got if "id" in e}
        assert len(acme_ids) >= 3, got
        seen, pings = [], 0
        deadline = time.time() + 3.5
        while time.time() < deadline:
            b = globex.next_block(timeout=max(0.05, deadline - time.time()))
            if b is None:
                continue
            pings += "ping" in b["comments"]
            if "id" in b:
                seen.append(b["id"])
        for b in globex.events:
            if "id" in b and b["id"] not in seen:
                seen.append(b["id"])
        assert pings >= 2 or any("ping" in b["comments"] for b in globex.events), \
            globex.events
        assert not any("event" in b for b in globex.events if "retry" not in b), globex.events
        leaked = [i for i in seen if i in acme_ids]
        assert not leaked, f"globex's stream was sent acme's event ids {leaked}"


# ---- per-user limit, mod_status -----------------------------------------------------

@pytest.fixture
def two_per_user(env):
    env.restart("TicketsSSEMaxStreamsPerUser 2\n")
    try:
        yield
    finally:
        env.restart("")


@pytest.mark.usefixtures("two_per_user")
def test_streams_per_user_limit_is_429(env):
    before = stats(env)
    first = [start(env, user=AGENT) for _ in range(2)]
    try:
        with Stream(env, user=AGENT) as third:
            assert third.status == 429
            assert third.headers.get("retry-after", "").isdigit()
            assert third.json()["error"]["code"] == "RATE_LIMITED"
        # another user is not affected
        with start(env, user=ADMIN) as other:
            assert other.status == 200
        d = stats(env)
        assert d["refusedPerUser"] == before["refusedPerUser"] + 1
        assert d["usersStreaming"] >= 1
        # one closes: the user may open one again (counted across children)
        first.pop().close()
        deadline = time.time() + 5
        while time.time() < deadline:
            s = Stream(env, user=AGENT)
            if s.status == 200:
                first.append(s)
                break
            s.close()
            time.sleep(0.2)
        assert len(first) == 2, "the closed stream was not counted out"
    finally:
        for s in first:
            s.close()


def test_mod_status_shows_the_streams(env):
    with start(env, user=ADMIN):
        auto = env.get("/server-status?auto", timeout=10).text
        html = env.get("/server-status", timeout=10).text
    lines = dict(l.split(": ", 1) for l in auto.splitlines() if l.startswith("TicketsSSE") and ": " in l)
    for key in ("TicketsSSEStreamsOpen", "TicketsSSEResumesFromDatabase",
                "TicketsSSEResets", "TicketsSSEAppended", "TicketsSSERelayLagMs",
                "TicketsSSERingUsed", "TicketsSSERingOldestId", "TicketsSSENewestEventId"):
        assert key in lines, auto
    assert int(lines["TicketsSSEStreamsOpen"]) >= 1
    assert "mod_tickets_sse" in html and "TicketsSSERingSize" in html
