"""/webhooks/<platform>/<channel id>: what Facebook, Zalo and TikTok deliver
(SPEC section 8; Discord is test_discord.py).

For every platform: a good signature stores the message and emits
new_message (and new_conversation the first time) to staff streams; a bad,
missing or (TikTok) stale signature is 401 INVALID_SIGNATURE, logged at
info, and stores nothing; a delivery seen before stores nothing new; 20
identical deliveries at once store one; a body captured from the
platform's documentation is stored; an unknown channel is 404; org B's
channel never receives into org A.
"""

import json
import threading
import time

import pytest

from messaging_util import Channel, count, messages_of_channel
from platforms import (facebook_delivery, facebook_headers, fixture, tiktok_delivery,
                       tiktok_headers, zalo_delivery, zalo_headers)
from test_sse import start
from tickets_util import ADMIN, GLOBEX_ADMIN, Api, assert_error, uniq

pytestmark = pytest.mark.messaging

PLATFORMS = ("facebook", "zalo", "tiktok")


def delivery(ch, user, mid, text="hello", **kw):
    """A signed delivery of one customer message to channel ch."""
    if ch.platform == "facebook":
        return facebook_delivery(ch.account_id, user, mid, text, ch.secret, **kw)
    if ch.platform == "zalo":
        return zalo_delivery(ch.app_id, ch.account_id, user, mid, text, ch.secret, **kw)
    return tiktok_delivery("ck-" + ch.id[:8], ch.account_id, user, "conv-" + user, mid,
                           text, ch.secret, **kw)


def signature_header(platform):
    return {"facebook": "X-Hub-Signature-256", "zalo": "X-ZEvent-Signature",
            "tiktok": "Tiktok-Signature"}[platform]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_good_signature_stores_and_emits(env, platform):
    ch = Channel(env, platform)
    user = "u" + uniq()
    mids = ["m-" + uniq(), "m-" + uniq()]
    # A stream may start before events of earlier tests: only this
    # channel's count (its new conversation, its customer, their messages).
    ours = lambda out: [e for e in out if e["json"].get("platformMessageId") in mids
                        or e["json"].get("channelId") == ch.id
                        or any(i.get("channelId") == ch.id
                               for i in e["json"].get("identities", []))]
    with start(env, user=ADMIN) as staff:
        t0 = time.time()
        body, headers = delivery(ch, user, mids[0], "Xin chào, order 42?")
        r = ch.post(body, headers)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["stored"] == 1
        got = staff.collect(lambda out: any(e["event"] == "new_message" for e in ours(out)))
        assert time.time() - t0 < 5
        body, headers = delivery(ch, user, mids[1], "second")
        assert ch.post(body, headers).json()["data"]["stored"] == 1
        got += staff.collect(lambda out: any(e["event"] == "new_message" for e in ours(out)))
    got = ours(got)
    kinds = [e["event"] for e in got]
    assert kinds == ["customer_created", "new_conversation", "new_message", "new_message"]
    first = [e for e in got if e["event"] == "new_message"][0]["json"]
    assert first["content"] == "Xin chào, order 42?" and first["sender"] == "customer"
    assert set(first) >= {"id", "conversationId", "sender", "content", "sentAt",
                          "platformMessageId"}
    conv = [e for e in got if e["event"] == "new_conversation"][0]["json"]
    assert conv["platform"] == platform and conv["channelId"] == ch.id
    assert conv["lastMessageAt"] and conv["status"] == "open"
    assert messages_of_channel(env, ch.id) == 2
    assert count(env, f"SELECT count(*) FROM conversations WHERE channel_id = '{ch.id}'") == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_bad_missing_signature_is_401_and_changes_nothing(env, platform):
    ch = Channel(env, platform)
    mid = "m-" + uniq()
    body, headers = delivery(ch, "u" + uniq(), mid)
    h = signature_header(platform)
    cases = [dict(headers, **{h: headers[h][:-4] + "0000"}),
             {k: v for k, v in headers.items() if k != h}]
    tampered = body.replace(b"hello", b"hellO")
    for hdrs, data in ((cases[0], body), (cases[1], body), (headers, tampered)):
        env.expect_log(r"TK00073")
        with start(env, user=ADMIN) as staff:
            r = ch.post(data, hdrs)
            assert_error(r, 401, "INVALID_SIGNATURE")
            assert [e for e in staff.quiet(0.5) if e["event"] == "new_message"
                    and e["json"]["platformMessageId"] == mid] == []
    assert messages_of_channel(env, ch.id) == 0
    assert count(env, f"SELECT count(*) FROM customer_identities "
                      f"WHERE channel_id = '{ch.id}'") == 0


