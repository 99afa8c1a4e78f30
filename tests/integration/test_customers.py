"""/api/customers: the organization's contacts (SPEC section 7).

Staff read, agents and admins write, admins delete (soft); customers (the
role) have no access.  Search by name, email, phone or a platform id;
filters and paging as the ticket list has.  Merging moves identities,
conversations and tickets, with one event for each customer.  Each change
emits customer_created / customer_updated / customer_deleted to staff
streams, never to customers.  Another organization's customer is 404.
"""

import pytest

from messaging_util import Channel, count, data, dumps
from platforms import facebook_delivery
from test_sse import start
from tickets_util import (ADMIN, AGENT, CUSTOMER, GLOBEX_ADMIN, VIEWER, Api,
                          assert_error, assert_list_shape, uniq)

pytestmark = pytest.mark.messaging


def new_customer(env, user=AGENT, **fields):
    body = {"name": f"Cust {uniq()}"}
    body.update(fields)
    return data(Api(env, user).post("/api/customers", body), 201)


def test_create_get_list_update_delete(env):
    tag = uniq("tag")
    email = f"{uniq('c')}@example.test"
    c = new_customer(env, email=email, phone="+84 90 123 4567", tags=[tag],
                     notes="Prefers Zalo.\nCalls after 5.",
                     avatarUrl="https://example.test/a.png")
    assert c["email"] == email and c["tags"] == [tag] and c["identities"] == []
    assert c["notes"] == "Prefers Zalo.\nCalls after 5."
    r = Api(env, VIEWER).get(f"/api/customers/{c['id']}")
    assert data(r)["id"] == c["id"]
    etag = r.headers["ETag"]
    r = Api(env, VIEWER).get(f"/api/customers/{c['id']}", headers={"If-None-Match": etag})
    assert r.status_code == 304
    page = Api(env, VIEWER).get(f"/api/customers?tag={tag}").json()
    assert_list_shape(page)
    assert [x["id"] for x in page["data"]] == [c["id"]] and page["total"] == 1
    for q in (email.upper()[:10], "123 4567", c["name"][5:]):
        found = Api(env, AGENT).get("/api/customers", params={"q": q}).json()["data"]
        assert c["id"] in [x["id"] for x in found], q
    u = data(Api(env, AGENT).patch(f"/api/customers/{c['id']}",
                                   {"phone": None, "name": "Renamed"},
                                   headers={"If-Match": etag}))
    assert u["phone"] is None and u["name"] == "Renamed" and u["version"] == c["version"] + 1
    r = Api(env, AGENT).patch(f"/api/customers/{c['id']}", {"name": "Again"},
                              headers={"If-Match": etag})
    assert_error(r, 412, "PRECONDITION_FAILED")
    assert_error(Api(env, AGENT).delete(f"/api/customers/{c['id']}"), 403, "FORBIDDEN")
    assert Api(env, ADMIN).delete(f"/api/customers/{c['id']}").status_code == 204
    assert_error(Api(env, ADMIN).get(f"/api/customers/{c['id']}"), 404, "NOT_FOUND")
    assert count(env, f"SELECT count(*) FROM customers WHERE id = '{c['id']}' "
                      "AND deleted_at IS NOT NULL") == 1


def test_roles_and_tenancy(env):
    c = new_customer(env)
    assert_error(Api(env, VIEWER).post("/api/customers", {"name": "x"}), 403, "FORBIDDEN")
    assert_error(Api(env, CUSTOMER).get("/api/customers"), 403, "FORBIDDEN")
    assert_error(Api(env, CUSTOMER).get(f"/api/customers/{c['id']}"), 403, "FORBIDDEN")
    for method in ("get", "patch", "delete"):
        args = ({"name": "x"},) if method == "patch" else ()
        r = getattr(Api(env, GLOBEX_ADMIN), method)(f"/api/customers/{c['id']}", *args)
        assert_error(r, 404, "NOT_FOUND")
    ids = [x["id"] for x in Api(env, GLOBEX_ADMIN).get("/api/customers?limit=100").json()["data"]]
    assert c["id"] not in ids


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x", "email": "not-an-email"}, "email"),
    ({"name": "x", "phone": "call me"}, "phone"),
    ({"name": "x", "avatarUrl": "javascript:alert(1)"}, "avatarUrl"),
    ({"name": "x", "tags": "vip"}, "tags"),
    ({"name": "x", "userId": "nope"}, "userId"),
    ({"name": "x", "color": "red"}, "color"),
])
def test_bad_bodies_change_nothing(env, body, field):
    before = count(env, "SELECT count(*) FROM customers")
    assert_error(Api(env, AGENT).post("/api/customers", body), 400, "VALIDATION_ERROR", field)
    assert count(env, "SELECT count(*) FROM customers") == before


def test_bad_queries(env):
    for q in ("platform=myspace", "channelId=1", "sort=age", "createdFrom=yesterday",
              "limit=x", "color=red"):
        assert_error(Api(env, AGENT).get(f"/api/customers?{q}"), 400, "INVALID_QUERY")


def test_a_login_links_once(env):
    # Casey (customer@acme.test) is linked to the demo record already.
    casey = env.psql("SELECT id FROM users WHERE email = 'customer@acme.test'")[0][0]
    r = Api(env, AGENT).post("/api/customers", {"name": "Twin", "userId": casey})
    assert_error(r, 409, "CONFLICT", "userId")
    agent_id = env.psql("SELECT id FROM users WHERE email = 'agent@acme.test'")[0][0]
    r = Api(env, AGENT).post("/api/customers", {"name": "Staff", "userId": agent_id})
    assert_error(r, 400, "VALIDATION_ERROR", "userId")


