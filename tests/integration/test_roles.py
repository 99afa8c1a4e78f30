"""Roles: viewer, agent, customer (SPEC section 5, docs/auth.md)."""

import pytest

from tkcheck import (ADMIN, AGENT, CUSTOMER, CUSTOMER_RECORD_ID, CUSTOMER_USER_ID,
                     VIEWER, assert_error, create_ticket, db_counts, ticket_row, uniq)


def _writes(env, t):
    """Every write on one ticket, as (label, callable(session))."""
    u = env.url(f"/api/tickets/{t['id']}")
    return [
        ("create", lambda s: s.post(env.url("/api/tickets"), timeout=30,
                                    json={"title": uniq("role"), "description": "d"})),
        ("patch", lambda s: s.patch(u, json={"priority": "urgent"}, timeout=30)),
        ("delete", lambda s: s.delete(u, timeout=30)),
        ("status", lambda s: s.patch(u + "/status", json={"status": "in_progress"},
                                     timeout=30)),
        ("reply", lambda s: s.post(u + "/messages", json={"content": "hello"}, timeout=30)),
        ("note", lambda s: s.post(u + "/messages", json={"content": "n", "internal": True},
                                  timeout=30)),
    ]


# ---- viewer ------------------------------------------------------------------------

def test_viewer_reads(env):
    t = create_ticket(env, AGENT)
    s = env.session(VIEWER)
    r = s.get(env.url("/api/tickets?limit=5"), timeout=30)
    assert r.status_code == 200 and r.json()["data"]
    r = s.get(env.url(f"/api/tickets/{t['id']}"), timeout=30)
    assert r.status_code == 200 and r.json()["data"]["id"] == t["id"]
    r = s.get(env.url(f"/api/tickets/{t['id']}/events"), timeout=30)
    assert r.status_code == 200 and r.json()["data"]
    r = s.get(env.url("/api/tickets/search?query=invoice"), timeout=30)
    assert r.status_code == 200


def test_viewer_sees_internal_notes(env):
    t = create_ticket(env, AGENT)
    word = uniq("note")
    r = env.session(AGENT).post(env.url(f"/api/tickets/{t['id']}/messages"),
                                json={"content": word, "internal": True}, timeout=30)
    assert r.status_code == 201
    r = env.get(f"/api/tickets/{t['id']}", user=VIEWER)
    assert word in [m["content"] for m in r.json()["data"]["messages"]]


def test_viewer_cannot_write(env):
    t = create_ticket(env, AGENT)
    before_row, before = ticket_row(env, t["id"]), db_counts(env)
    s = env.session(VIEWER)
    for label, call in _writes(env, t):
        r = call(s)
        assert r.status_code == 403, (label, r.status_code, r.text)
        assert_error(r, 403, "FORBIDDEN")
    assert ticket_row(env, t["id"]) == before_row
    assert db_counts(env) == before


# ---- agent -------------------------------------------------------------------------

def test_agent_writes_but_cannot_delete(env):
    t = create_ticket(env, AGENT)
    s = env.session(AGENT)
    u = env.url(f"/api/tickets/{t['id']}")
    r = s.patch(u, json={"priority": "urgent"}, timeout=30)
    assert r.status_code == 200 and r.json()["data"]["priority"] == "urgent"
    r = s.patch(u + "/status", json={"status": "in_progress"}, timeout=30)
    assert r.status_code == 200 and r.json()["data"]["status"] == "in_progress"
    r = s.post(u + "/messages", json={"content": "on it"}, timeout=30)
    assert r.status_code == 201
    r = s.post(u + "/messages", json={"content": "psst", "internal": True}, timeout=30)
    assert r.status_code == 201 and r.json()["data"]["internal"] is True
    before = ticket_row(env, t["id"])
    assert_error(s.delete(u, timeout=30), 403, "FORBIDDEN")
    assert ticket_row(env, t["id"]) == before
    assert env.psql(f"SELECT deleted_at IS NULL FROM tickets WHERE id = '{t['id']}'") == [["t"]]
    # the admin may
    r = env.session(ADMIN).delete(u, timeout=30)
    assert r.status_code == 204
    assert_error(s.get(u, timeout=30), 404, "NOT_FOUND")


# ---- customer ------------------------------------------------------------------------

@pytest.fixture
def customer_ticket(env):
    r = env.session(CUSTOMER).post(env.url("/api/tickets"), timeout=30, json={
        "title": uniq("my problem"), "description": "Please help me."})
    assert r.status_code == 201, r.text
    t = r.json()["data"]
    assert t["creatorId"] == CUSTOMER_USER_ID
    assert t["customerId"] == CUSTOMER_RECORD_ID
    assert t["source"] == "web"
    return t


def _customer_owns(t):
    return t["creatorId"] == CUSTOMER_USER_ID or t["customerId"] == CUSTOMER_RECORD_ID


