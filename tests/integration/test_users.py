"""/api/users: an organization's admins manage its users (SPEC section 5).

GET /api/users (a page: data, total, limit, offset), POST /api/users
{"email", "name", "role", "password"?} -> 201, PATCH /api/users/:id
{"role"?, "disabled"?, "name"?} -> 200.  Admins only (others 403
FORBIDDEN); another organization's user is 404; the last active admin of
an organization can be neither demoted nor disabled (409 CONFLICT).

A change takes effect at once: a disabled user's very next request is 401
whatever credential it carries (a Basic password the credential cache
remembers, an API token, a session cookie) and their open streams end; a
demoted user's very next write is refused and their stream goes on with
what the new role may see.

Every test works in an organization of its own, made here in the database
with one admin, so that disabling and demoting people touches no demo user
and no other test.
"""

import threading
import time

import pytest

from test_sse import Stream, about, start
from tkcheck import (ADMIN, AGENT, CUSTOMER, DEMO_HASH, GLOBEX, VIEWER, assert_error,
                     basic, uniq)
from tkenv import DEMO_PASSWORD

pytestmark = pytest.mark.users_api

USER_FIELDS = {"id", "email", "name", "role", "disabled", "createdAt"}
AGENT_ID = "00000000-0000-4000-8000-00000000a002"


class Org:
    """An organization of the test's own with one admin (demo password)."""

    def __init__(self, env):
        self.env = env
        self.slug = uniq("org")
        self.id = env.psql(f"INSERT INTO organizations (slug, name) VALUES "
                           f"('{self.slug}', 'Org {self.slug}') RETURNING id")[0][0]
        self.admin = f"admin@{self.slug}.test"
        self.admin_id = env.psql(
            "INSERT INTO users (org_id, email, name, role, password_hash) VALUES "
            f"('{self.id}', '{self.admin}', 'First Admin', 'admin', '{DEMO_HASH}') "
            "RETURNING id")[0][0]

    def email(self, who="user"):
        return f"{uniq(who)}@{self.slug}.test"

    def call(self, method, path, user=None, **kw):
        kw.setdefault("timeout", 30)
        return self.env.session(user or self.admin).request(method, self.env.url(path), **kw)

    def create(self, role="agent", password=DEMO_PASSWORD, **fields):
        body = {"email": self.email(role), "name": f"{role.title()} {uniq('n')}",
                "role": role}
        if password is not None:
            body["password"] = password
        body.update(fields)
        r = self.call("POST", "/api/users", json=body)
        assert r.status_code == 201, r.text
        u = r.json()["data"]
        assert u["email"] == body["email"] and u["role"] == role, u
        return u

    def patch(self, user_id, body, user=None):
        return self.call("PATCH", f"/api/users/{user_id}", user=user, json=body)


def _fresh(env, email, path="/api/auth/me", headers=None, n=12):
    """n requests, each on a new connection (so on any child, cached or not)."""
    out = []
    for _ in range(n):
        s = env.session()
        s.headers["Connection"] = "close"
        out.append(s.get(env.url(path), headers=headers or {"Authorization": basic(email)},
                         timeout=30))
    return out


def _warm(env, headers, n=24):
    """Authenticate on every child, so each one's credential cache holds it."""
    for r in _fresh(env, None, headers=headers, n=n):
        assert r.status_code == 200, r.text


def _ends_within(s, seconds):
    deadline = time.time() + seconds
    while not s.closed and time.time() < deadline:
        s.next_block(timeout=0.5)
    return s.closed


def _users_count(env):
    return env.psql("SELECT count(*), count(*) FILTER (WHERE disabled), "
                    "string_agg(role, ',' ORDER BY id) FROM users")[0]


# ---- the endpoints ----------------------------------------------------------

