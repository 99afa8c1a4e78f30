"""docs/openapi.json against the server: every endpoint is documented, and
what the document says of codes and security holds.

The routes come from the sources (the tk_routes[] table of
mod_tickets/handlers/tk_router.c and the tickets-sse <Location> blocks of
conf/tickets_sse.conf), so an endpoint cannot be added without being
described.
"""

import json
import os
import re

import pytest

from tkenv import ROOT

OPENAPI = os.path.join(ROOT, "docs", "openapi.json")
ROUTER = os.path.join(ROOT, "mod_tickets", "handlers", "tk_router.c")
SSE_CONF = os.path.join(ROOT, "conf", "tickets_sse.conf")
ERROR_C = os.path.join(ROOT, "mod_tickets", "lib", "core", "tk_error.c")
PUBLIC_H = os.path.join(ROOT, "include", "mod_tickets.h")

METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")

# { "GET", "/api/tickets/:id", tk_handle_tickets_get, TK_QUERY },
ROUTE_RE = re.compile(
    r'\{\s*"(?P<method>[A-Z]+)"\s*,\s*"(?P<path>/[^"]*)"\s*,\s*'
    r'(?P<handler>\w+)\s*,\s*(?P<flags>[\w\s|]+?)\s*\}')


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _doc():
    with open(OPENAPI, encoding="utf-8") as f:
        return json.load(f)


def _openapi_path(pattern):
    """/api/tickets/:id -> /api/tickets/{id}"""
    return re.sub(r":(\w+)", r"{\1}", pattern)


