"""mod_tickets_sse: the event-loop path (issue 3, "Scale").

A plain HTTP/1.1 stream leaves its worker thread for its child's event
loop once its headers are sent; TLS and HTTP/2 streams stay on the thread
path.  These tests check that streams really leave their threads (more
streams than the server has threads, and the API still answers), that a
client that reads nothing slows nobody else and ends reset or caught up
with bounded memory, that vanished clients are cleaned up at once, that a
graceful restart ends loop streams with a retry: line from which they
resume missing nothing, and that TLS and HTTP/2 streams still work.
"""

import base64
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from test_sse import (STREAM, Stream, _of, about, eid, new_ticket, settle, start, stats,
                      wait_streams_closed)
from tickets_util import ADMIN, AGENT, VIEWER, Api
from tkcheck import moddir
from tkenv import DEMO_PASSWORD, _free_port


def _children_rss_kb(env):
    """Summed VmRSS of the instance's child processes (not the parent)."""
    parent = env._httpd_pid()
    total = 0
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/status") as f:
                st = f.read()
            with open(d + "/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if env.conf.encode() not in cmd or int(d.rsplit("/", 1)[1]) == parent:
            continue
        for line in st.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _on_loop(env, n, timeout=5):
    """The stats once n streams are on the loop.  A client has its retry:
    line a moment before its stream is handed over (and counted on the
    loop), so the last streams opened may still be on their way."""
    deadline = time.time() + timeout
    d = stats(env)
    while d["streamsOnLoop"] < n and time.time() < deadline:
        time.sleep(0.05)
        d = stats(env)
    return d


def test_http11_stream_goes_to_the_loop(env):
    assert wait_streams_closed(env) == 0
    with start(env, user=ADMIN) as s:
        d = _on_loop(env, 1)
        assert d["streamsOnLoop"] == 1 and d["streamsOnThreads"] == 0, d
        t = new_ticket(Api(env, AGENT))
        assert _of(s.collect(about(t["id"])), t["id"])
    assert wait_streams_closed(env, timeout=5) == 0
    assert stats(env)["streamsOnLoop"] == 0


def test_loop_response_is_not_chunked(env):
    """Connection: close before the headers: an HTTP/1.1 stream's body is
    the event stream itself, delimited by the close."""
    out = subprocess.run(
        ["curl", "-sS", "--raw", "-i", "-N", "--max-time", "2", "-u", f"{ADMIN}:{DEMO_PASSWORD}",
         env.url(STREAM)], capture_output=True, timeout=20)
    head, _, body = out.stdout.decode("latin-1").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200"), out.stdout
    assert "transfer-encoding" not in head.lower()
    assert "connection: close" in head.lower()
    assert body.startswith("retry: ")


def test_more_streams_than_threads(env):
    """250 streams on a server of at most 3 x 64 threads: none holds a
    thread, the API answers at once, and one event reaches every stream."""
    assert wait_streams_closed(env) == 0
    streams = []
    try:
        for i in range(250):        # three users: each stays under its limit
            streams.append(start(env, user=(ADMIN, AGENT, VIEWER)[i % 3]))
        d = _on_loop(env, 250)
        assert d["streamsOpen"] == 250 and d["streamsOnLoop"] == 250, d
        t0 = time.time()
        r = env.session(AGENT).get(env.url("/api/tickets?limit=1"), timeout=5)
        assert r.status_code == 200 and time.time() - t0 < 2
        status = env.get("/server-status?auto", timeout=5).text
        busy = int([l for l in status.splitlines() if l.startswith("BusyWorkers:")][0].split()[1])
        assert busy < 10, status
        t = new_ticket(Api(env, AGENT))
        for s in streams:
            assert _of(s.collect(about(t["id"]), timeout=10), t["id"])
    finally:
        for s in streams:
            s.close()
    # vanished clients are noticed at once (EPOLLRDHUP), not at the next ping
    assert wait_streams_closed(env, timeout=3) == 0
    assert stats(env)["streamsOnLoop"] == 0


# ---- a client that reads nothing ----------------------------------------------

@pytest.fixture
def small_ring_only(env):
    env.restart("TicketsSSERingSize 64K\n")
    try:
        yield
    finally:
        env.restart("")


def _slow_stream(env, path=STREAM):
    """A stream whose client has a tiny receive buffer and reads nothing
    after the retry: line."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", env.port))
    import base64
    cred = base64.b64encode(f"{ADMIN}:{DEMO_PASSWORD}".encode()).decode()
    sock.sendall((f"GET {path} HTTP/1.0\r\nHost: x\r\nAuthorization: Basic {cred}\r\n"
                  "\r\n").encode())
    head = b""
    while b"retry:" not in head:
        chunk = sock.recv(1)
        assert chunk, head
        head += chunk
    return sock


def test_slow_client_slows_nobody(env, small_ring_only):
    api = Api(env, AGENT)
    t = new_ticket(api)
    settle(env)                 # its ticket_created is not for the streams below
    rss_before = _children_rss_kb(env)
    slow = _slow_stream(env)
    try:
        with start(env, user=ADMIN, path=f"{STREAM}?ticket={t['id']}") as fast:
            big = "y" * 4000
            lag = []
            got = []
            # At least 220 events, and on until the slow client's socket
            # is full (the kernel lets the send buffer grow first).
            i = 0
            while i < 220 or stats(env)["writesBlocked"] < 1:
                assert i < 3000, "the slow client's socket never filled"
                for _ in range(20):
                    t0 = time.time()
                    assert api.post(f"/api/tickets/{t['id']}/messages",
                                    {"content": f"{i} {big}"}).status_code == 201
                    # the fast stream has the event within a moment of the POST
                    n = len(got)
                    got += fast.collect(lambda out: len(out) >= 1, timeout=5)
                    assert len(got) == n + 1, f"event {i} was late"
                    lag.append(time.time() - t0)
                    i += 1
            assert [int(e["json"]["content"].split()[0]) for e in got] == list(range(i))
            assert max(lag) < 2.0, max(lag)
        d = stats(env)
        assert d["writesBlocked"] >= 1, d
        rss_after = _children_rss_kb(env)
        if not env.sanitize:        # ASan keeps freed memory in quarantine
            assert rss_after - rss_before < 32 * 1024, (rss_before, rss_after)
        # The slow client reads now: what its socket held, then either the
        # rest (it caught up: the kernel buffered much of it) or, when the
        # ring lapped it, the end of the stream at its position with a
        # retry: line; resuming from its last id brings the rest from the
        # log.  Nothing is lost either way.
        last = f'"content":"{i - 1} '.encode()
        data, ended = b"", False
        deadline = time.time() + 20
        while last not in data and not ended:
            assert time.time() < deadline, (len(data), data[-300:], stats(env))
            slow.settimeout(max(0.1, deadline - time.time()))
            try:
                chunk = slow.recv(65536)
            except socket.timeout:
                continue
            ended = not chunk
            data += chunk
        assert b"event: reset" not in data, data[-300:]
        if ended and last not in data:
            assert data.rstrip().endswith(b"retry: 1000"), data[-300:]
            ids = [l[4:] for l in data.decode().split("\n") if l.startswith("id: ")]
            with start(env, user=ADMIN, path=f"{STREAM}?ticket={t['id']}",
                       headers={"Last-Event-ID": ids[-1]}) as again:
                rest = again.collect(lambda out: any(
                    e["json"].get("content", "").startswith(f"{i - 1} ") for e in out),
                    timeout=20)
            data += "".join(f'"content":"{e["json"]["content"][:12]}' for e in rest).encode()
            assert stats(env)["resumesFromDatabase"] >= 1
        bodies = [int(m) for m in re.findall(rb'"content":"(\d+) ', data)]
        assert bodies == list(range(bodies[0], i)), "a gap in the slow stream"
    finally:
        slow.close()
    assert wait_streams_closed(env, timeout=5) == 0


def _unread_replay(env, user, last_id):
    """A stream asking to resume from last_id, whose client (tiny receive
    buffer) reads nothing, not even the response headers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", env.port))
    cred = base64.b64encode(f"{user}:{DEMO_PASSWORD}".encode()).decode()
    sock.sendall((f"GET {STREAM} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {cred}\r\n"
                  f"Accept: text/event-stream\r\nLast-Event-ID: {last_id}\r\n\r\n").encode())
    return sock


def _head(sock, deadline):
    """Status and body start of what a stream's server answered so far."""
    data = b""
    while b"\r\n\r\n" not in data and time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def test_streams_replaying_from_the_log_leave_the_api_answering(env, small_ring_only):
    """The ring (64K) has long moved past the id these streams resume from,
    so each replays ~7 MB from PostgreSQL to a client that reads nothing.
    99 of them (three users, under the per-user limit; more than the
    threads a child gives streams) must neither take every worker nor
    hold their replays in memory: the API answers at once, httpd's memory
    grows little, and each stream is served or refused with JSON."""
    api = Api(env, AGENT)
    t = new_ticket(api)
    last = settle(env)              # t's ticket_created: soon only in the log
    ring_before = stats(env)["ring"]["newestId"]
    big = "r" * 19000
    for i in range(120):
        r = api.patch(f"/api/tickets/{t['id']}", {"description": f"{i} {big}"})
        assert r.status_code == 200, r.text
    settle(env)
    assert stats(env)["ring"]["oldestId"] > ring_before + 1, "the ring did not move on"
    rss_before = _children_rss_kb(env)
    peak, sampling = [rss_before], threading.Event()

    def sample():               # httpd's memory all along, its peak kept
        while not sampling.wait(0.2):
            peak[0] = max(peak[0], _children_rss_kb(env))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    socks = []
    try:
        for i in range(99):
            socks.append(_unread_replay(env, (ADMIN, AGENT, VIEWER)[i % 3], last))
        time.sleep(1.5)             # the replays get going
        problems, slowest = [], 0.0
        for _ in range(5):
            t0 = time.time()
            try:
                r = env.session(ADMIN).get(env.url("/api/auth/me"), timeout=5)
            except requests.RequestException as e:
                problems.append(f"GET /api/auth/me did not answer within 5 s: {e}")
                break
            slowest = max(slowest, time.time() - t0)
            assert r.status_code == 200, r.text
            time.sleep(0.3)
        if slowest >= 2.0:
            problems.append(f"GET /api/auth/me took {slowest:.1f} s")
        time.sleep(1)
        sampling.set()
        sampler.join(5)
        grown = (peak[0] - rss_before) // 1024
        if grown >= 150 and not env.sanitize:     # ASan keeps freed memory in quarantine
            problems.append(f"httpd's children grew by {grown} MB for 99 streams")
        assert not problems, "; ".join(problems)
        deadline = time.time() + 10
        for i, sock in enumerate(socks):
            data = _head(sock, deadline)
            assert data.startswith(b"HTTP/1.1 "), f"stream {i} was never answered: {data[:200]!r}"
            status = int(data.split()[1])
            assert status in (200, 503), data[:300]
            if status == 503:       # refused: the API's JSON error, whole
                head, _, body = data.partition(b"\r\n\r\n")
                assert b"application/json" in head.lower(), head
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                while m and len(body) < int(m.group(1)) and time.time() < deadline:
                    sock.settimeout(max(0.05, deadline - time.time()))
                    try:
                        chunk = sock.recv(4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    body += chunk
                assert json.loads(body)["error"]["code"], body[:300]
    finally:
        sampling.set()
        for sock in socks:
            sock.close()
    assert wait_streams_closed(env, timeout=15) == 0


@pytest.fixture
def small_ring_threads_only(env):
    env.restart("TicketsSSERingSize 64K\nTicketsSSEEventLoop Off\n")
    try:
        yield
    finally:
        env.restart("")


def test_thread_stream_lapped_by_the_ring_catches_up_from_the_log(env, small_ring_threads_only):
    """A stream served on its thread (the loop is off) whose client stops
    reading while the ring laps it twice over: once the client reads again,
    the stream catches up from the log, every event in order, and goes on
    from the ring; it does so again when lapped a second time, and no child
    dies (the replay's memory lives only while it catches up)."""
    api = Api(env, AGENT)
    t = new_ticket(api)
    settle(env)
    before = stats(env)["resumesFromDatabase"]
    sock = _slow_stream(env, path=f"{STREAM}?ticket={t['id']}&types=ticket_updated")
    big = "l" * 19000
    got, buf = [], b""
    try:
        for lap in range(2):
            for i in range(60):
                r = api.patch(f"/api/tickets/{t['id']}", {"description": f"{lap}.{i} {big}"})
                assert r.status_code == 200, r.text
            settle(env)
            deadline = time.time() + 30
            want = f"{lap}.59 "
            while not any(d.startswith(want) for d in got) and time.time() < deadline:
                sock.settimeout(max(0.05, deadline - time.time()))
                try:
                    chunk = sock.recv(1 << 16)
                except socket.timeout:
                    break
                assert chunk, "the stream ended"
                buf += chunk
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    for line in block.decode().splitlines():
                        if line.startswith("data:"):
                            got.append(json.loads(line[5:])["description"])
        labels = [d.split(" ", 1)[0] for d in got]
        assert labels == [f"{lap}.{i}" for lap in range(2) for i in range(60)], labels
        assert stats(env)["resumesFromDatabase"] >= before + 2
    finally:
        sock.close()
    assert wait_streams_closed(env, timeout=15) == 0


# ---- graceful restart -------------------------------------------------------------

def test_graceful_restart_ends_loop_streams_with_retry(env):
    api = Api(env, AGENT)
    streams = [start(env, user=ADMIN, path=f"{STREAM}?types=ticket_deleted")
               for _ in range(10)]
    try:
        before = [new_ticket(api)["id"] for _ in range(3)]      # filtered out
        env.restart("", graceful=True)
        ends = []
        for s in streams:
            blocks = []
            deadline = time.time() + 10
            while not s.closed and time.time() < deadline:
                b = s.next_block(timeout=0.5)
                if b is not None:
                    blocks.append(b)
            assert s.closed
            retry = [int(b["retry"]) for b in blocks if "retry" in b]
            assert len(retry) == 1 and 1000 <= retry[0] <= 5000, blocks
            ids = [b["id"] for b in blocks if "id" in b]
            assert ids, blocks          # the id-only block past the filtered events
            ends.append((ids[-1], retry[0]))
        assert len({r for _, r in ends}) > 1, "every stream got the same retry delay"
    finally:
        for s in streams:
            s.close()
    # the client resumes from the last id it got and misses nothing
    last_id = ends[0][0]
    missed = [new_ticket(api)["id"] for _ in range(3)]
    with start(env, user=ADMIN, headers={"Last-Event-ID": last_id}) as s:
        got = s.collect(about(missed[-1]))
    assert [e["json"]["id"] for e in got] == missed
    assert not set(before) & {e["json"]["id"] for e in got}


# ---- TLS and HTTP/2 stay on the thread path ------------------------------------------

@pytest.fixture
def tls_and_h2(env):
    mods = moddir(env)
    if not (os.path.exists(f"{mods}/mod_ssl.so") and os.path.exists(f"{mods}/mod_http2.so")):
        pytest.skip("mod_ssl or mod_http2 is not installed")
    d = tempfile.mkdtemp(prefix="tickets-tls-")
    os.chmod(d, 0o755)
    crt, key = f"{d}/crt.pem", f"{d}/key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", crt],
                   check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o644)
    tls_port = _free_port()
    # httpd's own start-up notes about this throwaway virtual host: its
    # self-signed certificate, no session cache, and mod_dbd seeing the
    # API's statements prepared again for the second server.
    env.expect_log(r"AH01873|AH01906|AH01909|AH02653")
    env.restart(f"""
<IfModule !ssl_module>
    LoadModule ssl_module {mods}/mod_ssl.so
</IfModule>
<IfModule !http2_module>
    LoadModule http2_module {mods}/mod_http2.so
</IfModule>
Protocols h2c http/1.1
Listen 127.0.0.1:{tls_port}
<VirtualHost 127.0.0.1:{tls_port}>
    SSLEngine on
    SSLCertificateFile {crt}
    SSLCertificateKeyFile {key}
    Protocols h2 http/1.1
</VirtualHost>
""")
    try:
        yield tls_port
    finally:
        env.restart("")
        shutil.rmtree(d, ignore_errors=True)


