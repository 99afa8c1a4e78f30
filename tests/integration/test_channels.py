"""/api/channels: the organization's channels on the platforms (SPEC
section 7), admins only.

The body is exactly {"platform", "name", "accountId", "apiBase"?,
"settings"?, "secrets"}; secrets are write-only: never in an answer, a log
line or an event (answers say which are set, "secretsSet");
PUT /api/channels/:id/secrets replaces them.  Each platform takes its own
secret names; the one its webhooks are checked with is required.
"""

import pytest

from messaging_util import Channel, count, data
from tickets_util import ADMIN, AGENT, GLOBEX_ADMIN, VIEWER, Api, assert_error, uniq

pytestmark = pytest.mark.messaging


def log_text(env, mark):
    return "\n".join(env.error_log_lines_since(mark))


@pytest.mark.parametrize("platform", ["facebook", "zalo", "tiktok", "discord"])
def test_secrets_are_write_only(env, platform):
    mark = env.log_mark()
    ch = Channel(env, platform, api_base="http://127.0.0.1:9/")
    doc = ch.doc
    assert doc["platform"] == platform and doc["accountId"] == ch.account_id
    assert doc["apiBase"] == "http://127.0.0.1:9"          # trailing '/' dropped
    assert doc["webhookPath"] == ch.path
    assert "secrets" not in doc and all(doc["secretsSet"].values()), doc
    assert set(doc["secretsSet"]) == set(ch.secrets())
    got = Api(env, ADMIN).get(f"/api/channels/{ch.id}")
    listed = Api(env, ADMIN).get(f"/api/channels?platform={platform}&limit=100")
    for r in (got, listed):
        assert r.status_code == 200
        for value in ch.secrets().values():
            assert value not in r.text
    new = {k: v + "x" if k != "publicKey" else v for k, v in ch.secrets().items()}
    r = Api(env, ADMIN).req("PUT", f"/api/channels/{ch.id}/secrets", new)
    assert r.status_code == 200, r.text
    for value in list(new.values()) + list(ch.secrets().values()):
        if value and value != ch.secrets().get("publicKey"):
            assert value not in r.text
    stored = env.psql(f"SELECT secrets->>'{list(new)[0]}' FROM channels WHERE id = '{ch.id}'")
    assert stored[0][0] == list(new.values())[0]
    text = log_text(env, mark)
    for value in list(new.values()) + list(ch.secrets().values()):
        if value:
            assert value not in text


def test_admins_only_and_tenancy(env):
    ch = Channel(env, "tiktok")
    for user in (AGENT, VIEWER):
        assert_error(Api(env, user).get("/api/channels"), 403, "FORBIDDEN")
        assert_error(Api(env, user).get(f"/api/channels/{ch.id}"), 403, "FORBIDDEN")
    for method, args in (("get", ()), ("patch", ({"name": "x"},)), ("delete", ())):
        r = getattr(Api(env, GLOBEX_ADMIN), method)(f"/api/channels/{ch.id}", *args)
        assert_error(r, 404, "NOT_FOUND")
    r = Api(env, GLOBEX_ADMIN).req("PUT", f"/api/channels/{ch.id}/secrets",
                                   {"clientSecret": "x"})
    assert_error(r, 404, "NOT_FOUND")


def test_edit_conflict_and_delete(env):
    a = Channel(env, "facebook")
    b = Channel(env, "facebook")
    r = Api(env, ADMIN).patch(f"/api/channels/{b.id}", {"accountId": a.account_id})
    assert_error(r, 409, "CONFLICT", "accountId")
    r = Api(env, ADMIN).post("/api/channels", {
        "platform": "facebook", "name": "dup", "accountId": a.account_id,
        "secrets": a.secrets()})
    assert_error(r, 409, "CONFLICT", "accountId")
    d = data(Api(env, ADMIN).patch(f"/api/channels/{b.id}",
                                   {"name": "Renamed", "settings": {"graphVersion": "v20.0"}}))
    assert d["name"] == "Renamed" and d["settings"] == {"graphVersion": "v20.0"}
    assert Api(env, ADMIN).delete(f"/api/channels/{b.id}").status_code == 204
    assert_error(Api(env, ADMIN).get(f"/api/channels/{b.id}"), 404, "NOT_FOUND")
    r = env.session(None).get(env.url(b.path), params={
        "hub.mode": "subscribe", "hub.verify_token": b.verify_token, "hub.challenge": "1"})
    assert_error(r, 404, "NOT_FOUND")


