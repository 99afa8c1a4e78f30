"""Who is calling: Basic, session cookie, no credentials, and another
Apache module's r->user (SPEC section 5, docs/auth.md)."""

import hashlib
import os
import re
import tempfile
import time

import pytest

from tkcheck import (ADMIN, AGENT, CUSTOMER, DEMO_HASH, assert_error, basic,
                     create_ticket, moddir, raw, uniq)


def _me(env, **kw):
    return env.session().get(env.url("/api/auth/me"), timeout=30, **kw)


def _assert_401(r):
    assert_error(r, 401, "UNAUTHENTICATED")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers
    assert "Set-Cookie" not in r.headers


# ---- Basic -----------------------------------------------------------------

def test_basic_good_credentials(env):
    r = env.get("/api/auth/me", user=AGENT)
    assert r.status_code == 200, r.text
    me = r.json()["data"]
    assert me["email"] == AGENT
    assert me["role"] == "agent"
    assert me["org"]["slug"] == "acme"
    assert "password" not in r.text and "$2y$" not in r.text


def test_basic_email_is_case_insensitive(env):
    r = env.get("/api/auth/me", user="Agent@ACME.test")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["email"] == AGENT


def test_basic_wrong_password(env):
    _assert_401(_me(env, auth=(ADMIN, "not-the-password")))


def test_basic_unknown_email(env):
    _assert_401(_me(env, auth=("nobody@nowhere.test", "demo-password")))


@pytest.mark.parametrize("header", [
    "Basic",
    "Basic !!!not-base64!!!",
    "Basic " + "bm9jb2xvbg==",          # "nocolon"
    "Digest username=\"admin@acme.test\"",
    "Bearer",
    "garbage",
])
def test_malformed_authorization_header(env, header):
    _assert_401(_me(env, headers={"Authorization": header}))


def test_no_credentials(env):
    _assert_401(_me(env))
    # every protected endpoint, not only /me
    _assert_401(env.session().get(env.url("/api/tickets"), timeout=30))
    _assert_401(env.session().post(env.url("/api/tickets"), json={"title": "x"},
                                   timeout=30))


def test_wrong_credentials_refuse_a_write(env):
    title = uniq("unauth")
    r = env.session().post(env.url("/api/tickets"), auth=(AGENT, "wrong"),
                           json={"title": title, "description": "d"}, timeout=30)
    _assert_401(r)
    assert env.psql(f"SELECT count(*) FROM tickets WHERE title = '{title}'") == [["0"]]


def test_basic_user_in_access_log(env):
    agent_ua = uniq("ua-basic")
    anon_ua = uniq("ua-anon")
    r = env.get("/api/auth/me", user=AGENT, headers={"User-Agent": agent_ua})
    assert r.status_code == 200
    r = env.get("/api/tickets", headers={"User-Agent": anon_ua})
    assert r.status_code == 401
    log = os.path.join(env.inst, "logs", "access_log")
    lines = {}
    deadline = time.time() + 5
    while time.time() < deadline and len(lines) < 2:
        with open(log, errors="replace") as f:
            for line in f:
                for ua in (agent_ua, anon_ua):
                    if ua in line:
                        lines[ua] = line
        time.sleep(0.1)
    assert agent_ua in lines and anon_ua in lines, "request not in the access log"
    # LogFormat "%h %l %u %t ..."
    assert lines[agent_ua].split(" ")[2] == AGENT, lines[agent_ua]
    assert lines[anon_ua].split(" ")[2] == "-", lines[anon_ua]


# ---- session cookie -------------------------------------------------------------

def _login(env, email=AGENT, password="demo-password"):
    return env.session().post(env.url("/api/auth/login"),
                              json={"email": email, "password": password}, timeout=30)


def _cookie_value(r, name="tk_session"):
    sc = r.headers.get("Set-Cookie", "")
    m = re.match(rf"{re.escape(name)}=([^;]*)", sc)
    assert m, f"no {name} cookie in {sc!r}"
    return m.group(1)


def _attrs(set_cookie):
    return [a.strip().lower() for a in set_cookie.split(";")[1:]]


def _session_rows(env, secret):
    h = hashlib.sha256(secret.encode()).hexdigest()
    return int(env.psql(f"SELECT count(*) FROM sessions WHERE token_hash = '{h}'")[0][0])


def test_login_sets_session_cookie(env):
    r = _login(env)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["email"] == AGENT
    sc = r.headers["Set-Cookie"]
    secret = _cookie_value(r)
    assert len(secret) >= 20
    attrs = _attrs(sc)
    assert "httponly" in attrs, sc
    assert "samesite=strict" in attrs, sc
    assert "path=/" in attrs, sc
    assert "secure" not in attrs, sc        # TicketsCookieSecure Off by default
    assert int(next(a for a in attrs if a.startswith("max-age="))[8:]) > 0
    # only the hash is stored
    assert _session_rows(env, secret) == 1
    assert env.psql(f"SELECT count(*) FROM sessions WHERE token_hash = '{secret}'") == [["0"]]


