"""The database goes away and comes back (SPEC section 12)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tkcheck import AGENT, assert_error, create_ticket

# Expected while PostgreSQL is down: the module's own lines (TK000xx), mod_dbd's
# (AH0xxxx) and the pgsql driver's text that mod_dbd passes on.
OUTAGE_LOG = (r"TK000\d\d", r"AH0\d{4}", r"\[dbd:", r"server closed the connection",
              r"Connection refused", r"No such file or directory",
              r"terminating connection", r"could not connect")


def _wait_until(check, seconds):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            last = check()
            if last is True:
                return True
        except Exception as e:      # connection errors while things settle
            last = e
        time.sleep(0.25)
    return last


def _warm_pools(env):
    """Concurrent requests, so every child holds several pooled database
    connections (up to DBDKeep) when the database goes away, as in a server
    that has been busy."""
    with ThreadPoolExecutor(max_workers=24) as ex:
        codes = list(ex.map(lambda _: env.get("/api/health").status_code, range(96)))
    assert codes.count(200) == len(codes), codes


@pytest.fixture
def outage(env):
    _warm_pools(env)
    mark = env.log_mark()
    env.pg_stop()
    try:
        yield mark
    finally:
        env.pg_start()
        # leave a server whose connection pools hold no dead connections for
        # the tests that follow (recovery itself is checked by the test)
        env.restart("")


@pytest.mark.allow_log(*OUTAGE_LOG)
def test_database_outage_and_recovery(env, outage):
    mark = outage
    s = env.session(AGENT)
    # Every request answers 503 DB_UNAVAILABLE, whichever child and pooled
    # connection it gets.
    for _ in range(6):
        r = env.get("/api/health")
        err = assert_error(r, 503, "DB_UNAVAILABLE")
        assert r.headers.get("Retry-After", "").isdigit(), r.headers
        assert int(r.headers["Retry-After"]) > 0
        assert "data" not in r.json() and err["requestId"]
    for _ in range(4):
        r = s.get(env.url("/api/tickets/1"), timeout=30)
        assert_error(r, 503, "DB_UNAVAILABLE")
        r = s.get(env.url("/api/tickets?limit=1"), timeout=30)
        assert_error(r, 503, "DB_UNAVAILABLE")

    env.pg_start()
    started = time.time()

    def health_ok():
        return env.get("/api/health").status_code == 200
    assert _wait_until(health_ok, 20) is True, "health did not come back"

    def tickets_ok():
        return s.get(env.url("/api/tickets?limit=1"), timeout=30).status_code == 200
    assert _wait_until(tickets_ok, 20) is True, "ticket list did not come back"
    assert time.time() - started < 20
    # settled: a run of requests all succeed, writes included
    for _ in range(10):
        assert env.get("/api/health").status_code == 200
    t = create_ticket(env, AGENT)
    r = s.get(env.url(f"/api/tickets/{t['id']}"), timeout=30)
    assert r.status_code == 200, r.text

    lines = env.error_log_lines_since(mark)
    crashes = [l for l in lines if "exit signal" in l or "seg fault" in l.lower()]
    assert not crashes, crashes
    assert any("TK000" in l for l in lines), "the outage was not logged by the module"


@pytest.mark.allow_log(*OUTAGE_LOG)
def test_recovery_after_a_short_outage(env, outage):
    """Few requests meet the outage, so pooled connections are not thrown
    away but reconnected: they must be usable (statements prepared again)."""
    s = env.session(AGENT)
    r = s.post(env.url("/api/tickets"), json={"title": "during outage",
                                              "description": "d"}, timeout=30)
    assert_error(r, 503, "DB_UNAVAILABLE")
    # credentials cannot be checked either: still 503, not 401
    r = env.session().get(env.url("/api/auth/me"), auth=("viewer@acme.test", "x"),
                          timeout=30)
    assert_error(r, 503, "DB_UNAVAILABLE")
    env.pg_start()
    assert _wait_until(lambda: env.get("/api/health").status_code == 200, 20) is True, \
        "health did not come back within 20 s of the database"
    for _ in range(10):
        assert env.get("/api/health").status_code == 200
        assert s.get(env.url("/api/tickets?limit=1"), timeout=30).status_code == 200
    assert env.psql("SELECT count(*) FROM tickets WHERE title = 'during outage'") == [["0"]]


@pytest.mark.allow_log(*OUTAGE_LOG)
def test_every_outage_answer_has_retry_after(env, outage):
    """Also when the outage is met while checking credentials (before the
    handler runs, answered through the ErrorDocument)."""
    s = env.session(AGENT)
    answers = [
        ("GET /api/health", env.get("/api/health")),
        ("GET /api/tickets/1 (Basic)", s.get(env.url("/api/tickets/1"), timeout=30)),
        ("GET /api/auth/me (Basic)", s.get(env.url("/api/auth/me"), timeout=30)),
        ("GET /api/auth/me (Bearer)", env.session().get(
            env.url("/api/auth/me"), headers={"Authorization": "Bearer tk_unknown"},
            timeout=30)),
    ]
    missing = []
    for what, r in answers:
        assert_error(r, 503, "DB_UNAVAILABLE")
        if not r.headers.get("Retry-After", "").isdigit():
            missing.append(what)
        # An outage is no authentication failure: no challenge to sign in.
        assert "WWW-Authenticate" not in r.headers, what
    assert not missing, f"503 without Retry-After: {missing}"


@pytest.mark.allow_log(*OUTAGE_LOG)
def test_writes_with_cached_credentials_survive_a_restart(env):
    """A Basic password remembered by the credential cache sends a write
    straight to BEGIN on a pooled connection whose server went away.  The
    pgsql driver's own transaction start crashes on a failed BEGIN, so the
    module sends BEGIN itself: every request answers (503 while the pool
    heals, then 201), and no child dies (the error-log check fails on any
    AH00052)."""
    s = env.session(AGENT)
    for _ in range(24):             # every child caches the credential
        assert s.get(env.url("/api/tickets?limit=1"), timeout=30).status_code == 200
    _warm_pools(env)
    env.pg_stop()
    env.pg_start()
    try:
        codes = []
        for i in range(40):
            r = env.session(AGENT).post(env.url("/api/tickets"), timeout=30,
                                        json={"title": f"restart {i}", "description": "x"})
            codes.append(r.status_code)
        assert set(codes) <= {201, 503}, codes
        assert codes[-1] == 201, codes
    finally:
        env.restart("")


def _login_cookie(env, email=AGENT):
    r = env.session().post(env.url("/api/auth/login"), timeout=30,
                           json={"email": email, "password": "demo-password"})
    assert r.status_code == 200, r.text
    return "; ".join(f"{c.name}={c.value}" for c in r.cookies)


@pytest.mark.allow_log(*OUTAGE_LOG)
@pytest.mark.parametrize("met", [False, True], ids=["outage-unnoticed", "outage-noticed"])
def test_every_request_succeeds_once_the_database_is_back(env, met):
    """Once health answers 200 again, every request succeeds on its first
    try, whichever child and pooled connection it gets: bursts of more
    writes and more reads than DBDKeep (8) x children (3) connections, with
    a Basic password every child has cached (no query to authenticate) and
    with a session cookie (looked up by every request).  met: whether
    requests met the outage (so children noticed it) or not (every pooled
    connection is dead when the database returns)."""
    cookie = _login_cookie(env)
    t = create_ticket(env, AGENT)
    for _ in range(24):             # every child caches the Basic credential
        s = env.session(AGENT)
        s.headers["Connection"] = "close"
        assert s.get(env.url("/api/tickets?limit=1"), timeout=30).status_code == 200
    _warm_pools(env)
    with ThreadPoolExecutor(max_workers=24) as ex:      # and busy with real queries
        codes = list(ex.map(lambda _: env.session(AGENT).get(
            env.url("/api/tickets?limit=5"), timeout=30).status_code, range(96)))
    assert codes == [200] * len(codes), codes
    env.pg_stop()
    try:
        if met:
            for _ in range(6):
                assert_error(env.get("/api/health"), 503, "DB_UNAVAILABLE")
                assert_error(env.get("/api/tickets?limit=1", user=AGENT), 503,
                             "DB_UNAVAILABLE")
        env.pg_start()
        assert _wait_until(lambda: env.get("/api/health").status_code == 200, 20) is True, \
            "health did not come back"

        def call(job):
            i, (kind, cred) = job
            sess = env.session(AGENT if cred == "basic" else None)
            if cred == "cookie":
                sess.headers["Cookie"] = cookie
            try:
                if kind == "write":
                    r = sess.post(env.url("/api/tickets"), timeout=30,
                                  json={"title": f"after recovery {i}", "description": "x"})
                elif kind == "list":
                    r = sess.get(env.url("/api/tickets?limit=5"), timeout=30)
                else:
                    r = sess.get(env.url(f"/api/tickets/{t['id']}"), timeout=30)
            except Exception as e:      # reported with the others
                return f"{kind}/{cred}: {e!r}"
            if not 200 <= r.status_code < 300:
                return f"{kind}/{cred}: {r.status_code} {r.text[:120]}"
            return None

        kinds = [(k, c) for k in ("write", "list", "one") for c in ("basic", "cookie")]
        failures, done = [], 0
        with ThreadPoolExecutor(max_workers=24) as ex:
            for _ in range(5):          # 5 bursts x 72: 120 writes, 240 reads
                jobs = list(enumerate(kinds * 12, start=done))
                done += len(jobs)
                failures += [f for f in ex.map(call, jobs) if f]
        assert not failures, f"{len(failures)} of {done} requests failed after recovery: " \
                             f"{failures[:10]}"
    finally:
        env.pg_start()
        env.restart("")
