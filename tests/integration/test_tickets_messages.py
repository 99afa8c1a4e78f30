"""POST /api/tickets/:id/messages and GET /api/tickets/:id/events."""

import time

from tickets_util import (
    ADMIN, AGENT, AGENT_ID, CUSTOMER, CUSTOMER_USER_ID, GLOBEX_ADMIN, VIEWER,
    Api, assert_error, assert_list_shape, assert_ts, create_ticket, db_count,
    db_events, db_messages, db_ticket, move, q,
)


def _post(env, user, ref, body, **kw):
    return Api(env, user).post(f"/api/tickets/{ref}/messages", body, **kw)


def test_agent_public_reply(env):
    t = create_ticket(env, AGENT)
    time.sleep(0.01)
    r = _post(env, AGENT, t["id"], {"content": "  We are looking into it.\n"})
    assert r.status_code == 201, r.text
    m = r.json()["data"]
    assert set(m) >= {"id", "ticketId", "authorId", "authorType", "content",
                      "internal", "createdAt"}
    assert m["ticketId"] == t["id"]
    assert m["authorId"] == AGENT_ID
    assert m["authorType"] == "agent"
    assert m["internal"] is False
    assert "We are looking into it." in m["content"]
    assert "body" not in m
    assert_ts(m["createdAt"])

    msgs = db_messages(env, t["id"])
    assert len(msgs) == 2 and msgs[1]["id"] == m["id"]
    assert msgs[1]["author_id"] == AGENT_ID and msgs[1]["internal"] is False
    row = db_ticket(env, t["id"])
    assert row["version"] == 2
    events = db_events(env, t["id"])
    assert [e["type"] for e in events] == ["TICKET_CREATED", "MESSAGE_ADDED"]
    assert events[1]["actor_id"] == AGENT_ID
    assert events[1]["payload"] == {"messageId": m["id"], "authorType": "agent",
                                    "internal": False}

    got = Api(env, AGENT).get(f"/api/tickets/{t['id']}")
    assert got.headers["ETag"] == '"v2"'
    d = got.json()["data"]
    assert d["version"] == 2
    assert d["updatedAt"] > t["updatedAt"]
    assert [x["id"] for x in d["messages"]][-1] == m["id"]


def test_internal_note_hidden_from_customer(env):
    t = create_ticket(env, CUSTOMER, description="My screen is blank.")
    r = _post(env, AGENT, t["key"], {"content": "Customer seems upset; check logs.",
                                     "internal": True})
    assert r.status_code == 201, r.text
    note = r.json()["data"]
    assert note["internal"] is True and note["authorType"] == "agent"
    r = _post(env, AGENT, t["id"], {"content": "Could you restart it?"})
    assert r.status_code == 201
    reply = r.json()["data"]

    ev = db_events(env, t["id"])[-2]
    assert ev["type"] == "MESSAGE_ADDED" and ev["payload"]["internal"] is True
    assert db_ticket(env, t["id"])["version"] == 3

    staff = Api(env, VIEWER).get(f"/api/tickets/{t['id']}")
    assert staff.status_code == 200
    assert [m["id"] for m in staff.json()["data"]["messages"]][1:] == [note["id"],
                                                                       reply["id"]]
    cust = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}")
    assert cust.status_code == 200, cust.text
    # the customer's view counts the public reply, not the internal note
    assert cust.headers["ETag"] == '"v2-c"'
    assert staff.headers["ETag"] == '"v3"'
    msgs = cust.json()["data"]["messages"]
    assert note["id"] not in [m["id"] for m in msgs]
    assert all(m["internal"] is False for m in msgs)
    assert "upset" not in cust.text
    assert [m["id"] for m in msgs][-1] == reply["id"]


def test_customer_reply_on_own_ticket(env):
    t = create_ticket(env, CUSTOMER)
    r = _post(env, CUSTOMER, t["id"], {"content": "Any news?"})
    assert r.status_code == 201, r.text
    m = r.json()["data"]
    assert m["authorType"] == "customer"
    assert m["authorId"] == CUSTOMER_USER_ID
    assert m["internal"] is False
    assert db_messages(env, t["id"])[-1]["author_type"] == "customer"
    ev = db_events(env, t["id"])[-1]
    assert ev["type"] == "MESSAGE_ADDED" and ev["actor_id"] == CUSTOMER_USER_ID
    assert ev["payload"]["authorType"] == "customer"


