"""API tokens: /api/tokens, Bearer authentication, revocation (docs/auth.md)."""

import hashlib

import pytest

from tkcheck import (ADMIN, AGENT, CUSTOMER, GLOBEX, GLOBEX_ADMIN_ID, VIEWER,
                     assert_error, db_counts, uniq)


def _create(env, user=ADMIN, **body):
    body.setdefault("name", uniq("token"))
    return env.session(user).post(env.url("/api/tokens"), json=body, timeout=30)


def _bearer(env, secret, path="/api/auth/me"):
    return env.session().get(env.url(path), timeout=30,
                             headers={"Authorization": f"Bearer {secret}"})


def test_create_token_and_use_it(env):
    name = uniq("script")
    r = _create(env, name=name)
    assert r.status_code == 201, r.text
    tok = r.json()["data"]
    secret = tok["token"]
    assert secret.startswith("tk_") and len(secret) > 20
    assert tok["name"] == name
    assert tok["prefix"] == secret[:len(tok["prefix"])]
    assert tok["userId"] == env.psql(
        f"SELECT id FROM users WHERE email = '{ADMIN}'")[0][0]
    # the token authenticates as its user
    r = _bearer(env, secret)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["email"] == ADMIN
    r = _bearer(env, secret, "/api/tickets?limit=1")
    assert r.status_code == 200, r.text


def test_token_secret_is_shown_once_and_stored_hashed(env):
    r = _create(env)
    assert r.status_code == 201
    tok = r.json()["data"]
    secret = tok["token"]
    r = env.session(ADMIN).get(env.url("/api/tokens?limit=100"), timeout=30)
    assert r.status_code == 200, r.text
    listed = [t for t in r.json()["data"] if t["id"] == tok["id"]]
    assert len(listed) == 1, "new token not in the list"
    assert "token" not in listed[0]
    assert secret not in r.text
    assert listed[0]["revokedAt"] is None
    rows = env.psql(f"SELECT token_hash, prefix, name FROM api_tokens WHERE id = '{tok['id']}'")
    assert rows[0][0] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in "|".join(rows[0])
    assert env.psql(f"SELECT count(*) FROM api_tokens WHERE token_hash = '{secret}'") == [["0"]]


def test_token_for_another_user_of_the_org(env):
    agent_id = env.psql(f"SELECT id FROM users WHERE email = '{AGENT}'")[0][0]
    r = _create(env, userId=agent_id, expiresInDays=1)
    assert r.status_code == 201, r.text
    tok = r.json()["data"]
    assert tok["userId"] == agent_id and tok["expiresAt"]
    r = _bearer(env, tok["token"])
    assert r.status_code == 200
    assert r.json()["data"]["email"] == AGENT


def test_unknown_token_is_refused(env):
    r = _bearer(env, "tk_" + "x" * 43)
    assert_error(r, 401, "UNAUTHENTICATED")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")


@pytest.fixture
def no_credential_cache(env):
    try:
        env.restart("TicketsCredentialCacheTTL 0\n")
        yield env
    finally:
        env.restart("")


def test_revoked_token_is_refused(no_credential_cache):
    env = no_credential_cache
    r = _create(env)
    assert r.status_code == 201
    tok = r.json()["data"]
    # used (and, if there were a cache, remembered) before the revocation
    for _ in range(3):
        assert _bearer(env, tok["token"]).status_code == 200
    r = env.session(ADMIN).delete(env.url(f"/api/tokens/{tok['id']}"), timeout=30)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert env.psql(f"SELECT revoked_at IS NOT NULL FROM api_tokens "
                    f"WHERE id = '{tok['id']}'") == [["t"]]
    for _ in range(5):              # whichever child answers
        assert_error(_bearer(env, tok["token"]), 401, "UNAUTHENTICATED")
    # listed as revoked; revoking twice is 404
    r = env.session(ADMIN).get(env.url("/api/tokens?limit=100"), timeout=30)
    listed = [t for t in r.json()["data"] if t["id"] == tok["id"]]
    assert listed and listed[0]["revokedAt"]
    r = env.session(ADMIN).delete(env.url(f"/api/tokens/{tok['id']}"), timeout=30)
    assert_error(r, 404, "NOT_FOUND")


@pytest.mark.parametrize("user", [AGENT, VIEWER, CUSTOMER])
def test_non_admins_may_not_manage_tokens(env, user):
    r = _create(env)
    assert r.status_code == 201
    tok = r.json()["data"]
    before = db_counts(env)
    assert_error(env.get("/api/tokens", user=user), 403, "FORBIDDEN")
    assert_error(_create(env, user=user), 403, "FORBIDDEN")
    r = env.session(user).delete(env.url(f"/api/tokens/{tok['id']}"), timeout=30)
    assert_error(r, 403, "FORBIDDEN")
    assert db_counts(env) == before
    assert env.psql(f"SELECT revoked_at IS NULL FROM api_tokens "
                    f"WHERE id = '{tok['id']}'") == [["t"]]


def test_token_of_a_non_admin_cannot_manage_tokens(env):
    agent_id = env.psql(f"SELECT id FROM users WHERE email = '{AGENT}'")[0][0]
    secret = _create(env, userId=agent_id).json()["data"]["token"]
    before = db_counts(env)
    r = env.session().post(env.url("/api/tokens"), json={"name": uniq("x")},
                           headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    assert_error(r, 403, "FORBIDDEN")
    assert db_counts(env) == before


def test_revoking_another_orgs_token_is_404(env):
    r = _create(env, user=GLOBEX)
    assert r.status_code == 201, r.text
    tok = r.json()["data"]
    r = env.session(ADMIN).delete(env.url(f"/api/tokens/{tok['id']}"), timeout=30)
    err = assert_error(r, 404, "NOT_FOUND")
    assert tok["id"] not in r.text and err.get("field") is None
    assert env.psql(f"SELECT revoked_at IS NULL FROM api_tokens "
                    f"WHERE id = '{tok['id']}'") == [["t"]]
    assert _bearer(env, tok["token"]).json()["data"]["email"] == GLOBEX
    # and acme's list does not show it
    r = env.session(ADMIN).get(env.url("/api/tokens?limit=100"), timeout=30)
    assert tok["id"] not in r.text
    # a token id that is not a uuid, or unknown
    for bad in ("nope", "00000000-0000-4000-8000-000000000000"):
        r = env.session(ADMIN).delete(env.url(f"/api/tokens/{bad}"), timeout=30)
        assert_error(r, 404, "NOT_FOUND")


def test_token_for_a_user_of_another_org_is_refused(env):
    before = db_counts(env)
    r = _create(env, userId=GLOBEX_ADMIN_ID)
    assert_error(r, 400, "VALIDATION_ERROR", field="userId")
    assert db_counts(env) == before


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": 5}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "ok", "userId": "not-a-uuid"}, "userId"),
    ({"name": "ok", "expiresInDays": 0}, "expiresInDays"),
    ({"name": "ok", "expiresInDays": "7"}, "expiresInDays"),
    ({"name": "ok", "scope": "all"}, "scope"),
])
def test_token_create_validation(env, body, field):
    before = db_counts(env)
    r = env.session(ADMIN).post(env.url("/api/tokens"), json=body, timeout=30)
    assert_error(r, 400, "VALIDATION_ERROR", field=field)
    assert db_counts(env) == before
