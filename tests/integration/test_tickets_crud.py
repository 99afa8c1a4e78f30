"""Tickets: create, read, edit and soft delete (SPEC section 6, docs/api.md)."""

import threading
import time

import pytest

from tickets_util import (
    ADMIN, ADMIN_ID, AGENT, AGENT_ID, CUSTOMER, CUSTOMER_ID, CUSTOMER_USER_ID,
    GLOBEX_ADMIN_ID, GLOBEX_CUSTOMER_ID, ORG_ACME, VIEWER, VIEWER_ID,
    WALKIN_CUSTOMER_ID, Api, assert_error, assert_ticket_doc, assert_ts,
    create_ticket, db_count, db_events, db_messages, db_ticket, q, uniq,
)


# ---------------------------------------------------------------------------
# create
# ---------------------------------------------------------------------------

def test_create_full_answer_and_rows(env):
    tag = uniq("tag")
    title = f"Printer on fire {uniq()}"
    body = {
        "title": f"  {title}  ",
        "description": "Smoke is coming\nout of the printer.",
        "priority": "high",
        "category": "hardware",
        "productArea": "office",
        "source": "email",
        "tags": [tag, "fire", tag],
        "assigneeId": AGENT_ID,
        "customerId": WALKIN_CUSTOMER_ID,
    }
    r = Api(env, ADMIN).post("/api/tickets", body)
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    t = r.json()["data"]
    assert_ticket_doc(t)
    assert r.headers["Location"] == f"/api/tickets/{t['id']}"
    assert r.headers["ETag"] == f'"v{t["version"]}"' == '"v1"'
    assert t["title"] == title                          # trimmed
    assert t["description"] == body["description"]
    assert t["status"] == "open"
    assert t["priority"] == "high"
    assert t["category"] == "hardware"
    assert t["productArea"] == "office"
    assert t["source"] == "email"
    assert t["tags"] == [tag, "fire"]                   # duplicates dropped
    assert t["assigneeId"] == AGENT_ID
    assert t["creatorId"] == ADMIN_ID
    assert t["customerId"] == WALKIN_CUSTOMER_ID
    assert t["closedAt"] is None
    assert t["createdAt"] == t["updatedAt"]

    row = db_ticket(env, t["id"])
    assert row["org_id"] == ORG_ACME
    assert row["number"] == t["number"]
    assert row["title"] == title
    assert row["priority"] == "high" and row["status"] == "open"
    assert row["product_area"] == "office" and row["category"] == "hardware"
    assert row["tags"] == [tag, "fire"]
    assert row["assignee_id"] == AGENT_ID
    assert row["customer_id"] == WALKIN_CUSTOMER_ID
    assert row["creator_id"] == ADMIN_ID
    assert row["version"] == 1
    assert row["deleted_at"] is None

    msgs = db_messages(env, t["id"])
    assert len(msgs) == 1
    assert msgs[0]["content"] == body["description"]
    assert msgs[0]["author_id"] == ADMIN_ID
    assert msgs[0]["author_type"] == "agent"
    assert msgs[0]["internal"] is False

    events = db_events(env, t["id"])
    assert [e["type"] for e in events] == ["TICKET_CREATED"]
    assert events[0]["actor_id"] == ADMIN_ID
    assert events[0]["org_id"] == ORG_ACME
    assert events[0]["payload"]["after"]["id"] == t["id"]
    assert events[0]["payload"]["after"]["title"] == title

    # Ticket, first message and event were written by one transaction.
    xids = env.psql(f"SELECT count(DISTINCT xid) FROM ticket_events "
                    f"WHERE ticket_id = {q(t['id'])}")
    assert xids == [["1"]]
    same_time = env.psql(f"SELECT t.created_at = m.created_at FROM tickets t "
                         f"JOIN ticket_messages m ON m.ticket_id = t.id "
                         f"WHERE t.id = {q(t['id'])}")
    assert same_time == [["t"]]


