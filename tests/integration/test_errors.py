"""Bad input: each refused request answers the error document and changes
nothing in the database (SPEC section 4, docs/api.md)."""

import json
import socket
import time
import urllib.parse

import pytest
import requests

from tkcheck import (ADMIN, AGENT, RawResponse, assert_error, basic, create_ticket,
                     db_counts, raw, ticket_row, uniq)

MB = 1048576


def _post(env, body, headers=None, user=AGENT, path="/api/tickets"):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return env.session(user).post(env.url(path), data=body, headers=h, timeout=60)


@pytest.fixture
def unchanged(env):
    """Fails the test when a refused request wrote anything."""
    before = db_counts(env)
    yield
    assert db_counts(env) == before, "a refused request changed the database"


# ---- JSON bodies ---------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"{",
    b'{"title": "a", }',
    b"not json",
    b'{"title": "\xff\xfe"}',           # not UTF-8
    b"",
])
def test_malformed_json(env, unchanged, body):
    assert_error(_post(env, body), 400, "INVALID_JSON")


@pytest.mark.parametrize("body", [b"[]", b'["title"]', b'"title"', b"42", b"null"])
def test_non_object_json(env, unchanged, body):
    assert_error(_post(env, body), 400, "INVALID_JSON")


def test_duplicate_keys(env, unchanged):
    body = b'{"title": "one", "title": "two", "description": "d"}'
    assert_error(_post(env, body), 400, "INVALID_JSON")


def _valid(**over):
    body = {"title": uniq("err"), "description": "A description."}
    body.update(over)
    return body


@pytest.mark.parametrize("over,field", [
    ({"title": 42}, "title"),
    ({"title": None}, "title"),
    ({"title": ["a"]}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "bad\u0007bell"}, "title"),
    ({"description": {"text": "x"}}, "description"),
    ({"tags": "urgent"}, "tags"),
    ({"tags": [1, 2]}, "tags"),
    ({"tags": {"a": 1}}, "tags"),
    ({"priority": "extreme"}, "priority"),
    ({"priority": 1}, "priority"),
    ({"source": "pigeon"}, "source"),
    ({"assigneeId": "not-a-uuid"}, "assigneeId"),
    ({"status": "open"}, "status"),                  # not a create field
    ({"colour": "red"}, "colour"),
    ({"title": "x" * 201}, "title"),
    ({"title": "é" * 201}, "title"),
    ({"title": "\U0001F600" * 201}, "title"),
])
def test_create_validation(env, unchanged, over, field):
    body = _valid(**over)
    assert_error(_post(env, json.dumps(body)), 400, "VALIDATION_ERROR", field=field)


def test_missing_required_fields(env, unchanged):
    assert_error(_post(env, json.dumps({"description": "d"})), 400,
                 "VALIDATION_ERROR", field="title")
    assert_error(_post(env, json.dumps({"title": uniq("x")})), 400,
                 "VALIDATION_ERROR", field="description")


def test_title_length_counts_characters(env):
    # 200 characters are accepted however many bytes they take
    for ch in ("x", "é", "\u4e2d", "\U0001F600"):
        title = ch * 190 + uniq("")[:10]
        assert len(title) == 200
        r = env.session(AGENT).post(env.url("/api/tickets"), timeout=30,
                                    json={"title": title, "description": "d"})
        assert r.status_code == 201, (ch, r.text)
        assert r.json()["data"]["title"] == title


def test_patch_and_status_and_message_validation(env):
    t = create_ticket(env, AGENT)
    before = ticket_row(env, t["id"])
    u = f"/api/tickets/{t['id']}"
    s = env.session(AGENT)
    for body, field in (({"title": 5}, "title"), ({"owner": "me"}, "owner"),
                        ({"priority": "meh"}, "priority"), ({"tags": "a"}, "tags")):
        assert_error(s.patch(env.url(u), json=body, timeout=30), 400,
                     "VALIDATION_ERROR", field=field)
    for body, field in (({"status": "done"}, "status"), ({}, "status"),
                        ({"status": "closed", "why": "x"}, "why")):
        assert_error(s.patch(env.url(u + "/status"), json=body, timeout=30), 400,
                     "VALIDATION_ERROR", field=field)
    for body, field in (({"content": 5}, "content"), ({}, "content"),
                        ({"content": "  "}, "content"),
                        ({"content": "x", "internal": "yes"}, "internal"),
                        ({"content": "x", "cc": "y"}, "cc"),
                        ({"body": "x"}, "body")):
        assert_error(s.post(env.url(u + "/messages"), json=body, timeout=30), 400,
                     "VALIDATION_ERROR", field=field)
    assert_error(s.patch(env.url(u), data=b"{", timeout=30,
                         headers={"Content-Type": "application/json"}), 400, "INVALID_JSON")
    assert ticket_row(env, t["id"]) == before


