"""Idempotency-Key on creating POSTs, ETag / If-Match / If-None-Match on
tickets (SPEC section 4, docs/api.md)."""

import json
import threading

import pytest

from tickets_util import (
    ADMIN, AGENT, CUSTOMER, Api, assert_error, create_ticket,
    db_count, db_events, db_messages, db_ticket, q, uniq,
)


def _count_title(env, title):
    return db_count(env, f"SELECT count(*) FROM tickets WHERE title = {q(title)}")


# ---------------------------------------------------------------------------
# Idempotency-Key
# ---------------------------------------------------------------------------

def test_idempotent_create_replays_first_answer(env):
    key = uniq("idem-")
    title = f"Idempotent {uniq()}"
    body = {"title": title, "description": "Retry me.", "priority": "high"}
    api = Api(env, AGENT)
    first = api.post("/api/tickets", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    t = first.json()["data"]
    for _ in range(2):
        again = api.post("/api/tickets", body, headers={"Idempotency-Key": key})
        assert again.status_code == 201, again.text
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == first.json()
        assert again.json()["data"]["id"] == t["id"]
    assert _count_title(env, title) == 1
    assert len(db_messages(env, t["id"])) == 1
    assert [e["type"] for e in db_events(env, t["id"])] == ["TICKET_CREATED"]


def test_idempotent_create_other_body_conflicts(env):
    key = uniq("idem-")
    title = f"Idempotent {uniq()}"
    api = Api(env, AGENT)
    first = api.post("/api/tickets", {"title": title, "description": "one"},
                     headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    r = api.post("/api/tickets", {"title": title, "description": "two"},
                 headers={"Idempotency-Key": key})
    assert_error(r, 409, "CONFLICT")
    other = f"Other {uniq()}"
    r = api.post("/api/tickets", {"title": other, "description": "one"},
                 headers={"Idempotency-Key": key})
    assert_error(r, 409, "CONFLICT")
    assert _count_title(env, title) == 1
    assert _count_title(env, other) == 0
    # the original body still replays
    r = api.post("/api/tickets", {"title": title, "description": "one"},
                 headers={"Idempotency-Key": key})
    assert r.status_code == 201
    assert r.json()["data"]["id"] == first.json()["data"]["id"]


def test_idempotent_create_concurrent_one_ticket(env):
    n = 12
    key = uniq("idem-")
    title = f"Idempotent concurrent {uniq()}"
    body = json.dumps({"title": title, "description": "Race."})
    results = [None] * n
    barrier = threading.Barrier(n)

    def worker(i):
        api = Api(env, AGENT)
        barrier.wait()
        results[i] = api.post("/api/tickets", body,
                              headers={"Idempotency-Key": key})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert [r.status_code for r in results] == [201] * n, \
        [r.text for r in results if r.status_code != 201][:2]
    ids = {r.json()["data"]["id"] for r in results}
    assert len(ids) == 1
    replayed = [r.headers.get("Idempotent-Replayed") for r in results]
    assert replayed.count("true") == n - 1
    assert _count_title(env, title) == 1
    assert db_count(env, f"SELECT count(*) FROM ticket_events e JOIN tickets t "
                         f"ON t.id = e.ticket_id WHERE t.title = {q(title)}") == 1


def test_idempotency_keys_are_per_user(env):
    key = uniq("idem-")
    title = f"Idempotent per user {uniq()}"
    body = {"title": title, "description": "Same key, two people."}
    a = Api(env, AGENT).post("/api/tickets", body, headers={"Idempotency-Key": key})
    b = Api(env, ADMIN).post("/api/tickets", body, headers={"Idempotency-Key": key})
    assert a.status_code == 201 and b.status_code == 201, (a.text, b.text)
    assert "Idempotent-Replayed" not in b.headers
    assert a.json()["data"]["id"] != b.json()["data"]["id"]
    assert a.json()["data"]["creatorId"] != b.json()["data"]["creatorId"]
    assert _count_title(env, title) == 2


def test_idempotent_message(env):
    t = create_ticket(env, AGENT)
    key = uniq("idem-")
    api = Api(env, AGENT)
    path = f"/api/tickets/{t['id']}/messages"
    first = api.post(path, {"content": "Only once, please."},
                     headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = api.post(path, {"content": "Only once, please."},
                     headers={"Idempotency-Key": key})
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    r = api.post(path, {"content": "Something else."}, headers={"Idempotency-Key": key})
    assert_error(r, 409, "CONFLICT")
    # the same key on another path is another request
    r = api.post("/api/tickets", {"title": f"x {uniq()}", "description": "x"},
                 headers={"Idempotency-Key": key})
    assert_error(r, 409, "CONFLICT")
    msgs = db_messages(env, t["id"])
    assert len(msgs) == 2 and msgs[1]["id"] == first.json()["data"]["id"]
    assert db_ticket(env, t["id"])["version"] == 2
    assert [e["type"] for e in db_events(env, t["id"])] == ["TICKET_CREATED",
                                                            "MESSAGE_ADDED"]


def test_idempotent_message_concurrent(env):
    t = create_ticket(env, AGENT)
    n = 8
    key = uniq("idem-")
    results = [None] * n
    barrier = threading.Barrier(n)

    def worker(i):
        api = Api(env, AGENT)
        barrier.wait()
        results[i] = api.post(f"/api/tickets/{t['id']}/messages",
                              {"content": "racing reply"},
                              headers={"Idempotency-Key": key})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert [r.status_code for r in results] == [201] * n
    assert len({r.json()["data"]["id"] for r in results}) == 1
    assert len(db_messages(env, t["id"])) == 2


@pytest.mark.parametrize("key", ["x" * 256, "has space", "tab\there"])
def test_idempotency_key_invalid(env, key):
    title = f"Bad key {uniq()}"
    r = Api(env, AGENT).post("/api/tickets", {"title": title, "description": "x"},
                             headers={"Idempotency-Key": key})
    assert_error(r, 400, "VALIDATION_ERROR", field="Idempotency-Key")
    assert _count_title(env, title) == 0


# ---------------------------------------------------------------------------
# ETag, If-Match, If-None-Match
# ---------------------------------------------------------------------------

def _bumped(env, user=AGENT):
    """A ticket at version 2 (one edit)."""
    t = create_ticket(env, user)
    r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}", {"priority": "low"})
    assert r.status_code == 200 and r.headers["ETag"] == '"v2"'
    return t


def test_patch_stale_if_match_412(env):
    t = _bumped(env)
    before, events = db_ticket(env, t["id"]), db_events(env, t["id"])
    r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}", {"title": "Lost update"},
                              headers={"If-Match": '"v1"'})
    assert_error(r, 412, "PRECONDITION_FAILED")
    assert db_ticket(env, t["id"]) == before
    assert db_events(env, t["id"]) == events


