"""The test support of platforms.py, on its own (no httpd, no database):
the fake platform answers each send API as the platform does, refuses
what the platform refuses, records everything, answers queued outcomes in
order, holds answers until released, and leaves no thread or socket behind;
the signers match published test vectors and independent computations;
the deliveries have the documented shapes and verify; the fixtures load.

None of these tests uses the `env` fixture, so conftest.py starts no httpd
for them."""

import hashlib
import json
import os
import re
import socket
import threading
import time

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import platforms
from platforms import (DiscordKey, FakePlatform, discord_interaction, discord_ping,
                       discord_ticket_command, facebook_delivery, facebook_signature,
                       fixture, fixtures, tiktok_delivery, tiktok_signature, zalo_delivery,
                       zalo_signature)

TIMEOUT = 5


def _socket_fds():
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


@pytest.fixture(autouse=True)
def _no_leftovers():
    """Every test ends with the threads it started with."""
    before = set(threading.enumerate())
    yield
    deadline = time.time() + 2
    while set(threading.enumerate()) - before and time.time() < deadline:
        time.sleep(0.02)
    left = set(threading.enumerate()) - before
    assert not left, f"threads left behind: {left}"


@pytest.fixture
def fake():
    with FakePlatform() as f:
        yield f


# ---- the four send APIs ------------------------------------------------------

def fb_send(fake, token="page-token", body=None, version="v19.0", **kw):
    body = body if body is not None else {
        "recipient": {"id": "6783960784976533"}, "messaging_type": "RESPONSE",
        "message": {"text": "Hello from support"}}
    params = {"access_token": token} if token is not None else {}
    return requests.post(f"{fake.base}/{version}/me/messages", params=params, json=body,
                         timeout=kw.pop("timeout", TIMEOUT), **kw)


def zalo_send(fake, token="oa-token", body=None, **kw):
    body = body if body is not None else {
        "recipient": {"user_id": "246845883529197922"}, "message": {"text": "Xin chào"}}
    h = {"access_token": token} if token is not None else {}
    return requests.post(f"{fake.base}/v3.0/oa/message/cs", headers=h, json=body,
                         timeout=kw.pop("timeout", TIMEOUT), **kw)


def tiktok_send(fake, token="tt-token", body=None, **kw):
    body = body if body is not None else {
        "business_id": "-000kT9vQ2mXb7LpR4nW8cYd3Fh6JsA1eZu5", "recipient_type": "CONVERSATION",
        "recipient": "oH5Tq2bXcVe8LkR1wJ9mZg==", "message_type": "TEXT",
        "text": {"body": "Thanks, we are on it"}}
    h = {"Access-Token": token} if token is not None else {}
    return requests.post(f"{fake.base}/open_api/v1.3/business/message/send/", headers=h,
                         json=body, timeout=kw.pop("timeout", TIMEOUT), **kw)


def discord_send(fake, token="bot-token", body=None, channel="645027906669510667", **kw):
    body = body if body is not None else {"content": "Ticket TKT-0001 opened"}
    h = {"Authorization": f"Bot {token}"} if token is not None else {}
    return requests.post(f"{fake.base}/api/v10/channels/{channel}/messages", headers=h,
                         json=body, timeout=kw.pop("timeout", TIMEOUT), **kw)


SENDS = {"facebook": fb_send, "zalo": zalo_send, "tiktok": tiktok_send,
         "discord": discord_send}


def test_facebook_send(fake):
    r = fb_send(fake)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    j = r.json()
    assert j["recipient_id"] == "6783960784976533"
    assert re.match(r"^m_[A-Za-z0-9_-]{20,}$", j["message_id"])
    (rec,) = fake.requests()
    assert rec["platform"] == "facebook" and rec["method"] == "POST"
    assert rec["path"] == "/v19.0/me/messages"
    assert rec["query"] == {"access_token": "page-token"}
    assert rec["headers"]["content-type"] == "application/json"
    assert json.loads(rec["body"]) == rec["json"]
    assert rec["json"]["message"]["text"] == "Hello from support"
    assert rec["problem"] is None and rec["outcome"] == "ok" and rec["status"] == 200
    assert abs(rec["time"] - time.time()) < 5