def test_create_numbers_and_keys_increase(env):
    a = create_ticket(env)
    b = create_ticket(env)
    assert b["number"] > a["number"]
    assert a["key"] == "TKT-%04d" % a["number"]
    assert b["key"] == "TKT-%04d" % b["number"]
    top = env.psql(f"SELECT max(number) FROM tickets WHERE org_id = {q(ORG_ACME)}")
    assert int(top[0][0]) >= b["number"]


def test_create_defaults_for_basic_auth(env):
    t = create_ticket(env, AGENT, title=f"Defaults {uniq()}")
    assert t["priority"] == "medium"
    assert t["source"] == "api"
    assert t["status"] == "open"
    assert t["tags"] == []
    assert t["category"] is None and t["productArea"] is None
    assert t["assigneeId"] is None and t["customerId"] is None
    assert t["creatorId"] == AGENT_ID
    row = db_ticket(env, t["id"])
    assert row["priority"] == "medium" and row["source"] == "api"


def test_create_by_customer(env):
    r = Api(env, CUSTOMER).post("/api/tickets", {
        "title": f"My order {uniq()}", "description": "Where is my parcel?"})
    assert r.status_code == 201, r.text
    t = r.json()["data"]
    assert_ticket_doc(t)
    assert t["source"] == "web"
    assert t["customerId"] == CUSTOMER_ID
    assert t["creatorId"] == CUSTOMER_USER_ID
    assert r.headers["ETag"] == '"v1-c"'
    row = db_ticket(env, t["id"])
    assert row["customer_id"] == CUSTOMER_ID and row["source"] == "web"
    msgs = db_messages(env, t["id"])
    assert [(m["author_type"], m["author_id"]) for m in msgs] == [
        ("customer", CUSTOMER_USER_ID)]


def test_create_assignee_must_be_staff_of_org(env):
    api = Api(env, AGENT)
    title = f"Bad assignee {uniq()}"
    for bad in (VIEWER_ID, CUSTOMER_USER_ID, GLOBEX_ADMIN_ID,
                "00000000-0000-4000-8000-00000000ffff"):
        r = api.post("/api/tickets", {"title": title, "description": "x",
                                      "assigneeId": bad})
        assert_error(r, 400, "VALIDATION_ERROR", field="assigneeId")
    assert db_count(env, f"SELECT count(*) FROM tickets WHERE title = {q(title)}") == 0
    # an admin or agent of the org is fine
    t = create_ticket(env, AGENT, assigneeId=ADMIN_ID)
    assert t["assigneeId"] == ADMIN_ID


def test_create_customer_of_other_org_refused(env):
    title = f"Foreign customer {uniq()}"
    r = Api(env, AGENT).post("/api/tickets", {"title": title, "description": "x",
                                              "customerId": GLOBEX_CUSTOMER_ID})
    assert_error(r, 400, "VALIDATION_ERROR", field="customerId")
    assert "Hank" not in r.text
    assert db_count(env, f"SELECT count(*) FROM tickets WHERE title = {q(title)}") == 0


def test_create_concurrent_distinct_numbers(env):
    n = 40
    batch = uniq("conc")
    results = [None] * n
    barrier = threading.Barrier(n)

    def worker(i):
        api = Api(env, AGENT)
        barrier.wait()
        results[i] = api.post("/api/tickets", {
            "title": f"Concurrent {batch} {i}", "description": "x", "tags": [batch]})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert all(r is not None for r in results)
    assert [r.status_code for r in results] == [201] * n, \
        [r.text for r in results if r.status_code != 201][:3]
    numbers = [r.json()["data"]["number"] for r in results]
    assert len(set(numbers)) == n
    rows = env.psql(f"SELECT number FROM tickets WHERE org_id = {q(ORG_ACME)} "
                    f"AND tags @> ARRAY[{q(batch)}]")
    assert sorted(int(x[0]) for x in rows) == sorted(numbers)
    assert db_count(env, f"SELECT count(*) FROM ticket_messages m JOIN tickets t "
                         f"ON t.id = m.ticket_id WHERE t.tags @> ARRAY[{q(batch)}]") == n
    assert db_count(env, f"SELECT count(*) FROM ticket_events e JOIN tickets t "
                         f"ON t.id = e.ticket_id WHERE t.tags @> ARRAY[{q(batch)}] "
                         f"AND e.type = 'TICKET_CREATED'") == n


