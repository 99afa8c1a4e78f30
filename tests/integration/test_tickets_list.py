"""GET /api/tickets (filters, sort, paging) and GET /api/tickets/search.

Each module builds its own tickets, tagged with a unique tag, and pins
their created_at / updated_at in the database so that every order is
known.  Filters over the whole organization are compared with what psql
says at that moment."""

import urllib.parse

import pytest

from tickets_util import (
    ADMIN, ADMIN_ID, AGENT, AGENT_ID, CUSTOMER, CUSTOMER_ID, ORG_ACME, VIEWER,
    WALKIN_CUSTOMER_ID, Api, assert_error, assert_list_shape, assert_ticket_doc,
    create_ticket, q, uniq,
)

# name: (status, priority, category, productArea, source, assignee, customer,
#        extra tag?, created_at, updated_at)
SPEC = {
    "A": ("open", "low", "catA", "areaX", "web", AGENT_ID, CUSTOMER_ID, True,
          "2001-01-03T00:00:00Z", "2002-01-05T00:00:00Z"),
    "B": ("in_progress", "medium", "catB", "areaY", "email", None, WALKIN_CUSTOMER_ID,
          False, "2001-01-01T00:00:00Z", "2002-01-01T00:00:00Z"),
    "C": ("waiting", "high", "catA", "areaY", "call", ADMIN_ID, None, True,
          "2001-01-05T00:00:00Z", "2002-01-03T00:00:00Z"),
    "D": ("resolved", "urgent", "catB", "areaX", "chat", None, None, False,
          "2001-01-02T00:00:00Z", "2002-01-02T00:00:00Z"),
    "E": ("closed", "medium", "catA", "areaX", "api", AGENT_ID, None, False,
          "2001-01-04T00:00:00Z", "2002-01-04T00:00:00Z"),
}


@pytest.fixture(scope="module")
def data(env):
    tag = uniq("lst")
    red = uniq("red")
    word = uniq("w")
    ids = {}
    for name in sorted(SPEC):
        (status, prio, cat, area, src, assignee, customer, extra, created,
         updated) = SPEC[name]
        fields = dict(title=f"List {name} {tag}" + (f" {word}" if name == "D" else ""),
                      description=f"Ticket {name} of a list test.",
                      priority=prio, category=cat, productArea=area, source=src,
                      tags=[tag, red] if extra else [tag])
        if assignee:
            fields["assigneeId"] = assignee
        if customer:
            fields["customerId"] = customer
        t = create_ticket(env, AGENT, **fields)
        if status != "open":
            r = Api(env, AGENT).patch(f"/api/tickets/{t['id']}/status",
                                      {"status": status})
            assert r.status_code == 200, r.text
        env.psql(f"UPDATE tickets SET created_at = {q(created)}, "
                 f"updated_at = {q(updated)} WHERE id = {q(t['id'])}")
        ids[name] = t["id"]
    names = {v: k for k, v in ids.items()}
    return {"tag": tag, "red": red, "word": word, "ids": ids, "names": names}


def _names(data, body):
    return [data["names"].get(t["id"], "?") for t in body["data"]]


def _list(env, params, user=AGENT):
    r = Api(env, user).get("/api/tickets?" + urllib.parse.urlencode(params))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert_list_shape(body)
    return body


def test_list_shape_and_defaults(env, data):
    body = _list(env, {"tag": data["tag"]})
    assert body["limit"] == 20 and body["offset"] == 0 and body["total"] == 5
    for t in body["data"]:
        assert_ticket_doc(t)
        assert "messages" not in t
    # default sort is -createdAt
    assert _names(data, body) == ["C", "E", "A", "D", "B"]
    a = next(t for t in body["data"] if t["id"] == data["ids"]["A"])
    assert a["createdAt"] == "2001-01-03T00:00:00.000Z"
    assert a["updatedAt"] == "2002-01-05T00:00:00.000Z"