def test_users_list_is_a_page_of_the_org(env):
    org = Org(env)
    a, b = org.create("agent"), org.create("viewer")
    r = org.call("GET", "/api/users")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"data", "total", "limit", "offset"}, body
    assert body["total"] == 3 and body["offset"] == 0 and body["limit"] >= 3
    assert {u["email"] for u in body["data"]} == {org.admin, a["email"], b["email"]}
    for u in body["data"]:
        assert set(u) >= USER_FIELDS, u
        assert u["disabled"] is False
    assert "password" not in r.text.lower() and "$2y$" not in r.text
    page = org.call("GET", "/api/users?limit=1&offset=1").json()
    assert page["limit"] == 1 and page["offset"] == 1 and page["total"] == 3
    assert len(page["data"]) == 1
    assert page["data"][0]["email"] in {org.admin, a["email"], b["email"]}
    assert_error(org.call("GET", "/api/users?limit=0"), 400, "INVALID_QUERY", field="limit")
    # acme's admin sees acme's users only
    acme = env.session(ADMIN).get(env.url("/api/users?limit=100"), timeout=30)
    assert acme.status_code == 200, acme.text
    emails = {u["email"] for u in acme.json()["data"]}
    assert {ADMIN, AGENT, VIEWER, CUSTOMER} <= emails
    assert GLOBEX not in emails and org.admin not in emails


