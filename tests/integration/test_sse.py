"""mod_tickets_sse: live event streams (SPEC section 9).

Streams are read over raw sockets with HTTP/1.0 (no chunking: the body is
the event stream itself) and a deadline on every read, and every stream is
closed by the test that opened it, so nothing here can hang.  Events are
produced through the REST API; each test creates its own tickets and
looks only for events about them.
"""

import base64
import json
import socket
import threading
import time

import pytest

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


def about(ticket_id):
    """until(): an event about ticket_id arrived."""
    return lambda out: any(e["json"].get("id") == ticket_id or
                           e["json"].get("ticketId") == ticket_id for e in out)


def stats(env):
    r = env.get("/api/events/stats", user=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def wait_streams_closed(env, baseline=0, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = stats(env)["streamsOpen"]
        if n <= baseline:
            return n
        time.sleep(0.1)
    return stats(env)["streamsOpen"]


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