def test_customer_internal_note_forbidden(env):
    t = create_ticket(env, CUSTOMER)
    r = _post(env, CUSTOMER, t["id"], {"content": "secret", "internal": True})
    assert_error(r, 403, "FORBIDDEN")
    assert len(db_messages(env, t["id"])) == 1
    assert db_ticket(env, t["id"])["version"] == 1
    assert [e["type"] for e in db_events(env, t["id"])] == ["TICKET_CREATED"]


def test_customer_cannot_reply_on_others_ticket(env):
    t = create_ticket(env, AGENT)          # not the customer's
    r = _post(env, CUSTOMER, t["id"], {"content": "hello"})
    assert_error(r, 404, "NOT_FOUND")
    assert len(db_messages(env, t["id"])) == 1


def test_viewer_cannot_reply(env):
    t = create_ticket(env, AGENT)
    r = _post(env, VIEWER, t["id"], {"content": "hello"})
    assert_error(r, 403, "FORBIDDEN")
    assert len(db_messages(env, t["id"])) == 1


def test_message_validation_and_unknown_ticket(env):
    t = create_ticket(env, AGENT)
    for body, field in (({}, "content"), ({"content": "   "}, "content"),
                        ({"content": 5}, "content"),
                        ({"content": "x", "internal": "yes"}, "internal"),
                        ({"content": "x", "extra": 1}, "extra"),
                        ({"body": "x"}, "body"),
                        ({"body": "x", "content": "x"}, "body")):
        r = _post(env, AGENT, t["id"], body)
        assert_error(r, 400, "VALIDATION_ERROR", field=field)
    assert len(db_messages(env, t["id"])) == 1
    r = _post(env, AGENT, "00000000-0000-4000-8000-00000000dead", {"content": "x"})
    assert_error(r, 404, "NOT_FOUND")
    r = _post(env, GLOBEX_ADMIN, t["id"], {"content": "x"})
    assert_error(r, 404, "NOT_FOUND")
    assert len(db_messages(env, t["id"])) == 1


def test_message_text_is_content(env):
    """A message's text is "content", in requests and in every answer that
    holds messages; the old name "body" is an unknown field."""
    t = create_ticket(env, AGENT, description="First words.")
    r = _post(env, AGENT, t["id"], {"body": "the old name"})
    assert_error(r, 400, "VALIDATION_ERROR", field="body")
    assert len(db_messages(env, t["id"])) == 1
    r = _post(env, AGENT, t["id"], {"content": "the new name"})
    assert r.status_code == 201, r.text
    m = r.json()["data"]
    assert m["content"] == "the new name" and "body" not in m
    r = _post(env, AGENT, t["id"], {"content": "a note", "internal": True})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["content"] == "a note" and "body" not in r.json()["data"]
    for user, expected in ((AGENT, ["First words.", "the new name", "a note"]),
                           (ADMIN, ["First words.", "the new name", "a note"])):
        d = Api(env, user).get(f"/api/tickets/{t['id']}").json()["data"]
        assert [x["content"] for x in d["messages"]] == expected
        assert not any("body" in x for x in d["messages"]), d["messages"]
    c = create_ticket(env, CUSTOMER, description="Customer words.")
    assert _post(env, CUSTOMER, c["id"], {"content": "and more"}).status_code == 201
    d = Api(env, CUSTOMER).get(f"/api/tickets/{c['id']}").json()["data"]
    assert [x["content"] for x in d["messages"]] == ["Customer words.", "and more"]
    assert not any("body" in x for x in d["messages"]), d["messages"]


# ---------------------------------------------------------------------------
# events
# ---------------------------------------------------------------------------

def _trail(env):
    t = create_ticket(env, AGENT)
    api = Api(env, AGENT)
    assert api.patch(f"/api/tickets/{t['id']}", {"priority": "high"}).status_code == 200
    assert api.patch(f"/api/tickets/{t['id']}", {"assigneeId": AGENT_ID}).status_code == 200
    move(env, t["id"], "in_progress")
    assert _post(env, AGENT, t["id"], {"content": "note", "internal": True}).status_code == 201
    move(env, t["id"], "closed")
    return t


EXPECTED_TRAIL = ["TICKET_CREATED", "UPDATED", "ASSIGNED", "STATUS_CHANGED",
                  "MESSAGE_ADDED", "STATUS_CHANGED"]


