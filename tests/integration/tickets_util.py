"""Shared helpers for the ticket API tests (test_tickets_*, test_idempotency_*).

The suite shares one database per session, so tests create their own
tickets (unique titles and a unique tag per test) and compute expectations
with psql instead of assuming fixed counts.
"""

import json
import os
import re
import signal
import uuid

ORG_ACME = "00000000-0000-4000-8000-0000000000a1"
ORG_GLOBEX = "00000000-0000-4000-8000-0000000000b1"

ADMIN = "admin@acme.test"
AGENT = "agent@acme.test"
VIEWER = "viewer@acme.test"
CUSTOMER = "customer@acme.test"
GLOBEX_ADMIN = "admin@globex.test"

ADMIN_ID = "00000000-0000-4000-8000-00000000a001"
AGENT_ID = "00000000-0000-4000-8000-00000000a002"
VIEWER_ID = "00000000-0000-4000-8000-00000000a003"
CUSTOMER_USER_ID = "00000000-0000-4000-8000-00000000a004"
GLOBEX_ADMIN_ID = "00000000-0000-4000-8000-00000000b001"

CUSTOMER_ID = "00000000-0000-4000-8000-00000000c001"      # Casey, has a login
WALKIN_CUSTOMER_ID = "00000000-0000-4000-8000-00000000c002"
GLOBEX_CUSTOMER_ID = "00000000-0000-4000-8000-00000000c101"

STATUSES = ("open", "in_progress", "waiting", "resolved", "closed")

# The lifecycle table of SPEC section 6.
MOVES = {
    "open": {"in_progress", "waiting", "resolved", "closed"},
    "in_progress": {"open", "waiting", "resolved", "closed"},
    "waiting": {"in_progress", "resolved", "closed"},
    "resolved": {"open", "closed"},
    "closed": {"open"},
}

TICKET_FIELDS = {
    "id", "number", "key", "title", "description", "status", "priority",
    "category", "productArea", "source", "tags", "assigneeId", "creatorId",
    "customerId", "conversationId", "chatSessionId", "createdAt",
    "updatedAt", "closedAt",
}

ISO_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def uniq(prefix="t"):
    """A unique word usable in titles and as a tag (no spaces)."""
    return f"{prefix}{uuid.uuid4().hex[:16]}"


class Api:
    """requests with Basic auth for one demo user and JSON helpers."""

    def __init__(self, env, user):
        self.env = env
        self.user = user
        self.s = env.session(user)

    def req(self, method, path, body=None, headers=None, **kw):
        kw.setdefault("timeout", 30)
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        return self.s.request(method, self.env.url(path), data=data, headers=h, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.req("PATCH", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.req("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)


def create_ticket(env, user=AGENT, **fields):
    """POST /api/tickets; returns the ticket document (asserts 201)."""
    body = {"title": f"Ticket {uniq()}", "description": "Created by a test."}
    body.update(fields)
    r = Api(env, user).post("/api/tickets", body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def move(env, ticket_id, status, user=AGENT):
    r = Api(env, user).patch(f"/api/tickets/{ticket_id}/status", {"status": status})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def assert_ts(value):
    assert isinstance(value, str) and ISO_UTC_RE.match(value), value


def assert_error(r, status, code, field=None, message=None):
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["Content-Type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"], err
    assert isinstance(err["requestId"], str) and err["requestId"], err
    if field is not None:
        assert err.get("field") == field, err
    if message is not None:
        assert err["message"] == message, err
    return err


def assert_ticket_doc(t):
    """A ticket document: camelCase fields, typed values, UTC timestamps."""
    missing = TICKET_FIELDS - set(t)
    assert not missing, f"missing fields {missing} in {t}"
    for k in t:
        assert "_" not in k, f"field {k} is not camelCase"
    assert UUID_RE.match(t["id"])
    assert isinstance(t["number"], int) and t["number"] > 0
    assert t["key"] == "TKT-%04d" % t["number"]
    assert t["status"] in STATUSES
    assert t["priority"] in ("low", "medium", "high", "urgent")
    assert isinstance(t["tags"], list)
    assert_ts(t["createdAt"])
    assert_ts(t["updatedAt"])
    if t["closedAt"] is not None:
        assert_ts(t["closedAt"])


def assert_list_shape(body, limit=None, offset=None):
    assert set(body) >= {"data", "total", "limit", "offset"}, body
    assert isinstance(body["data"], list)
    assert isinstance(body["total"], int)
    if limit is not None:
        assert body["limit"] == limit
    if offset is not None:
        assert body["offset"] == offset


# ---- database ------------------------------------------------------------

def q(value):
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def db_json(env, sql):
    """Rows of a query that selects one json column, parsed."""
    return [json.loads(row[0]) for row in env.psql(sql) if row and row[0]]


def db_ticket(env, ticket_id):
    rows = db_json(env, f"SELECT row_to_json(t)::text FROM "
                        f"(SELECT id, org_id, number, title, description, status, "
                        f"priority, category, product_area, source, tags, "
                        f"assignee_id, creator_id, customer_id, version, "
                        f"created_at, updated_at, closed_at, deleted_at "
                        f"FROM tickets WHERE id = {q(ticket_id)}) t")
    return rows[0] if rows else None


def db_events(env, ticket_id):
    return db_json(env, f"SELECT row_to_json(e)::text FROM "
                        f"(SELECT id, org_id, ticket_id, actor_id, type, payload "
                        f"FROM ticket_events WHERE ticket_id = {q(ticket_id)} "
                        f"ORDER BY id) e")


def db_messages(env, ticket_id):
    return db_json(env, f"SELECT row_to_json(m)::text FROM "
                        f"(SELECT id, org_id, ticket_id, author_id, author_type, "
                        f"content, internal, created_at FROM ticket_messages "
                        f"WHERE ticket_id = {q(ticket_id)} "
                        f"ORDER BY created_at, id) m")


def db_count(env, sql):
    return int(env.psql(sql)[0][0])


def kill_job_worker(env, where):
    """Kill -9 the child whose worker holds the running job the SQL
    condition where names (on the jobs table), as a crash would; its death
    notice is expected."""
    holder = env.psql(f"SELECT lease_holder FROM jobs WHERE {where}")[0][0]
    pid = int(holder.split(":")[1])
    env.expect_child_killed(pid)
    os.kill(pid, signal.SIGKILL)