# ---- Content-Type ----------------------------------------------------------------

@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "application/jsonx", "multipart/form-data; boundary=x"])
def test_wrong_content_type(env, unchanged, ctype):
    r = _post(env, json.dumps(_valid()).encode(), headers={"Content-Type": ctype})
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_missing_content_type(env, unchanged):
    body = json.dumps(_valid()).encode()
    r = raw(env, "POST", "/api/tickets", {"Authorization": basic(AGENT)}, body)
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_json_content_type_with_charset_is_fine(env):
    body = _valid()
    r = _post(env, json.dumps(body).encode(),
              headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text


def test_json_content_type_with_trailing_text(env, unchanged):
    """Only application/json, optionally with parameters after a ';', is
    JSON: anything else after the media type makes another type."""
    r = _post(env, json.dumps(_valid()).encode(),
              headers={"Content-Type": "application/json x"})
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


# ---- body size ---------------------------------------------------------------------

def _big_body(size):
    pad = size - len('{"title":"t","description":""}')
    return ('{"title":"t","description":"' + "x" * pad + '"}').encode()


def test_body_over_limit_with_content_length(env, unchanged):
    body = _big_body(MB + 1)
    assert len(body) == MB + 1
    r = _post(env, body)
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


def test_body_over_limit_chunked(env, unchanged):
    body = _big_body(MB + 4096)

    def gen():
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    r = _post(env, gen())
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


def test_body_at_limit_is_read(env):
    # exactly 1 MB is allowed: refused for its content (too long a
    # description), not for its size
    before = db_counts(env)
    r = _post(env, _big_body(MB))
    assert r.status_code == 400, r.text[:300]
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"
    assert db_counts(env) == before


@pytest.fixture
def small_body_limit(env):
    try:
        env.restart("<Location /api>\n    TicketsMaxBodySize 2000\n</Location>\n")
        yield env
    finally:
        env.restart("")


def test_lowered_body_limit(small_body_limit):
    env = small_body_limit
    before = db_counts(env)
    r = _post(env, json.dumps(_valid(description="y" * 2500)).encode())
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert "2000" in r.json()["error"]["message"]

    def gen():
        yield json.dumps(_valid(description="z" * 3000)).encode()
    assert_error(_post(env, gen()), 413, "PAYLOAD_TOO_LARGE")
    assert db_counts(env) == before
    r = _post(env, json.dumps(_valid(description="small")).encode())
    assert r.status_code == 201, r.text


# ---- query strings -------------------------------------------------------------------

@pytest.mark.parametrize("query,field", [
    ("limit=abc", "limit"),
    ("limit=-1", "limit"),
    ("limit=0", "limit"),
    ("limit=1.5", "limit"),
    ("limit=", "limit"),
    ("offset=-1", "offset"),
    ("offset=abc", "offset"),
    ("offset=99999999999", "offset"),
    ("stauts=open", "stauts"),
    ("status=open&status=closed", "status"),
    ("status=bogus", "status"),
    ("sort=title", "sort"),
    ("createdFrom=yesterday", "createdFrom"),
])
def test_bad_list_query(env, query, field):
    r = env.get(f"/api/tickets?{query}", user=AGENT)
    assert_error(r, 400, "INVALID_QUERY", field=field)


@pytest.mark.parametrize("path", ["/api/tokens?limit=0", "/api/tokens?offset=x",
                                  "/api/tokens?foo=1"])
def test_bad_tokens_query(env, path):
    assert_error(env.get(path, user=ADMIN), 400, "INVALID_QUERY")


def test_query_on_routes_without_parameters(env):
    assert_error(env.get("/api/auth/me?verbose=1", user=AGENT), 400, "INVALID_QUERY",
                 field="verbose")
    t = create_ticket(env, AGENT)
    assert_error(env.get(f"/api/tickets/{t['id']}?expand=all", user=AGENT), 400,
                 "INVALID_QUERY", field="expand")


@pytest.mark.parametrize("qs", ["status=%zz", "status=%4", "q=%", "%gg=1", "q=a%00b"])
def test_malformed_percent_escape(env, qs):
    r = raw(env, "GET", f"/api/tickets?{qs}", {"Authorization": basic(AGENT)})
    assert_error(r, 400, "INVALID_QUERY")


def test_valid_query_passes(env):
    r = env.get("/api/tickets?limit=1&offset=0&status=open,waiting&sort=-number",
                user=AGENT)
    assert r.status_code == 200, r.text
    assert r.json()["limit"] == 1 and r.json()["offset"] == 0


# ---- paths and methods -------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/nope", "/api/tickets/x/y/z", "/api/ticket",
                                  "/api/tokens/a/b", "/api/auth"])
