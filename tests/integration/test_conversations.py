"""/api/conversations: threads with customers, and the web chat (SPEC
section 7).

A logged-in customer opens a web chat conversation with its first message
and writes more; staff answer in the same thread; customers only ever see
their own conversations and their events.  Staff list with filters, change
status, assignee and mode, mark read, and open a ticket from a
conversation.
"""

import pytest

from messaging_util import Channel, count, data
from platforms import facebook_delivery
from test_sse import start
from tickets_util import (ADMIN, AGENT, CUSTOMER, GLOBEX_ADMIN, VIEWER, Api,
                          assert_error, assert_list_shape, uniq)

pytestmark = pytest.mark.messaging

AGENT_ID = "00000000-0000-4000-8000-00000000a002"


def open_web_chat(env, text=None):
    r = Api(env, CUSTOMER).post("/api/conversations", {"content": text or f"Hi {uniq()}"})
    return data(r, 201)


def test_web_chat_round_trip(env):
    with start(env, user=ADMIN) as staff, start(env, user=CUSTOMER) as cust:
        conv = open_web_chat(env, "My order is late")
        assert conv["platform"] == "web" and conv["status"] == "open"
        assert conv["unreadCount"] == 1
        m2 = data(Api(env, CUSTOMER).post(f"/api/conversations/{conv['id']}/messages",
                                          {"content": "Order 1234"}), 201)
        reply = data(Api(env, AGENT).post(f"/api/conversations/{conv['id']}/messages",
                                          {"content": "Looking into it"}), 201)
        assert m2["sender"] == "customer" and reply["sender"] == "agent"
        assert reply["status"] == "sent" and reply["authorId"] == AGENT_ID
        mine = lambda out: [e for e in out if e["json"].get("conversationId") == conv["id"]
                            or e["json"].get("id") == conv["id"]]
        for s in (staff, cust):
            got = s.collect(lambda out: len(mine(out)) >= 4)
            assert [e["event"] for e in mine(got)] == [
                "new_conversation", "new_message", "new_message", "new_message"]
    msgs = Api(env, CUSTOMER).get(f"/api/conversations/{conv['id']}/messages").json()
    assert_list_shape(msgs)
    assert [m["content"] for m in msgs["data"]] == ["My order is late", "Order 1234",
                                                    "Looking into it"]
    got = data(Api(env, AGENT).get(f"/api/conversations/{conv['id']}"))
    assert got["unreadCount"] == 0              # the reply read it


def test_customers_see_only_their_own(env):
    conv = open_web_chat(env)
    ch = Channel(env, "facebook")
    body, headers = facebook_delivery(ch.account_id, "p-" + uniq(), "m-" + uniq(), "yo",
                                      ch.secret)
    assert ch.post(body, headers).status_code == 200
    fb_conv = env.psql(f"SELECT id FROM conversations WHERE channel_id = '{ch.id}'")[0][0]
    listed = [c["id"] for c in Api(env, CUSTOMER).get(
        "/api/conversations?limit=100").json()["data"]]
    assert conv["id"] in listed and fb_conv not in listed
    assert_error(Api(env, CUSTOMER).get(f"/api/conversations/{fb_conv}"), 404, "NOT_FOUND")
    assert_error(Api(env, CUSTOMER).get(f"/api/conversations/{fb_conv}/messages"),
                 404, "NOT_FOUND")
    assert_error(Api(env, CUSTOMER).post(f"/api/conversations/{fb_conv}/messages",
                                         {"content": "x"}), 404, "NOT_FOUND")
    for user in (GLOBEX_ADMIN,):
        assert_error(Api(env, user).get(f"/api/conversations/{conv['id']}"), 404, "NOT_FOUND")
    with start(env, user=CUSTOMER) as cust:
        body, headers = facebook_delivery(ch.account_id, "p-" + uniq(), "m-" + uniq(),
                                          "not yours", ch.secret)
        assert ch.post(body, headers).status_code == 200
        assert [e for e in cust.quiet(0.8) if e["event"] in
                ("new_message", "new_conversation")] == []