def test_zalo_send(fake):
    r = zalo_send(fake)
    assert r.status_code == 200
    j = r.json()
    assert j["error"] == 0 and j["message"] == "Success"
    assert re.match(r"^[0-9a-f]{32}$", j["data"]["message_id"])
    assert j["data"]["user_id"] == "246845883529197922"
    (rec,) = fake.requests("zalo")
    assert rec["headers"]["access_token"] == "oa-token"
    assert rec["json"]["message"]["text"] == "Xin chào"


def test_tiktok_send(fake):
    r = tiktok_send(fake)
    assert r.status_code == 200
    j = r.json()
    assert j["code"] == 0 and j["message"] == "OK" and j["request_id"]
    assert j["data"]["message"]["message_id"]
    (rec,) = fake.requests("tiktok")
    assert rec["headers"]["access-token"] == "tt-token"


def test_discord_send(fake):
    r = discord_send(fake)
    assert r.status_code == 200
    m = r.json()
    assert re.match(r"^[0-9]{17,20}$", m["id"])
    assert m["channel_id"] == "645027906669510667"
    assert m["content"] == "Ticket TKT-0001 opened"
    assert m["author"]["bot"] is True
    (rec,) = fake.requests("discord")
    assert rec["channel_id"] == "645027906669510667"
    assert rec["headers"]["Authorization"] == "Bot bot-token"
    assert fake.texts() == ["Ticket TKT-0001 opened"]


def test_records_filter_copy_clear(fake):
    for send in SENDS.values():
        assert send(fake).status_code == 200
    assert [r["platform"] for r in fake.requests()] == list(SENDS)
    assert len(fake.requests("tiktok")) == 1
    assert fake.texts("zalo") == ["Xin chào"]
    copy = fake.requests()
    copy[0]["json"]["message"]["text"] = "changed"
    copy[0]["headers"]["X-New"] = "1"
    assert fake.requests()[0]["json"]["message"]["text"] == "Hello from support"
    assert "X-New" not in fake.requests()[0]["headers"]
    fake.clear()
    assert fake.requests() == []


def test_unknown_paths_and_methods(fake):
    r = requests.post(f"{fake.base}/v19.0/me/nothing", json={}, timeout=TIMEOUT)
    assert r.status_code == 404 and r.json()["error"]
    r = requests.get(f"{fake.base}/v3.0/oa/message/cs", timeout=TIMEOUT)
    assert r.status_code == 405
    r = requests.post(f"{fake.base}/open_api/v1.3/business/message/send", json={},
                      timeout=TIMEOUT)            # TikTok's path ends with a slash
    assert r.status_code == 404
    recs = fake.requests()
    assert [(x["platform"], x["outcome"]) for x in recs] == [
        (None, "not found"), ("zalo", "not found"), (None, "not found")]


# ---- what the platforms refuse -------------------------------------------------

@pytest.mark.parametrize("platform,status,check", [
    ("facebook", 400, lambda j: j["error"]["code"] == 2500
     and j["error"]["type"] == "OAuthException" and j["error"]["fbtrace_id"]),
    ("zalo", 200, lambda j: j["error"] == -216),
    ("tiktok", 200, lambda j: j["code"] == 40104),
    ("discord", 401, lambda j: j == {"message": "401: Unauthorized", "code": 0}),
])
def test_missing_token(fake, platform, status, check):
    fake.fail_with_500()
    r = SENDS[platform](fake, token=None)
    assert r.status_code == status, r.text
    assert check(r.json()), r.text
    (rec,) = fake.requests()
    assert rec["outcome"] == "refused" and rec["problem"]
    assert fake.pending() == 1          # a refused request takes no queued outcome


