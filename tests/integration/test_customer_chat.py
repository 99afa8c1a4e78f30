"""The AI in the web chat and the handoff to a human (SPEC section 10,
seed document 000) against a scripted OpenAI-compatible provider: a web
chat opens in mode ai, each customer message is answered from the stored
thread and the published FAQ articles and stored as sender ai (so a reload
shows the whole thread), the model's own handoff, a provider that fails,
and POST /api/conversations/:id/transfer with and without a ticket, with
the provider up and down."""

import json
import time

import pytest

from llm_server import Provider, conf, configured, llm, fresh_llm  # noqa: F401 (fixtures)
from tickets_util import (ADMIN, AGENT, CUSTOMER, GLOBEX_ADMIN, VIEWER, Api, assert_error,
                          kill_job_worker)


def open_chat(env, content):
    r = Api(env, CUSTOMER).post("/api/conversations", {"content": content})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def messages(env, cid, user=CUSTOMER):
    r = Api(env, user).get(f"/api/conversations/{cid}/messages?limit=100")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def wait_messages(env, cid, n, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ms = messages(env, cid)
        if len(ms) >= n:
            return ms
        time.sleep(0.1)
    raise AssertionError(f"{cid} has {len(ms)} messages, not {n}")


def conversation(env, cid, user=CUSTOMER):
    return Api(env, user).get(f"/api/conversations/{cid}").json()["data"]


def test_the_ai_answers_and_the_thread_survives_a_reload(env, llm):
    llm.script(Provider.text("Choose \"Forgot password\" on the sign-in page [FAQ x]."),
               Provider.text("The link is valid for one hour."))
    v = open_chat(env, "How do I reset my password? I am casey@example.com")
    assert v["mode"] == "ai"
    first = wait_messages(env, v["id"], 2)
    assert [m["sender"] for m in first] == ["customer", "ai"]
    assert first[1]["content"].startswith("Choose")
    req = llm.records()[0]["body"]
    system = req["messages"][0]["content"]
    assert "How do I reset my password?" in system and "[FAQ " in system
    assert "Why was my card declined?" not in system        # only what matches
    assert "Exporting reports" not in system                 # drafts never
    assert req["messages"][-1] == {"role": "user",
                                   "content": "How do I reset my password? I am "
                                              "[EMAIL_REDACTED]"}
    assert [t["function"]["name"] for t in req["tools"]] == ["handoff_to_human"]
    # the next message is answered with the stored thread
    r = Api(env, CUSTOMER).post(f"/api/conversations/{v['id']}/messages",
                                {"content": "How long is the link valid?"})
    assert r.status_code == 201, r.text
    ms = wait_messages(env, v["id"], 4)
    assert [m["sender"] for m in ms] == ["customer", "ai", "customer", "ai"]
    roles = [m["role"] for m in llm.records()[1]["body"]["messages"][1:]]
    assert roles == ["user", "assistant", "user"]
    # every message was a live event, and the ledger knows the conversation
    assert int(env.psql("SELECT count(*) FROM stream_events WHERE type = 'new_message' AND "
                        f"conversation_id = '{v['id']}'")[0][0]) == 4
    assert env.psql("SELECT DISTINCT purpose FROM ai_calls WHERE conversation_id = "
                    f"'{v['id']}'") == [["customer_chat"]]


def test_the_model_hands_over_itself(env, llm):
    llm.script(Provider.tool_calls([("handoff_to_human", {"reason": "Refund request"})]),
               Provider.text("Casey wants a refund."))
    v = open_chat(env, "I want my money back, get me a person")
    ms = wait_messages(env, v["id"], 2)
    assert ms[1]["sender"] == "system"
    note = ms[1]["content"]
    assert "Reason: Refund request" in note and "Summary: Casey wants a refund." in note
    assert "customer: I want my money back, get me a person" in note
    assert conversation(env, v["id"])["mode"] == "human"
    # with a human, no more AI answers
    Api(env, CUSTOMER).post(f"/api/conversations/{v['id']}/messages", {"content": "hello?"})
    time.sleep(1.5)
    assert [m["sender"] for m in messages(env, v["id"])] == ["customer", "system", "customer"]
    assert len(llm.records()) == 2


def test_a_failing_provider_hands_the_customer_to_a_human(env, llm):
    llm.script(*[Provider.error(500, None)] * 3)
    v = open_chat(env, "My order is late")
    ms = wait_messages(env, v["id"], 2)
    assert ms[1]["sender"] == "system" and "a human agent will reply" in ms[1]["content"]
    assert conversation(env, v["id"])["mode"] == "human"
    assert env.psql("SELECT count(*) FROM stream_events WHERE type = 'conversation_updated' "
                    f"AND conversation_id = '{v['id']}'") == [["1"]]


def test_transfer_writes_the_handoff_and_opens_a_ticket(env, llm):
    llm.script(Provider.text("Hi! What is wrong?"), Provider.text("Printer jams daily."))
    v = open_chat(env, "My printer jams")
    wait_messages(env, v["id"], 2)
    r = Api(env, CUSTOMER).post(f"/api/conversations/{v['id']}/transfer", {"openTicket": True})
    assert r.status_code == 200, r.text
    out = r.json()["data"]
    assert out["conversation"]["mode"] == "human"
    note = out["note"]
    assert note["sender"] == "system"
    assert "Summary: Printer jams daily." in note["content"]
    assert "customer: My printer jams\nai: Hi! What is wrong?" in note["content"]
    t = out["ticket"]
    assert t["conversationId"] == v["id"] and t["source"] == "web"
    detail = Api(env, AGENT).get(f"/api/tickets/{t['id']}").json()["data"]
    internal = [m for m in detail["messages"] if m.get("internal")]
    assert internal and "Transcript:" in internal[0]["content"]
    mine = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}").json()["data"]
    assert not [m for m in mine["messages"] if m.get("internal")]
    # what the customer reads of the ticket is their own first message
    assert [m["content"] for m in mine["messages"]] == ["My printer jams"]
    assert "Transcript" not in json.dumps(mine) and "Summary" not in json.dumps(mine)
    assert_error(Api(env, CUSTOMER).post(f"/api/conversations/{v['id']}/transfer", {}),
                 409, "CONFLICT")