def test_users_create(env):
    org = Org(env)
    u = org.create("agent")
    assert set(u) >= USER_FIELDS and u["disabled"] is False
    assert "password" not in u and "passwordHash" not in u
    # the password works at once, and is stored as a bcrypt hash only
    r = env.session().get(env.url("/api/auth/me"), auth=(u["email"], DEMO_PASSWORD),
                          timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["role"] == "agent"
    stored = env.psql(f"SELECT password_hash, org_id FROM users WHERE id = '{u['id']}'")[0]
    assert stored[0].startswith("$2") and DEMO_PASSWORD not in stored[0]
    assert stored[1] == org.id
    # no password: the user exists, and no password signs them in
    nopw = org.create("viewer", password=None)
    r = env.session().get(env.url("/api/auth/me"), auth=(nopw["email"], ""), timeout=30)
    assert_error(r, 401, "UNAUTHENTICATED")
    # refused bodies
    before = _users_count(env)
    for body, field in (({"email": org.email(), "name": "X", "role": "owner"}, "role"),
                        ({"email": "not an email", "name": "X", "role": "agent"}, "email"),
                        ({"name": "X", "role": "agent"}, "email"),
                        ({"email": org.email(), "name": "X", "role": "agent", "x": 1}, "x")):
        assert_error(org.call("POST", "/api/users", json=body), 400, "VALIDATION_ERROR",
                     field=field)
    # an email already taken (here or in another organization)
    for email in (u["email"], AGENT):
        r = org.call("POST", "/api/users", json={"email": email, "name": "Y", "role": "agent"})
        assert_error(r, 409, "CONFLICT")
    assert _users_count(env) == before


def test_users_patch(env):
    org = Org(env)
    u = org.create("agent")
    r = org.patch(u["id"], {"name": "Renamed Person"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["name"] == "Renamed Person"
    r = org.patch(u["id"], {"role": "viewer"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["role"] == "viewer"
    r = org.patch(u["id"], {"disabled": True})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["disabled"] is True
    assert env.psql(f"SELECT role, disabled, name FROM users WHERE id = '{u['id']}'") == \
        [["viewer", "t", "Renamed Person"]]
    r = org.patch(u["id"], {"disabled": False})
    assert r.status_code == 200 and r.json()["data"]["disabled"] is False
    for body, field in (({"role": "owner"}, "role"), ({"disabled": "yes"}, "disabled"),
                        ({"email": "x@y.test"}, "email"), ({"name": ""}, "name")):
        assert_error(org.patch(u["id"], body), 400, "VALIDATION_ERROR", field=field)
    assert_error(org.patch("00000000-0000-4000-8000-00000000dead", {"name": "Nobody"}),
                 404, "NOT_FOUND")


def test_last_active_admin_stays(env):
    org = Org(env)
    for body in ({"role": "agent"}, {"role": "viewer"}, {"role": "customer"},
                 {"disabled": True}):
        assert_error(org.patch(org.admin_id, body), 409, "CONFLICT")
    assert env.psql(f"SELECT role, disabled FROM users WHERE id = '{org.admin_id}'") == \
        [["admin", "f"]]
    # a second admin, disabled, is no active admin: the first still stays
    other = org.create("admin")
    assert org.patch(other["id"], {"disabled": True}).status_code == 200
    assert_error(org.patch(org.admin_id, {"role": "agent"}), 409, "CONFLICT")
    assert_error(org.patch(org.admin_id, {"disabled": True}), 409, "CONFLICT")
    # once the second is active again, either may step down, but not both
    assert org.patch(other["id"], {"disabled": False}).status_code == 200
    r = org.patch(org.admin_id, {"role": "agent"})
    assert r.status_code == 200, r.text
    assert_error(org.patch(other["id"], {"role": "agent"}, user=other["email"]),
                 409, "CONFLICT")
    assert_error(org.patch(other["id"], {"disabled": True}, user=other["email"]),
                 409, "CONFLICT")


def test_two_admins_demoting_each_other_at_once(env):
    """Each admin demotes the other at the same moment, again and again:
    one change wins and the other is refused (409, or 403 once its author is
    no admin), never a deadlock's 500, and one active admin always stays."""
    org = Org(env)
    other = org.create("admin")
    pair = [(org.admin, org.admin_id), (other["email"], other["id"])]
    for round_ in range(20):
        for email, _ in pair:       # no bcrypt keeps the two apart
            _warm(env, {"Authorization": basic(email)}, n=8)
        gate, got = threading.Barrier(2), [None, None]

        def demote(i):
            author, target = pair[i][0], pair[1 - i][1]
            gate.wait()
            got[i] = org.patch(target, {"role": "agent"}, user=author)

        threads = [threading.Thread(target=demote, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        codes = sorted(r.status_code for r in got)
        assert codes in ([200, 403], [200, 409]), [r.text for r in got]
        for r in got:
            if r.status_code != 200:
                assert r.json()["error"]["code"] in ("CONFLICT", "FORBIDDEN"), r.text
        admins = env.psql(f"SELECT id FROM users WHERE org_id = '{org.id}' "
                          "AND role = 'admin' AND NOT disabled")
        assert len(admins) == 1, (round_, admins)
        winner = next(i for i in (0, 1) if got[i].status_code == 200)
        r = org.patch(pair[1 - winner][1], {"role": "admin"}, user=pair[winner][0])
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("user", [AGENT, VIEWER, CUSTOMER])
def test_users_api_is_for_admins(env, user):
    before = _users_count(env)
    s = env.session(user)
    assert_error(s.get(env.url("/api/users"), timeout=30), 403, "FORBIDDEN")
    r = s.post(env.url("/api/users"), timeout=30,
               json={"email": f"{uniq('x')}@acme.test", "name": "X", "role": "admin"})
    assert_error(r, 403, "FORBIDDEN")
    own = env.psql(f"SELECT id FROM users WHERE email = '{user}'")[0][0]
    for body in ({"role": "admin"}, {"disabled": True}):
        assert_error(s.patch(env.url(f"/api/users/{own}"), json=body, timeout=30),
                     403, "FORBIDDEN")
        assert_error(s.patch(env.url(f"/api/users/{AGENT_ID}"), json=body, timeout=30),
                     403, "FORBIDDEN")
    assert _users_count(env) == before


def test_another_orgs_user_is_404(env):
    org = Org(env)
    before = env.psql(f"SELECT name, role, disabled FROM users WHERE id = '{AGENT_ID}'")
    for body in ({"name": "Taken Over"}, {"role": "viewer"}, {"disabled": True}):
        assert_error(org.patch(AGENT_ID, body), 404, "NOT_FOUND")
    assert env.psql(f"SELECT name, role, disabled FROM users WHERE id = '{AGENT_ID}'") == before
    mine = org.create("agent")
    r = env.session(GLOBEX).patch(env.url(f"/api/users/{mine['id']}"), timeout=30,
                                  json={"name": "Taken Over"})
    assert_error(r, 404, "NOT_FOUND")
    assert "Taken Over" not in str(env.psql(f"SELECT name FROM users WHERE id = '{mine['id']}'"))
    listed = org.call("GET", "/api/users?limit=100").json()["data"]
    assert AGENT not in {u["email"] for u in listed}


# ---- changes take effect at once ------------------------------------------------

def test_disabled_user_is_refused_at_once(env):
    org = Org(env)
    u = org.create("agent")
    r = org.call("POST", "/api/tokens", json={"name": uniq("tok"), "userId": u["id"]})
    assert r.status_code == 201, r.text
    bearer = {"Authorization": f"Bearer {r.json()['data']['token']}"}
    login = env.session().post(env.url("/api/auth/login"), timeout=30,
                               json={"email": u["email"], "password": DEMO_PASSWORD})
    assert login.status_code == 200, login.text
    cookie = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in login.cookies)}
    _warm(env, {"Authorization": basic(u["email"])})
    _warm(env, bearer)
    with start(env, user=u["email"]) as by_password, \
            start(env, user=None, headers=bearer) as by_token:
        r = org.patch(u["id"], {"disabled": True})
        assert r.status_code == 200, r.text
        # the very next request, whichever child answers it
        for what, h in (("Basic", {"Authorization": basic(u["email"])}),
                        ("Bearer", bearer), ("cookie", cookie)):
            codes = [x.status_code for x in _fresh(env, None, headers=h)]
            assert codes == [401] * len(codes), f"{what} still works: {codes}"
        assert _ends_within(by_password, 5), "the disabled user's Basic stream went on"
        assert _ends_within(by_token, 5), "the disabled user's token stream went on"
    with Stream(env, user=u["email"]) as s:
        assert s.status == 401
    # enabled again, the same credentials work again
    assert org.patch(u["id"], {"disabled": False}).status_code == 200
    assert env.session().get(env.url("/api/auth/me"), auth=(u["email"], DEMO_PASSWORD),
                             timeout=30).status_code == 200


def test_demoted_agent_loses_writes_at_once(env):
    org = Org(env)
    u = org.create("agent")
    h = {"Authorization": basic(u["email"])}
    _warm(env, h)
    r = org.call("POST", "/api/tickets", user=u["email"],
                 json={"title": uniq("before"), "description": "written as an agent"})
    assert r.status_code == 201, r.text
    with start(env, user=u["email"]) as s:
        r = org.patch(u["id"], {"role": "viewer"})
        assert r.status_code == 200, r.text
        for _ in range(12):
            sess = env.session()
            sess.headers["Connection"] = "close"
            w = sess.post(env.url("/api/tickets"), headers=h, timeout=30,
                          json={"title": uniq("after"), "description": "as a viewer"})
            assert_error(w, 403, "FORBIDDEN")
        me = env.session().get(env.url("/api/auth/me"), headers=h, timeout=30)
        assert me.status_code == 200 and me.json()["data"]["role"] == "viewer", me.text
        # the stream ended with the change, like a revocation: what it may
        # see is decided when a stream opens
        deadline = time.time() + 5
        while not s.closed and time.time() < deadline:
            s.next_block(timeout=0.5)
        assert s.closed, "the demoted user's stream went on"
    # a new stream carries the new role: a viewer sees tickets and notes
    with start(env, user=u["email"]) as s:
        t = org.call("POST", "/api/tickets",
                     json={"title": uniq("seen"), "description": "by the admin"}).json()["data"]
        note = org.call("POST", f"/api/tickets/{t['id']}/messages",
                        json={"content": "staff only", "internal": True})
        assert note.status_code == 201, note.text
        got = s.collect(lambda out: any(e["event"] == "ticket_message_added" for e in out))
        assert [e["event"] for e in got if about(t["id"])([e])] == \
            ["ticket_created", "ticket_message_added"], got
    assert env.psql(f"SELECT count(*) FROM tickets WHERE org_id = '{org.id}' "
                    "AND title LIKE 'after-%'") == [["0"]]
