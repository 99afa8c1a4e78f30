"""Agent chat with the assistant (SPEC section 10, seed document 002)
against a scripted OpenAI-compatible provider: sessions and their
tickets, a message answered after the tools the model calls (run as the
user, exactly as the REST calls would be), what the provider received,
tool-call rounds, progress events for the user alone, and the failures."""

import json

import pytest

from llm_server import Provider, conf, configured
from tickets_util import (ADMIN, AGENT, AGENT_ID, CUSTOMER, GLOBEX_ADMIN, VIEWER, VIEWER_ID,
                          Api, assert_error, create_ticket, uniq)

ROUNDS = 2


@pytest.fixture(scope="module")
def llm(env, tmp_path_factory):
    with configured(env, tmp_path_factory, extra=f"TicketsLLMMaxToolRounds {ROUNDS}\n"
                                         "TicketsLLMCacheTTL 0\n") as p:
        yield p


@pytest.fixture(autouse=True)
def fresh(llm):
    llm.clear()
    yield


def session(env, user=AGENT, **body):
    r = Api(env, user).post("/api/chat/sessions", body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def say(env, sid, content, user=AGENT, status=201):
    r = Api(env, user).post(f"/api/chat/sessions/{sid}/messages", {"content": content})
    assert r.status_code == status, r.text
    return r.json()


def tool_results(req):
    return [json.loads(m["content"]) for m in req["body"]["messages"] if m["role"] == "tool"]


# ---- sessions -------------------------------------------------------------------

def test_sessions_belong_to_their_user(env, llm):
    s = session(env, title="VPN work")
    assert s["title"] == "VPN work" and s["messages"] == [] and s["attachedTickets"] == []
    api = Api(env, AGENT)
    assert s["id"] in [x["id"] for x in api.get("/api/chat/sessions").json()["data"]]
    got = api.get(f"/api/chat/sessions/{s['id']}").json()["data"]
    assert got["id"] == s["id"] and got["messageCount"] == 0
    # no one else sees it, staff or not
    for user in (ADMIN, GLOBEX_ADMIN):
        other = Api(env, user)
        assert s["id"] not in [x["id"] for x in other.get("/api/chat/sessions").json()["data"]]
        assert_error(other.get(f"/api/chat/sessions/{s['id']}"), 404, "NOT_FOUND")
        assert_error(other.delete(f"/api/chat/sessions/{s['id']}"), 404, "NOT_FOUND")
        assert_error(other.post(f"/api/chat/sessions/{s['id']}/messages", {"content": "hi"}),
                     404, "NOT_FOUND")
    assert_error(Api(env, CUSTOMER).post("/api/chat/sessions", {}), 403, "FORBIDDEN")
    assert_error(api.post("/api/chat/sessions", {"title": "x", "extra": 1}), 400,
                 "VALIDATION_ERROR", field="extra")
    assert_error(api.get("/api/chat/sessions/nope"), 404, "NOT_FOUND")
    assert api.delete(f"/api/chat/sessions/{s['id']}").status_code == 204
    assert_error(api.get(f"/api/chat/sessions/{s['id']}"), 404, "NOT_FOUND")


def test_tickets_attach_and_detach(env, llm):
    s = session(env)
    a, b = create_ticket(env), create_ticket(env)
    api = Api(env, AGENT)
    path = f"/api/chat/sessions/{s['id']}/tickets"
    r = api.patch(path, {"attach": [a["id"], b["id"]]})
    assert r.status_code == 200, r.text
    assert {t["id"] for t in r.json()["data"]["attachedTickets"]} == {a["id"], b["id"]}
    r = api.patch(path, {"detach": [a["id"]]})
    assert [t["id"] for t in r.json()["data"]["attachedTickets"]] == [b["id"]]
    other = create_ticket(env, user=GLOBEX_ADMIN)
    for body, field in [({"attach": [other["id"]]}, "attach"),
                        ({"attach": ["00000000-0000-4000-8000-000000000000"]}, "attach"),
                        ({"attach": ["TKT-0001"]}, "attach"),
                        ({"attach": [a["id"], a["id"]]}, "attach"),
                        ({}, None), ({"attach": "x"}, "attach")]:
        assert_error(api.patch(path, body), 400, "VALIDATION_ERROR", field=field)
    got = api.get(f"/api/chat/sessions/{s['id']}").json()["data"]
    assert got["attachedTicketIds"] == [b["id"]]


# ---- a message and its tools ---------------------------------------------------------

def test_the_assistant_creates_a_ticket_from_chat(env, llm):
    s = session(env)
    attached = create_ticket(env, title=f"Printer {uniq()}")
    Api(env, AGENT).patch(f"/api/chat/sessions/{s['id']}/tickets", {"attach": [attached["id"]]})
    title = f"VPN drops {uniq()}"
    llm.script(Provider.tool_calls([("create_ticket", json.dumps(
                   {"title": title, "description": "Drops hourly", "priority": "high"}))]),
               Provider.text("I created the ticket."))
    out = say(env, s["id"], "Please open a ticket: the VPN drops every hour. "
                            "Reach me at ann@example.com")["data"]
    assert out["userMessage"]["role"] == "user"
    msg = out["message"]
    assert msg["role"] == "assistant" and msg["content"] == "I created the ticket."
    call, = msg["toolCalls"]
    assert call["name"] == "create_ticket" and call["ok"] is True
    made = json.loads(call["result"])
    assert made["status"] == 201
    t = made["data"]
    assert t["title"] == title and t["priority"] == "high"
    assert t["source"] == "chat" and t["chatSessionId"] == s["id"]
    assert msg["ticketRefs"] == [t["id"]]
    assert Api(env, AGENT).get(f"/api/tickets/{t['id']}").json()["data"]["source"] == "chat"
    # what the provider got: the four tools, the context, the tool's result
    first, second = llm.records()
    names = [tl["function"]["name"] for tl in first["body"]["tools"]]
    assert names == ["create_ticket", "get_ticket", "update_ticket", "search_tickets"]
    assert first["body"]["tool_choice"] == "auto"
    sent = json.dumps(first["body"]["messages"])
    assert attached["title"] in sent
    assert "ann@example.com" not in sent and "[EMAIL_REDACTED]" in sent
    tool_msg = [m for m in second["body"]["messages"] if m["role"] == "tool"][0]
    assert tool_msg["tool_call_id"] == "call_0"
    assert second["body"]["messages"][-2]["tool_calls"][0]["function"]["name"] == "create_ticket"
    # the session: titled by its first message, and its thread kept
    got = Api(env, AGENT).get(f"/api/chat/sessions/{s['id']}").json()["data"]
    assert got["title"].startswith("Please open a ticket: the VPN drops")
    assert [m["role"] for m in got["messages"]] == ["user", "assistant"]
    # each step was an event for this user alone
    steps = [json.loads(d) for d, a in env.psql(
        "SELECT data, audience0 FROM stream_events WHERE type = 'chat_progress' "
        f"AND data::jsonb->>'sessionId' = '{s['id']}' ORDER BY id")
        if a == AGENT_ID]
    assert [x["step"] for x in steps] == ["tool_started", "tool_finished", "answered"]
    assert steps[0]["tool"] == "create_ticket" and steps[1]["ok"] is True


def test_no_webhook_gets_an_agents_chat_steps(env, llm):
    from receiver import Receiver
    with Receiver() as rx:
        r = Api(env, ADMIN).post("/api/webhooks", {"url": rx.url, "events": ["*"]})
        assert r.status_code == 201, r.text
        sub = r.json()["data"]["id"]
        try:
            s = session(env)
            llm.script(Provider.tool_calls([("search_tickets", {"query": "x"})]),
                       Provider.text("Nothing."))
            say(env, s["id"], "Find x")
            create_ticket(env)              # something that is delivered
            rx.wait_for(1)
            types = {d[0] for d in env.psql(
                f"SELECT event_type FROM webhook_deliveries WHERE subscription_id = '{sub}'")}
            assert "ticket_created" in types and "chat_progress" not in types
        finally:
            Api(env, ADMIN).delete(f"/api/webhooks/{sub}")


def test_a_viewers_tool_call_fails_as_the_rest_call_would(env, llm):
    t = create_ticket(env)
    s = session(env, user=VIEWER)
    llm.script(Provider.tool_calls([("update_ticket", {"ticket_id": t["number"],
                                                       "status": "in_progress"})]),
               Provider.text("You may not change tickets."))
    msg = say(env, s["id"], "Start work on it", user=VIEWER)["data"]["message"]
    call, = msg["toolCalls"]
    assert call["ok"] is False
    result, = tool_results(llm.records()[1])
    assert result["statusChange"]["status"] == 403
    assert result["statusChange"]["error"]["code"] == "FORBIDDEN"
    assert Api(env, AGENT).get(f"/api/tickets/{t['id']}").json()["data"]["status"] == "open"
    assert env.psql(f"SELECT audience0 FROM stream_events WHERE type = 'chat_progress' AND "
                    f"data::jsonb->>'sessionId' = '{s['id']}' LIMIT 1") == [[VIEWER_ID]]


def test_an_agent_updates_and_finds_tickets(env, llm):
    word = uniq("zebra")
    t = create_ticket(env, title=f"Broken {word}")
    s = session(env)
    llm.script(Provider.tool_calls([("update_ticket", {"ticket_id": t["number"],
                                                       "status": "in_progress",
                                                       "notes": "Looking into it"}),
                                    ("search_tickets", {"query": word, "status": "all"})]),
               Provider.text("Done."))
    msg = say(env, s["id"], f"Start {t['key']} and find {word} tickets")["data"]["message"]
    assert [c["ok"] for c in msg["toolCalls"]] == [True, True]
    got = Api(env, AGENT).get(f"/api/tickets/{t['id']}").json()["data"]
    assert got["status"] == "in_progress"
    note = got["messages"][-1]
    assert note["content"] == "Looking into it" and note["internal"] is True
    update, search = tool_results(llm.records()[1])
    assert update["statusChange"]["status"] == 200 and update["note"]["status"] == 201
    assert [x["id"] for x in search["data"]] == [t["id"]]
    assert msg["ticketRefs"] == [t["id"]]


def test_no_tool_reaches_another_organizations_ticket(env, llm):
    t = create_ticket(env)
    s = session(env, user=GLOBEX_ADMIN)
    llm.script(Provider.tool_calls([("get_ticket", {"ticket_id": t["id"]}),
                                    ("update_ticket", {"ticket_id": t["id"], "status": "closed"}),
                                    ("search_tickets", {"query": t["title"]})]),
               Provider.text("Nothing found."))
    msg = say(env, s["id"], "Look at that ticket", user=GLOBEX_ADMIN)["data"]["message"]
    get, update, search = tool_results(llm.records()[1])
    assert get["status"] == 404 and update["statusChange"]["status"] == 404
    assert search["status"] == 200 and search["data"] == []
    assert msg["ticketRefs"] == []
    assert Api(env, AGENT).get(f"/api/tickets/{t['id']}").json()["data"]["status"] == "open"


def test_broken_arguments_are_told_to_the_model(env, llm):
    s = session(env)
    llm.script(Provider.tool_calls([("get_ticket", "{ticket_id: 4")]),
               Provider.tool_calls([("summon_demon", "{}")]),
               Provider.text("Sorry."))
    msg = say(env, s["id"], "Show ticket 4")["data"]["message"]
    assert [c["ok"] for c in msg["toolCalls"]] == [False, False]
    first, = tool_results(llm.records()[1])
    assert first["error"]["code"] == "INVALID_ARGUMENTS"
    assert "not valid JSON" in first["error"]["message"]
    unknown = tool_results(llm.records()[2])[-1]
    assert "no tool named summon_demon" in unknown["error"]["message"]


def test_the_last_round_allows_no_tool(env, llm):
    s = session(env)
    llm.script(*[Provider.tool_calls([("search_tickets", {"query": "x"})])] * (ROUNDS + 1))
    err = say(env, s["id"], "Loop", status=503)["error"]
    assert err["code"] == "AI_UNAVAILABLE" and f"within {ROUNDS} rounds" in err["message"]
    reqs = llm.records()
    assert len(reqs) == ROUNDS + 1
    assert reqs[-1]["body"]["tool_choice"] == "none"
    assert [m["role"] for m in Api(env, AGENT).get(
        f"/api/chat/sessions/{s['id']}").json()["data"]["messages"]] == ["user"]


def test_history_is_sent_with_the_next_message(env, llm):
    s = session(env)
    llm.script(Provider.text("Hello Ann."), Provider.text("You said your name."))
    say(env, s["id"], "My name is Ann")
    say(env, s["id"], "What did I say?")
    msgs = llm.records()[1]["body"]["messages"]
    assert [(m["role"], m["content"]) for m in msgs[1:]] == [
        ("user", "My name is Ann"), ("assistant", "Hello Ann."), ("user", "What did I say?")]


def test_chat_tickets_endpoint(env, llm):
    s = session(env)
    api = Api(env, AGENT)
    r = api.post("/api/chat/tickets", {"sessionId": s["id"], "title": "From chat",
                                       "description": "Made in the chat page"})
    assert r.status_code == 201, r.text
    t = r.json()["data"]
    assert t["source"] == "chat" and t["chatSessionId"] == s["id"]
    assert_error(api.post("/api/chat/tickets", {"title": "x", "description": "y"}),
                 400, "VALIDATION_ERROR", field="sessionId")
    other = session(env, user=ADMIN)
    assert_error(api.post("/api/chat/tickets", {"sessionId": other["id"], "title": "x",
                                                "description": "y"}),
                 400, "VALIDATION_ERROR", field="sessionId")
    assert_error(api.post("/api/chat/tickets", {"sessionId": s["id"], "title": "x"}),
                 400, "VALIDATION_ERROR", field="description")
    assert_error(Api(env, VIEWER).post("/api/chat/tickets",
                                       {"sessionId": session(env, user=VIEWER)["id"],
                                        "title": "x", "description": "y"}),
                 403, "FORBIDDEN")


# ---- failures ----------------------------------------------------------------------

def test_bad_messages_and_failing_providers(env, llm):
    s = session(env)
    api = Api(env, AGENT)
    path = f"/api/chat/sessions/{s['id']}/messages"
    for body in ({}, {"content": ""}, {"content": "x" * 4001}, {"content": "a", "x": 1}):
        assert_error(api.post(path, body), 400, "VALIDATION_ERROR")
    assert llm.records() == []
    llm.script(Provider.error(500, None), Provider.error(500, None), Provider.error(500, None))
    err = say(env, s["id"], "hello?", status=503)["error"]
    assert err["code"] == "AI_UNAVAILABLE" and "500" in err["message"]
    # the message is kept; the next one is answered with it in the history
    llm.script(Provider.text("Here now."))
    say(env, s["id"], "anyone?")
    assert [m["content"] for m in llm.records()[-1]["body"]["messages"][1:]] == \
        ["hello?", "anyone?"]
    env.psql("UPDATE organizations SET ai_monthly_tokens = 1 WHERE slug = 'acme'")
    try:
        assert_error(api.post(path, {"content": "more"}), 429, "AI_BUDGET_EXCEEDED")
    finally:
        env.psql("UPDATE organizations SET ai_monthly_tokens = NULL WHERE slug = 'acme'")
    env.restart("")
    try:
        assert_error(api.post(path, {"content": "more"}), 503, "AI_UNAVAILABLE")
        assert api.get(f"/api/chat/sessions/{s['id']}").status_code == 200
    finally:
        env.restart(llm.conf)
