"""Tenancy: another organization's tickets are answered exactly like tickets
that do not exist (SPEC section 5, docs/auth.md)."""

import pytest

from tkcheck import (AGENT, GLOBEX, GLOBEX_ORG, assert_error, create_ticket,
                     ticket_row, uniq)


@pytest.fixture
def acme_ticket(env):
    """A fresh acme ticket whose number no globex ticket has, with a note."""
    word = uniq("zyxacme").replace("-", "")
    for _ in range(20):
        t = create_ticket(env, AGENT, title=f"Tenancy probe {word}",
                          description=f"Secret acme matter {word}")
        clash = env.psql(f"SELECT count(*) FROM tickets WHERE org_id = '{GLOBEX_ORG}'"
                         f" AND number = {t['number']}")
        if clash == [["0"]]:
            break
    else:
        pytest.fail("could not make an acme ticket number that globex lacks")
    r = env.session(AGENT).post(env.url(f"/api/tickets/{t['id']}/messages"),
                                json={"content": f"internal {word}", "internal": True},
                                timeout=30)
    assert r.status_code == 201, r.text
    t["word"] = word
    return t


def _refs(t):
    return [t["id"], str(t["number"]), t["key"], t["key"].lower()]


def _assert_nothing(r, t):
    assert_error(r, 404, "NOT_FOUND")
    assert "data" not in r.json()
    for leak in (t["id"], t["word"], t["title"]):
        assert leak not in r.text, f"{leak} leaked in {r.text}"


def test_list_and_search_show_no_other_org(env, acme_ticket):
    t = acme_ticket
    s = env.session(GLOBEX)
    seen = []
    offset = 0
    while True:
        r = s.get(env.url(f"/api/tickets?limit=100&offset={offset}"), timeout=30)
        assert r.status_code == 200, r.text
        page = r.json()["data"]
        seen += page
        offset += 100
        if offset >= r.json()["total"]:
            break
    assert seen, "globex sees none of its own tickets"
    ids = [x["id"] for x in seen]
    orgs = env.psql("SELECT DISTINCT org_id FROM tickets WHERE id IN (%s)"
                    % ",".join(f"'{i}'" for i in ids))
    assert orgs == [[GLOBEX_ORG]]
    assert t["id"] not in ids
    total = int(env.psql(f"SELECT count(*) FROM tickets WHERE org_id = '{GLOBEX_ORG}'"
                         " AND deleted_at IS NULL")[0][0])
    assert r.json()["total"] == total
    for q in (f"q={t['word']}", f"status={t['status']}&limit=100"):
        r = s.get(env.url(f"/api/tickets?{q}"), timeout=30)
        assert r.status_code == 200
        assert t["id"] not in r.text and t["word"] not in r.text
    r = s.get(env.url(f"/api/tickets/search?query={t['word']}"), timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [] and r.json()["total"] == 0
    # the same search finds it for acme, so the search itself works
    r = env.session(AGENT).get(env.url(f"/api/tickets/search?query={t['word']}"), timeout=30)
    assert [x["id"] for x in r.json()["data"]] == [t["id"]]


def test_get_other_org_ticket_is_404(env, acme_ticket):
    t = acme_ticket
    s = env.session(GLOBEX)
    for ref in _refs(t):
        _assert_nothing(s.get(env.url(f"/api/tickets/{ref}"), timeout=30), t)
        _assert_nothing(s.get(env.url(f"/api/tickets/{ref}/events"), timeout=30), t)
    # the acme agent sees it under each of those names
    for ref in _refs(t):
        r = env.session(AGENT).get(env.url(f"/api/tickets/{ref}"), timeout=30)
        assert r.status_code == 200 and r.json()["data"]["id"] == t["id"]


def test_changes_to_other_org_ticket_are_404_and_change_nothing(env, acme_ticket):
    t = acme_ticket
    before = ticket_row(env, t["id"])
    s = env.session(GLOBEX)
    for ref in _refs(t):
        u = env.url(f"/api/tickets/{ref}")
        _assert_nothing(s.patch(u, json={"title": "hijacked"}, timeout=30), t)
        _assert_nothing(s.patch(u + "/status", json={"status": "closed"}, timeout=30), t)
        _assert_nothing(s.post(u + "/messages", json={"content": "hello from globex"},
                               timeout=30), t)
        _assert_nothing(s.post(u + "/messages", json={"content": "note", "internal": True},
                               timeout=30), t)
        _assert_nothing(s.delete(u, timeout=30), t)
        # a matching If-Match does not help either
        _assert_nothing(s.patch(u, json={"priority": "low"},
                                headers={"If-Match": f"\"v{t['version']}\""}, timeout=30), t)
    assert ticket_row(env, t["id"]) == before
    assert env.psql("SELECT count(*) FROM ticket_messages WHERE content = 'hello from globex'"
                    f" AND ticket_id = '{t['id']}'") == [["0"]]


def test_other_org_ticket_and_nonexistent_ticket_look_alike(env, acme_ticket):
    s = env.session(GLOBEX)
    a = s.get(env.url(f"/api/tickets/{acme_ticket['id']}"), timeout=30)
    b = s.get(env.url("/api/tickets/00000000-0000-4000-8000-00000000dead"), timeout=30)
    assert a.status_code == b.status_code == 404
    ea, eb = a.json()["error"], b.json()["error"]
    assert (ea["code"], ea["message"], ea.get("field")) == \
        (eb["code"], eb["message"], eb.get("field"))


def test_globex_cannot_assign_acme_staff(env):
    t = create_ticket(env, GLOBEX, title=uniq("globex"))
    agent_id = env.psql(f"SELECT id FROM users WHERE email = '{AGENT}'")[0][0]
    before = ticket_row(env, t["id"])
    r = env.session(GLOBEX).patch(env.url(f"/api/tickets/{t['id']}"),
                                  json={"assigneeId": agent_id}, timeout=30)
    assert_error(r, 400, "VALIDATION_ERROR", field="assigneeId")
    assert ticket_row(env, t["id"]) == before
    # an acme customer record cannot be attached to a globex ticket
    title = uniq("globex-cust")
    r = env.session(GLOBEX).post(env.url("/api/tickets"), timeout=30, json={
        "title": title, "description": "d",
        "customerId": "00000000-0000-4000-8000-00000000c001"})
    assert_error(r, 400, "VALIDATION_ERROR", field="customerId")
    assert env.psql(f"SELECT count(*) FROM tickets WHERE title = '{title}'") == [["0"]]


def test_acme_cannot_reach_globex_ticket(env):
    t = create_ticket(env, GLOBEX, title=uniq("globex-only"))
    before = ticket_row(env, t["id"])
    s = env.session(AGENT)
    r = s.get(env.url(f"/api/tickets/{t['id']}"), timeout=30)
    assert_error(r, 404, "NOT_FOUND")
    r = s.patch(env.url(f"/api/tickets/{t['id']}/status"), json={"status": "closed"},
                timeout=30)
    assert_error(r, 404, "NOT_FOUND")
    assert ticket_row(env, t["id"]) == before