def _routes():
    """{(METHOD, path): set of flags} of the router table and the streams."""
    text = _read(ROUTER)
    table = re.search(r"tk_routes\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    assert table, "tk_routes[] not found in tk_router.c"
    body = re.sub(r"/\*.*?\*/", "", table.group(1), flags=re.S)
    routes = {}
    for m in ROUTE_RE.finditer(body):
        flags = {f.strip() for f in m.group("flags").split("|")} - {"0", ""}
        routes[(m.group("method"), _openapi_path(m.group("path")))] = flags
    assert len(routes) > 50, f"only {len(routes)} routes parsed from tk_router.c"
    conf = _read(SSE_CONF)
    sse = re.findall(r"<Location\s+([^>\s]+)\s*>\s*SetHandler\s+tickets-sse\s*</Location>", conf)
    assert sse, "no tickets-sse <Location> in conf/tickets_sse.conf"
    for path in sse:
        routes[("GET", path)] = set()
    return routes


def _operations(doc):
    """{(METHOD, path): operation}"""
    ops = {}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                ops[(method.upper(), path)] = operation
    return ops


def _server_codes():
    """The wire names of tk_error.c's codes (through include/mod_tickets.h)."""
    macros = dict(re.findall(r'#define\s+(TICKETS_E_\w+)\s+"([A-Z_]+)"', _read(PUBLIC_H)))
    table = re.search(r"tk_ecodes\[[^\]]*\]\s*=\s*\{(.*?)\n\};", _read(ERROR_C), re.S)
    assert table, "tk_ecodes[] not found in tk_error.c"
    codes = set()
    for name in re.findall(r"\{\s*(TICKETS_E_\w+|\"[A-Z_]+\")\s*,\s*\d+\s*\}", table.group(1)):
        codes.add(name.strip('"') if name.startswith('"') else macros[name])
    codes.discard("NONE")
    assert len(codes) > 10, f"only {len(codes)} error codes parsed from tk_error.c"
    return codes


def _deref(doc, node):
    if isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return _deref(doc, target)
    return node


def _code_enums(node, found):
    """Every enum given to an error's code: under properties.code."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get("code"), dict) \
                and "enum" in props["code"]:
            found.append(props["code"]["enum"])
        for v in node.values():
            _code_enums(v, found)
    elif isinstance(node, list):
        for v in node:
            _code_enums(v, found)


# ---------------------------------------------------------------------------
# The document against the sources
# ---------------------------------------------------------------------------

def test_every_route_is_documented_and_nothing_else():
    routes = _routes()
    ops = _operations(_doc())
    missing = sorted(set(routes) - set(ops))
    extra = sorted(set(ops) - set(routes))
    assert not missing, "routes without an operation in docs/openapi.json: " + \
        ", ".join(f"{m} {p}" for m, p in missing)
    assert not extra, "operations in docs/openapi.json that the server does not route: " + \
        ", ".join(f"{m} {p}" for m, p in extra)


def test_public_routes_and_only_they_need_no_credentials():
    doc = _doc()
    assert doc.get("security"), "the document has no default security"
    ops = _operations(doc)
    for key, flags in _routes().items():
        op = ops.get(key)
        if op is None:
            continue            # reported by the test above
        name = f"{key[0]} {key[1]}"
        if "TK_PUBLIC" in flags:
            assert op.get("security") == [], f"{name} is public: it needs security: []"
        else:
            assert op.get("security", doc["security"]), f"{name} needs credentials: no security: []"
            assert "401" in op["responses"], f"{name} documents no 401"


def test_operations_are_complete():
    doc = _doc()
    ops = _operations(doc)
    ids = [op.get("operationId") for op in ops.values()]
    assert all(ids), "an operation without operationId"
    assert len(ids) == len(set(ids)), "operationIds repeat"
    for (method, path), op in ops.items():
        assert len(op.get("tags", [])) == 1, f"{method} {path}: one tag"
        assert op.get("summary"), f"{method} {path}: a summary"
        declared = {p.strip("{}") for p in re.findall(r"\{\w+\}", path)}
        given = {_deref(doc, p)["name"] for p in op.get("parameters", [])
                 if _deref(doc, p)["in"] == "path"}
        assert declared == given, f"{method} {path}: path parameters {given}"


def test_error_codes_are_the_servers():
    doc = _doc()
    server = _server_codes()
    enums = []
    _code_enums(doc, enums)
    named = {c for e in enums for c in e}
    assert named, "no error code enum in the document"
    unknown = sorted(named - server)
    assert not unknown, f"codes the server does not have: {unknown}"
    assert set(_deref(doc, {"$ref": "#/components/schemas/ErrorCode"})["enum"]) == server, \
        "components/schemas/ErrorCode is not the server's list (mod_tickets/lib/core/tk_error.c)"


def test_error_responses_name_their_codes():
    doc = _doc()
    for (method, path), op in _operations(doc).items():
        for status, resp in op["responses"].items():
            if not status.isdigit() or int(status) < 400:
                continue
            resp = _deref(doc, resp)
            schema = resp.get("content", {}).get("application/json", {}).get("schema")
            assert schema, f"{method} {path} {status}: no JSON error schema"
            enums = []
            _code_enums(schema, enums)
            assert enums, f"{method} {path} {status}: the codes are not listed"
            for code in enums[-1]:
                assert code in resp["description"], \
                    f"{method} {path} {status}: the description does not name {code}"


# ---------------------------------------------------------------------------
# The document against the running server
# ---------------------------------------------------------------------------

def test_openapi_json_is_served(env):
    r = env.get("/api/openapi.json")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == _doc()


def _check_error_shape(doc, body):
    schema = _deref(doc, {"$ref": "#/components/schemas/Error"})
    inner = _deref(doc, schema["properties"]["error"])
    assert set(body) == {"error"}
    assert set(inner["required"]) <= set(body["error"]) <= set(inner["properties"])
    assert isinstance(body["error"]["message"], str)


def test_anonymous_requests_are_refused_as_documented(env):
    doc = _doc()
    routes = _routes()
    checked = 0
    for (method, path), op in _operations(doc).items():
        if method != "GET" or "{" in path or op.get("security") == []:
            continue
        assert "TK_PUBLIC" not in routes.get((method, path), set())
        r = env.get(path, timeout=10, stream=True)
        try:
            assert r.status_code == 401, f"GET {path} anonymously: {r.status_code}"
            assert r.headers["Content-Type"].startswith("application/json"), path
            body = r.json()
        finally:
            r.close()
        _check_error_shape(doc, body)
        assert body["error"]["code"] == "UNAUTHENTICATED", path
        codes = []
        _code_enums(_deref(doc, op["responses"]["401"]), codes)
        assert "UNAUTHENTICATED" in codes[-1], f"GET {path}: 401 does not list UNAUTHENTICATED"
        checked += 1
    assert checked > 10
