"""The AI copilot (SPEC section 10, seed document 003) against a scripted
OpenAI-compatible provider: the four kinds of job, their states and
events, what the provider received (redacted, with the schema and the
key), the correction round, retries, the json_schema fallback, the cache,
the ledger and the budget, jobs that survive a killed child, and
AI_UNAVAILABLE when no provider is configured."""

import json
import os
import time

import pytest

from llm_server import KEY, LEASE, Provider, conf, configured
from tickets_util import (ADMIN, AGENT, AGENT_ID, CUSTOMER, GLOBEX_ADMIN, ORG_ACME, VIEWER,
                          Api, assert_error, create_ticket, kill_job_worker, uniq)
from tkenv import EnvError

@pytest.fixture(scope="module")
def llm(env, tmp_path_factory):
    with configured(env, tmp_path_factory) as p:
        yield p
    env.psql("UPDATE organizations SET ai_monthly_tokens = NULL")


@pytest.fixture(autouse=True)
def fresh(request):
    if "llm" in request.fixturenames:
        request.getfixturevalue("llm").clear()
    yield


def start(env, kind, body, user=AGENT):
    r = Api(env, user).post(f"/api/copilot/v1/{kind}", body)
    assert r.status_code == 202, r.text
    doc = r.json()["data"]
    assert doc["state"] == "queued" and doc["suggestionId"]
    return doc["suggestionId"]


