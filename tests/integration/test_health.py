"""Health endpoint and the shape of errors (SPEC sections 4 and 12)."""


def test_health_ok(env):
    r = env.get("/api/health")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_unknown_route_is_json_404(env):
    r = env.get("/api/nope", user="admin@acme.test")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == "NOT_FOUND"
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["requestId"], str) and err["requestId"]
