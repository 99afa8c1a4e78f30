"""Outbound webhook subscriptions (SPEC section 8, docs/webhooks.md).

Admins subscribe a URL to event types; every matching event becomes a
delivery in the transaction of its change, and a worker posts it, signed
the Standard Webhooks way, to a local receiver (receiver.py) that checks
every signature itself.  Retries follow the standard's schedule and the
receiver's Retry-After; 410 disables; a failed delivery shows on the
subscription and on the audit row; any delivery can be replayed; a
rotated secret signs beside the new one for the overlap; a graceful
restart or a killed child loses nothing; a URL that resolves to an address
the server must not reach is refused, when registered and when sent to.
"""

import base64
import json
import re
import threading
import time
from datetime import datetime, timezone

import pytest

from receiver import Receiver, signature_of, verify
from test_jobs import run_now
from tickets_util import (ADMIN, AGENT, GLOBEX_ADMIN, ORG_ACME, Api, assert_error,
                          create_ticket, kill_job_worker, uniq)
from tkenv import EnvError

LEASE = 5
CONF = f"""
TicketsJobLease {LEASE}
TicketsJobPollInterval 1
TicketsHttpTimeout {LEASE - 1}
TicketsWebhookTimeout 2
"""

# The published test vector of the Standard Webhooks specification.
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": "1614265330",
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


@pytest.fixture(scope="module")
def hooks(env):
    env.restart(CONF)
    yield env
    env.psql("UPDATE webhook_subscriptions SET deleted_at = now(), enabled = false "
             "WHERE deleted_at IS NULL")
    env.restart("")


@pytest.fixture
def rx():
    with Receiver() as r:
        yield r


@pytest.fixture
def subs(hooks):
    """Subscriptions made by the test, deleted after it."""
    made = []
    yield made
    api = Api(hooks, ADMIN)
    for sid in made:
        api.delete(f"/api/webhooks/{sid}")


def subscribe(env, subs, url, events, user=ADMIN, **extra):
    r = Api(env, user).post("/api/webhooks", {"url": url, "events": events, **extra})
    assert r.status_code == 201, r.text
    doc = r.json()["data"]
    subs.append(doc["id"])
    return doc


