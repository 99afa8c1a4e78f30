"""Clients that hold connections without finishing a request.

A connection whose request never completes must not keep the API from
answering others, and the server ends it within a request-header timeout
such as mod_reqtimeout's (Debian's default is
`RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500`: 20 s for
a client that sends nothing more, up to 40 s for one that trickles)."""

import select
import socket
import time

import pytest
import requests

from tkcheck import AGENT

HALF_REQUEST = b"GET /api/health HTTP/1.1\r\nHost: x\r\n"
# More than the threads the instance starts with (StartServers 2 x
# ThreadsPerChild 64), fewer than MaxRequestWorkers (192): a connection
# reading its headers holds a thread, so the server must start a child to
# answer, and mod_reqtimeout must end them all by itself.
CONNECTIONS = 150
HEADER_TIMEOUT_BOUND = 45   # s: 40 s of mod_reqtimeout's header stage, and margin


def _still_open(socks):
    """Indexes of the sockets the server has not closed yet (EOF or reset;
    a 408 answer before the close counts as closed once the EOF follows)."""
    alive = []
    ready, _, _ = select.select([s for s in socks if s.fileno() >= 0], [], [], 0)
    ready = set(ready)
    for i, s in enumerate(socks):
        if s.fileno() < 0:
            continue
        if s not in ready:
            alive.append(i)
            continue
        try:
            while True:
                chunk = s.recv(65536, socket.MSG_DONTWAIT)
                if not chunk:
                    s.close()
                    break
        except BlockingIOError:
            alive.append(i)         # data (a 408 page) but no EOF yet
        except OSError:
            s.close()
    return alive


def test_half_sent_requests_do_not_hold_the_api(env):
    socks = []
    try:
        opened = time.time()
        for _ in range(CONNECTIONS):
            s = socket.create_connection(("127.0.0.1", env.port), timeout=5)
            s.sendall(HALF_REQUEST)
            socks.append(s)
        time.sleep(0.5)
        # The API answers an authenticated request at once, again and again.
        for i in range(5):
            t0 = time.time()
            try:
                r = env.session(AGENT).get(env.url("/api/auth/me"), timeout=10)
            except requests.RequestException as e:
                pytest.fail(f"probe {i}: GET /api/auth/me did not answer within 10 s with "
                            f"{CONNECTIONS} half-sent requests open: {e}")
            took = time.time() - t0
            assert r.status_code == 200, r.text
            assert took < 3, f"probe {i}: GET /api/auth/me took {took:.1f} s"
            time.sleep(0.5)
        # The server ends the unfinished requests by itself, in bounded time.
        alive = _still_open(socks)
        while alive and time.time() - opened < HEADER_TIMEOUT_BOUND:
            time.sleep(0.5)
            alive = _still_open(socks)
        assert not alive, (f"{len(alive)} of {CONNECTIONS} half-sent requests still open "
                           f"after {time.time() - opened:.0f} s")
    finally:
        for s in socks:
            s.close()