def test_events_trail_in_order(env):
    t = _trail(env)
    r = Api(env, ADMIN).get(f"/api/tickets/{t['key']}/events")
    assert r.status_code == 200, r.text
    body = r.json()
    assert_list_shape(body, limit=20, offset=0)
    assert body["total"] == 6
    evs = body["data"]
    assert [e["type"] for e in evs] == EXPECTED_TRAIL
    db = db_events(env, t["id"])
    assert [e["id"] for e in evs] == [e["id"] for e in db]
    ids = [e["id"] for e in evs]
    assert ids == sorted(ids)
    for e in evs:
        assert set(e) >= {"id", "ticketId", "actorId", "type", "payload",
                          "createdAt", "deliveredAt", "deliveryAttempts", "lastError"}
        assert e["ticketId"] == t["id"]
        assert e["actorId"] == AGENT_ID
        assert_ts(e["createdAt"])
        assert isinstance(e["deliveryAttempts"], int)
    assert evs[1]["payload"] == {"before": {"priority": "medium"},
                                 "after": {"priority": "high"}}
    assert evs[5]["payload"] == {"before": {"status": "in_progress"},
                                 "after": {"status": "closed"}}


def test_events_paging(env):
    t = _trail(env)
    api = Api(env, VIEWER)                  # viewers may read the trail
    seen = []
    for off in (0, 2, 4):
        r = api.get(f"/api/tickets/{t['id']}/events?limit=2&offset={off}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["limit"] == 2 and body["offset"] == off and body["total"] == 6
        assert len(body["data"]) == 2
        seen += [e["type"] for e in body["data"]]
    assert seen == EXPECTED_TRAIL
    r = api.get(f"/api/tickets/{t['id']}/events?limit=500")
    assert r.json()["limit"] == 100 and len(r.json()["data"]) == 6


def test_events_total_past_the_end(env):
    """docs/api.md: total counts all matches, also when the page is past
    the end."""
    t = _trail(env)
    r = Api(env, AGENT).get(f"/api/tickets/{t['id']}/events?offset=50")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data"] == [] and body["offset"] == 50
    assert body["total"] == 6


def test_events_customer_forbidden(env):
    t = create_ticket(env, CUSTOMER)
    r = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}/events")
    assert_error(r, 403, "FORBIDDEN")
    assert "TICKET_CREATED" not in r.text


def test_events_unknown_or_foreign_ticket(env):
    t = create_ticket(env, AGENT)
    r = Api(env, GLOBEX_ADMIN).get(f"/api/tickets/{t['id']}/events")
    assert_error(r, 404, "NOT_FOUND")
    r = Api(env, AGENT).get("/api/tickets/00000000-0000-4000-8000-00000000dead/events")
    assert_error(r, 404, "NOT_FOUND")
    assert db_count(env, f"SELECT count(*) FROM ticket_events "
                         f"WHERE ticket_id = {q(t['id'])}") == 1


def test_internal_note_is_invisible_to_customers_view(env):
    """An internal note changes the staff view (version, ETag, updatedAt) but
    nothing a customer can observe; a public reply changes both."""
    t = create_ticket(env, CUSTOMER)
    cust, agent = Api(env, CUSTOMER), Api(env, AGENT)

    def views():
        c = cust.get(f"/api/tickets/{t['id']}")
        a = agent.get(f"/api/tickets/{t['id']}")
        assert c.status_code == 200 and a.status_code == 200
        return c, a

    c0, a0 = views()
    time.sleep(0.01)
    assert _post(env, AGENT, t["id"], {"content": "hidden", "internal": True}).status_code == 201
    c1, a1 = views()
    assert c1.headers["ETag"] == c0.headers["ETag"]
    assert c1.json()["data"]["version"] == c0.json()["data"]["version"]
    assert c1.json()["data"]["updatedAt"] == c0.json()["data"]["updatedAt"]
    assert a1.headers["ETag"] != a0.headers["ETag"]
    assert a1.json()["data"]["version"] == a0.json()["data"]["version"] + 1
    # the customer's current tag still guards their status change
    r = cust.patch(f"/api/tickets/{t['id']}/status", {"status": "closed"},
                   headers={"If-Match": c1.headers["ETag"]})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"].endswith('-c"')
    assert r.json()["data"]["version"] == c1.json()["data"]["version"] + 1

    time.sleep(0.01)
    assert _post(env, AGENT, t["id"], {"content": "public"}).status_code == 201
    c3, _ = views()
    assert c3.headers["ETag"] != r.headers["ETag"]
    assert c3.json()["data"]["updatedAt"] > c1.json()["data"]["updatedAt"]