def test_tiktok_stale_signature_is_401(env):
    ch = Channel(env, "tiktok")
    for t in (int(time.time()) - 301, int(time.time()) + 400):
        body, headers = delivery(ch, "u" + uniq(), "m-" + uniq(), t=t)
        env.expect_log(r"TK00073")
        assert_error(ch.post(body, headers), 401, "INVALID_SIGNATURE")
    body, headers = delivery(ch, "u" + uniq(), "m-" + uniq(), t=int(time.time()) - 250)
    assert ch.post(body, headers).status_code == 200
    assert messages_of_channel(env, ch.id) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_replayed_delivery_stores_nothing_new(env, platform):
    ch = Channel(env, platform)
    body, headers = delivery(ch, "u" + uniq(), "m-" + uniq())
    assert ch.post(body, headers).json()["data"]["stored"] == 1
    first = env.psql(f"SELECT id FROM conversation_messages WHERE channel_id = '{ch.id}'")[0][0]
    with start(env, user=ADMIN) as staff:
        r = ch.post(body, headers)
        assert r.status_code == 200 and r.json()["data"] == {"stored": 0, "duplicates": 1,
                                                             "ignored": 0}
        # A stream may start before the first delivery's events when
        # another transaction was open then; none is about a new message.
        assert [e for e in staff.quiet(0.5) if e["event"] == "new_message"
                and e["json"]["id"] != first] == []
    assert messages_of_channel(env, ch.id) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_twenty_identical_deliveries_at_once_store_one(env, platform):
    ch = Channel(env, platform)
    body, headers = delivery(ch, "u" + uniq(), "m-" + uniq())
    statuses = []
    go = threading.Barrier(20)

    def send():
        go.wait()
        statuses.append(ch.post(body, headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 20
    assert messages_of_channel(env, ch.id) == 1
    assert count(env, f"SELECT count(*) FROM customer_identities "
                      f"WHERE channel_id = '{ch.id}'") == 1
    assert count(env, f"SELECT count(*) FROM conversations WHERE channel_id = '{ch.id}'") == 1
    assert count(env, f"SELECT count(*) FROM stream_events WHERE type = 'new_message' "
                      f"AND data::jsonb->>'conversationId' IN (SELECT id::text FROM "
                      f"conversations WHERE channel_id = '{ch.id}')") == 1


def test_documented_bodies_are_stored(env):
    for platform, name in (("facebook", "facebook-message"), ("zalo", "zalo-user_send_text"),
                           ("tiktok", "tiktok-im_receive_msg")):
        body = fixture(name)
        doc = json.loads(body)
        if platform == "facebook":
            account = doc["entry"][0]["messaging"][0]["recipient"]["id"]
        elif platform == "zalo":
            account = doc["recipient"]["id"]
        else:
            account = json.loads(doc["content"])["to_user"]["id"]
        ch = Channel(env, platform, admin=GLOBEX_ADMIN, account_id=account + uniq("-")[:0])
        if platform == "facebook":
            headers = facebook_headers(ch.secret, body)
        elif platform == "zalo":
            env.psql(f"UPDATE channels SET settings = '{{\"appId\": \"{doc['app_id']}\"}}' "
                     f"WHERE id = '{ch.id}'")
            headers = zalo_headers(body, ch.secret)
        else:
            headers = tiktok_headers(ch.secret, body, t=int(time.time()))
        r = ch.post(body, headers)
        assert r.status_code == 200, (platform, r.text)
        assert r.json()["data"]["stored"] == 1, (platform, r.text)
        env.psql(f"UPDATE channels SET deleted_at = now() WHERE id = '{ch.id}'")


def test_facebook_echoes_and_other_events_are_ignored(env):
    ch = Channel(env, "facebook")
    body, headers = delivery(ch, "u" + uniq(), "m-" + uniq(), echo=True)
    r = ch.post(body, headers)
    assert r.status_code == 200 and r.json()["data"]["stored"] == 0
    z = Channel(env, "zalo")
    body, headers = zalo_delivery(z.app_id, z.account_id, "u1", "m-" + uniq(), "",
                                  z.secret, event_name="follow")
    r = z.post(body, headers)
    assert r.status_code == 200 and r.json()["data"]["stored"] == 0
    assert messages_of_channel(env, ch.id) + messages_of_channel(env, z.id) == 0


def test_facebook_entries_and_items_are_all_read(env):
    ch = Channel(env, "facebook")
    _, _ = delivery(ch, "u1", "m1")
    extra = {"id": ch.account_id, "time": 1, "messaging": [
        {"sender": {"id": "u2"}, "recipient": {"id": ch.account_id}, "timestamp": 1,
         "message": {"mid": "m-" + uniq(), "text": "two"}},
        {"sender": {"id": "u3"}, "recipient": {"id": ch.account_id}, "timestamp": 1,
         "message": {"mid": "m-" + uniq(), "text": "three"}}]}
    body, headers = facebook_delivery(ch.account_id, "u1", "m-" + uniq(), "one", ch.secret,
                                      extra_entries=(extra,))
    r = ch.post(body, headers)
    assert r.json()["data"]["stored"] == 3
    assert count(env, f"SELECT count(*) FROM conversations WHERE channel_id = '{ch.id}'") == 3


def test_facebook_subscription_check(env):
    ch = Channel(env, "facebook")
    s = env.session(None)
    r = s.get(env.url(ch.path), params={"hub.mode": "subscribe",
                                        "hub.verify_token": ch.verify_token,
                                        "hub.challenge": "1158201444"})
    assert r.status_code == 200 and r.text == "1158201444"
    assert r.headers["Content-Type"].startswith("text/plain")
    env.expect_log(r"TK00074")
    r = s.get(env.url(ch.path), params={"hub.mode": "subscribe", "hub.verify_token": "no",
                                        "hub.challenge": "1"})
    assert_error(r, 403, "FORBIDDEN")


def test_unknown_channel_and_wrong_platform_are_404(env):
    ch = Channel(env, "zalo")
    body, headers = delivery(ch, "u" + uniq(), "m-" + uniq())
    for path in (f"/webhooks/zalo/00000000-0000-4000-8000-000000000999",
                 f"/webhooks/zalo/not-a-uuid", f"/webhooks/tiktok/{ch.id}",
                 f"/webhooks/facebook/{ch.id}"):
        assert_error(ch.post(body, headers, path=path), 404, "NOT_FOUND")
    assert messages_of_channel(env, ch.id) == 0


def test_org_b_channel_never_receives_into_org_a(env):
    b = Channel(env, "facebook", admin=GLOBEX_ADMIN)
    with start(env, user=ADMIN) as acme, start(env, user=GLOBEX_ADMIN) as globex:
        body, headers = delivery(b, "u" + uniq(), "m-" + uniq())
        assert b.post(body, headers).status_code == 200
        assert any(e["event"] == "new_message" for e in
                   globex.collect(lambda out: any(e["event"] == "new_message" for e in out)))
        convs = {c for (c,) in env.psql(f"SELECT id FROM conversations "
                                        f"WHERE channel_id = '{b.id}'")}
        assert [e for e in acme.quiet(0.5) if e["event"] == "new_message"
                and e["json"]["conversationId"] in convs] == []
    org = env.psql(f"SELECT DISTINCT org_id FROM conversation_messages "
                   f"WHERE channel_id = '{b.id}'")
    assert org == [["00000000-0000-4000-8000-0000000000b1"]]


def test_malformed_signed_body_is_400(env):
    ch = Channel(env, "facebook")
    body = b'{"object": "user", "entry": []}'
    r = ch.post(body, facebook_headers(ch.secret, body))
    assert_error(r, 400, "VALIDATION_ERROR")


def test_a_broken_item_does_not_lose_the_rest_and_order_is_kept(env):
    ch = Channel(env, "facebook")
    user = "u" + uniq()
    items = [{"sender": {"id": user}, "recipient": {"id": ch.account_id}, "timestamp": 1,
              "message": {"mid": "m-" + uniq(), "text": t}} for t in ("one", "two", "three")]
    items.insert(1, {"sender": {"id": user}, "recipient": {"id": ch.account_id},
                     "message": {"mid": "m-" + uniq(), "text": None}})
    body = json.dumps({"object": "page", "entry": [
        {"id": ch.account_id, "time": 1, "messaging": items}]}).encode()
    r = ch.post(body, facebook_headers(ch.secret, body))
    assert r.status_code == 200 and r.json()["data"]["stored"] == 3, r.text
    assert r.json()["data"]["ignored"] == 1
    conv = env.psql(f"SELECT id FROM conversations WHERE channel_id = '{ch.id}'")[0][0]
    msgs = Api(env, ADMIN).get(f"/api/conversations/{conv}/messages").json()["data"]
    assert [m["content"] for m in msgs] == ["one", "two", "three"]


def test_two_senders_in_opposite_orders_at_once(env):
    ch = Channel(env, "facebook")
    a, b = "a" + uniq(), "b" + uniq()

    def batch(first, second):
        items = [{"sender": {"id": u}, "recipient": {"id": ch.account_id}, "timestamp": 1,
                  "message": {"mid": "m-" + uniq(), "text": "hi"}} for u in (first, second)]
        body = json.dumps({"object": "page", "entry": [
            {"id": ch.account_id, "time": 1, "messaging": items}]}).encode()
        return body, facebook_headers(ch.secret, body)

    statuses = []
    go = threading.Barrier(10)

    def send(i):
        body, headers = batch(a, b) if i % 2 else batch(b, a)
        go.wait()
        statuses.append(ch.post(body, headers).status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 10
    assert messages_of_channel(env, ch.id) == 20


def test_a_time_far_off_is_taken_as_now(env):
    ch = Channel(env, "facebook")
    body, headers = delivery(ch, "u" + uniq(), "m-" + uniq(), timestamp=99999999999999999)
    assert ch.post(body, headers).json()["data"]["stored"] == 1
    assert count(env, f"SELECT count(*) FROM conversation_messages WHERE channel_id = "
                      f"'{ch.id}' AND sent_at > now() - interval '1 minute'") == 1