def test_patch_current_if_match_and_star(env):
    t = _bumped(env)
    api = Api(env, AGENT)
    r = api.patch(f"/api/tickets/{t['id']}", {"title": "Fresh edit"},
                  headers={"If-Match": '"v2"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"v3"'
    r = api.patch(f"/api/tickets/{t['id']}", {"priority": "urgent"},
                  headers={"If-Match": "*"})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"v4"'
    r = api.patch(f"/api/tickets/{t['id']}", {"priority": "high"},
                  headers={"If-Match": '"v1", "v4"'})
    assert r.status_code == 200, r.text
    row = db_ticket(env, t["id"])
    assert row["title"] == "Fresh edit" and row["priority"] == "high"
    assert row["version"] == 5


def test_status_if_match(env):
    t = _bumped(env)
    api = Api(env, AGENT)
    before, events = db_ticket(env, t["id"]), db_events(env, t["id"])
    r = api.patch(f"/api/tickets/{t['id']}/status", {"status": "closed"},
                  headers={"If-Match": '"v1"'})
    assert_error(r, 412, "PRECONDITION_FAILED")
    assert db_ticket(env, t["id"]) == before
    assert db_events(env, t["id"]) == events
    r = api.patch(f"/api/tickets/{t['id']}/status", {"status": "waiting"},
                  headers={"If-Match": '"v2"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"v3"'
    r = api.patch(f"/api/tickets/{t['id']}/status", {"status": "closed"},
                  headers={"If-Match": "*"})
    assert r.status_code == 200, r.text
    assert db_ticket(env, t["id"])["status"] == "closed"


def test_delete_if_match(env):
    t = _bumped(env)
    api = Api(env, ADMIN)
    r = api.delete(f"/api/tickets/{t['id']}", headers={"If-Match": '"v1"'})
    assert_error(r, 412, "PRECONDITION_FAILED")
    row = db_ticket(env, t["id"])
    assert row["deleted_at"] is None and row["version"] == 2
    assert [e["type"] for e in db_events(env, t["id"])] == ["TICKET_CREATED", "UPDATED"]
    r = api.delete(f"/api/tickets/{t['id']}", headers={"If-Match": '"v2"'})
    assert r.status_code == 204, r.text
    assert db_ticket(env, t["id"])["deleted_at"] is not None

    t2 = create_ticket(env, AGENT)
    r = api.delete(f"/api/tickets/{t2['id']}", headers={"If-Match": "*"})
    assert r.status_code == 204, r.text
    assert db_ticket(env, t2["id"])["deleted_at"] is not None


def test_message_bumps_etag(env):
    t = create_ticket(env, AGENT)
    api = Api(env, AGENT)
    assert api.post(f"/api/tickets/{t['id']}/messages", {"content": "hi"}).status_code == 201
    r = api.patch(f"/api/tickets/{t['id']}", {"priority": "low"},
                  headers={"If-Match": '"v1"'})
    assert_error(r, 412, "PRECONDITION_FAILED")
    assert db_ticket(env, t["id"])["priority"] == "medium"


def test_get_if_none_match(env):
    t = _bumped(env)
    api = Api(env, AGENT)
    r = api.get(f"/api/tickets/{t['id']}")
    assert r.status_code == 200 and r.headers["ETag"] == '"v2"'
    r = api.get(f"/api/tickets/{t['id']}", headers={"If-None-Match": '"v2"'})
    assert r.status_code == 304, r.text
    assert r.content == b""
    assert r.headers["ETag"] == '"v2"'
    r = api.get(f"/api/tickets/{t['key']}", headers={"If-None-Match": '"v1"'})
    assert r.status_code == 200
    assert r.json()["data"]["id"] == t["id"]
    assert r.headers["ETag"] == '"v2"'


def test_customer_etag_and_if_none_match(env):
    t = create_ticket(env, CUSTOMER)
    api = Api(env, CUSTOMER)
    r = api.get(f"/api/tickets/{t['id']}")
    assert r.status_code == 200 and r.headers["ETag"] == '"v1-c"'
    r = api.get(f"/api/tickets/{t['id']}", headers={"If-None-Match": '"v1-c"'})
    assert r.status_code == 304
    assert r.headers["ETag"] == '"v1-c"'
    # an internal note leaves the customer's view, and so its tag, as it was
    r = Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages",
                             {"content": "internal", "internal": True})
    assert r.status_code == 201
    r = api.get(f"/api/tickets/{t['id']}", headers={"If-None-Match": '"v1-c"'})
    assert r.status_code == 304
    # a public reply changes it
    r = Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages", {"content": "public"})
    assert r.status_code == 201
    r = api.get(f"/api/tickets/{t['id']}", headers={"If-None-Match": '"v1-c"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"v2-c"'
    assert len(r.json()["data"]["messages"]) == 2


def test_idempotent_replay_keeps_location_and_etag(env):
    """The replay is "the first answer" (SPEC section 4): a client whose
    first response was lost needs the Location and ETag of the 201 too."""
    key = uniq("idem-")
    body = {"title": f"Replay headers {uniq()}", "description": "x"}
    api = Api(env, AGENT)
    first = api.post("/api/tickets", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = api.post("/api/tickets", body, headers={"Idempotency-Key": key})
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.headers.get("Location") == first.headers["Location"]
    assert again.headers.get("ETag") == first.headers["ETag"]


def test_if_none_match_compares_the_whole_tag(env):
    """The customer view ("v<n>-c", no internal notes) and the staff view
    ("v<n>") are different representations with different entity tags; one
    must not validate the other (docs/api.md, RFC 9110 8.8.3.2)."""
    t = create_ticket(env, CUSTOMER)
    r = Api(env, AGENT).get(f"/api/tickets/{t['id']}",
                            headers={"If-None-Match": '"v1-c"'})
    assert r.status_code == 200, r.status_code
    assert r.headers["ETag"] == '"v1"'
    r = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}",
                               headers={"If-None-Match": '"v1"'})
    assert r.status_code == 200, r.status_code
    assert r.headers["ETag"] == '"v1-c"'