# ---------------------------------------------------------------------------
# read
# ---------------------------------------------------------------------------

def test_get_by_uuid_number_and_key(env):
    t = create_ticket(env, AGENT, assigneeId=ADMIN_ID)
    api = Api(env, VIEWER)
    refs = [t["id"], str(t["number"]), t["key"], t["key"].lower(),
            "Tkt-%04d" % t["number"]]
    for ref in refs:
        r = api.get(f"/api/tickets/{ref}")
        assert r.status_code == 200, (ref, r.text)
        d = r.json()["data"]
        assert d["id"] == t["id"], ref
        assert r.headers["ETag"] == '"v1"'


def test_get_demo_key_tkt_0042_style(env):
    # Make sure a ticket with number 42 exists in acme, then ask by key.
    while True:
        top = int(env.psql(f"SELECT coalesce(max(number), 0) FROM tickets "
                           f"WHERE org_id = {q(ORG_ACME)}")[0][0])
        if top >= 42:
            break
        create_ticket(env)
    row = env.psql(f"SELECT id, deleted_at IS NULL FROM tickets "
                   f"WHERE org_id = {q(ORG_ACME)} AND number = 42")
    assert row
    tid, live = row[0]
    api = Api(env, ADMIN)
    for ref in ("TKT-0042", "tkt-0042", "42"):
        r = api.get(f"/api/tickets/{ref}")
        if live == "t":
            assert r.status_code == 200, (ref, r.text)
            assert r.json()["data"]["id"] == tid
            assert r.json()["data"]["key"] == "TKT-0042"
        else:
            assert_error(r, 404, "NOT_FOUND")


def test_get_unknown_is_json_404(env):
    api = Api(env, ADMIN)
    for ref in ("00000000-0000-4000-8000-00000000dead", "999999999", "TKT-99999999",
                "nonsense", "0"):
        r = api.get(f"/api/tickets/{ref}")
        assert_error(r, 404, "NOT_FOUND")


def test_get_detail_has_messages_creator_assignee(env):
    t = create_ticket(env, AGENT, assigneeId=ADMIN_ID, description="First words.")
    api = Api(env, AGENT)
    for i in range(3):
        r = api.post(f"/api/tickets/{t['id']}/messages", {"content": f"reply {i}"})
        assert r.status_code == 201, r.text
    r = Api(env, ADMIN).get(f"/api/tickets/{t['key']}")
    assert r.status_code == 200
    d = r.json()["data"]
    assert_ticket_doc(d)
    assert [m["content"] for m in d["messages"]] == ["First words.", "reply 0",
                                                  "reply 1", "reply 2"]
    for m in d["messages"]:
        assert_ts(m["createdAt"])
        assert m["ticketId"] == t["id"]
        assert set(m) >= {"id", "authorId", "authorType", "content", "internal"}
        assert "body" not in m
    stamps = [m["createdAt"] for m in d["messages"]]
    assert stamps == sorted(stamps)
    assert d["creator"] == {"id": AGENT_ID, "email": AGENT, "name": "Alex Agent",
                            "role": "agent"}
    assert d["assignee"] == {"id": ADMIN_ID, "email": ADMIN, "name": "Ada Admin",
                             "role": "admin"}
    assert "password" not in r.text.lower()
    assert d["version"] == 4
    assert r.headers["ETag"] == '"v4"'

    unassigned = create_ticket(env)
    d = Api(env, AGENT).get(f"/api/tickets/{unassigned['id']}").json()["data"]
    assert d["assignee"] is None
    assert d["creator"]["id"] == AGENT_ID


def test_customer_sees_the_staff_on_a_ticket_by_name_only(env):
    t = Api(env, CUSTOMER).post("/api/tickets", {"title": "Mine", "description": "Help."}).json()["data"]
    assert Api(env, AGENT).patch(f"/api/tickets/{t['id']}",
                                 {"assigneeId": ADMIN_ID}).status_code == 200
    d = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}").json()["data"]
    assert d["assignee"] == {"id": ADMIN_ID, "name": "Ada Admin"}
    assert set(d["creator"]) == {"id", "name"}
    staff = Api(env, AGENT).get(f"/api/tickets/{t['id']}").json()["data"]
    assert staff["assignee"]["email"] == ADMIN and staff["assignee"]["role"] == "admin"