def test_roles(env):
    conv = open_web_chat(env)
    assert_error(Api(env, VIEWER).post(f"/api/conversations/{conv['id']}/messages",
                                       {"content": "x"}), 403, "FORBIDDEN")
    assert_error(Api(env, VIEWER).patch(f"/api/conversations/{conv['id']}",
                                        {"status": "resolved"}), 403, "FORBIDDEN")
    assert_error(Api(env, AGENT).post("/api/conversations", {"content": "x"}), 403, "FORBIDDEN")
    assert_error(Api(env, CUSTOMER).patch(f"/api/conversations/{conv['id']}",
                                          {"status": "closed"}), 403, "FORBIDDEN")
    assert data(Api(env, VIEWER).get(f"/api/conversations/{conv['id']}"))["id"] == conv["id"]


def test_patch_and_filters(env):
    conv = open_web_chat(env)
    with start(env, user=ADMIN) as staff:
        u = data(Api(env, AGENT).patch(f"/api/conversations/{conv['id']}",
                                       {"status": "pending", "assigneeId": AGENT_ID,
                                        "read": True}))
        mine = lambda out: [e for e in out if e["event"] == "conversation_updated"
                            and e["json"]["id"] == conv["id"]]
        got = mine(staff.collect(lambda out: mine(out)))
    assert u["status"] == "pending" and u["assigneeId"] == AGENT_ID and u["unreadCount"] == 0
    ev = got[0]["json"]
    assert ev["changes"]["status"] == {"before": "open", "after": "pending"}
    q = f"/api/conversations?status=pending&assigneeId={AGENT_ID}&platform=web&limit=100"
    assert conv["id"] in [c["id"] for c in Api(env, AGENT).get(q).json()["data"]]
    q = "/api/conversations?status=closed&platform=web&limit=100"
    assert conv["id"] not in [c["id"] for c in Api(env, AGENT).get(q).json()["data"]]
    for bad in ("status=done", "platform=icq", "assigneeId=me", "mode=robot", "x=1"):
        assert_error(Api(env, AGENT).get(f"/api/conversations?{bad}"), 400, "INVALID_QUERY")
    for body, field in (({"status": "done"}, "status"), ({"read": False}, "read"),
                        ({"assigneeId": "00000000-0000-4000-8000-00000000a004"},
                         "assigneeId"), ({}, None), ({"color": 1}, "color")):
        assert_error(Api(env, AGENT).patch(f"/api/conversations/{conv['id']}", body),
                     400, "VALIDATION_ERROR", field)
    for body in ({}, {"content": ""}, {"content": "x" * 2001}, {"content": 5}):
        before = count(env, f"SELECT count(*) FROM conversation_messages "
                            f"WHERE conversation_id = '{conv['id']}'")
        assert_error(Api(env, AGENT).post(f"/api/conversations/{conv['id']}/messages", body),
                     400, "VALIDATION_ERROR", "content")
        assert count(env, f"SELECT count(*) FROM conversation_messages "
                          f"WHERE conversation_id = '{conv['id']}'") == before


def test_ticket_from_conversation(env):
    conv = open_web_chat(env, "The app crashes on login\nsince the update")
    with start(env, user=CUSTOMER) as cust:
        t = data(Api(env, AGENT).post(f"/api/conversations/{conv['id']}/ticket", {}), 201)
        got = cust.collect(lambda out: any(e["event"] == "ticket_created"
                                           and e["json"]["id"] == t["id"] for e in out))
    assert t["title"] == "The app crashes on login" and t["source"] == "web"
    assert t["conversationId"] == conv["id"] and t["customerId"] == conv["customerId"]
    assert [e["json"]["id"] for e in got if e["event"] == "ticket_created"
            and e["json"]["conversationId"] == conv["id"]] == [t["id"]]
    detail = data(Api(env, AGENT).get(f"/api/tickets/{t['id']}"))
    assert detail["messages"][0]["content"].startswith("The app crashes")
    assert count(env, f"SELECT count(*) FROM ticket_events WHERE ticket_id = '{t['id']}' "
                      "AND type = 'TICKET_CREATED'") == 1
    t2 = data(Api(env, AGENT).post(f"/api/conversations/{conv['id']}/ticket",
                                   {"title": "Login crash"}), 201)
    assert t2["title"] == "Login crash"