class _Curl:
    """curl reading a stream in the background; every line kept."""

    def __init__(self, args, timeout=20):
        self.p = subprocess.Popen(["curl", "-sS", "-N", "--max-time", str(timeout), *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.th = threading.Thread(target=self._read, daemon=True)
        self.th.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line)

    def wait_for(self, text, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(text in l for l in self.lines):
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.p.kill()
        self.p.wait()
        self.th.join(5)


@pytest.mark.parametrize("how", ["tls-http1.1", "tls-h2", "h2c"])
def test_tls_and_http2_streams_use_threads(env, tls_and_h2, how):
    assert wait_streams_closed(env) == 0
    auth = ["-u", f"{ADMIN}:{DEMO_PASSWORD}"]
    if how == "h2c":
        args = auth + ["--http2-prior-knowledge", env.url(STREAM)]
    else:
        args = auth + ["-k", "--http1.1" if how == "tls-http1.1" else "--http2",
                       f"https://127.0.0.1:{tls_and_h2}{STREAM}"]
    c = _Curl(args)
    try:
        assert c.wait_for("retry:"), (c.lines, c.p.stderr)
        d = stats(env)
        assert d["streamsOnThreads"] == 1 and d["streamsOnLoop"] == 0, d
        t = new_ticket(Api(env, AGENT))
        assert c.wait_for(t["id"]), c.lines
    finally:
        c.close()
    assert wait_streams_closed(env, timeout=10) == 0
