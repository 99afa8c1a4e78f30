"""PATCH /api/tickets/:id/status: the lifecycle table of SPEC section 6."""

import time

import pytest

from tickets_util import (
    AGENT, AGENT_ID, CUSTOMER, MOVES, STATUSES, VIEWER, Api, assert_error,
    assert_ticket_doc, assert_ts, create_ticket, db_events, db_ticket, move,
)


def _ticket_in(env, status):
    t = create_ticket(env, AGENT)
    if status != "open":
        t = move(env, t["id"], status)
    return t


ALL_PAIRS = [(a, b) for a in STATUSES for b in STATUSES]


@pytest.mark.parametrize("src,dst", ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_status_table(env, src, dst):
    t = _ticket_in(env, src)
    before = db_ticket(env, t["id"])
    events_before = db_events(env, t["id"])
    assert before["status"] == src
    time.sleep(0.01)
    r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}/status", {"status": dst})
    after = db_ticket(env, t["id"])
    events_after = db_events(env, t["id"])

    if dst in MOVES[src]:
        assert r.status_code == 200, r.text
        d = r.json()["data"]
        assert_ticket_doc(d)
        assert d["status"] == dst
        assert d["version"] == before["version"] + 1
        assert r.headers["ETag"] == f'"v{before["version"] + 1}"'
        assert d["updatedAt"] > t["updatedAt"]
        assert after["status"] == dst
        assert after["version"] == before["version"] + 1
        if dst == "closed":
            assert_ts(d["closedAt"])
            assert after["closed_at"] is not None
        else:
            assert d["closedAt"] is None
            assert after["closed_at"] is None
        assert len(events_after) == len(events_before) + 1
        ev = events_after[-1]
        assert ev["type"] == "STATUS_CHANGED"
        assert ev["actor_id"] == AGENT_ID
        assert ev["payload"] == {"before": {"status": src}, "after": {"status": dst}}
    else:
        assert_error(r, 409, "INVALID_TRANSITION")
        assert after == before                   # nothing changed at all
        assert events_after == events_before


def test_close_sets_closed_at_and_reopen_clears_it(env):
    t = create_ticket(env, AGENT)
    assert t["closedAt"] is None
    d = move(env, t["id"], "resolved")
    assert d["closedAt"] is None
    d = move(env, t["id"], "closed")
    assert_ts(d["closedAt"])
    assert d["closedAt"] >= d["createdAt"]
    assert db_ticket(env, t["id"])["closed_at"] is not None
    got = Api(env, AGENT).get(f"/api/tickets/{t['id']}").json()["data"]
    assert got["closedAt"] == d["closedAt"] and got["status"] == "closed"
    d = move(env, t["id"], "open")
    assert d["closedAt"] is None and d["status"] == "open"
    assert db_ticket(env, t["id"])["closed_at"] is None
    types = [e["type"] for e in db_events(env, t["id"])]
    assert types == ["TICKET_CREATED"] + ["STATUS_CHANGED"] * 3


def test_status_by_key_and_number(env):
    t = create_ticket(env, AGENT)
    api = Api(env, AGENT)
    r = api.patch(f"/api/tickets/{t['key'].lower()}/status", {"status": "waiting"})
    assert r.status_code == 200, r.text
    r = api.patch(f"/api/tickets/{t['number']}/status", {"status": "in_progress"})
    assert r.status_code == 200, r.text
    assert db_ticket(env, t["id"])["status"] == "in_progress"


@pytest.mark.parametrize("body", [{"status": "done"}, {"status": None}, {},
                                  {"status": "OPEN"}])
def test_status_invalid_value(env, body):
    t = create_ticket(env, AGENT)
    r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}/status", body)
    assert_error(r, 400, "VALIDATION_ERROR", field="status")
    assert db_ticket(env, t["id"])["version"] == 1


def test_status_viewer_forbidden(env):
    t = create_ticket(env, AGENT)
    r = Api(env, VIEWER).patch(f"/api/tickets/{t['id']}/status", {"status": "closed"})
    assert_error(r, 403, "FORBIDDEN")
    row = db_ticket(env, t["id"])
    assert row["status"] == "open" and row["version"] == 1


def test_status_customer_close_and_reopen_own(env):
    t = create_ticket(env, CUSTOMER)
    api = Api(env, CUSTOMER)
    r = api.patch(f"/api/tickets/{t['id']}/status", {"status": "in_progress"})
    assert_error(r, 403, "FORBIDDEN")
    assert db_ticket(env, t["id"])["status"] == "open"
    r = api.patch(f"/api/tickets/{t['id']}/status", {"status": "closed"})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"v2-c"'
    r = api.patch(f"/api/tickets/{t['id']}/status", {"status": "open"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["closedAt"] is None
    assert db_ticket(env, t["id"])["status"] == "open"