def test_a_conversation_lists_its_tickets_and_its_etag_moves(env):
    conv = open_web_chat(env, "The printer smokes")
    api = Api(env, AGENT)
    path = f"/api/conversations/{conv['id']}"
    r0 = api.get(path)
    assert data(r0)["tickets"] == []
    etag0 = r0.headers["ETag"]
    assert api.get(path, headers={"If-None-Match": etag0}).status_code == 304
    t = data(api.post(f"{path}/ticket", {}), 201)
    r1 = api.get(path, headers={"If-None-Match": etag0})
    assert r1.status_code == 200 and r1.headers["ETag"] != etag0
    assert data(r1)["tickets"] == [{"id": t["id"], "key": t["key"]}]
    # the customer sees the same list; a deleted ticket leaves it, and
    # the version moves again
    assert data(Api(env, CUSTOMER).get(path))["tickets"] == [{"id": t["id"], "key": t["key"]}]
    assert Api(env, ADMIN).delete(f"/api/tickets/{t['id']}").status_code == 204
    r2 = api.get(path, headers={"If-None-Match": r1.headers["ETag"]})
    assert r2.status_code == 200 and data(r2)["tickets"] == []


def test_other_orgs_cannot_touch_a_conversation(env):
    conv = open_web_chat(env)
    msg = Api(env, CUSTOMER).get(f"/api/conversations/{conv['id']}/messages").json()["data"][0]
    g = Api(env, GLOBEX_ADMIN)
    for r in (g.patch(f"/api/conversations/{conv['id']}", {"status": "closed"}),
              g.get(f"/api/conversations/{conv['id']}/messages"),
              g.post(f"/api/conversations/{conv['id']}/messages", {"content": "x"}),
              g.post(f"/api/conversations/{conv['id']}/messages/{msg['id']}/retry"),
              g.post(f"/api/conversations/{conv['id']}/ticket", {})):
        assert_error(r, 404, "NOT_FOUND")
    assert data(Api(env, AGENT).get(f"/api/conversations/{conv['id']}"))["status"] == "open"


def test_two_customers_never_see_each_other(env):
    from tkcheck import DEMO_HASH
    email = f"{uniq('c2')}@acme.test"
    env.psql("INSERT INTO users (org_id, email, name, role, password_hash) VALUES "
             f"('00000000-0000-4000-8000-0000000000a1', '{email}', 'Other', 'customer', "
             f"'{DEMO_HASH}')")
    with start(env, user=CUSTOMER) as casey, start(env, user=email) as other:
        mine = data(Api(env, email).post("/api/conversations", {"content": "private"}), 201)
        got = other.collect(lambda out: any(e["event"] == "new_message" for e in out))
        assert [e["json"]["content"] for e in got if e["event"] == "new_message"] == ["private"]
        assert [e for e in casey.quiet(0.8) if e["json"].get("conversationId") == mine["id"]
                or e["json"].get("id") == mine["id"]] == []
    assert_error(Api(env, CUSTOMER).get(f"/api/conversations/{mine['id']}"), 404, "NOT_FOUND")
    listed = [c["id"] for c in Api(env, CUSTOMER).get("/api/conversations?limit=100").json()["data"]]
    assert mine["id"] not in listed
    record = env.psql(f"SELECT c.name FROM customers c JOIN users u ON u.id = c.user_id "
                      f"WHERE u.email = '{email}'")
    assert record == [["Other"]]            # made for the login on its first chat


def test_a_closed_web_chat_takes_no_more(env):
    conv = open_web_chat(env)
    data(Api(env, AGENT).patch(f"/api/conversations/{conv['id']}", {"status": "closed"}))
    for user in (CUSTOMER, AGENT):
        r = Api(env, user).post(f"/api/conversations/{conv['id']}/messages", {"content": "x"})
        assert_error(r, 409, "CONFLICT")