def test_web_chat_channel_is_one_per_org(env):
    r = Api(env, ADMIN).post("/api/channels", {"platform": "web", "name": "Web",
                                               "accountId": "acme"})
    assert_error(r, 409, "CONFLICT")
    web = Api(env, ADMIN).get("/api/channels?platform=web").json()["data"]
    assert len(web) == 1 and web[0]["webhookPath"] is None and web[0]["secretsSet"] == {}


@pytest.mark.parametrize("body,field", [
    ({"platform": "myspace", "name": "x", "accountId": "1", "secrets": {}}, "platform"),
    ({"platform": "facebook", "name": "x", "accountId": "1"}, "secrets"),
    ({"platform": "facebook", "name": "x", "accountId": "1",
      "secrets": {"verifyToken": "v"}}, "appSecret"),
    ({"platform": "facebook", "name": "x", "accountId": "1",
      "secrets": {"appSecret": "a", "verifyToken": "v", "password": "p"}}, "password"),
    ({"platform": "discord", "name": "x", "accountId": "1",
      "secrets": {"publicKey": "zz"}}, "publicKey"),
    ({"platform": "zalo", "name": "x", "accountId": "1",
      "secrets": {"oaSecretKey": "k"}}, "settings"),
    ({"platform": "tiktok", "name": "x", "accountId": "1", "apiBase": "ftp://x",
      "secrets": {"clientSecret": "c"}}, "apiBase"),
    ({"platform": "tiktok", "name": "", "accountId": "1",
      "secrets": {"clientSecret": "c"}}, "name"),
    ({"platform": "tiktok", "name": "x", "secrets": {"clientSecret": "c"}}, "accountId"),
    ({"platform": "tiktok", "name": "x", "accountId": "1", "extra": 1,
      "secrets": {"clientSecret": "c"}}, "extra"),
])
def test_bad_bodies_change_nothing(env, body, field):
    mark = env.log_mark()
    before = count(env, "SELECT count(*) FROM channels")
    assert_error(Api(env, ADMIN).post("/api/channels", body), 400, "VALIDATION_ERROR", field)
    assert count(env, "SELECT count(*) FROM channels") == before
    for v in (body.get("secrets") or {}).values():
        assert f'"{v}"' not in log_text(env, mark)


def test_patch_refuses_secrets_and_platform(env):
    ch = Channel(env, "zalo")
    assert_error(Api(env, ADMIN).patch(f"/api/channels/{ch.id}", {"secrets": {}}),
                 400, "VALIDATION_ERROR", "secrets")
    assert_error(Api(env, ADMIN).patch(f"/api/channels/{ch.id}", {"platform": "web"}),
                 400, "VALIDATION_ERROR", "platform")
    r = Api(env, ADMIN).req("PUT", f"/api/channels/{ch.id}/secrets", {"accessToken": "t"})
    assert_error(r, 400, "VALIDATION_ERROR", "oaSecretKey")
    assert uniq


def test_a_new_api_base_drops_the_send_token(env):
    ch = Channel(env, "facebook", api_base="http://127.0.0.1:9")
    d = data(Api(env, ADMIN).patch(f"/api/channels/{ch.id}", {"apiBase": "http://127.0.0.1:10"}))
    assert d["secretsSet"] == {"appSecret": True, "verifyToken": True, "accessToken": False}
    d = data(Api(env, ADMIN).patch(f"/api/channels/{ch.id}", {"name": "same base"}))
    assert d["secretsSet"]["appSecret"] is True
    r = Api(env, ADMIN).patch(f"/api/channels/{ch.id}", {"apiBase": "http://evil.example"})
    assert_error(r, 400, "VALIDATION_ERROR", "apiBase")
    assert env.psql(f"SELECT api_base FROM channels WHERE id = '{ch.id}'") == [["http://127.0.0.1:10"]]