def test_unknown_path(env, path):
    assert_error(env.get(path, user=AGENT), 404, "NOT_FOUND")


@pytest.mark.parametrize("method,path,allowed", [
    ("PUT", "/api/tickets", {"GET", "POST"}),
    ("DELETE", "/api/tickets", {"GET", "POST"}),
    ("POST", "/api/health", {"GET"}),
    ("GET", "/api/auth/logout", {"POST"}),
    ("PUT", "/api/tokens", {"GET", "POST"}),
    ("GET", "/api/tokens/00000000-0000-4000-8000-000000000000", {"DELETE"}),
    ("PUT", "/api/tickets/1", {"GET", "PATCH", "DELETE"}),
    ("POST", "/api/tickets/1/status", {"PATCH"}),
    ("GET", "/api/tickets/1/messages", {"POST"}),
    ("POST", "/api/tickets/1/events", {"GET"}),
    # "search" also matches /api/tickets/:id, whose methods may be listed,
    # but each method once
    ("POST", "/api/tickets/search", {"GET", "PATCH", "DELETE"}),
])
def test_wrong_method(env, unchanged, method, path, allowed):
    r = env.session(ADMIN).request(method, env.url(path), timeout=30,
                                   json={} if method in ("POST", "PUT") else None)
    assert_error(r, 405, "METHOD_NOT_ALLOWED")
    allow = [m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()]
    assert set(allow) - {"HEAD", "OPTIONS"} == allowed, r.headers.get("Allow")
    assert len(allow) == len(set(allow)), f"duplicates in Allow: {allow}"


def test_head_is_get_without_body(env):
    t = create_ticket(env, AGENT)
    for path in ("/api/tickets?limit=2", f"/api/tickets/{t['id']}", "/api/health",
                 "/api/auth/me"):
        g = env.get(path, user=AGENT)
        h = env.session(AGENT).head(env.url(path), timeout=30)
        assert g.status_code == 200
        assert h.status_code == 200, (path, h.status_code)
        assert h.content == b""
        assert h.headers["Content-Type"] == g.headers["Content-Type"]
        if "ETag" in g.headers:
            assert h.headers.get("ETag") == g.headers["ETag"]
        if "Content-Length" in h.headers:
            assert int(h.headers["Content-Length"]) == len(g.content)
    h = env.session(AGENT).head(env.url("/api/nope"), timeout=30)
    assert h.status_code == 404 and h.content == b""


def test_error_shape_everywhere(env):
    """Errors made by httpd itself (through ErrorDocument) and by the module
    have the same shape and carry the request id of the response."""
    cases = [
        env.session().get(env.url("/api/tickets"), timeout=30),             # 401 by httpd
        env.get("/api/tickets/00000000-0000-4000-8000-000000000000", user=AGENT),
        env.get("/api/tickets?limit=0", user=AGENT),
        env.session(AGENT).put(env.url("/api/tickets"), timeout=30),
        env.session(AGENT).post(env.url("/api/tickets"), data=b"{", timeout=30,
                                headers={"Content-Type": "application/json"}),
    ]
    ids = set()
    for r in cases:
        err = assert_error(r, r.status_code, r.json()["error"]["code"])
        ids.add(err["requestId"])
    assert len(ids) == len(cases), "request ids are not unique"


# Requests httpd itself refuses before the module sees them; raw, since
# requests and http.client would normalize the path or refuse the header.
HTTPD_REFUSALS = [
    ("content-length-minus-one", "POST", "/api/tickets",
     {"Content-Type": "application/json", "Content-Length": "-1"}),
    ("encoded-dot-dot-slash", "GET", "/api/tickets/..%2f..%2fetc", {}),
    ("encoded-slash", "GET", "/api/tickets/1%2fmessages", {}),
    ("encoded-nul", "GET", "/api/tickets/1%00", {}),
    ("encoded-nul-inside", "GET", "/api/tick%00ets", {}),
]
CODE_OF_STATUS = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 404: "NOT_FOUND"}


def _raw_bytes(env, request):
    with socket.create_connection(("127.0.0.1", env.port), timeout=10) as s:
        s.sendall(request)
        data, deadline = b"", time.time() + 10
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
    return data