def test_cookie_authenticates(env):
    secret = _cookie_value(_login(env))
    hdr = {"Cookie": f"tk_session={secret}"}
    r = _me(env, headers=hdr)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["email"] == AGENT
    r = env.session().get(env.url("/api/tickets?limit=1"), headers=hdr, timeout=30)
    assert r.status_code == 200, r.text
    title = uniq("cookie")
    r = env.session().post(env.url("/api/tickets"), headers=hdr,
                           json={"title": title, "description": "via cookie"}, timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["data"]["source"] == "web"      # cookie sessions default to web
    assert env.psql(f"SELECT source FROM tickets WHERE title = '{title}'") == [["web"]]


def test_login_wrong_password(env):
    before = env.psql("SELECT count(*) FROM sessions")
    r = _login(env, AGENT, "wrong-password")
    assert_error(r, 401, "UNAUTHENTICATED")
    assert "Set-Cookie" not in r.headers
    r = _login(env, "nobody@nowhere.test", "demo-password")
    assert_error(r, 401, "UNAUTHENTICATED")
    assert "Set-Cookie" not in r.headers
    assert env.psql("SELECT count(*) FROM sessions") == before


def test_bad_cookie_is_refused(env):
    r = _me(env, headers={"Cookie": "tk_session=tks_forged"})
    _assert_401(r)


def test_logout(env):
    secret = _cookie_value(_login(env))
    hdr = {"Cookie": f"tk_session={secret}"}
    assert _me(env, headers=hdr).status_code == 200
    r = env.session().post(env.url("/api/auth/logout"), headers=hdr, timeout=30)
    assert r.status_code == 204, r.text
    assert r.content == b""
    sc = r.headers.get("Set-Cookie", "")
    assert re.match(r"tk_session=;", sc), sc
    assert "max-age=0" in _attrs(sc), sc
    assert _session_rows(env, secret) == 0
    _assert_401(_me(env, headers=hdr))


@pytest.mark.parametrize("body,field", [
    ({"password": "demo-password"}, "email"),
    ({"email": "", "password": "demo-password"}, "email"),
    ({"email": 42, "password": "demo-password"}, "email"),
    ({"email": AGENT}, "password"),
    ({"email": AGENT, "password": "demo-password", "remember": True}, "remember"),
])
def test_login_body_validation(env, body, field):
    before = env.psql("SELECT count(*) FROM sessions")
    r = env.session().post(env.url("/api/auth/login"), json=body, timeout=30)
    assert_error(r, 400, "VALIDATION_ERROR", field=field)
    assert "Set-Cookie" not in r.headers
    assert env.psql("SELECT count(*) FROM sessions") == before


def test_login_needs_no_credentials_but_logout_does(env):
    r = env.session().post(env.url("/api/auth/logout"), timeout=30)
    _assert_401(r)


@pytest.fixture
def cookie_conf(env):
    try:
        env.restart("TicketsCookieName helpdesk_sid\nTicketsCookieSecure On\n")
        yield env
    finally:
        env.restart("")


def test_configured_cookie_name_and_secure(cookie_conf):
    env = cookie_conf
    r = _login(env)
    assert r.status_code == 200, r.text
    sc = r.headers["Set-Cookie"]
    assert sc.startswith("helpdesk_sid="), sc
    attrs = _attrs(sc)
    assert "secure" in attrs and "httponly" in attrs and "samesite=strict" in attrs
    secret = _cookie_value(r, "helpdesk_sid")
    assert _me(env, headers={"Cookie": f"helpdesk_sid={secret}"}).status_code == 200
    # the default name means nothing now
    _assert_401(_me(env, headers={"Cookie": f"tk_session={secret}"}))


# ---- another module authenticates ---------------------------------------------------

def _htpasswd(path, users):
    # bcrypt of demo-password from sql/demo.sql: mod_authn_file accepts $2y$
    with open(path, "w") as f:
        for u in users:
            f.write(f"{u}:{DEMO_HASH}\n")
    os.chmod(path, 0o644)


@pytest.fixture
def external_auth(env):
    d = tempfile.mkdtemp(prefix="tk-htpasswd-", dir="/var/tmp")
    os.chmod(d, 0o755)
    path = os.path.join(d, "htpasswd")
    _htpasswd(path, ["agent@acme.test", "someone@nowhere.test"])
    md = moddir(env)
    conf = f"""
<IfModule !authn_file_module>
    LoadModule authn_file_module {md}/mod_authn_file.so
</IfModule>
<Location /api>
    AuthType Basic
    AuthName "sso"
    AuthBasicProvider file
    AuthUserFile "{path}"
    Require valid-user
</Location>
# later sections win: keep the open paths open under the new AuthType
<Location /api/_error>
    Require all granted
</Location>
<Location /api/health>
    Require all granted
</Location>
"""
    try:
        env.restart(conf)
        yield env
    finally:
        env.restart("")
        os.unlink(path)
        os.rmdir(d)


@pytest.mark.allow_log(r"AH01618")   # mod_auth_basic: user ... not found
def test_external_authentication(external_auth):
    env = external_auth
    # a helpdesk user authenticated by mod_authn_file is served as that user
    r = env.get("/api/auth/me", user=AGENT)
    assert r.status_code == 200, r.text
    me = r.json()["data"]
    assert me["email"] == AGENT and me["role"] == "agent"
    t = create_ticket(env, AGENT)
    assert t["creatorId"] == me["id"]
    # authenticated by Apache, unknown to the helpdesk: 403, not 401
    r = env.get("/api/auth/me", user="someone@nowhere.test")
    assert_error(r, 403, "FORBIDDEN")
    title = uniq("ext")
    r = env.session("someone@nowhere.test").post(
        env.url("/api/tickets"), json={"title": title, "description": "d"}, timeout=30)
    assert_error(r, 403, "FORBIDDEN")
    assert env.psql(f"SELECT count(*) FROM tickets WHERE title = '{title}'") == [["0"]]
    # mod_auth_basic refuses a user that is not in its file: 401, as JSON
    r = env.get("/api/auth/me", user=CUSTOMER)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "UNAUTHENTICATED"


def test_basic_header_raw(env):
    # the same Basic credentials sent by hand, without the requests library
    r = raw(env, "GET", "/api/auth/me", {"Authorization": basic(ADMIN)})
    assert r.status_code == 200
    assert r.json()["data"]["role"] == "admin"