@pytest.mark.parametrize("params,expected", [
    ({"status": "open"}, "A"),
    ({"status": "in_progress"}, "B"),
    ({"status": "open,waiting"}, "AC"),
    ({"status": "resolved,closed,in_progress"}, "BDE"),
    ({"priority": "medium"}, "BE"),
    ({"priority": "low,urgent"}, "AD"),
    ({"category": "catA"}, "ACE"),
    ({"productArea": "areaY"}, "BC"),
    ({"productArea": "areaX", "category": "catB"}, "D"),
    ({"assigneeId": AGENT_ID}, "AE"),
    ({"assigneeId": ADMIN_ID}, "C"),
    ({"assigneeId": "none"}, "BD"),
    ({"customerId": CUSTOMER_ID}, "A"),
    ({"customerId": WALKIN_CUSTOMER_ID}, "B"),
    ({"source": "web"}, "A"),
    ({"source": "web,email,chat"}, "ABD"),
    ({"createdFrom": "2001-01-02T00:00:00Z"}, "ACDE"),         # inclusive
    ({"createdTo": "2001-01-04T00:00:00Z"}, "ABD"),            # exclusive
    ({"createdFrom": "2001-01-02T00:00:00Z",
      "createdTo": "2001-01-04T00:00:00Z"}, "AD"),
    ({"createdFrom": "2001-01-03T00:00:00.001Z"}, "CE"),
    ({"status": "open,waiting,closed", "assigneeId": AGENT_ID}, "AE"),
    ({"status": "waiting", "priority": "low"}, ""),
])
def test_list_filters_on_own_tickets(env, data, params, expected):
    params = dict(params, tag=data["tag"], sort="number")
    body = _list(env, params)
    assert _names(data, body) == list(expected)
    assert body["total"] == len(expected)


def test_list_filter_tag_and_q(env, data):
    body = _list(env, {"tag": data["red"], "sort": "number"})
    assert _names(data, body) == ["A", "C"]
    assert body["total"] == 2
    body = _list(env, {"q": data["word"]})
    assert _names(data, body) == ["D"]
    body = _list(env, {"q": f"{data['tag']} -{data['word']}", "sort": "number"})
    assert _names(data, body) == ["A", "B", "C", "E"]
    body = _list(env, {"q": data["tag"], "status": "open,closed", "sort": "number"})
    assert _names(data, body) == ["A", "E"]


@pytest.mark.parametrize("sort,expected", [
    ("createdAt", "BDAEC"),
    ("-createdAt", "CEADB"),
    ("number", "ABCDE"),
    ("-number", "EDCBA"),
    ("priority", "AEBCD"),      # ties (B, E medium) newest first
    ("-priority", "DCEBA"),
    ("updatedAt", "BDCEA"),
    ("-updatedAt", "AECDB"),
])
def test_list_sort(env, data, sort, expected):
    body = _list(env, {"tag": data["tag"], "sort": sort})
    assert _names(data, body) == list(expected)


def test_customer_list_sorts_by_the_time_they_see(env):
    """A customer's updatedAt is the time of the last change they can see
    (public_updated_at): an internal note moves the staff view's updatedAt
    only, so it must not move the ticket in the customer's updatedAt order
    either."""
    tag = uniq("pub")
    older = create_ticket(env, AGENT, customerId=CUSTOMER_ID, tags=[tag])
    newer = create_ticket(env, AGENT, customerId=CUSTOMER_ID, tags=[tag])
    for t, ts in ((older, "2003-01-02T00:00:00Z"), (newer, "2003-01-03T00:00:00Z")):
        env.psql(f"UPDATE tickets SET created_at = '2003-01-01T00:00:00Z', "
                 f"updated_at = {q(ts)}, public_updated_at = {q(ts)} WHERE id = {q(t['id'])}")
    names = {older["id"]: "older", newer["id"]: "newer"}
    public = {"older": "2003-01-02T00:00:00.000Z", "newer": "2003-01-03T00:00:00.000Z"}

    def order(user, sort):
        body = _list(env, {"tag": tag, "sort": sort}, user=user)
        return [names[t["id"]] for t in body["data"]], [t["updatedAt"] for t in body["data"]]

    def customer_order_is_public():
        got, stamps = order(CUSTOMER, "-updatedAt")
        assert stamps == [public[n] for n in got], "the customer sees another updatedAt"
        assert got == ["newer", "older"], f"sort=-updatedAt: {got} (shown {stamps})"
        got, stamps = order(CUSTOMER, "updatedAt")
        assert got == ["older", "newer"], f"sort=updatedAt: {got} (shown {stamps})"

    customer_order_is_public()
    # The state an internal note leaves: the staff time moved, the public
    # one did not.
    env.psql(f"UPDATE tickets SET updated_at = '2003-01-04T00:00:00Z' "
             f"WHERE id = {q(older['id'])}")
    assert order(AGENT, "-updatedAt")[0] == ["older", "newer"]
    customer_order_is_public()
    # And a real internal note, made now.
    r = Api(env, AGENT).post(f"/api/tickets/{older['id']}/messages",
                             {"content": "staff only", "internal": True})
    assert r.status_code == 201, r.text
    assert order(AGENT, "-updatedAt")[0] == ["older", "newer"]
    assert order(AGENT, "updatedAt")[0] == ["newer", "older"]
    customer_order_is_public()