def _parse_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), data[:300]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return RawResponse(int(lines[0].split()[1]), headers, body)


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
@pytest.mark.parametrize("name,method,path,headers", HTTPD_REFUSALS,
                         ids=[c[0] for c in HTTPD_REFUSALS])
def test_httpd_refusals_on_api_are_json(env, unchanged, signed_in, name, method, path,
                                        headers):
    """Everything under /api answers the API's error document, also what
    httpd refuses on its own (a broken Content-Length, an encoded slash or
    NUL in the path), whose default answers are HTML pages."""
    h = {"Host": "127.0.0.1", "Connection": "close"}
    if signed_in:
        h["Authorization"] = basic(AGENT)
    h.update(headers)
    req = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
    r = _parse_response(_raw_bytes(env, (req + "\r\n").encode()))
    assert r.status_code in CODE_OF_STATUS, (r.status_code, r.text[:300])
    assert "<html" not in r.text.lower(), r.text[:300]
    assert_error(r, r.status_code, CODE_OF_STATUS[r.status_code])


def test_refused_requests_are_not_logged_as_errors(env, unchanged):
    # the error-log check after each test fails on any warn/error line; this
    # test makes a burst of client errors in one place
    s = env.session(AGENT)
    s.post(env.url("/api/tickets"), data=b"{", headers={"Content-Type": "application/json"},
           timeout=30)
    s.post(env.url("/api/tickets"), json={"title": 1}, timeout=30)
    s.get(env.url("/api/tickets?limit=x"), timeout=30)
    s.get(env.url("/api/tickets/TKT-99999999"), timeout=30)
    s.put(env.url("/api/tickets"), timeout=30)
    env.session().get(env.url("/api/tickets"), auth=(AGENT, "wrong"), timeout=30)
    try:
        s.post(env.url("/api/tickets"), data=_big_body(MB + 10),
               headers={"Content-Type": "application/json"}, timeout=30)
    except requests.ConnectionError:
        pass


# ---- input PostgreSQL would refuse: caught before any statement ---------------

@pytest.mark.parametrize("query", [
    "tag=%FF", "q=%C3", "category=%ED%A0%80", "productArea=a%FFb", "%FF=1",
])
def test_query_not_utf8(env, unchanged, query):
    r = raw(env, "GET", "/api/tickets?" + query, headers={"Authorization": basic(AGENT)})
    assert_error(r, 400, "INVALID_QUERY")
    assert r.json()["error"]["message"], "every error has a message"


def test_search_query_not_utf8(env, unchanged):
    r = raw(env, "GET", "/api/tickets/search?query=%FF",
            headers={"Authorization": basic(AGENT)})
    assert_error(r, 400, "INVALID_QUERY")


@pytest.mark.parametrize("value", ["2024-02-30", "2023-02-29", "2024-04-31", "0000-01-01"])
def test_impossible_dates(env, unchanged, value):
    r = env.get("/api/tickets?createdFrom=" + value, user=AGENT)
    assert_error(r, 400, "INVALID_QUERY", field="createdFrom")


@pytest.mark.parametrize("field", ["createdFrom", "createdTo"])
@pytest.mark.parametrize("offset", ["+16:00", "+99:99", "+14:60", "-25:00"])
def test_impossible_utc_offsets(env, unchanged, field, offset):
    """An offset no clock has is bad input (400), not a database failure."""
    value = urllib.parse.quote("2024-01-01T00:00:00" + offset, safe=":")
    r = env.get(f"/api/tickets?{field}={value}", user=AGENT)
    assert_error(r, 400, "INVALID_QUERY", field=field)


@pytest.mark.parametrize("field", ["createdFrom", "createdTo"])
@pytest.mark.parametrize("offset", ["+14:00", "-12:00", "+05:30", "-00:00"])
def test_real_utc_offsets(env, field, offset):
    value = urllib.parse.quote("2024-01-01T00:00:00" + offset, safe=":")
    r = env.get(f"/api/tickets?{field}={value}", user=AGENT)
    assert r.status_code == 200, r.text


def test_leap_day_is_a_date(env):
    r = env.get("/api/tickets?createdFrom=2024-02-29", user=AGENT)
    assert r.status_code == 200, r.text


def test_basic_credentials_not_utf8(env):
    import base64
    token = base64.b64encode(b"\xff@x.test:pw").decode()
    r = raw(env, "GET", "/api/tickets", headers={"Authorization": "Basic " + token})
    assert_error(r, 401, "UNAUTHENTICATED")
