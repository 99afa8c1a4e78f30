"""FAQ articles (/api/faqs, SPEC section 6) and their links to tickets.

Staff write (agents and admins), every staff role reads drafts too;
customers, and anonymous visitors of an organization's public pages
(/api/public/<slug>/faqs), read published articles only, and a draft is
404 to them.  Search is ranked full text (a title match above a body
match).  Linking an article to a ticket writes ARTICLE_LINKED with a
ticket_updated event, and the ticket's detail lists it.
"""

import os
import subprocess
import time

import requests

import pytest

from messaging_util import data
from test_sse import start
from tickets_util import (ADMIN, AGENT, CUSTOMER, GLOBEX_ADMIN, ORG_ACME, VIEWER, Api,
                          assert_error, assert_list_shape, create_ticket,
                          db_events, uniq)


# An article as a ticket shows it: the link, not the text.
CUSTOMER_LINK = {"id", "title", "category", "linkedAt"}
STAFF_LINK = CUSTOMER_LINK | {"status"}


def new_faq(env, user=AGENT, **fields):
    body = {"title": f"How to {uniq()}", "body": "Steps:\n1. Open the app."}
    body.update(fields)
    return data(Api(env, user).post("/api/faqs", body), 201)


def anon(env, path, **kw):
    return requests.get(env.url(path), timeout=30, **kw)


def test_create_get_list_update_delete(env):
    tag = uniq("tag")
    a = new_faq(env, category="Billing", tags=[tag], status="published")
    assert a["status"] == "published" and a["tags"] == [tag] and a["publishedAt"]
    assert a["category"] == "Billing" and a["version"] == 1
    r = Api(env, VIEWER).get(f"/api/faqs/{a['id']}")
    assert data(r)["title"] == a["title"]
    etag = r.headers["ETag"]
    assert Api(env, VIEWER).get(f"/api/faqs/{a['id']}",
                                headers={"If-None-Match": etag}).status_code == 304
    page = Api(env, VIEWER).get(f"/api/faqs?tag={tag}").json()
    assert_list_shape(page)
    assert [x["id"] for x in page["data"]] == [a["id"]] and page["total"] == 1
    u = data(Api(env, AGENT).patch(f"/api/faqs/{a['id']}",
                                   {"status": "draft", "category": None},
                                   headers={"If-Match": etag}))
    assert u["status"] == "draft" and u["publishedAt"] is None
    assert u["category"] is None and u["version"] == 2
    assert_error(Api(env, AGENT).patch(f"/api/faqs/{a['id']}", {"title": "Again"},
                                       headers={"If-Match": etag}),
                 412, "PRECONDITION_FAILED")
    assert Api(env, AGENT).delete(f"/api/faqs/{a['id']}").status_code == 204
    assert_error(Api(env, AGENT).get(f"/api/faqs/{a['id']}"), 404, "NOT_FOUND")
    assert_error(Api(env, AGENT).delete(f"/api/faqs/{a['id']}"), 404, "NOT_FOUND")


@pytest.mark.parametrize("body,field", [
    ({"body": "x"}, "title"),
    ({"title": "x"}, "body"),
    ({"title": "", "body": "x"}, "title"),
    ({"title": "x" * 201, "body": "x"}, "title"),
    ({"title": "x", "body": "x" * 20001}, "body"),
    ({"title": "x", "body": "x", "status": "live"}, "status"),
    ({"title": "x", "body": "x", "tags": "one"}, "tags"),
    ({"title": "x", "body": "x", "category": 7}, "category"),
    ({"title": "x", "body": "x", "author": "me"}, "author"),
])
def test_validation_names_the_field(env, body, field):
    before = env.psql("SELECT count(*) FROM faq_articles")[0][0]
    assert_error(Api(env, AGENT).post("/api/faqs", body), 400, "VALIDATION_ERROR", field)
    assert env.psql("SELECT count(*) FROM faq_articles")[0][0] == before


def test_patch_needs_a_field_and_list_refuses_unknown_filters(env):
    a = new_faq(env)
    assert_error(Api(env, AGENT).patch(f"/api/faqs/{a['id']}", {}), 400, "VALIDATION_ERROR")
    assert_error(Api(env, AGENT).get("/api/faqs?colour=red"), 400, "INVALID_QUERY")
    assert_error(Api(env, AGENT).get("/api/faqs?status=gone"), 400, "INVALID_QUERY")
    assert_error(Api(env, CUSTOMER).get("/api/faqs?status=draft"), 400, "INVALID_QUERY")