def test_events_reach_staff_only(env):
    with start(env, user=ADMIN) as staff, start(env, user=CUSTOMER) as cust:
        c = new_customer(env)
        Api(env, AGENT).patch(f"/api/customers/{c['id']}", {"notes": "vip"})
        Api(env, ADMIN).delete(f"/api/customers/{c['id']}")
        got = staff.collect(lambda out: any(e["event"] == "customer_deleted" for e in out))
        kinds = [e["event"] for e in got if e["json"].get("id") == c["id"]]
        assert kinds == ["customer_created", "customer_updated", "customer_deleted"]
        updated = [e for e in got if e["event"] == "customer_updated"][0]["json"]
        assert updated["notes"] == "vip"
        assert [e for e in cust.quiet(0.5) if e["event"].startswith("customer_")] == []


def test_merge_moves_identities_conversations_and_tickets(env):
    ch = Channel(env, "facebook")
    body, headers = facebook_delivery(ch.account_id, "psid-" + uniq(), "mid-" + uniq(),
                                      "hello", ch.secret)
    assert ch.post(body, headers).status_code == 200
    src = env.psql(f"SELECT customer_id FROM customer_identities "
                   f"WHERE channel_id = '{ch.id}'")[0][0]
    dst = new_customer(env, email=f"{uniq('m')}@example.test")
    ticket = data(Api(env, AGENT).post("/api/tickets", {
        "title": "About the merge", "description": "x", "customerId": src}), 201)
    with start(env, user=ADMIN) as staff:
        merged = data(Api(env, AGENT).post(f"/api/customers/{dst['id']}/merge",
                                           {"from": src}))
        got = staff.collect(lambda out: any(e["event"] == "customer_updated" for e in out))
    conv = env.psql(f"SELECT id FROM conversations WHERE channel_id = '{ch.id}'")[0][0]
    assert [i["channelId"] for i in merged["identities"]] == [ch.id]
    # (A stream may start before the events just before it; only the
    # merge's kinds count.)
    kinds = {"conversation_updated", "ticket_updated", "customer_deleted",
             "customer_updated"}
    assert {(e["event"], e["json"]["id"]) for e in got if e["event"] in kinds} == {
        ("conversation_updated", conv), ("ticket_updated", ticket["id"]),
        ("customer_deleted", src), ("customer_updated", dst["id"])}
    assert count(env, f"SELECT count(*) FROM conversations WHERE customer_id = '{src}'") == 0
    assert count(env, f"SELECT count(*) FROM conversations "
                      f"WHERE customer_id = '{dst['id']}'") == 1
    t = data(Api(env, AGENT).get(f"/api/tickets/{ticket['id']}"))
    assert t["customerId"] == dst["id"]
    assert_error(Api(env, AGENT).get(f"/api/customers/{src}"), 404, "NOT_FOUND")
    assert_error(Api(env, AGENT).post(f"/api/customers/{dst['id']}/merge",
                                      {"from": dst["id"]}), 400, "VALIDATION_ERROR", "from")
    other = Api(env, GLOBEX_ADMIN).post("/api/customers", {"name": "G"}).json()["data"]
    assert_error(Api(env, AGENT).post(f"/api/customers/{dst['id']}/merge",
                                      {"from": other["id"]}), 404, "NOT_FOUND")
    assert dumps  # imported for the webhook helpers' callers


def test_merge_of_itself_in_another_case_is_refused(env):
    c = new_customer(env)
    r = Api(env, AGENT).post(f"/api/customers/{c['id']}/merge", {"from": c["id"].upper()})
    assert_error(r, 400, "VALIDATION_ERROR", "from")
    assert data(Api(env, AGENT).get(f"/api/customers/{c['id']}"))["id"] == c["id"]


def test_merge_emits_for_what_moves_and_if_match_is_the_targets(env):
    src = new_customer(env)
    dst = new_customer(env)
    Api(env, AGENT).patch(f"/api/customers/{src['id']}", {"notes": "bump"})
    t = data(Api(env, AGENT).post("/api/tickets", {
        "title": "Moves", "description": "x", "customerId": src["id"]}), 201)
    etag = Api(env, AGENT).get(f"/api/customers/{dst['id']}").headers["ETag"]
    with start(env, user=ADMIN) as staff:
        r = Api(env, AGENT).post(f"/api/customers/{dst['id'].upper()}/merge",
                                 {"from": src["id"]}, headers={"If-Match": etag})
        assert r.status_code == 200, r.text
        got = staff.collect(lambda out: any(e["event"] == "customer_updated"
                                            and e["json"]["id"] == dst["id"] for e in out))
    moved = [e["json"] for e in got if e["event"] == "ticket_updated"
             and e["json"]["id"] == t["id"]]
    assert len(moved) == 1
    assert moved[0]["changes"]["customerId"] == {"before": src["id"], "after": dst["id"]}
    audit = env.psql(f"SELECT type, payload->'after'->>'customerId' FROM ticket_events "
                     f"WHERE ticket_id = '{t['id']}' ORDER BY id")
    assert audit[-1] == ["UPDATED", dst["id"]]
    r = Api(env, AGENT).post(f"/api/customers/{dst['id']}/merge",
                             {"from": new_customer(env)["id"]}, headers={"If-Match": etag})
    assert_error(r, 412, "PRECONDITION_FAILED")
