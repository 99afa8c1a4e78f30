"""Live events across hosts (SPEC section 9, issue 3 "Several hosts"): two
httpd instances, A (the shared test instance) and B (started here), on one
PostgreSQL.  An event committed through either reaches the streams of
both, once each, in the same order and with the same ids, and a client
may resume on one host from an id it received from the other."""

import os
import subprocess
import time

import pytest
import requests

from tickets_util import ADMIN, AGENT, Api
from tkenv import DEMO_PASSWORD, _free_port, _pid_alive, _port_open
from test_sse import _of, about, eid, new_ticket, start


class Host:
    """A second httpd instance of the same build on the same database."""

    def __init__(self, env, name, build_dir=None):
        self.env = env
        self.inst = os.path.join(env.base, name)
        self.conf = os.path.join(self.inst, "httpd.conf")
        self.port = _free_port()
        self.error_log = os.path.join(self.inst, "logs", "error_log")
        env._scripts("httpd-conf.sh", self.inst, str(self.port), env.pg_host,
                     str(env.pg_port), build_dir or env.build_dir)

    def ctl(self, *args):
        return subprocess.run([self.env.httpd, "-f", self.conf, *args],
                              env=self.env._httpd_env(), text=True,
                              capture_output=True, timeout=60)

    def start(self):
        r = self.ctl("-k", "start")
        assert r.returncode == 0, r.stdout + r.stderr
        deadline = time.time() + 30
        while time.time() < deadline and not _port_open(self.port):
            time.sleep(0.1)
        assert _port_open(self.port), "host B did not come up"

    def pid(self):
        try:
            with open(os.path.join(self.inst, "run", "httpd.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def stop(self):
        pid = self.pid()
        self.ctl("-k", "stop")
        deadline = time.time() + 20
        while pid and _pid_alive(pid) and time.time() < deadline:
            time.sleep(0.1)

    def api(self, user):
        return HostApi(self, user)


class HostApi:
    def __init__(self, host, user):
        self.base = f"http://127.0.0.1:{host.port}"
        self.s = requests.Session()
        self.s.auth = (user, DEMO_PASSWORD)

    def post(self, path, body):
        return self.s.post(self.base + path, json=body, timeout=30)


@pytest.fixture(scope="module")
def host_b(env):
    b = Host(env, "httpd-b")
    b.start()
    yield b
    b.stop()
    with open(b.error_log) as f:
        bad = env.bad_log_lines(f.readlines(), [])
    assert not bad, "host B logged:\n" + "".join(bad)


def test_event_from_one_host_reaches_streams_on_both(env, host_b):
    with start(env, user=ADMIN) as on_a, start(host_b, user=ADMIN) as on_b:
        via_a = new_ticket(Api(env, AGENT))
        via_b = new_ticket(host_b.api(AGENT))
        got_a = on_a.collect(lambda out: about(via_a["id"])(out) and about(via_b["id"])(out))
        got_b = on_b.collect(lambda out: about(via_a["id"])(out) and about(via_b["id"])(out))
        got_a += on_a.quiet(1.0)
        got_b += on_b.quiet(1.0)
    for got in (got_a, got_b):
        mine = _of(got, via_a["id"]) + _of(got, via_b["id"])
        assert sorted(e["json"]["id"] for e in mine) == sorted([via_a["id"], via_b["id"]])
    # the same events, once each, in the same order, with the same ids
    ids_a = [e["id"] for e in got_a]
    ids_b = [e["id"] for e in got_b]
    assert ids_a == ids_b
    assert len(set(ids_a)) == len(ids_a)
    assert [eid(i) for i in ids_a] == sorted(eid(i) for i in ids_a)


def test_resume_on_the_other_host(env, host_b):
    with start(env, user=ADMIN) as on_a:
        first = new_ticket(Api(env, AGENT))
        last = _of(on_a.collect(about(first["id"])), first["id"])[0]["id"]
    missed = [new_ticket(Api(env, AGENT) if i % 2 else host_b.api(AGENT))["id"]
              for i in range(4)]
    with start(host_b, user=ADMIN, headers={"Last-Event-ID": last}) as on_b:
        got = on_b.collect(about(missed[-1]))
    assert [e["json"]["id"] for e in got] == missed
    assert eid(got[0]["id"]) > eid(last)


def test_many_writers_on_two_hosts(env, host_b):
    """40 tickets written through both hosts at once reach a stream on each
    host complete, in one order."""
    import threading

    ids, errors = [], []

    def write(i):
        try:
            api = Api(env, AGENT) if i % 2 else host_b.api(AGENT)
            ids.append(new_ticket(api)["id"])
        except Exception as e:      # reported below
            errors.append(e)

    with start(env, user=ADMIN) as on_a, start(host_b, user=ADMIN) as on_b:
        writers = [threading.Thread(target=write, args=(i,)) for i in range(40)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(60)
        assert not errors, errors
        want = set(ids)
        done = lambda out: want <= {e["json"].get("id") for e in out}
        got_a = on_a.collect(done, timeout=30)
        got_b = on_b.collect(done, timeout=30)
    seq_a = [e["id"] for e in got_a if e["json"].get("id") in want]
    seq_b = [e["id"] for e in got_b if e["json"].get("id") in want]
    assert len(seq_a) == 40 and seq_a == seq_b


def test_revocation_reaches_a_host_without_streams(env):
    """A host that serves the API only (no mod_tickets_sse, so no ring):
    a user disabled through host A is refused there at once, although that
    host's children had the password cached."""
    from test_users import Org
    mods = os.path.join(env.base, "build-api-only")
    os.makedirs(mods, exist_ok=True)
    for so in ("mod_tickets.so",):
        dst = os.path.join(mods, so)
        if not os.path.exists(dst):
            os.symlink(os.path.abspath(os.path.join(env.build_dir, so)), dst)
    c = Host(env, "httpd-api-only", build_dir=mods)
    c.start()
    try:
        with open(c.conf) as f:
            assert "LoadModule tickets_sse_module" not in f.read()
        org = Org(env)
        user = org.create("agent")
        on_c = f"http://127.0.0.1:{c.port}/api/auth/me"

        def me():
            s = requests.Session()
            s.headers["Connection"] = "close"     # any child of host C
            return s.get(on_c, auth=(user["email"], DEMO_PASSWORD), timeout=30)

        for _ in range(8):
            assert me().status_code == 200
        r = org.patch(user["id"], {"disabled": True})
        assert r.status_code == 200, r.text
        deadline = time.time() + 3
        codes = []
        while time.time() < deadline:
            codes = [me().status_code for _ in range(8)]
            if codes == [401] * 8:
                break
            time.sleep(0.2)
        assert codes == [401] * 8, codes
    finally:
        c.stop()
    with open(c.error_log) as f:
        bad = env.bad_log_lines(f.readlines(), [])
    assert not bad, "host C logged:\n" + "".join(bad)