def test_roles_customers_read_published_only(env):
    draft = new_faq(env)
    pub = new_faq(env, status="published")
    assert_error(Api(env, VIEWER).post("/api/faqs", {"title": "x", "body": "y"}),
                 403, "FORBIDDEN")
    assert_error(Api(env, CUSTOMER).post("/api/faqs", {"title": "x", "body": "y"}),
                 403, "FORBIDDEN")
    assert_error(Api(env, CUSTOMER).patch(f"/api/faqs/{pub['id']}", {"title": "x"}),
                 403, "FORBIDDEN")
    assert_error(Api(env, CUSTOMER).delete(f"/api/faqs/{pub['id']}"), 403, "FORBIDDEN")
    assert_error(Api(env, CUSTOMER).get(f"/api/faqs/{draft['id']}"), 404, "NOT_FOUND")
    seen = data(Api(env, CUSTOMER).get(f"/api/faqs/{pub['id']}"))
    assert seen["title"] == pub["title"]
    assert "status" not in seen and "authorId" not in seen
    ids = [x["id"] for x in Api(env, CUSTOMER).get("/api/faqs?limit=100").json()["data"]]
    assert pub["id"] in ids and draft["id"] not in ids
    assert draft["id"] in [x["id"] for x in
                           Api(env, VIEWER).get("/api/faqs?status=draft&limit=100").json()["data"]]


def test_public_pages_by_org_slug(env):
    word = uniq("pub")
    draft = new_faq(env, title=f"Draft {word}")
    pub = new_faq(env, title=f"Reset {word}", status="published")
    theirs = new_faq(env, user=GLOBEX_ADMIN, title=f"Globex {word}", status="published")
    r = anon(env, "/api/public/acme/faqs?limit=100")
    assert r.status_code == 200, r.text
    ids = [x["id"] for x in r.json()["data"]]
    assert pub["id"] in ids and draft["id"] not in ids and theirs["id"] not in ids
    assert anon(env, f"/api/public/acme/faqs/{pub['id']}").json()["data"]["id"] == pub["id"]
    assert_error(anon(env, f"/api/public/acme/faqs/{draft['id']}"), 404, "NOT_FOUND")
    assert_error(anon(env, f"/api/public/acme/faqs/{theirs['id']}"), 404, "NOT_FOUND")
    assert_error(anon(env, "/api/public/no-such-org/faqs"), 404, "NOT_FOUND")
    found = anon(env, "/api/public/acme/faqs/search", params={"query": word}).json()["data"]
    assert [x["id"] for x in found] == [pub["id"]]
    assert_error(anon(env, "/api/public/acme/faqs/search"), 400, "INVALID_QUERY", "query")
    # The public pages read; they never write.
    r = requests.post(env.url("/api/public/acme/faqs"), json={"title": "x", "body": "y"},
                      timeout=30)
    assert_error(r, 405, "METHOD_NOT_ALLOWED")


def test_search_is_ranked_and_needs_a_query(env):
    word = uniq("rank")
    in_body = new_faq(env, title="Something else", body=f"Mentions {word} once.",
                      status="published")
    in_title = new_faq(env, title=f"All about {word}", body="Nothing here.",
                       status="published")
    found = Api(env, AGENT).get("/api/faqs/search", params={"query": word}).json()
    assert [x["id"] for x in found["data"]] == [in_title["id"], in_body["id"]]
    assert found["total"] == 2 and found["data"][0]["rank"] > found["data"][1]["rank"]
    r = Api(env, AGENT).get("/api/faqs/search")
    assert_error(r, 400, "INVALID_QUERY", "query", "Query parameter is required")
    assert_error(Api(env, AGENT).get("/api/faqs/search?query="), 400, "INVALID_QUERY")
    assert_error(Api(env, AGENT).get("/api/faqs/search", params={"query": "x" * 501}),
                 400, "INVALID_QUERY")
    draft = new_faq(env, title=f"Draft {word}")
    cust = Api(env, CUSTOMER).get("/api/faqs/search", params={"query": word}).json()
    assert draft["id"] not in [x["id"] for x in cust["data"]]


def test_tenancy(env):
    a = new_faq(env, status="published")
    for method in ("get", "patch", "delete"):
        args = ({"title": "x"},) if method == "patch" else ()
        r = getattr(Api(env, GLOBEX_ADMIN), method)(f"/api/faqs/{a['id']}", *args)
        assert_error(r, 404, "NOT_FOUND")
    ids = [x["id"] for x in Api(env, GLOBEX_ADMIN).get("/api/faqs?limit=100").json()["data"]]
    assert a["id"] not in ids
    assert_error(Api(env, AGENT).get("/api/faqs/not-a-uuid"), 404, "NOT_FOUND")