def test_get_other_org_is_404(env):
    t = create_ticket(env, AGENT)
    r = Api(env, "admin@globex.test").get(f"/api/tickets/{t['id']}")
    assert_error(r, 404, "NOT_FOUND")
    assert t["title"] not in r.text


# ---------------------------------------------------------------------------
# PATCH
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,column", [
    ("title", "A brand new title", "title"),
    ("description", "Line one\nLine two", "description"),
    ("priority", "urgent", "priority"),
    ("category", "network", "category"),
    ("productArea", "vpn", "product_area"),
    ("tags", ["alpha", "beta"], "tags"),
])
def test_patch_each_field(env, field, value, column):
    t = create_ticket(env, AGENT, category="old-cat", productArea="old-area",
                      tags=["old"], priority="low")
    before_row = db_ticket(env, t["id"])
    time.sleep(0.01)
    r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}", {field: value})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert_ticket_doc(d)
    assert d[field] == value
    assert d["version"] == 2
    assert r.headers["ETag"] == '"v2"'
    assert d["updatedAt"] > t["updatedAt"]
    row = db_ticket(env, t["id"])
    assert row[column] == value
    assert row["version"] == 2
    # other columns untouched
    for col in ("title", "description", "priority", "category", "product_area",
                "tags", "assignee_id", "status"):
        if col != column:
            assert row[col] == before_row[col], col
    events = db_events(env, t["id"])
    assert [e["type"] for e in events] == ["TICKET_CREATED", "UPDATED"]
    assert events[1]["actor_id"] == AGENT_ID
    assert events[1]["payload"] == {"before": {field: t[field]},
                                    "after": {field: value}}


def test_patch_null_clears_category_and_product_area(env):
    t = create_ticket(env, AGENT, category="cat", productArea="area")
    r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}",
                              {"category": None, "productArea": None})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["category"] is None and d["productArea"] is None
    row = db_ticket(env, t["id"])
    assert row["category"] is None and row["product_area"] is None
    ev = db_events(env, t["id"])[-1]
    assert ev["type"] == "UPDATED"
    assert ev["payload"] == {"before": {"category": "cat", "productArea": "area"},
                             "after": {"category": None, "productArea": None}}


def test_patch_multiple_fields_event_has_changed_only(env):
    t = create_ticket(env, AGENT, priority="low", title=f"Multi {uniq()}")
    r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}", {
        "title": t["title"], "priority": "high", "category": "c1"})
    assert r.status_code == 200, r.text
    events = db_events(env, t["id"])
    assert [e["type"] for e in events] == ["TICKET_CREATED", "UPDATED"]
    assert events[1]["payload"] == {
        "before": {"priority": "low", "category": None},
        "after": {"priority": "high", "category": "c1"}}


def test_patch_noop_leaves_version(env):
    t = create_ticket(env, AGENT, priority="high", category="same")
    time.sleep(0.01)
    r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}",
                              {"priority": "high", "category": "same",
                               "title": t["title"]})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["version"] == 1
    assert d["updatedAt"] == t["updatedAt"]
    assert r.headers["ETag"] == '"v1"'
    row = db_ticket(env, t["id"])
    assert row["version"] == 1
    assert [e["type"] for e in db_events(env, t["id"])] == ["TICKET_CREATED"]