def test_transfer_works_with_the_provider_down(env, llm):
    llm.script(Provider.text("Let me check."))
    v = open_chat(env, "Where is my invoice?")
    wait_messages(env, v["id"], 2)
    env.restart(conf("http://127.0.0.1:9/v1", llm.keyfile, timeout=2))
    try:
        r = Api(env, AGENT).post(f"/api/conversations/{v['id']}/transfer", {})
        assert r.status_code == 200, r.text
        note = r.json()["data"]["note"]["content"]
        assert "Summary:" not in note
        assert "customer: Where is my invoice?\nai: Let me check." in note
        assert r.json()["data"]["ticket"] is None
    finally:
        env.restart(llm.conf)


def test_who_may_transfer(env, llm):
    v = open_chat(env, "Hello")
    wait_messages(env, v["id"], 2)
    assert_error(Api(env, VIEWER).post(f"/api/conversations/{v['id']}/transfer", {}),
                 403, "FORBIDDEN")
    assert_error(Api(env, GLOBEX_ADMIN).post(f"/api/conversations/{v['id']}/transfer", {}),
                 404, "NOT_FOUND")
    assert_error(Api(env, ADMIN).post(f"/api/conversations/{v['id']}/transfer",
                                      {"openTicket": "yes"}), 400, "VALIDATION_ERROR")
    assert conversation(env, v["id"])["mode"] == "ai"


def test_without_a_provider_or_with_ai_off_a_web_chat_is_human(env, llm):
    env.psql("UPDATE channels SET settings = settings || '{\"ai\": false}' "
             "WHERE platform = 'web' AND org_id = (SELECT org_id FROM users "
             "WHERE email = 'customer@acme.test')")
    try:
        v = open_chat(env, "Hi there")
        assert v["mode"] == "human"
        # handing over what a human has already costs nothing
        assert_error(Api(env, CUSTOMER).post(f"/api/conversations/{v['id']}/transfer", {}),
                     409, "CONFLICT")
        assert llm.records() == []
    finally:
        env.psql("UPDATE channels SET settings = settings - 'ai' WHERE platform = 'web'")
    env.restart("")
    try:
        v = open_chat(env, "Hi again")
        assert v["mode"] == "human"
        time.sleep(1)
        assert len(messages(env, v["id"])) == 1
        assert_error(Api(env, CUSTOMER).post(f"/api/conversations/{v['id']}/transfer", {}),
                     409, "CONFLICT")
    finally:
        env.restart(llm.conf)
    assert llm.records() == []
    assert json.dumps(conversation(env, v["id"], user=AGENT))


def test_an_answer_that_comes_after_the_handoff_is_dropped(env, llm):
    llm.script({"delay": 2, **Provider.text("Too late.")}, Provider.text("Casey's summary."))
    v = open_chat(env, "Is anyone there?")
    llm.wait_for(1)                        # the AI is thinking
    r = Api(env, AGENT).post(f"/api/conversations/{v['id']}/transfer", {})
    assert r.status_code == 200, r.text
    time.sleep(3)
    assert [m["sender"] for m in messages(env, v["id"])] == ["customer", "system"]


def test_a_job_run_again_does_not_answer_twice(env, llm):
    llm.script(Provider.text("Hello Casey."))
    v = open_chat(env, "Hello")
    first = wait_messages(env, v["id"], 2)
    # as if the job's worker had died after the answer was stored
    env.psql("INSERT INTO jobs (org_id, kind, payload) SELECT org_id, 'conversation.ai', "
             f"jsonb_build_object('conversationId', id, 'messageId', '{first[0]['id']}') "
             f"FROM conversations WHERE id = '{v['id']}'; NOTIFY tickets_jobs;")
    time.sleep(2)
    assert len(messages(env, v["id"])) == 2 and len(llm.records()) == 1


@pytest.mark.allow_log(r"TK00067")
def test_a_killed_child_loses_no_answer(env, llm):
    llm.script({"delay": 3, **Provider.text("First try.")}, Provider.text("Second try."))
    v = open_chat(env, "Are you there?")
    llm.wait_for(1)
    kill_job_worker(env, "kind = 'conversation.ai' AND "
                         f"payload->>'conversationId' = '{v['id']}'")
    ms = wait_messages(env, v["id"], 2, timeout=60)
    assert [m["sender"] for m in ms] == ["customer", "ai"]
    assert ms[1]["content"] == "Second try."
    time.sleep(1)
    assert len(messages(env, v["id"])) == 2