def test_idempotency_key_replays_the_create(env):
    key = uniq("idem")
    body = {"title": f"Once {uniq()}", "body": "x"}
    first = Api(env, AGENT).post("/api/faqs", body, headers={"Idempotency-Key": key})
    again = Api(env, AGENT).post("/api/faqs", body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert env.psql(f"SELECT count(*) FROM faq_articles "
                    f"WHERE title = '{body['title']}'")[0][0] == "1"
    other = Api(env, AGENT).post("/api/faqs", {"title": "Other", "body": "x"},
                                 headers={"Idempotency-Key": key})
    assert_error(other, 409, "CONFLICT")


def test_link_unlink_with_audit_event_and_detail(env):
    t = create_ticket(env, user=CUSTOMER)
    pub = new_faq(env, status="published")
    draft = new_faq(env)
    before = Api(env, AGENT).get(f"/api/tickets/{t['id']}").headers["ETag"]
    with start(env, user=ADMIN) as staff:
        r = Api(env, AGENT).post(f"/api/tickets/{t['id']}/articles", {"articleId": pub["id"]})
        assert r.status_code == 201, r.text
        assert data(r, 201) == {"articleId": pub["id"], "title": pub["title"]}
        got = staff.collect(lambda out: any(e["event"] == "ticket_updated"
                                            and e["json"]["id"] == t["id"] for e in out))
    ev = [e for e in got if e["event"] == "ticket_updated" and e["json"]["id"] == t["id"]][0]
    assert ev["json"]["changes"]["article"] == {
        "before": None, "after": {"articleId": pub["id"], "title": pub["title"]}}
    again = Api(env, AGENT).post(f"/api/tickets/{t['id']}/articles", {"articleId": pub["id"]})
    assert again.status_code == 200, again.text
    data(Api(env, AGENT).post(f"/api/tickets/{t['id']}/articles",
                              {"articleId": draft["id"]}), 201)
    detail = Api(env, AGENT).get(f"/api/tickets/{t['id']}")
    assert detail.headers["ETag"] != before
    assert [a["id"] for a in detail.json()["data"]["articles"]] == [pub["id"], draft["id"]]
    assert all(a["linkedAt"] for a in detail.json()["data"]["articles"])
    assert [set(a) for a in detail.json()["data"]["articles"]] == [STAFF_LINK] * 2
    assert detail.json()["data"]["articles"][1]["status"] == "draft"
    # The customer sees the published one only, in the detail and the list.
    mine = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}").json()["data"]
    assert [a["id"] for a in mine["articles"]] == [pub["id"]]
    assert set(mine["articles"][0]) == CUSTOMER_LINK
    listed = data(Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}/articles"))
    assert [a["id"] for a in listed] == [pub["id"]]
    types = [e["type"] for e in db_events(env, t["id"])]
    assert types.count("ARTICLE_LINKED") == 2
    # A linked article cannot be deleted.
    assert_error(Api(env, AGENT).delete(f"/api/faqs/{pub['id']}"), 409, "CONFLICT")
    r = Api(env, AGENT).delete(f"/api/tickets/{t['id']}/articles/{pub['id']}")
    assert r.status_code == 204, r.text
    assert_error(Api(env, AGENT).delete(f"/api/tickets/{t['id']}/articles/{pub['id']}"),
                 404, "NOT_FOUND")
    assert [e["type"] for e in db_events(env, t["id"])].count("ARTICLE_UNLINKED") == 1
    left = data(Api(env, AGENT).get(f"/api/tickets/{t['id']}/articles"))
    assert [a["id"] for a in left] == [draft["id"]]