@pytest.mark.parametrize("platform,body,status,check", [
    ("facebook", {"recipient": {"id": "1"}, "message": {"text": "x"}}, 400,
     lambda j: j["error"]["code"] == 100 and "messaging_type" in j["error"]["message"]),
    ("facebook", {"messaging_type": "RESPONSE", "message": {"text": "x"}}, 400,
     lambda j: j["error"]["code"] == 100 and "recipient" in j["error"]["message"]),
    ("facebook", {"recipient": {"id": "1"}, "messaging_type": "RESPONSE",
                  "message": {"text": "x" * 2001}}, 400,
     lambda j: j["error"]["code"] == 100 and "2000" in j["error"]["message"]),
    ("zalo", {"recipient": {"id": "1"}, "message": {"text": "x"}}, 200,
     lambda j: j["error"] == -201),
    ("zalo", {"recipient": {"user_id": "1"}, "message": {}}, 200,
     lambda j: j["error"] == -201),
    ("tiktok", {"business_id": "b", "recipient_type": "USER", "recipient": "c",
                "message_type": "TEXT", "text": {"body": "x"}}, 200,
     lambda j: j["code"] == 40002),
    ("tiktok", {"business_id": "b", "recipient_type": "CONVERSATION", "recipient": "c",
                "message_type": "TEXT", "text": "x"}, 200,
     lambda j: j["code"] == 40002),
    ("discord", {"content": ""}, 400, lambda j: j["code"] == 50006),
    ("discord", {"text": "x"}, 400, lambda j: j["code"] == 50006),
    ("discord", {"content": "x" * 2001}, 400,
     lambda j: j["code"] == 50035 and "content" in j["errors"]),
])
def test_wrong_shape(fake, platform, body, status, check):
    r = SENDS[platform](fake, body=body)
    assert r.status_code == status, r.text
    assert check(r.json()), r.text
    (rec,) = fake.requests()
    assert rec["outcome"] == "refused" and rec["problem"], rec
    assert fake.texts() == []