def test_customer_sees_only_own_tickets(env, customer_ticket):
    other = create_ticket(env, AGENT, title=uniq("staff only"),
                          description="Internal matter zqxstaff")
    s = env.session(CUSTOMER)
    r = s.get(env.url("/api/tickets?limit=100"), timeout=30)
    assert r.status_code == 200
    data = r.json()["data"]
    assert customer_ticket["id"] in [t["id"] for t in data]
    assert other["id"] not in [t["id"] for t in data]
    assert all(_customer_owns(t) for t in data), data
    own = int(env.psql(
        "SELECT count(*) FROM tickets WHERE deleted_at IS NULL AND org_id ="
        " '00000000-0000-4000-8000-0000000000a1' AND (creator_id ="
        f" '{CUSTOMER_USER_ID}' OR customer_id = '{CUSTOMER_RECORD_ID}')")[0][0])
    assert r.json()["total"] == own
    r = s.get(env.url("/api/tickets/search?query=zqxstaff"), timeout=30)
    assert r.status_code == 200 and r.json()["total"] == 0
    r = env.get("/api/tickets/search?query=zqxstaff", user=AGENT)
    assert other["id"] in r.text
    for ref in (other["id"], str(other["number"]), other["key"]):
        r = s.get(env.url(f"/api/tickets/{ref}"), timeout=30)
        assert_error(r, 404, "NOT_FOUND")
        assert "zqxstaff" not in r.text
    before = ticket_row(env, other["id"])
    u = env.url(f"/api/tickets/{other['id']}")
    assert_error(s.post(u + "/messages", json={"content": "hi"}, timeout=30), 404, "NOT_FOUND")
    assert_error(s.patch(u + "/status", json={"status": "closed"}, timeout=30),
                 404, "NOT_FOUND")
    assert ticket_row(env, other["id"]) == before


def test_customer_closes_and_reopens_own_ticket(env, customer_ticket):
    s = env.session(CUSTOMER)
    u = env.url(f"/api/tickets/{customer_ticket['id']}/status")
    before = ticket_row(env, customer_ticket["id"])
    r = s.patch(u, json={"status": "in_progress"}, timeout=30)
    assert_error(r, 403, "FORBIDDEN")
    assert ticket_row(env, customer_ticket["id"]) == before
    r = s.patch(u, json={"status": "closed"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "closed" and r.json()["data"]["closedAt"]
    r = s.patch(u, json={"status": "open"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "open" and r.json()["data"]["closedAt"] is None
    assert env.psql(f"SELECT status FROM tickets WHERE id = '{customer_ticket['id']}'") \
        == [["open"]]


def test_customer_cannot_edit_fields_or_read_events(env, customer_ticket):
    s = env.session(CUSTOMER)
    u = env.url(f"/api/tickets/{customer_ticket['id']}")
    before = ticket_row(env, customer_ticket["id"])
    for body in ({"title": "changed by customer"}, {"priority": "urgent"}):
        assert_error(s.patch(u, json=body, timeout=30), 403, "FORBIDDEN")
    assert_error(s.delete(u, timeout=30), 403, "FORBIDDEN")
    r = s.post(u + "/messages", json={"content": "sneaky", "internal": True}, timeout=30)
    assert_error(r, 403, "FORBIDDEN")
    assert ticket_row(env, customer_ticket["id"]) == before
    r = s.get(u + "/events", timeout=30)
    assert_error(r, 403, "FORBIDDEN")
    assert "data" not in r.json()
    # a public reply is allowed
    r = s.post(u + "/messages", json={"content": "any news?"}, timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["data"]["authorType"] == "customer"


def test_customer_never_sees_internal_notes(env, customer_ticket):
    word = uniq("internal")
    tid = customer_ticket["id"]
    r = env.session(AGENT).post(env.url(f"/api/tickets/{tid}/messages"),
                                json={"content": f"Do not tell {word}", "internal": True},
                                timeout=30)
    assert r.status_code == 201, r.text
    r = env.session(AGENT).post(env.url(f"/api/tickets/{tid}/messages"),
                                json={"content": "We are looking into it."}, timeout=30)
    assert r.status_code == 201
    staff = env.get(f"/api/tickets/{tid}", user=AGENT).json()["data"]
    assert any(word in m["content"] for m in staff["messages"])
    r = env.get(f"/api/tickets/{tid}", user=CUSTOMER)
    assert r.status_code == 200
    assert word not in r.text
    msgs = r.json()["data"]["messages"]
    assert all(m["internal"] is False for m in msgs)
    assert "We are looking into it." in [m["content"] for m in msgs]
    assert r.headers.get("ETag", "").endswith("-c\""), r.headers.get("ETag")
    # nor through the list or search
    r = env.get(f"/api/tickets/search?query={word}", user=CUSTOMER)
    assert word not in r.text


def test_customer_may_not_set_assignee_or_customer(env):
    agent_id = env.psql(f"SELECT id FROM users WHERE email = '{AGENT}'")[0][0]
    before = db_counts(env)
    for extra, field in (({"assigneeId": agent_id}, "assigneeId"),
                         ({"customerId": "00000000-0000-4000-8000-00000000c002"},
                          "customerId")):
        body = {"title": uniq("cust"), "description": "d", **extra}
        r = env.session(CUSTOMER).post(env.url("/api/tickets"), json=body, timeout=30)
        assert_error(r, 403, "FORBIDDEN", field=field)
    assert db_counts(env) == before


def test_customer_cannot_choose_source(env):
    """A customer's ticket is source web; the field is refused, not ignored."""
    from tkcheck import uniq
    s = env.session("customer@acme.test")
    title = uniq("cust-src")
    r = s.post(env.url("/api/tickets"), json={"title": title, "description": "d",
                                              "source": "facebook"}, timeout=30)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["field"] == "source"
    assert env.psql(f"SELECT count(*) FROM tickets WHERE title = '{title}'") == [["0"]]