def test_list_paging_and_total(env, data):
    tag = data["tag"]
    full = _names(data, _list(env, {"tag": tag, "sort": "number"}))
    pages = []
    for off in (0, 2, 4):
        body = _list(env, {"tag": tag, "sort": "number", "limit": 2, "offset": off})
        assert body["limit"] == 2 and body["offset"] == off and body["total"] == 5
        pages += _names(data, body)
    assert pages == full == list("ABCDE")

    body = _list(env, {"tag": tag, "sort": "number", "limit": 3, "offset": 4})
    assert _names(data, body) == ["E"] and body["total"] == 5
    # past the end: no items, but the total still counts every match
    for off in (5, 50, 100000):
        body = _list(env, {"tag": tag, "limit": 2, "offset": off})
        assert body["data"] == []
        assert body["total"] == 5, off
        assert body["offset"] == off
    body = _list(env, {"tag": tag, "status": "open,waiting", "offset": 7})
    assert body["data"] == [] and body["total"] == 2
    body = _list(env, {"tag": uniq("nothing"), "offset": 3})
    assert body["data"] == [] and body["total"] == 0


def test_list_limit_clamped_to_100(env, data):
    while int(env.psql(f"SELECT count(*) FROM tickets WHERE org_id = {q(ORG_ACME)} "
                       f"AND deleted_at IS NULL")[0][0]) <= 100:
        create_ticket(env, AGENT)
    total = int(env.psql(f"SELECT count(*) FROM tickets WHERE org_id = {q(ORG_ACME)} "
                         f"AND deleted_at IS NULL")[0][0])
    for limit in (101, 1000, 2147483647):
        body = _list(env, {"limit": limit}, user=ADMIN)
        assert body["limit"] == 100
        assert len(body["data"]) == 100
        assert body["total"] == total
    body = _list(env, {"limit": 100}, user=ADMIN)
    assert body["limit"] == 100 and len(body["data"]) == 100
    body = _list(env, {"tag": data["tag"], "limit": 500})
    assert body["limit"] == 100 and len(body["data"]) == 5


def test_list_bad_limit_and_sort(env):
    api = Api(env, AGENT)
    for bad in ("limit=0", "limit=-1", "limit=abc", "offset=-3", "sort=title",
                "status=open,bogus", "assigneeId=me", "createdFrom=yesterday"):
        r = api.get(f"/api/tickets?{bad}")
        assert_error(r, 400, "INVALID_QUERY", field=bad.split("=")[0])


# Whole-organization filters compared with the database.
PSQL_FILTERS = [
    ({"status": "open"}, "status = 'open'"),
    ({"status": "open,waiting"}, "status IN ('open', 'waiting')"),
    ({"priority": "high,urgent"}, "priority IN ('high', 'urgent')"),
    ({"category": "bug"}, "category = 'bug'"),
    ({"productArea": "invoices"}, "product_area = 'invoices'"),
    ({"assigneeId": AGENT_ID}, f"assignee_id = '{AGENT_ID}'"),
    ({"assigneeId": "none"}, "assignee_id IS NULL"),
    ({"customerId": CUSTOMER_ID}, f"customer_id = '{CUSTOMER_ID}'"),
    ({"source": "web,api"}, "source IN ('web', 'api')"),
    ({"tag": "billing"}, "tags @> ARRAY['billing']"),
    ({"createdFrom": "2001-01-02T00:00:00Z", "createdTo": "2001-01-05T00:00:00Z"},
     "created_at >= '2001-01-02T00:00:00Z' AND created_at < '2001-01-05T00:00:00Z'"),
    ({"q": "password"}, "search @@ websearch_to_tsquery('english', 'password')"),
    ({}, "true"),
]