def status(env, sid, user=AGENT):
    r = Api(env, user).get(f"/api/copilot/v1/status/{sid}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def finished(env, sid, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = status(env, sid)
        if s["state"] in ("success", "error"):
            return s
        time.sleep(0.1)
    raise AssertionError(f"suggestion {sid} did not finish: {s}")


def analysis(summary="VPN drops every hour", **extra):
    doc = {"summary": summary, "sentiment": "negative", "category": "network",
           "urgency": "high", "suggestedActions": ["Check the VPN client version"]}
    doc.update(extra)
    return Provider.json_answer(doc)


def ledger(env, ticket_id):
    return env.psql("SELECT purpose, model, prompt_tokens, completion_tokens, estimated, "
                    "cached, outcome, attempts, coalesce(error, '') FROM ai_calls "
                    f"WHERE ticket_id = '{ticket_id}' ORDER BY created_at")


# ---- the four kinds ----------------------------------------------------------

def test_analyze_runs_as_a_job_and_stores_the_validated_answer(env, llm):
    t = create_ticket(env, title="VPN keeps dropping",
                      description="I am ann@example.com, key sk_live_" + "a" * 24)
    llm.script(analysis(summary="  VPN drops every hour  ", extra_field=1))
    sid = start(env, "analyze", {"ticketId": t["id"]})
    s = finished(env, sid)
    assert s["state"] == "success", s
    assert s["kind"] == "analysis" and s["ticketId"] == t["id"] and s["error"] is None
    assert s["content"] == {"summary": "VPN drops every hour", "sentiment": "negative",
                            "category": "network", "urgency": "high",
                            "suggestedActions": ["Check the VPN client version"]}
    assert s["model"] == "test-model" and s["promptTokens"] == 10
    req, = llm.records()
    body = req["body"]
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == f"Bearer {KEY}"
    assert body["model"] == "test-model" and body["max_tokens"] == 1024
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert set(fmt["json_schema"]["schema"]["required"]) >= {"summary", "sentiment"}
    sent = json.dumps(body["messages"])
    assert "VPN keeps dropping" in sent
    assert "ann@example.com" not in sent and "[EMAIL_REDACTED]" in sent
    assert "sk_live_" not in sent and "[TOKEN_REDACTED]" in sent
    # every state change was a copilot_job_updated event for staff
    states = [json.loads(d)["state"] for d, in env.psql(
        "SELECT data FROM stream_events WHERE type = 'copilot_job_updated' AND "
        f"ticket_id = '{t['id']}' ORDER BY id")]
    assert states == ["queued", "running", "success"]
    assert env.psql("SELECT bool_and(staff_only) FROM stream_events WHERE "
                    f"type = 'copilot_job_updated' AND ticket_id = '{t['id']}'") == [["t"]]
    assert ledger(env, t["id"]) == [["copilot.analysis", "test-model", "10", "5", "f", "f",
                                     "ok", "1", ""]]
    listed = Api(env, AGENT).get(f"/api/tickets/{t['id']}/suggestions").json()["data"]
    assert [x["id"] for x in listed] == [sid]
    # by the ticket's key and number too, as every ticket path
    for ref in (t["key"], str(t["number"])):
        again = Api(env, AGENT).get(f"/api/tickets/{ref}/suggestions").json()["data"]
        assert [x["id"] for x in again] == [sid]


def test_suggest_and_draft_reply(env, llm):
    t = create_ticket(env)
    llm.script(Provider.json_answer({"steps": ["Ask for logs", "Reproduce"]}),
               Provider.json_answer({"reply": "Thanks, we are on it."}),
               Provider.json_answer({"reply": "Hey! On it.", "tone": "friendly"}))
    s = finished(env, start(env, "suggest", {"ticketId": t["id"]}))
    assert s["kind"] == "next_steps" and s["content"] == {"steps": ["Ask for logs", "Reproduce"]}
    s = finished(env, start(env, "draft-reply", {"ticketId": t["id"]}))
    assert s["content"] == {"reply": "Thanks, we are on it.", "tone": "professional"}
    assert s["request"] == {"tone": "professional"}
    s = finished(env, start(env, "draft-reply", {"ticketId": t["id"], "tone": "friendly"}))
    assert s["content"]["tone"] == "friendly"
    sent = [json.dumps(r["body"]["messages"]) for r in llm.records()]
    assert "Tone: professional" in sent[1] and "Tone: friendly" in sent[2]


def test_chat_keeps_the_tickets_conversation(env, llm):
    t = create_ticket(env)
    llm.script(Provider.json_answer({"answer": "It started on Monday."}),
               Provider.json_answer({"answer": "Yes, twice."}))
    s = finished(env, start(env, "chat", {"ticketId": t["id"], "message": "When did it start?"}))
    assert s["content"] == {"answer": "It started on Monday."}
    s = finished(env, start(env, "chat", {"ticketId": t["id"], "message": "Did it recur?"},
                            user=ADMIN))
    assert s["content"] == {"answer": "Yes, twice."}
    second = llm.records()[1]["body"]["messages"]
    roles = [(m["role"], m["content"]) for m in second if m["role"] != "system"]
    assert ("user", "When did it start?") in roles
    assert ("assistant", "It started on Monday.") in roles
    assert roles[-1] == ("user", "Did it recur?")


# ---- invalid answers ---------------------------------------------------------------

def test_an_invalid_answer_is_sent_back_once(env, llm):
    t = create_ticket(env)
    llm.script(Provider.json_answer({"summary": "x", "sentiment": "furious", "category": "c"}),
               analysis())
    s = finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    assert s["state"] == "success" and s["content"]["sentiment"] == "negative"
    first, second = llm.records()
    msgs = second["body"]["messages"]
    assert msgs[-2]["role"] == "assistant" and "furious" in msgs[-2]["content"]
    assert msgs[-1]["role"] == "user" and "sentiment" in msgs[-1]["content"]
    assert s["promptTokens"] == 20          # both calls counted


def test_an_answer_invalid_twice_ends_in_error(env, llm):
    t = create_ticket(env)
    llm.script(Provider.text("not json at all"), Provider.json_answer({"steps": []}))
    s = finished(env, start(env, "suggest", {"ticketId": t["id"]}))
    assert s["state"] == "error" and s["content"] is None
    assert s["error"].startswith("The AI's answer was not valid twice: ")
    assert "steps" in s["error"]
    assert len(llm.records()) == 2


# ---- the provider failing ---------------------------------------------------------

def test_429_and_500_are_retried_with_their_waits(env, llm):
    t = create_ticket(env)
    llm.script(Provider.error(429, "rate_limit_exceeded", headers={"retry-after-ms": "300"}),
               {"status": 500, "body": b"<html>oops</html>"},
               analysis())
    s = finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    assert s["state"] == "success", s
    r = llm.records()
    assert len(r) == 3 and r[1]["time"] - r[0]["time"] >= 0.28
    assert ledger(env, t["id"])[0][6:8] == ["ok", "3"]


@pytest.mark.parametrize("answer,why", [
    (Provider.error(429, "insufficient_quota", etype="insufficient_quota"),
     "The AI provider answered 429 (insufficient_quota)."),
    (Provider.error(401, "invalid_api_key", message="Incorrect API key provided: sk-te***kkkk"),
     "The AI provider answered 401 (invalid_api_key)."),
    (Provider.error(403, None), "The AI provider answered 403."),
])
def test_some_failures_are_not_retried(env, llm, answer, why):
    t = create_ticket(env)
    llm.script(answer)
    s = finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    assert s["state"] == "error" and s["error"] == why
    assert len(llm.records()) == 1
    assert "sk-te" not in json.dumps(s)
    assert ledger(env, t["id"])[0][6] == "error"


def test_a_provider_that_keeps_failing_ends_in_error(env, llm):
    t = create_ticket(env)
    llm.script(*[Provider.error(503, None, headers={"retry-after": "0"})] * 3)
    s = finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    assert s["state"] == "error" and s["error"] == "The AI provider answered 503."
    assert len(llm.records()) == 3


def test_a_silent_provider_times_out(env, llm):
    t = create_ticket(env)
    llm.script({"delay": 6, "status": 200, "body": b"{}"})
    s = finished(env, start(env, "analyze", {"ticketId": t["id"]}), timeout=30)
    assert s["state"] == "error" and "timed out" in s["error"], s
    assert len(llm.records()) == 1


def test_json_schema_refused_falls_back_to_json_object(env, llm):
    t = create_ticket(env)
    llm.script(Provider.error(400, None, message="response_format json_schema unsupported"),
               analysis())
    s = finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    assert s["state"] == "success"
    first, second = llm.records()
    assert first["body"]["response_format"]["type"] == "json_schema"
    assert second["body"]["response_format"] == {"type": "json_object"}
    assert "JSON Schema" in second["body"]["messages"][0]["content"]


def test_missing_usage_is_estimated(env, llm):
    t = create_ticket(env)
    llm.script(Provider.json_answer({"steps": ["One"]}, usage=None, ident=None))
    s = finished(env, start(env, "suggest", {"ticketId": t["id"]}))
    assert s["state"] == "success" and s["promptTokens"] > 10
    row, = ledger(env, t["id"])
    assert row[4] == "t" and int(row[2]) > 0 and int(row[3]) > 0


def test_an_unreachable_provider_ends_in_error_and_nothing_else_breaks(env, llm):
    t = create_ticket(env)
    env.restart(conf("http://127.0.0.1:9/v1", llm.keyfile, timeout=3))
    try:
        s = finished(env, start(env, "analyze", {"ticketId": t["id"]}))
        assert s["state"] == "error" and "could not be reached" in s["error"], s
        assert Api(env, AGENT).get(f"/api/tickets/{t['id']}").status_code == 200
        create_ticket(env)
    finally:
        env.restart(llm.conf)


# ---- cache, ledger, budget ------------------------------------------------------------

def test_the_same_request_is_answered_from_the_cache(env, llm):
    t = create_ticket(env)
    llm.script(analysis(), analysis())
    first = finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    second = finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    assert first["content"] == second["content"] and len(llm.records()) == 1
    assert second["promptTokens"] == 0
    rows = ledger(env, t["id"])
    assert [r[5] for r in rows] == ["f", "t"] and rows[1][2:4] == ["0", "0"]
    # a change of the ticket is another request
    assert Api(env, AGENT).patch(f"/api/tickets/{t['id']}",
                                 {"priority": "high"}).status_code == 200
    finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    assert len(llm.records()) == 2


def test_the_budget_is_enforced_and_usage_reported(env, llm):
    admin = Api(env, ADMIN)
    t = create_ticket(env)
    finished(env, start(env, "chat", {"ticketId": t["id"], "message": uniq("q")}))
    usage = admin.get("/api/ai/usage").json()["data"]
    assert usage["tokens"] >= 15 and usage["byPurpose"]["copilot.chat"]["calls"] >= 1
    assert usage["byModel"]["test-model"]["tokens"] >= 15
    assert usage["byUser"][AGENT_ID]["calls"] >= 1
    assert usage["month"] == time.strftime("%Y-%m", time.gmtime())
    r = admin.put("/api/ai/budget", {"monthlyTokens": 10})
    assert r.status_code == 200 and r.json()["data"]["monthlyTokens"] == 10
    assert r.json()["data"]["usedThisMonth"] >= 15
    n = len(env.psql("SELECT 1 FROM ai_suggestions"))
    err = assert_error(Api(env, AGENT).post("/api/copilot/v1/analyze", {"ticketId": t["id"]}),
                       429, "AI_BUDGET_EXCEEDED")
    assert "budget" in err["message"]
    assert len(env.psql("SELECT 1 FROM ai_suggestions")) == n
    assert admin.put("/api/ai/budget", {"monthlyTokens": None}).json()["data"]["monthlyTokens"] is None
    start(env, "analyze", {"ticketId": t["id"]})
    for body in ({"monthlyTokens": -1}, {"monthlyTokens": "10"}, {}, {"x": 1}):
        assert_error(admin.put("/api/ai/budget", body), 400, "VALIDATION_ERROR")
    assert_error(admin.get("/api/ai/usage?month=2026-13"), 400, "INVALID_QUERY")
    assert admin.get("/api/ai/usage?month=2001-01").json()["data"]["calls"] == 0
    for user in (AGENT, VIEWER, CUSTOMER):
        assert_error(Api(env, user).get("/api/ai/usage"), 403, "FORBIDDEN")
        assert_error(Api(env, user).put("/api/ai/budget", {"monthlyTokens": 1}), 403, "FORBIDDEN")
    assert Api(env, GLOBEX_ADMIN).get("/api/ai/usage").json()["data"]["byUser"].get(AGENT_ID) is None


def test_a_budget_spent_while_queued_ends_the_job_in_error(env, llm):
    t = create_ticket(env)
    llm.script({"delay": 1.5, **analysis()})
    sid = start(env, "analyze", {"ticketId": t["id"]})
    env.psql("UPDATE organizations SET ai_monthly_tokens = 0 WHERE id = "
             f"'{ORG_ACME}'")
    try:
        s = finished(env, sid)
        # the job may have called already; if not, it is refused
        if s["state"] == "error":
            assert "budget" in s["error"]
    finally:
        env.psql(f"UPDATE organizations SET ai_monthly_tokens = NULL WHERE id = '{ORG_ACME}'")


# ---- requests that are refused -------------------------------------------------------

def test_bad_requests_change_nothing(env, llm):
    t = create_ticket(env)
    api = Api(env, AGENT)
    n = len(env.psql("SELECT 1 FROM ai_suggestions"))
    for kind, body, field in [
        ("analyze", {}, "ticketId"),
        ("analyze", {"ticketId": "47"}, "ticketId"),
        ("analyze", {"ticketId": t["id"], "extra": 1}, "extra"),
        ("chat", {"ticketId": t["id"]}, "message"),
        ("chat", {"ticketId": t["id"], "message": ""}, "message"),
        ("chat", {"ticketId": t["id"], "message": "x" * 1001}, "message"),
        ("draft-reply", {"ticketId": t["id"], "tone": "rude"}, "tone"),
    ]:
        assert_error(api.post(f"/api/copilot/v1/{kind}", body), 400, "VALIDATION_ERROR",
                     field=field)
    assert_error(api.post("/api/copilot/v1/summon", {"ticketId": t["id"]}), 404, "NOT_FOUND")
    assert_error(api.post("/api/copilot/v1/analyze",
                          {"ticketId": "00000000-0000-4000-8000-000000000000"}),
                 404, "NOT_FOUND")
    assert_error(Api(env, GLOBEX_ADMIN).post("/api/copilot/v1/analyze", {"ticketId": t["id"]}),
                 404, "NOT_FOUND")
    assert_error(Api(env, CUSTOMER).post("/api/copilot/v1/analyze", {"ticketId": t["id"]}),
                 403, "FORBIDDEN")
    assert len(env.psql("SELECT 1 FROM ai_suggestions")) == n
    assert llm.records() == []
    # reading
    sid = start(env, "analyze", {"ticketId": t["id"]}, user=VIEWER)
    assert_error(Api(env, GLOBEX_ADMIN).get(f"/api/copilot/v1/status/{sid}"), 404, "NOT_FOUND")
    assert_error(Api(env, CUSTOMER).get(f"/api/copilot/v1/status/{sid}"), 403, "FORBIDDEN")
    assert_error(api.get("/api/copilot/v1/status/nope"), 404, "NOT_FOUND")
    assert_error(Api(env, GLOBEX_ADMIN).get(f"/api/tickets/{t['id']}/suggestions"),
                 404, "NOT_FOUND")
    assert_error(api.get(f"/api/tickets/{t['id']}/suggestions?kind=poem"), 400, "INVALID_QUERY")
    assert api.get(f"/api/tickets/{t['id']}/suggestions?kind=chat").json()["data"] == []
    finished(env, sid)


def test_unconfigured_the_copilot_answers_ai_unavailable(env, llm):
    t = create_ticket(env)
    env.restart("")
    try:
        err = assert_error(Api(env, AGENT).post("/api/copilot/v1/analyze", {"ticketId": t["id"]}),
                           503, "AI_UNAVAILABLE")
        assert "configured" in err["message"]
        assert Api(env, AGENT).get(f"/api/tickets/{t['id']}").status_code == 200
    finally:
        env.restart(llm.conf)


def test_the_timeout_must_be_shorter_than_the_lease(env, llm):
    mark = env.log_mark()
    env.expect_log(r"TK00103|AH00016")
    with pytest.raises(EnvError):
        env.restart(conf(llm.url, llm.keyfile, timeout=LEASE))
    assert any("TK00103" in line for line in env.error_log_lines_since(mark))
    env.restart(llm.conf)


def test_an_unreadable_key_file_stops_the_server(env, llm, tmp_path):
    env.expect_log(r"TK00101|TK00105|AH00016")
    with pytest.raises(EnvError):
        env.restart(conf(llm.url, "/nonexistent/key"))
    shared = tmp_path / "shared.key"
    shared.write_text(KEY + "\n")
    os.chmod(shared, 0o644)
    mark = env.log_mark()
    with pytest.raises(EnvError):
        env.restart(conf(llm.url, shared))
    assert any("TK00105" in line for line in env.error_log_lines_since(mark))
    env.restart(llm.conf)


# ---- nothing lost, nothing leaked --------------------------------------------------

@pytest.mark.allow_log(r"TK00067")
def test_a_killed_child_loses_no_suggestion(env, llm):
    t = create_ticket(env)
    llm.script({"delay": 3, **analysis()}, analysis(summary="second try"))
    sid = start(env, "analyze", {"ticketId": t["id"]})
    llm.wait_for(1)
    kill_job_worker(env, f"id = (SELECT job_id FROM ai_suggestions WHERE id = '{sid}')")
    s = finished(env, sid, timeout=60)
    assert s["state"] == "success" and s["content"]["summary"] == "second try"


def test_the_sweep_ends_a_suggestion_whose_job_died(env, llm):
    from test_jobs import run_now
    t = create_ticket(env)
    sid = start(env, "analyze", {"ticketId": t["id"]})
    finished(env, sid)
    env.psql(f"UPDATE ai_suggestions SET state = 'running', created_at = now() - "
             f"interval '1 hour' WHERE id = '{sid}'")
    run_now(env, "copilot.sweep")
    s = finished(env, sid)
    assert s["state"] == "error" and "ask again" in s["error"]


def test_the_key_never_reaches_the_log(env, llm):
    t = create_ticket(env)
    llm.script(Provider.error(401, "invalid_api_key", message=f"bad key {KEY}"))
    finished(env, start(env, "analyze", {"ticketId": t["id"]}))
    with open(env.error_log, errors="replace") as f:
        assert KEY not in f.read()
    assert KEY not in json.dumps(env.psql("SELECT * FROM ai_calls"))


def test_expired_answers_are_purged(env, llm):
    from test_jobs import run_now
    from tickets_util import ORG_ACME
    env.psql("INSERT INTO ai_cache (org_id, key, answer, expires_at) VALUES "
             f"('{ORG_ACME}', repeat('e', 64), '{{}}', now() - interval '1 minute'), "
             f"('{ORG_ACME}', repeat('f', 64), '{{}}', now() + interval '1 hour')")
    run_now(env, "purge.ai_cache")
    deadline = time.time() + 20
    while time.time() < deadline and env.psql(
            "SELECT count(*) FROM ai_cache WHERE key = repeat('e', 64)") != [["0"]]:
        time.sleep(0.2)
    assert env.psql("SELECT key = repeat('f', 64) FROM ai_cache WHERE key IN "
                    "(repeat('e', 64), repeat('f', 64))") == [["t"]]
    env.psql("DELETE FROM ai_cache WHERE key = repeat('f', 64)")