def wait_until(check, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = check()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def deliveries(env, sid, **q):
    r = Api(env, ADMIN).get(f"/api/webhooks/{sid}/deliveries", params=q)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def delivery(env, did):
    r = Api(env, ADMIN).get(f"/api/webhooks/deliveries/{did}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def settled(env, did, timeout=20):
    return wait_until(lambda: (lambda d: d if d["state"] != "pending" else None)(
        delivery(env, did)), timeout, f"delivery {did} settled")


def attempted(env, did, n, timeout=20):
    return wait_until(lambda: (lambda d: d if d["attempts"] >= n else None)(
        delivery(env, did)), timeout, f"attempt {n} of delivery {did}")


def due_now(env, did):
    """The delivery's next attempt, due now rather than after the
    schedule's wait (which the test has checked)."""
    env.psql("UPDATE jobs SET run_at = now() WHERE id = (SELECT job_id FROM "
             f"webhook_deliveries WHERE id = '{did}'); NOTIFY tickets_jobs;")


def only_delivery(env, sid, n=1):
    return wait_until(lambda: (lambda d: d if len(d) == n else None)(deliveries(env, sid)),
                      20, f"{n} deliveries of {sid}")


def check_signed(rec, secret):
    h = rec["headers"]
    assert re.fullmatch(r"msg_[0-9a-f]{32}", h["webhook-id"]), h
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 60
    assert h["Content-Type"] == "application/json"
    assert verify(secret, h, rec["body"], now=int(time.time())), h
    return json.loads(rec["body"])


# ---- the receiver's own check ---------------------------------------------------

def test_the_receivers_check_passes_the_published_vector():
    v = VECTOR
    assert "v1," + signature_of(v["secret"], v["id"], v["timestamp"], v["body"]) == v["signature"]
    h = {"webhook-id": v["id"], "webhook-timestamp": v["timestamp"],
         "webhook-signature": "v1,bm9ub25l " + v["signature"]}
    assert verify(v["secret"], h, v["body"])
    assert not verify(v["secret"], h, v["body"] + b" ")
    assert not verify(v["secret"], dict(h, **{"webhook-id": "msg_other"}), v["body"])
    assert not verify(v["secret"], h, v["body"], now=int(v["timestamp"]) + 301)


# ---- registration ----------------------------------------------------------------

def test_create_shows_the_secret_once(hooks, rx, subs):
    r = Api(hooks, ADMIN).post("/api/webhooks", {"url": rx.url, "events": ["ticket_created"]})
    assert r.status_code == 201, r.text
    doc = r.json()["data"]
    subs.append(doc["id"])
    assert r.headers["Location"] == f"/api/webhooks/{doc['id']}"
    secret = doc["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:], validate=True)) == 32
    assert doc["url"] == rx.url and doc["events"] == ["ticket_created"]
    assert doc["enabled"] is True and doc["disabledReason"] is None
    got = Api(hooks, ADMIN).get(f"/api/webhooks/{doc['id']}")
    assert got.status_code == 200 and "secret" not in got.json()["data"]
    assert got.headers.get("ETag")
    listed = Api(hooks, ADMIN).get("/api/webhooks").json()
    mine = [s for s in listed["data"] if s["id"] == doc["id"]]
    assert mine and "secret" not in mine[0]
    assert secret not in json.dumps(listed)
    assert hooks.psql(f"SELECT count(*) FROM stream_events WHERE data LIKE '%{secret[6:]}%'") \
        == [["0"]]


@pytest.mark.parametrize("body,field", [
    ({"url": "ftp://127.0.0.1/x", "events": ["ticket_created"]}, "url"),
    ({"url": "http://user:pw@127.0.0.1/x", "events": ["ticket_created"]}, "url"),
    ({"url": "http://127.0.0.1/x#frag", "events": ["ticket_created"]}, "url"),
    ({"url": "http:///x", "events": ["ticket_created"]}, "url"),
    ({"url": "http://127.1/x", "events": ["ticket_created"]}, "url"),
    ({"url": "http://127.0.0.1:99999/x", "events": ["ticket_created"]}, "url"),
    ({"url": "http://exa mple.com/", "events": ["ticket_created"]}, "url"),
    ({"url": "https://" + "a" * 2050 + ".com/", "events": ["ticket_created"]}, "url"),
    ({"url": 5, "events": ["ticket_created"]}, "url"),
    ({"events": ["ticket_created"]}, "url"),
    ({"url": "http://127.0.0.1:9/x", "events": []}, "events"),
    ({"url": "http://127.0.0.1:9/x", "events": ["no_such_event"]}, "events"),
    ({"url": "http://127.0.0.1:9/x", "events": ["ticket_created", "ticket_created"]}, "events"),
    ({"url": "http://127.0.0.1:9/x", "events": "ticket_created"}, "events"),
    ({"url": "http://127.0.0.1:9/x", "events": ["*"], "enabled": "yes"}, "enabled"),
    ({"url": "http://127.0.0.1:9/x", "events": ["*"], "secret": "whsec_x"}, "secret"),
])
def test_bad_subscriptions_are_refused(hooks, body, field):
    before = hooks.psql("SELECT count(*) FROM webhook_subscriptions")
    r = Api(hooks, ADMIN).post("/api/webhooks", body)
    assert_error(r, 400, "VALIDATION_ERROR", field=field)
    assert hooks.psql("SELECT count(*) FROM webhook_subscriptions") == before


@pytest.mark.parametrize("url,why", [
    ("http://93.184.215.14/hook", "https"),               # public, plain http
    ("https://0.0.0.0/hook", "reserved"),
    ("https://224.0.0.1/hook", "reserved"),
    ("https://192.0.2.10/hook", "reserved"),
    ("https://[2001:db8::1]/hook", "reserved"),
    ("https://no-such-host.invalid/hook", "resolve"),
])
def test_urls_no_server_may_send_to_are_refused(hooks, url, why):
    r = Api(hooks, ADMIN).post("/api/webhooks", {"url": url, "events": ["*"]})
    err = assert_error(r, 400, "VALIDATION_ERROR", field="url")
    assert why in err["message"], err


def test_the_servers_own_listener_is_refused(hooks):
    for host in ("127.0.0.1", "localhost", "[::ffff:127.0.0.1]"):
        r = Api(hooks, ADMIN).post("/api/webhooks", {
            "url": f"http://{host}:{hooks.port}/api/tickets", "events": ["*"]})
        err = assert_error(r, 400, "VALIDATION_ERROR", field="url")
        assert "this server" in err["message"], (host, err)


def test_only_admins_manage_subscriptions(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["*"])
    for method, path in (("GET", "/api/webhooks"), ("POST", "/api/webhooks"),
                         ("GET", f"/api/webhooks/{doc['id']}"),
                         ("POST", f"/api/webhooks/{doc['id']}/rotate"),
                         ("POST", f"/api/webhooks/{doc['id']}/test"),
                         ("GET", f"/api/webhooks/{doc['id']}/deliveries")):
        r = Api(hooks, AGENT).req(method, path, {"url": rx.url, "events": ["*"]}
                                  if method == "POST" and path == "/api/webhooks" else None)
        assert_error(r, 403, "FORBIDDEN")
    # another organization's admin does not see it
    for method, path in (("GET", f"/api/webhooks/{doc['id']}"),
                         ("PATCH", f"/api/webhooks/{doc['id']}"),
                         ("DELETE", f"/api/webhooks/{doc['id']}"),
                         ("POST", f"/api/webhooks/{doc['id']}/test"),
                         ("GET", f"/api/webhooks/{doc['id']}/deliveries")):
        r = Api(hooks, GLOBEX_ADMIN).req(method, path, {"enabled": False}
                                         if method == "PATCH" else None)
        assert_error(r, 404, "NOT_FOUND")
    assert Api(hooks, ADMIN).get(f"/api/webhooks/{doc['id']}").json()["data"]["enabled"]


def test_update_and_delete(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    api = Api(hooks, ADMIN)
    r = api.patch(f"/api/webhooks/{doc['id']}", {"events": ["ticket_updated", "UPDATED"],
                                                   "enabled": False})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["events"] == ["ticket_updated", "UPDATED"] and d["enabled"] is False
    assert_error(api.patch(f"/api/webhooks/{doc['id']}", {}), 400, "VALIDATION_ERROR")
    assert_error(api.patch(f"/api/webhooks/{doc['id']}", {"url": "https://0.0.0.0/"}),
                 400, "VALIDATION_ERROR", field="url")
    assert_error(api.patch(f"/api/webhooks/{doc['id']}", {"enabled": True},
                           headers={"If-Match": '"999"'}), 412, "PRECONDITION_FAILED")
    assert api.delete(f"/api/webhooks/{doc['id']}").status_code == 204
    assert_error(api.get(f"/api/webhooks/{doc['id']}"), 404, "NOT_FOUND")
    assert_error(api.get("/api/webhooks/not-a-uuid"), 404, "NOT_FOUND")
    assert_error(api.get("/api/webhooks", params={"enabled": "maybe"}), 400, "INVALID_QUERY")
    assert_error(api.get(f"/api/webhooks/{doc['id']}/deliveries", params={"state": "x"}),
                 400, "INVALID_QUERY")


# ---- delivery ----------------------------------------------------------------------

def test_events_are_delivered_signed(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created", "TICKET_CREATED"])
    t = create_ticket(hooks)
    recs = rx.wait_for(2)
    bodies = {}
    for rec in recs:
        body = check_signed(rec, doc["secret"])
        assert set(body) == {"type", "timestamp", "data"}
        bodies[body["type"]] = body
        assert rec["path"] == "/hook"
    assert bodies["ticket_created"]["data"]["id"] == t["id"]
    audit = bodies["TICKET_CREATED"]["data"]
    assert audit["ticketId"] == t["id"] and audit["type"] == "TICKET_CREATED"
    assert len({r["headers"]["webhook-id"] for r in recs}) == 2
    ds = only_delivery(hooks, doc["id"], 2)
    for d in ds:
        d = settled(hooks, d["id"])
        assert d["state"] == "delivered" and d["attempts"] == 1 and d["lastStatus"] == 200
        assert d["deliveredAt"] and d["lastError"] is None and d["lastResponse"] == '{"ok": true}'
        assert d["webhookId"] in {r["headers"]["webhook-id"] for r in recs}
        assert json.dumps(d["payload"], sort_keys=True) in {
            json.dumps(json.loads(r["body"]), sort_keys=True) for r in recs}
    # the audit row says it was delivered (SPEC section 6)
    ev = [e for e in Api(hooks, AGENT).get(f"/api/tickets/{t['id']}/events").json()["data"]
          if e["type"] == "TICKET_CREATED"][0]
    assert ev["deliveredAt"] and ev["deliveryAttempts"] == 1 and ev["lastError"] is None
    sub = Api(hooks, ADMIN).get(f"/api/webhooks/{doc['id']}").json()["data"]
    assert sub["lastDeliveredAt"]


def test_only_wanted_events_of_the_own_organization_are_delivered(hooks, rx, subs):
    subscribe(hooks, subs, rx.url, ["ticket_updated"])
    create_ticket(hooks)                                   # not wanted
    create_ticket(hooks, user=GLOBEX_ADMIN)               # another organization
    t = create_ticket(hooks)
    r = Api(hooks, AGENT).patch(f"/api/tickets/{t['id']}", {"priority": "high"})
    assert r.status_code == 200, r.text
    rec, = rx.wait_for(1)
    assert json.loads(rec["body"])["type"] == "ticket_updated"
    assert json.loads(rec["body"])["data"]["id"] == t["id"]
    time.sleep(1.5)
    assert len(rx.records()) == 1


def test_a_rolled_back_change_makes_no_delivery(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["*"])
    hooks.psql("BEGIN; INSERT INTO stream_events (org_id, type, data) "
               f"VALUES ('{ORG_ACME}', 'customer_created', '{{}}'); ROLLBACK;")
    assert hooks.psql(f"SELECT count(*) FROM webhook_deliveries WHERE subscription_id = "
                      f"'{doc['id']}'") == [["0"]]
    hooks.psql("BEGIN; INSERT INTO stream_events (org_id, type, data) "
               f"VALUES ('{ORG_ACME}', 'customer_created', '{{\"id\": 1}}'); COMMIT; "
               "NOTIFY tickets_stream;")
    rec, = rx.wait_for(1)
    assert json.loads(rec["body"]) ["data"] == {"id": 1}


def test_the_test_endpoint_sends_a_ping(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_deleted"], enabled=False)
    r = Api(hooks, ADMIN).post(f"/api/webhooks/{doc['id']}/test")
    assert r.status_code == 202, r.text
    d = r.json()["data"]
    assert d["eventType"] == "webhook.test" and d["state"] == "pending"
    rec, = rx.wait_for(1)
    body = check_signed(rec, doc["secret"])
    assert body["type"] == "webhook.test" and body["data"] == {"subscriptionId": doc["id"]}
    assert rec["headers"]["webhook-id"] == d["webhookId"]
    assert settled(hooks, d["id"])["state"] == "delivered"


# ---- retries ---------------------------------------------------------------------

def _when(ts):
    return datetime.strptime(ts.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z" if "."
                             in ts else "%Y-%m-%dT%H:%M:%S%z").timestamp()


@pytest.mark.allow_log(r"TK00065")
def test_a_500_is_retried_on_the_schedule_with_the_same_id(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((500, {}, 0))
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    d = attempted(hooks, d["id"], 1)
    assert d["state"] == "pending" and d["lastStatus"] == 500
    assert d["lastError"] == "The receiver answered 500." and d["lastResponse"] == "no"
    wait = _when(d["nextAttemptAt"]) - _when(d["lastAttemptAt"])
    assert 3.9 <= wait <= 6.1, wait                     # 5 s, +-20 %
    due_now(hooks, d["id"])
    d = settled(hooks, d["id"])
    assert d["state"] == "delivered" and d["attempts"] == 2 and d["lastError"] is None
    first, second = rx.wait_for(2)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"]
    for rec in (first, second):
        check_signed(rec, doc["secret"])


@pytest.mark.allow_log(r"TK00065")
def test_a_2xx_whose_body_is_cut_short_is_retried(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((200, {"Content-Length": 500}, 0))
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    d = attempted(hooks, d["id"], 1)
    assert d["state"] == "pending" and d["lastStatus"] == 200, d
    assert d["lastError"].startswith("The receiver answered 200, but the exchange did "
                                     "not complete: "), d
    due_now(hooks, d["id"])
    d = settled(hooks, d["id"])
    assert d["state"] == "delivered" and d["attempts"] == 2


@pytest.mark.allow_log(r"TK00065")
def test_a_timeout_is_retried(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((200, {}, 3.5))                             # TicketsWebhookTimeout is 2
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    d = attempted(hooks, d["id"], 1)
    assert d["state"] == "pending" and "timed out" in d["lastError"], d
    due_now(hooks, d["id"])
    assert settled(hooks, d["id"])["state"] == "delivered"


@pytest.mark.allow_log(r"TK00065")
def test_retry_after_is_honoured(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((429, {"Retry-After": "120"}, 0))
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    d = attempted(hooks, d["id"], 1)
    wait = _when(d["nextAttemptAt"]) - _when(d["lastAttemptAt"])
    assert 119 <= wait <= 121, wait
    run_at = hooks.psql("SELECT extract(epoch FROM run_at - now()) FROM jobs WHERE id = "
                        f"(SELECT job_id FROM webhook_deliveries WHERE id = '{d['id']}')")
    assert 100 < float(run_at[0][0]) <= 121


@pytest.mark.allow_log(r"TK00097")
def test_410_disables_the_subscription(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((410, {}, 0))
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    d = settled(hooks, d["id"])
    assert d["state"] == "failed" and d["lastStatus"] == 410 and "410" in d["lastError"]
    sub = Api(hooks, ADMIN).get(f"/api/webhooks/{doc['id']}").json()["data"]
    assert sub["enabled"] is False and "410" in sub["disabledReason"]
    assert sub["lastFailedAt"] and "410" in sub["lastError"]
    create_ticket(hooks)
    time.sleep(1)
    assert len(deliveries(hooks, doc["id"])) == 1 and len(rx.records()) == 1
    r = Api(hooks, ADMIN).patch(f"/api/webhooks/{doc['id']}", {"enabled": True})
    assert r.json()["data"]["enabled"] and r.json()["data"]["disabledReason"] is None
    create_ticket(hooks)
    rx.wait_for(2)


@pytest.mark.allow_log(r"TK00065", r"TK00098")
def test_after_the_last_attempt_the_delivery_fails_and_shows_everywhere(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["TICKET_CREATED"])
    rx.queue((503, {}, 0), (503, {}, 0))
    t = create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    attempted(hooks, d["id"], 1)
    # as if eight more attempts had failed: the next is the tenth and last
    hooks.psql("UPDATE jobs SET attempts = 9, run_at = now() WHERE id = (SELECT job_id "
               f"FROM webhook_deliveries WHERE id = '{d['id']}'); NOTIFY tickets_jobs;")
    d = settled(hooks, d["id"])
    assert d["state"] == "failed" and d["attempts"] == 2 and d["nextAttemptAt"] is None
    assert d["lastError"] == "The receiver answered 503."
    sub = Api(hooks, ADMIN).get(f"/api/webhooks/{doc['id']}").json()["data"]
    assert sub["enabled"] and sub["lastFailedAt"] and sub["lastError"] == d["lastError"]
    ev = [e for e in Api(hooks, AGENT).get(f"/api/tickets/{t['id']}/events").json()["data"]
          if e["type"] == "TICKET_CREATED"][0]
    assert ev["deliveredAt"] is None and ev["deliveryAttempts"] == 2
    assert ev["lastError"] == "The receiver answered 503."
    assert deliveries(hooks, doc["id"], state="failed")[0]["id"] == d["id"]
    assert deliveries(hooks, doc["id"], state="delivered") == []


# ---- replay, rotation ---------------------------------------------------------------

def test_replay_sends_the_same_message_again(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    settled(hooks, d["id"])
    r = Api(hooks, ADMIN).post(f"/api/webhooks/deliveries/{d['id']}/replay")
    assert r.status_code == 202, r.text
    assert r.json()["data"]["state"] == "pending"
    first, second = rx.wait_for(2)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == d["webhookId"]
    assert first["body"] == second["body"]
    d = settled(hooks, d["id"])
    assert d["state"] == "delivered" and d["attempts"] == 2
    assert_error(Api(hooks, ADMIN).post(f"/api/webhooks/deliveries/{doc['id']}/replay"),
                 404, "NOT_FOUND")
    assert_error(Api(hooks, GLOBEX_ADMIN).post(f"/api/webhooks/deliveries/{d['id']}/replay"),
                 404, "NOT_FOUND")


def test_a_pending_delivery_is_not_replayed(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((200, {}, 1.5))
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    assert_error(Api(hooks, ADMIN).post(f"/api/webhooks/deliveries/{d['id']}/replay"),
                 409, "CONFLICT")
    settled(hooks, d["id"])
    assert len(rx.wait_for(1)) == 1


@pytest.mark.allow_log(r"TK00097")
def test_a_replay_that_fails_keeps_when_it_was_delivered(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    first = settled(hooks, d["id"])
    assert first["state"] == "delivered" and first["deliveredAt"]
    rx.queue((410, {}, 0))
    r = Api(hooks, ADMIN).post(f"/api/webhooks/deliveries/{d['id']}/replay")
    assert r.status_code == 202, r.text
    d = settled(hooks, d["id"])
    assert d["state"] == "failed" and d["attempts"] == 2 and "410" in d["lastError"]
    assert d["deliveredAt"] == first["deliveredAt"]


def test_a_disabled_subscriptions_deliveries_are_replayed_only_when_it_is_enabled(
        hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    settled(hooks, d["id"])
    api = Api(hooks, ADMIN)
    assert api.patch(f"/api/webhooks/{doc['id']}", {"enabled": False}).status_code == 200
    err = assert_error(api.post(f"/api/webhooks/deliveries/{d['id']}/replay"), 409, "CONFLICT")
    assert "disabled" in err["message"]
    assert delivery(hooks, d["id"])["state"] == "delivered" and len(rx.records()) == 1
    # a test ping goes to a disabled subscription, and so does its replay
    ping = api.post(f"/api/webhooks/{doc['id']}/test").json()["data"]
    settled(hooks, ping["id"])
    assert api.post(f"/api/webhooks/deliveries/{ping['id']}/replay").status_code == 202
    rx.wait_for(3)
    assert api.patch(f"/api/webhooks/{doc['id']}", {"enabled": True}).status_code == 200
    assert api.post(f"/api/webhooks/deliveries/{d['id']}/replay").status_code == 202
    rx.wait_for(4)


@pytest.mark.allow_log(r"TK00065")
def test_an_old_job_records_nothing_for_a_delivery_a_newer_job_holds(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((500, {}, 1.5))
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    job = hooks.psql(f"SELECT job_id FROM webhook_deliveries WHERE id = '{d['id']}'")[0][0]
    rx.wait_for(1)
    # while the receiver holds the request, the delivery passes to a newer
    # job (one that waits a day, so the sweep leaves the delivery alone)
    newer = hooks.psql("INSERT INTO jobs (kind, payload, run_at) VALUES ('webhook.deliver', "
                       f"'{{\"deliveryId\": \"{d['id']}\"}}', now() + interval '1 day') "
                       "RETURNING id")[0][0]
    hooks.psql(f"UPDATE webhook_deliveries SET job_id = '{newer}' WHERE id = '{d['id']}'")
    try:
        # the old job's 500 is recorded nowhere and is not retried
        state = wait_until(lambda: (lambda s: s if s != "running" else None)(
            hooks.psql(f"SELECT state FROM jobs WHERE id = '{job}'")[0][0]), 20, "the old job")
        assert state == "done"
        d = delivery(hooks, d["id"])
        assert d["state"] == "pending" and d["attempts"] == 0 and d["lastStatus"] is None, d
    finally:
        hooks.psql(f"DELETE FROM jobs WHERE id = '{newer}'; UPDATE webhook_deliveries "
                   f"SET state = 'failed' WHERE id = '{d['id']}'")


def test_a_rotated_secret_signs_beside_the_new_one_for_the_overlap(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    r = Api(hooks, ADMIN).post(f"/api/webhooks/{doc['id']}/rotate")
    assert r.status_code == 200, r.text
    new = r.json()["data"]["secret"]
    assert new != doc["secret"] and new.startswith("whsec_")
    assert r.json()["data"]["previousSecretExpiresAt"]
    create_ticket(hooks)
    rec, = rx.wait_for(1)
    sigs = rec["headers"]["webhook-signature"].split(" ")
    assert len(sigs) == 2
    assert verify(new, rec["headers"], rec["body"])
    assert verify(doc["secret"], rec["headers"], rec["body"])
    # the overlap ends: only the new secret signs
    hooks.psql("UPDATE webhook_subscriptions SET previous_expires_at = now() "
               f"WHERE id = '{doc['id']}'")
    create_ticket(hooks)
    _, rec = rx.wait_for(2)
    assert len(rec["headers"]["webhook-signature"].split(" ")) == 1
    assert verify(new, rec["headers"], rec["body"])
    assert not verify(doc["secret"], rec["headers"], rec["body"])


# ---- what ends a delivery ------------------------------------------------------------

@pytest.mark.allow_log(r"TK00098")
def test_a_deleted_subscriptions_pending_delivery_fails(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((500, {}, 0))
    create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    attempted(hooks, d["id"], 1)
    assert Api(hooks, ADMIN).delete(f"/api/webhooks/{doc['id']}").status_code == 204
    due_now(hooks, d["id"])
    d = wait_until(lambda: (lambda x: x if x[0] != "pending" else None)(hooks.psql(
        f"SELECT state, last_error FROM webhook_deliveries WHERE id = '{d['id']}'")[0]),
        20, "the delivery failed")
    assert d == ["failed", "The subscription was deleted."]
    assert len(rx.records()) == 1


@pytest.mark.allow_log(r"TK00099")
def test_a_delivery_whose_job_ended_is_swept(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["TICKET_CREATED"])
    rx.queue((500, {}, 0))
    t = create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    attempted(hooks, d["id"], 1)
    # as if the job's worker had died on its last attempt
    hooks.psql("UPDATE jobs SET state = 'failed', finished_at = now() WHERE id = "
               f"(SELECT job_id FROM webhook_deliveries WHERE id = '{d['id']}')")
    run_now(hooks, "webhook.sweep")
    d = settled(hooks, d["id"])
    assert d["state"] == "failed" and "replay" in d["lastError"]
    sub = Api(hooks, ADMIN).get(f"/api/webhooks/{doc['id']}").json()["data"]
    assert sub["lastFailedAt"] and sub["lastError"] == d["lastError"]
    ev = [e for e in Api(hooks, AGENT).get(f"/api/tickets/{t['id']}/events").json()["data"]
          if e["type"] == "TICKET_CREATED"][0]
    assert ev["deliveredAt"] is None and ev["lastError"] == d["lastError"]


def test_link_local_addresses_are_refused_even_where_local_ones_are_allowed(hooks, subs):
    for url in ("http://169.254.169.254/latest/meta-data/", "https://169.254.0.1/",
                "http://[fe80::1]/", "https://[::ffff:169.254.169.254]/"):
        r = Api(hooks, ADMIN).post("/api/webhooks", {"url": url, "events": ["*"]})
        err = assert_error(r, 400, "VALIDATION_ERROR", field="url")
        assert "link-local" in err["message"], (url, err)
    for url in ("https://[::ffff:0:7f00:1]/", "https://[3fff::1]/", "https://[5f00::1]/"):
        r = Api(hooks, ADMIN).post("/api/webhooks", {"url": url, "events": ["*"]})
        err = assert_error(r, 400, "VALIDATION_ERROR", field="url")
        assert "reserved" in err["message"], (url, err)
    assert [s for s in Api(hooks, ADMIN).get("/api/webhooks").json()["data"]
            if "169.254" in s["url"] or "fe80" in s["url"]] == []


@pytest.mark.allow_log(r"TK00098")
def test_a_local_receiver_is_refused_when_local_ones_are_not_allowed(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    hooks.restart(CONF + "TicketsWebhookAllowLocal Off\n")
    try:
        for url in (rx.url, f"http://localhost:{rx.port}/", "https://10.1.2.3/",
                    "https://172.20.0.1/", "https://192.168.1.1/", "https://100.64.0.1/",
                    "https://[::1]/", "https://[fd00::1]/", "https://[::ffff:10.0.0.1]/"):
            r = Api(hooks, ADMIN).post("/api/webhooks", {"url": url, "events": ["*"]})
            err = assert_error(r, 400, "VALIDATION_ERROR", field="url")
            assert "loopback or private" in err["message"], (url, err)
        # one registered while they were allowed is refused when sent
        create_ticket(hooks)
        d, = only_delivery(hooks, doc["id"])
        d = settled(hooks, d["id"])
        assert d["state"] == "failed" and "loopback" in d["lastError"]
        assert rx.records() == []
    finally:
        hooks.restart(CONF)


def test_the_timeout_must_be_shorter_than_the_lease(hooks):
    mark = hooks.log_mark()
    hooks.expect_log(r"TK00100|AH00016")
    with pytest.raises(EnvError):
        hooks.restart(CONF + f"TicketsWebhookTimeout {LEASE}\n")
    assert any("TK00100" in line for line in hooks.error_log_lines_since(mark))
    hooks.restart(CONF)


# ---- nothing is lost --------------------------------------------------------------------

def _ticket_ids_delivered(rx):
    return {json.loads(r["body"])["data"]["id"] for r in rx.records()
            if r["status"] == 200}


def test_a_graceful_restart_loses_no_delivery(hooks, rx, subs):
    subscribe(hooks, subs, rx.url, ["ticket_created"])
    made, errors = [], []

    def writer():
        try:
            for _ in range(30):
                made.append(create_ticket(hooks)["id"])
        except Exception as e:            # noqa: BLE001 - reported below
            errors.append(e)
    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.3)
    hooks.restart(CONF, graceful=True)
    t.join(60)
    assert not errors, errors
    assert len(made) == 30
    wait_until(lambda: _ticket_ids_delivered(rx) >= set(made), 40, "every ticket delivered")


@pytest.mark.allow_log(r"TK0006[3-7]", r"AH00052")
def test_a_killed_child_loses_no_delivery(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    rx.queue((200, {}, 1.8))                  # the first answer is slow
    t = create_ticket(hooks)
    d, = only_delivery(hooks, doc["id"])
    rx.wait_for(1)
    kill_job_worker(hooks, f"id = (SELECT job_id FROM webhook_deliveries "
                           f"WHERE id = '{d['id']}')")
    d = settled(hooks, d["id"], timeout=40)
    assert d["state"] == "delivered"
    assert t["id"] in _ticket_ids_delivered(rx)
    ids = {r["headers"]["webhook-id"] for r in rx.records()}
    assert ids == {d["webhookId"]}            # at least once, always the same id


def test_no_secret_in_the_log(hooks, rx, subs):
    doc = subscribe(hooks, subs, rx.url, ["ticket_created"])
    mark = hooks.log_mark()
    r = Api(hooks, ADMIN).post(f"/api/webhooks/{doc['id']}/rotate")
    new = r.json()["data"]["secret"]
    create_ticket(hooks)
    rx.wait_for(1)
    text = "".join(hooks.error_log_lines_since(mark))
    for s in (doc["secret"], new, doc["secret"][6:], new[6:]):
        assert s not in text


def test_an_idempotent_replay_of_the_create_keeps_the_secret_out(hooks, rx, subs):
    body = {"url": rx.url, "events": ["ticket_created"]}
    key = {"Idempotency-Key": "whk-" + uniq()}
    first = Api(hooks, ADMIN).post("/api/webhooks", body, headers=key)
    assert first.status_code == 201, first.text
    doc = first.json()["data"]
    subs.append(doc["id"])
    again = Api(hooks, ADMIN).post("/api/webhooks", body, headers=key)
    assert again.status_code == 201 and again.json()["data"]["id"] == doc["id"]
    assert "secret" not in again.json()["data"]
    assert hooks.psql("SELECT count(*) FROM idempotency_keys "
                      f"WHERE response::text LIKE '%{doc['secret'][6:]}%'") == [["0"]]