def test_patch_assign_writes_assigned_event(env):
    t = create_ticket(env, AGENT)
    api = Api(env, AGENT)
    r = api.patch(f"/api/tickets/{t['id']}", {"assigneeId": AGENT_ID})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["assigneeId"] == AGENT_ID
    r = api.patch(f"/api/tickets/{t['id']}", {"assigneeId": ADMIN_ID,
                                              "priority": "urgent"})
    assert r.status_code == 200, r.text
    r = api.patch(f"/api/tickets/{t['id']}", {"assigneeId": None})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["assigneeId"] is None
    assert r.json()["data"]["version"] == 4
    assert db_ticket(env, t["id"])["assignee_id"] is None
    events = db_events(env, t["id"])
    assert [e["type"] for e in events] == [
        "TICKET_CREATED", "ASSIGNED", "UPDATED", "ASSIGNED", "ASSIGNED"]
    assert events[1]["payload"] == {"before": {"assigneeId": None},
                                    "after": {"assigneeId": AGENT_ID}}
    assert events[2]["payload"] == {"before": {"priority": "medium"},
                                    "after": {"priority": "urgent"}}
    assert events[3]["payload"] == {"before": {"assigneeId": AGENT_ID},
                                    "after": {"assigneeId": ADMIN_ID}}
    assert events[4]["payload"] == {"before": {"assigneeId": ADMIN_ID},
                                    "after": {"assigneeId": None}}
    # UPDATED and ASSIGNED of one PATCH were written together
    assert events[2]["actor_id"] == events[3]["actor_id"] == AGENT_ID


def test_patch_assignee_must_be_staff(env):
    t = create_ticket(env, AGENT)
    for bad in (VIEWER_ID, CUSTOMER_USER_ID, GLOBEX_ADMIN_ID):
        r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}", {"assigneeId": bad})
        assert_error(r, 400, "VALIDATION_ERROR", field="assigneeId")
    row = db_ticket(env, t["id"])
    assert row["assignee_id"] is None and row["version"] == 1


def test_patch_unknown_ticket_404(env):
    r = Api(env, AGENT).patch("/api/tickets/00000000-0000-4000-8000-00000000dead",
                              {"priority": "low"})
    assert_error(r, 404, "NOT_FOUND")


# ---------------------------------------------------------------------------
# soft delete
# ---------------------------------------------------------------------------

def test_delete_agent_forbidden(env):
    t = create_ticket(env, AGENT)
    for user in (AGENT, VIEWER):
        r = Api(env, user).delete(f"/api/tickets/{t['id']}")
        assert_error(r, 403, "FORBIDDEN")
    row = db_ticket(env, t["id"])
    assert row["deleted_at"] is None and row["version"] == 1


def test_delete_soft_by_admin(env):
    word = uniq("gone")
    t = create_ticket(env, AGENT, title=f"Doomed {word}", tags=[word])
    admin = Api(env, ADMIN)
    r = admin.delete(f"/api/tickets/{t['key']}")
    assert r.status_code == 204, r.text
    assert r.content == b""

    for ref in (t["id"], str(t["number"]), t["key"]):
        assert_error(admin.get(f"/api/tickets/{ref}"), 404, "NOT_FOUND")
    assert_error(admin.patch(f"/api/tickets/{t['id']}", {"priority": "low"}),
                 404, "NOT_FOUND")
    assert_error(admin.patch(f"/api/tickets/{t['id']}/status", {"status": "closed"}),
                 404, "NOT_FOUND")
    assert_error(admin.post(f"/api/tickets/{t['id']}/messages", {"content": "hi"}),
                 404, "NOT_FOUND")
    assert_error(admin.get(f"/api/tickets/{t['id']}/events"), 404, "NOT_FOUND")
    assert_error(admin.delete(f"/api/tickets/{t['id']}"), 404, "NOT_FOUND")
    body = admin.get(f"/api/tickets?tag={word}").json()
    assert body["data"] == [] and body["total"] == 0
    body = admin.get(f"/api/tickets/search?query={word}").json()
    assert body["data"] == [] and body["total"] == 0
    body = admin.get("/api/tickets?limit=100&sort=-number").json()
    assert t["id"] not in [x["id"] for x in body["data"]]

    row = db_ticket(env, t["id"])
    assert row is not None and row["deleted_at"] is not None
    assert row["title"] == t["title"]
    assert len(db_messages(env, t["id"])) == 1
    events = db_events(env, t["id"])
    assert [e["type"] for e in events] == ["TICKET_CREATED", "DELETED"]
    assert events[1]["actor_id"] == ADMIN_ID
    assert events[1]["payload"]["before"]["id"] == t["id"]
