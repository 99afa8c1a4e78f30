"""Shared checks for the auth, tenancy, roles and error tests.

Small helpers only: the error-document shape, raw HTTP for requests that
the requests library would rewrite, unique titles, and database snapshots
used to prove that a refused request changed nothing.
"""

import http.client
import json
import re
import uuid

ADMIN = "admin@acme.test"
AGENT = "agent@acme.test"
VIEWER = "viewer@acme.test"
CUSTOMER = "customer@acme.test"
GLOBEX = "admin@globex.test"

ACME_ORG = "00000000-0000-4000-8000-0000000000a1"
GLOBEX_ORG = "00000000-0000-4000-8000-0000000000b1"
CUSTOMER_USER_ID = "00000000-0000-4000-8000-00000000a004"
CUSTOMER_RECORD_ID = "00000000-0000-4000-8000-00000000c001"
GLOBEX_ADMIN_ID = "00000000-0000-4000-8000-00000000b001"

# bcrypt of "demo-password" (sql/demo.sql)
DEMO_HASH = "$2y$10$swGfty94ukYrScwEarwNauUunPdkYkPxgAayA0idXBgO7yDUCai8u"


def uniq(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def assert_error(r, status, code, field=None):
    """The response is the API's error document with this status and code."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers.get("Content-Type", "").startswith("application/json"), \
        r.headers.get("Content-Type")
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err["code"] == code, err
    msg = err.get("message")
    assert isinstance(msg, str) and msg.strip(), err
    assert not re.fullmatch(r"[\s\d.]+", msg), f"message is a number: {msg!r}"
    assert re.search(r"[A-Za-z]", msg) and " " in msg.strip(), \
        f"message is not a sentence: {msg!r}"
    assert isinstance(err.get("requestId"), str) and err["requestId"] \
        and err["requestId"] != "-", err
    assert r.headers.get("X-Request-Id") == err["requestId"], \
        (r.headers.get("X-Request-Id"), err["requestId"])
    if field is not None:
        assert err.get("field") == field, err
    return err


def create_ticket(env, user=AGENT, title=None, **fields):
    body = {"title": title or uniq("ticket"),
            "description": fields.pop("description", "Created by the auth tests.")}
    body.update(fields)
    r = env.session(user).post(env.url("/api/tickets"), json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def db_counts(env):
    """Row counts of every table a request could write to."""
    return env.psql(
        "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM ticket_messages),"
        " (SELECT count(*) FROM ticket_events), (SELECT count(*) FROM api_tokens),"
        " (SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL),"
        " (SELECT count(*) FROM idempotency_keys),"
        " (SELECT count(*) FROM users)")[0]


def ticket_row(env, ticket_id):
    """Everything about one ticket that a change would touch."""
    return env.psql(
        "SELECT t.title, t.description, t.status, t.priority, t.version,"
        " t.updated_at, t.deleted_at, t.closed_at, t.assignee_id, t.tags,"
        " (SELECT count(*) FROM ticket_messages m WHERE m.ticket_id = t.id),"
        " (SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id)"
        f" FROM tickets t WHERE t.id = '{ticket_id}'")


def raw_request(env, method, path, headers=None, body=None):
    """Send a request exactly as written (no re-quoting of the path).
    Returns (status, headers dict with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None and not any(k.lower() == "content-length"
                                        for k in (headers or {})):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


class RawResponse:
    """Enough of requests.Response for assert_error()."""

    def __init__(self, status, headers, body):
        self.status_code = status
        self.headers = _Caseless(headers)
        self.content = body
        self.text = body.decode(errors="replace")

    def json(self):
        return json.loads(self.text)


class _Caseless(dict):
    def get(self, key, default=None):
        return super().get(key.lower(), default)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())


def raw(env, method, path, headers=None, body=None):
    return RawResponse(*raw_request(env, method, path, headers, body))


def basic(user, password="demo-password"):
    import base64
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def moddir(env):
    """Apache's module directory, as rendered into the test httpd.conf."""
    with open(env.conf) as f:
        m = re.search(r"LoadModule\s+\w+\s+(\S+)/mod_\w+\.so", f.read())
    assert m, "no LoadModule line in httpd.conf"
    return m.group(1)