def test_not_json(fake):
    r = requests.post(f"{fake.base}/api/v10/channels/1/messages", data="content=hi",
                      headers={"Authorization": "Bot t"}, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["code"] == 50006
    assert "Content-Type" in fake.requests()[0]["problem"]
    r = discord_send(fake, channel="general")
    assert r.status_code == 400 and r.json()["code"] == 50035


def test_tokens(fake):
    fake.tokens = {"facebook": "fb", "zalo": "za", "tiktok": "tt", "discord": "dc"}
    r = fb_send(fake, token="nope")
    assert r.status_code == 400 and r.json()["error"]["code"] == 190
    assert fb_send(fake, token="fb").status_code == 200
    r = requests.post(f"{fake.base}/v19.0/me/messages",
                      headers={"Authorization": "Bearer fb"},
                      json=fake.requests()[0]["json"], timeout=TIMEOUT)
    assert r.status_code == 200         # Graph takes the token in either place
    assert zalo_send(fake, token="nope").json()["error"] == -216
    assert zalo_send(fake, token="za").json()["error"] == 0
    assert tiktok_send(fake, token="nope").json()["code"] == 40105
    assert tiktok_send(fake, token="tt").json()["code"] == 0
    assert discord_send(fake, token="nope").status_code == 401
    assert discord_send(fake, token="dc").status_code == 200
    assert [r["outcome"] for r in fake.requests()] == [
        "refused", "ok", "ok", "refused", "ok", "refused", "ok", "refused", "ok"]


# ---- programmed outcomes ---------------------------------------------------------

def test_outcomes_in_order(fake):
    fake.queue(("status", 503, {"oops": True}, {"X-Test": "1"}),
               ("status", 200, "not json at all"))
    fake.fail_with_500()
    r = discord_send(fake)
    assert r.status_code == 503 and r.json() == {"oops": True}
    assert r.headers["X-Test"] == "1"
    r = discord_send(fake)
    assert r.status_code == 200 and r.text == "not json at all"
    r = fb_send(fake)
    assert r.status_code == 500 and r.json()["error"]["is_transient"] is True
    assert fb_send(fake).status_code == 200             # the default again
    assert [x["outcome"] for x in fake.requests()] == ["status", "status", "500", "ok"]
    assert [x["status"] for x in fake.requests()] == [503, 200, 500, 200]
    with pytest.raises(ValueError):
        fake.queue(("explode",))


def test_rate_limit(fake):
    fake.rate_limit(0.5, times=2)
    fake.rate_limit(3, header="Wed, 21 Oct 2015 07:28:00 GMT")
    r = discord_send(fake)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    assert r.json() == {"message": "You are being rate limited.", "retry_after": 0.5,
                        "global": False}
    r = tiktok_send(fake)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert r.json()["code"] == 40100
    r = fb_send(fake)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert r.json()["error"]["code"] == 4
    assert discord_send(fake).status_code == 200


def test_platform_errors(fake):
    fake.facebook_error(551, "This person isn't available right now.", subcode=1545041)
    fake.zalo_error(-230, "User has not interacted with the OA in the last 7 days")
    fake.tiktok_error(40064, "Message blocked by messaging restrictions.")
    # each is meant for its own platform: Discord's send passes them by
    assert discord_send(fake).status_code == 200
    r = zalo_send(fake)
    assert r.status_code == 200 and r.json() == {
        "error": -230, "message": "User has not interacted with the OA in the last 7 days"}
    r = tiktok_send(fake)
    assert r.status_code == 200 and r.json()["code"] == 40064
    r = fb_send(fake)
    assert r.status_code == 400
    err = r.json()["error"]
    assert (err["code"], err["error_subcode"], err["type"]) == (551, 1545041, "OAuthException")
    assert fake.pending() == 0


def test_queue_for_one_platform(fake):
    fake.queue(("status", 502, None), platform="zalo")
    assert fb_send(fake).status_code == 200
    r = zalo_send(fake)
    assert r.status_code == 502 and r.content == b""


def test_hang(fake):
    fake.queue(("hang", 1.0))
    t0 = time.time()
    with pytest.raises(requests.exceptions.ReadTimeout):
        discord_send(fake, timeout=(TIMEOUT, 0.3))
    assert time.time() - t0 < 0.9
    rec = fake.wait_for(1)[0]
    assert rec["outcome"] == "hang" and rec["status"] is None
    assert discord_send(fake).status_code == 200        # the next one is answered


def test_hang_then_close(fake):
    fake.queue(("hang", 0.3))
    t0 = time.time()
    with pytest.raises(requests.exceptions.ConnectionError):
        zalo_send(fake, timeout=TIMEOUT)
    assert 0.25 < time.time() - t0 < 2


def test_close(fake):
    fake.queue(("close",))
    with pytest.raises(requests.exceptions.ConnectionError):
        tiktok_send(fake)
    assert fake.requests()[0]["outcome"] == "close"
    assert tiktok_send(fake).status_code == 200


def test_hold_release(fake):
    fake.hold()
    got = {}
    t = threading.Thread(target=lambda: got.update(r=fb_send(fake)))
    t.start()
    try:
        rec = fake.wait_for(1, timeout=TIMEOUT)[0]
        assert rec["status"] is None            # recorded, not answered
        time.sleep(0.2)
        assert "r" not in got
    finally:
        fake.release()
        t.join(TIMEOUT)
    assert got["r"].status_code == 200
    assert fake.requests()[0]["status"] == 200


def test_wait_for_times_out(fake):
    fb_send(fake)
    t0 = time.time()
    with pytest.raises(AssertionError, match="1 of 2 requests"):
        fake.wait_for(2, timeout=0.2)
    assert time.time() - t0 < 1
    assert len(fake.wait_for(1, platform="facebook")) == 1


def test_stop_leaves_nothing():
    threads = set(threading.enumerate())
    sockets = _socket_fds()
    fake = FakePlatform().start()
    port = fake.port
    session = requests.Session()
    assert session.post(f"{fake.base}/api/v10/channels/1/messages", json={"content": "a"},
                        headers={"Authorization": "Bot t"}, timeout=TIMEOUT).ok
    # one connection kept alive and idle, one hanging, one held
    fake.queue(("hang", 30))
    fake.hold()
    errors = []

    def send():
        try:
            requests.post(f"{fake.base}/v3.0/oa/message/cs", headers={"access_token": "t"},
                          json={"recipient": {"user_id": "1"}, "message": {"text": "x"}},
                          timeout=TIMEOUT)
        except requests.exceptions.ConnectionError as e:
            errors.append(e)
    clients = [threading.Thread(target=send) for _ in range(2)]
    for c in clients:
        c.start()
    fake.wait_for(3, timeout=TIMEOUT)
    t0 = time.time()
    fake.stop()
    assert time.time() - t0 < 2
    fake.stop()                                  # twice is harmless
    for c in clients:
        c.join(TIMEOUT)
    session.close()
    assert len(errors) == 2                      # both ended without an answer
    assert set(threading.enumerate()) == threads
    assert _socket_fds() == sockets
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_chunked_and_expect_continue(fake):
    def chunks():
        yield b'{"content":'
        yield b'"in pieces"}'
    r = requests.post(f"{fake.base}/api/v10/channels/1/messages", data=chunks(),
                      headers={"Authorization": "Bot t", "Content-Type": "application/json"},
                      timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["content"] == "in pieces"
    body = json.dumps({"content": "y" * 1500}).encode()
    with socket.create_connection(("127.0.0.1", fake.port), timeout=TIMEOUT) as s:
        s.sendall(b"POST /api/v10/channels/1/messages HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Bot t\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nConnection: close\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode())
        assert s.recv(64).startswith(b"HTTP/1.1 100")
        s.sendall(body)
        answer = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            answer += d
    assert answer.startswith(b"HTTP/1.1 200")
    assert fake.texts() == ["in pieces", "y" * 1500]


# ---- signers ---------------------------------------------------------------------

def test_facebook_signature_rfc4231():
    # RFC 4231 4.3, test case 2
    assert facebook_signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_zalo_signature_is_plain_sha256():
    # app_id + body + timestamp + key = "abc": SHA-256 of FIPS 180-2's example
    assert zalo_signature("a", b"b", "c", "") == (
        "mac=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    body = b'{"app_id":"1","timestamp":"1700000000000"}'
    want = hashlib.sha256(b"1" + body + b"1700000000000" + b"secret").hexdigest()
    assert zalo_signature("1", body, "1700000000000", "secret") == "mac=" + want


def test_tiktok_signature():
    body = '{"event":"im_receive_msg","text":"héllo"}'.encode()
    h = c_hmac.HMAC(b"client-secret", hashes.SHA256())
    h.update(b"1633174587." + body)
    sig = tiktok_signature("client-secret", body, 1633174587)
    assert sig == "t=1633174587,s=" + h.finalize().hex()
    assert re.match(r"^t=[0-9]+,s=[0-9a-f]{64}$", sig)


def test_discord_rfc8032_test2():
    secret = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
    key = DiscordKey(secret)
    assert key.public_hex == "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
    want = ("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
    assert key.sign("", b"\x72") == want      # the message is the one byte 0x72
    assert key.sign("r", b"") == want         # timestamp + body, "r" being 0x72


def test_discord_key_verifies():
    key, other = DiscordKey(), DiscordKey()
    assert re.match(r"^[0-9a-f]{64}$", key.public_hex) and key.public_hex != other.public_hex
    sig = key.sign("1700000000", b'{"type":1}')
    pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key.public_hex))
    pub.verify(bytes.fromhex(sig), b'1700000000{"type":1}')
    with pytest.raises(InvalidSignature):
        pub.verify(bytes.fromhex(sig), b'1700000001{"type":1}')


# ---- deliveries -------------------------------------------------------------------

def test_facebook_delivery():
    body, h = facebook_delivery("682498302938465", "6783960784976533", "m_abc", "héllo",
                                "app-secret")
    assert h["X-Hub-Signature-256"] == facebook_signature("app-secret", body)
    assert h["X-Hub-Signature"].startswith("sha1=")
    assert b"\\u00e9" in body                   # Facebook escapes non-ASCII
    j = json.loads(body)
    assert j["object"] == "page"
    (entry,) = j["entry"]
    assert entry["id"] == "682498302938465" and isinstance(entry["time"], int)
    (m,) = entry["messaging"]
    assert m["sender"] == {"id": "6783960784976533"}
    assert m["recipient"] == {"id": "682498302938465"}
    assert m["message"] == {"mid": "m_abc", "text": "héllo"}
    assert isinstance(m["timestamp"], int)

    body, _ = facebook_delivery("P", "U", "m_e", "ours", "s", echo=True,
                                extra_entries=[{"id": "P", "time": 1, "messaging": []}])
    j = json.loads(body)
    m = j["entry"][0]["messaging"][0]
    assert m["sender"] == {"id": "P"} and m["recipient"] == {"id": "U"}
    assert m["message"]["is_echo"] is True
    assert len(j["entry"]) == 2


def test_zalo_delivery():
    body, h = zalo_delivery("360846524940903967", "388613280878808645", "246845883529197922",
                            "96d3cdf3af150460909", "Xin chào", "oa-secret",
                            timestamp=1543908534740)
    j = json.loads(body)
    assert j == {"app_id": "360846524940903967", "sender": {"id": "246845883529197922"},
                 "user_id_by_app": "246845883529197922",
                 "recipient": {"id": "388613280878808645"}, "event_name": "user_send_text",
                 "message": {"text": "Xin chào", "msg_id": "96d3cdf3af150460909"},
                 "timestamp": "1543908534740"}
    want = hashlib.sha256(b"360846524940903967" + body + b"1543908534740"
                          + b"oa-secret").hexdigest()
    assert h["X-ZEvent-Signature"] == "mac=" + want
    body, _ = zalo_delivery("1", "2", "3", None, None, "k", event_name="follow")
    assert json.loads(body)["follower"] == {"id": "3"}


def test_tiktok_delivery():
    body, h = tiktok_delivery("ck", "biz", "user", "conv==", "msg==", "hi", "cs", t=1700000000)
    assert h["Tiktok-Signature"] == tiktok_signature("cs", body, 1700000000)
    j = json.loads(body)
    assert (j["client_key"], j["event"], j["create_time"], j["user_openid"]) == (
        "ck", "im_receive_msg", 1700000000, "biz")
    c = json.loads(j["content"])
    assert c["conversation_id"] == "conv==" and c["message_id"] == "msg=="
    assert c["type"] == "text" and c["text"] == {"body": "hi"}
    assert c["from_user"] == {"id": "user"} and c["to_user"] == {"id": "biz"}
    assert isinstance(c["timestamp"], int)


def _verify_discord(key, body, h):
    pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key.public_hex))
    pub.verify(bytes.fromhex(h["X-Signature-Ed25519"]),
               h["X-Signature-Timestamp"].encode() + body)


def test_discord_deliveries():
    key = DiscordKey()
    body, h = discord_ticket_command(key, "771825006014889000", "290926798626357999",
                                     "645027906669510667", "53908232506183680", "mason",
                                     "open", subject="Cannot log in",
                                     description="Since this morning", global_name="Mason")
    _verify_discord(key, body, h)
    j = json.loads(body)
    assert j["type"] == 2 and j["version"] == 1 and j["token"]
    assert (j["application_id"], j["guild_id"], j["channel_id"]) == (
        "771825006014889000", "290926798626357999", "645027906669510667")
    assert j["member"]["user"] == {"id": "53908232506183680", "username": "mason",
                                   "avatar": None, "discriminator": "0", "public_flags": 0,
                                   "global_name": "Mason"}
    d = j["data"]
    assert (d["name"], d["type"]) == ("ticket", 1) and d["id"].isdigit()
    assert d["options"] == [{"type": 1, "name": "open", "options": [
        {"name": "subject", "type": 3, "value": "Cannot log in"},
        {"name": "description", "type": 3, "value": "Since this morning"}]}]

    body, h = discord_ticket_command(key, "1", None, "2", "3", "u", "status")
    j = json.loads(body)
    assert "guild_id" not in j and "member" not in j and j["user"]["id"] == "3"
    assert j["data"]["options"] == [{"type": 1, "name": "status"}]

    body, h = discord_ping(key, "771825006014889000", timestamp="1700000000")
    _verify_discord(key, body, h)
    assert h["X-Signature-Timestamp"] == "1700000000"
    j = json.loads(body)
    assert j["type"] == 1 and j["application_id"] == "771825006014889000"

    body, h = discord_interaction(key, fixture("discord-ping"))
    _verify_discord(key, body, h)


# ---- fixtures ---------------------------------------------------------------------

def test_fixtures():
    names = fixtures()
    for p in platforms.PLATFORMS:
        assert fixtures(p), f"no fixture for {p}"
    for n in names:
        assert re.match(r"^(facebook|zalo|tiktok|discord)-[A-Za-z0-9_.-]+\.json$", n), n
        json.loads(fixture(n))
    assert fixture("facebook-message") == fixture("facebook-message.json")
    fb = json.loads(fixture("facebook-message"))
    assert fb["object"] == "page" and fb["entry"][0]["messaging"][0]["message"]["text"]
    za = json.loads(fixture("zalo-user_send_text"))
    assert za["event_name"] == "user_send_text" and isinstance(za["timestamp"], str)
    tt = json.loads(fixture("tiktok-im_receive_msg"))
    assert tt["event"] == "im_receive_msg" and json.loads(tt["content"])["text"]["body"]
    dc = json.loads(fixture("discord-ticket-open"))
    assert dc["type"] == 2 and dc["data"]["name"] == "ticket"
    assert json.loads(fixture("discord-ping"))["type"] == 1
    with pytest.raises(FileNotFoundError):
        fixture("facebook-no-such-case")