def test_link_errors_change_nothing(env):
    t = create_ticket(env)
    other = create_ticket(env, user=GLOBEX_ADMIN)
    theirs = new_faq(env, user=GLOBEX_ADMIN, status="published")
    a = new_faq(env, status="published")
    url = f"/api/tickets/{t['id']}/articles"
    assert_error(Api(env, AGENT).post(url, {}), 400, "VALIDATION_ERROR", "articleId")
    assert_error(Api(env, AGENT).post(url, {"articleId": "x"}), 400, "VALIDATION_ERROR",
                 "articleId")
    assert_error(Api(env, AGENT).post(url, {"articleId": theirs["id"]}), 404,
                 "NOT_FOUND", "articleId")
    assert_error(Api(env, AGENT).post(url, {"articleId": "00000000-0000-4000-8000-000000000000"}),
                 404, "NOT_FOUND", "articleId")
    assert_error(Api(env, AGENT).post(url, {"articleId": a["id"], "note": "x"}), 400,
                 "VALIDATION_ERROR", "note")
    assert_error(Api(env, AGENT).delete(f"{url}/{theirs['id']}"), 404, "NOT_FOUND")
    assert_error(Api(env, AGENT).delete(f"{url}/{a['id']}"), 404, "NOT_FOUND")
    assert_error(Api(env, VIEWER).post(url, {"articleId": a["id"]}), 403, "FORBIDDEN")
    assert_error(Api(env, CUSTOMER).post(url, {"articleId": a["id"]}), 403, "FORBIDDEN")
    assert_error(Api(env, AGENT).post(f"/api/tickets/{other['id']}/articles",
                                      {"articleId": a["id"]}), 404, "NOT_FOUND")
    assert_error(Api(env, AGENT).get(f"/api/tickets/{other['id']}/articles"),
                 404, "NOT_FOUND")
    assert_error(Api(env, AGENT).delete(f"{url}/not-a-uuid"), 404, "NOT_FOUND")
    assert data(Api(env, AGENT).get(url)) == []
    assert [e["type"] for e in db_events(env, t["id"])] == ["TICKET_CREATED"]
    # Another customer's ticket is not the customer's to read.
    assert_error(Api(env, CUSTOMER).get(url), 404, "NOT_FOUND")


def test_editing_a_linked_article_moves_the_ticket_etag(env):
    t = create_ticket(env, user=CUSTOMER)
    a = new_faq(env, status="published")
    data(Api(env, AGENT).post(f"/api/tickets/{t['id']}/articles", {"articleId": a["id"]}), 201)
    before = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}").headers["ETag"]
    data(Api(env, AGENT).patch(f"/api/faqs/{a['id']}", {"status": "draft"}))
    r = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}", headers={"If-None-Match": before})
    assert r.status_code == 200 and r.json()["data"]["articles"] == []


def _updates(events, ticket_id):
    return [e for e in events if e["event"] == "ticket_updated"
            and e["json"].get("id") == ticket_id]


def test_a_draft_link_is_for_staff_only(env):
    """Linking a draft: staff hear of it, the customer neither hears of
    it nor sees their ticket's ETag move; a published one reaches both."""
    t = create_ticket(env, user=CUSTOMER)
    draft = new_faq(env)
    pub = new_faq(env, status="published")
    url = f"/api/tickets/{t['id']}/articles"
    before = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}").headers["ETag"]
    with start(env, user=ADMIN) as staff, start(env, user=CUSTOMER) as cust:
        data(Api(env, AGENT).post(url, {"articleId": draft["id"]}), 201)
        got = staff.collect(lambda out: _updates(out, t["id"]))
        assert _updates(got, t["id"])[0]["json"]["changes"]["article"]["after"] == {
            "articleId": draft["id"], "title": draft["title"]}
        assert _updates(cust.quiet(1.0), t["id"]) == []
        r = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}",
                                   headers={"If-None-Match": before})
        assert r.status_code == 304, r.text
        data(Api(env, AGENT).post(url, {"articleId": pub["id"]}), 201)
        seen = cust.collect(lambda out: _updates(out, t["id"]))
    assert [e["json"]["changes"]["article"]["after"]["articleId"]
            for e in _updates(seen, t["id"])] == [pub["id"]]
    assert draft["title"] not in "".join(e["data"] for e in seen)
    r = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}", headers={"If-None-Match": before})
    assert r.status_code == 200 and [a["id"] for a in r.json()["data"]["articles"]] == [pub["id"]]


def test_a_delete_racing_a_link_is_a_conflict(env):
    """A link whose transaction is still open when the article is deleted:
    the delete waits for it and answers 409, never a 500."""
    a = new_faq(env, status="published")
    t = create_ticket(env)
    link = subprocess.Popen(
        [os.path.join(env.pg_bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
         "BEGIN; INSERT INTO ticket_articles (ticket_id, article_id, org_id) "
         f"VALUES ('{t['id']}', '{a['id']}', '{ORG_ACME}'); SELECT pg_sleep(1.5); COMMIT;"],
        env=env._pg_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)                 # the link holds its key share lock
        r = Api(env, AGENT).delete(f"/api/faqs/{a['id']}")
        assert_error(r, 409, "CONFLICT")
    finally:
        assert link.wait(30) == 0, link.stderr.read()
    assert Api(env, AGENT).get(f"/api/faqs/{a['id']}").status_code == 200