@pytest.mark.parametrize("params,where", PSQL_FILTERS)
def test_list_filters_match_database(env, data, params, where):
    body = _list(env, dict(params, sort="-number", limit=100), user=VIEWER)
    rows = env.psql(f"SELECT id FROM tickets WHERE org_id = {q(ORG_ACME)} "
                    f"AND deleted_at IS NULL AND ({where}) ORDER BY number DESC")
    expected = [r[0] for r in rows]
    assert body["total"] == len(expected)
    assert [t["id"] for t in body["data"]] == expected[:100]
    assert body["limit"] == 100


# ---------------------------------------------------------------------------
# search
# ---------------------------------------------------------------------------

def test_search_ranks_title_above_description(env):
    word = uniq("srch")
    desc_only = create_ticket(env, AGENT, title=f"Unrelated heading {uniq()}",
                              description=f"Somewhere in here: {word}.")
    in_title = create_ticket(env, AGENT, title=f"Problem with {word}",
                             description="Nothing else to say.")
    create_ticket(env, AGENT, title=f"Other {uniq()}", description="No match.")
    r = Api(env, VIEWER).get(f"/api/tickets/search?query={word}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert_list_shape(body, limit=20, offset=0)
    assert [t["id"] for t in body["data"]] == [in_title["id"], desc_only["id"]]
    assert body["total"] == 2
    for t in body["data"]:
        assert_ticket_doc(t)
        assert isinstance(t["rank"], (int, float)) and t["rank"] > 0
    assert body["data"][0]["rank"] > body["data"][1]["rank"]


def test_search_stemming_and_paging(env):
    word = uniq("st")
    a = create_ticket(env, AGENT, title=f"{word} printers failing",
                      description="x")
    b = create_ticket(env, AGENT, title=f"{word} printer failed",
                      description="printer printer")
    api = Api(env, AGENT)
    r = api.get(f"/api/tickets/search?query={word}+printer")
    assert r.status_code == 200
    assert {t["id"] for t in r.json()["data"]} == {a["id"], b["id"]}
    r = api.get(f"/api/tickets/search?query={word}&limit=1")
    body = r.json()
    assert body["limit"] == 1 and len(body["data"]) == 1 and body["total"] == 2
    r = api.get(f"/api/tickets/search?query={word}&limit=1&offset=1")
    body2 = r.json()
    assert len(body2["data"]) == 1 and body2["total"] == 2
    assert body2["data"][0]["id"] != body["data"][0]["id"]


def test_search_total_past_the_end(env):
    """docs/api.md: total counts all matches, also when the page is past
    the end."""
    word = uniq("pe")
    for _ in range(2):
        create_ticket(env, AGENT, title=f"Past the end {word}")
    r = Api(env, AGENT).get(f"/api/tickets/search?query={word}&offset=10")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data"] == [] and body["offset"] == 10
    assert body["total"] == 2


def test_search_matches_database(env):
    r = Api(env, ADMIN).get("/api/tickets/search?query=password&limit=100")
    assert r.status_code == 200
    rows = env.psql(f"SELECT id FROM tickets WHERE org_id = {q(ORG_ACME)} "
                    f"AND deleted_at IS NULL AND "
                    f"search @@ websearch_to_tsquery('english', 'password')")
    assert sorted(t["id"] for t in r.json()["data"]) == sorted(x[0] for x in rows)
    assert r.json()["total"] == len(rows)


@pytest.mark.parametrize("qs", ["", "?query=", "?limit=5"])
def test_search_without_query(env, qs):
    r = Api(env, AGENT).get(f"/api/tickets/search{qs}")
    assert_error(r, 400, "INVALID_QUERY", message="Query parameter is required")
