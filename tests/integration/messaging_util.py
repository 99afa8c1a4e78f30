"""Shared helpers of the messaging tests (customers, channels,
conversations, webhooks, deliveries).

Channels are made through the API (as an admin would), one per test, with
fresh secrets, so no test sees another's deliveries.  A channel's apiBase
points at a FakePlatform when the test sends replies.
"""

import json
import secrets
import time

import pytest

from platforms import DiscordKey, FakePlatform
from tickets_util import ADMIN, Api, uniq

SEND_JOB = "message.send"


class Channel:
    """A channel of org acme (or of the admin given) made through the API,
    with the secrets its webhooks are checked with."""

    def __init__(self, env, platform, api_base=None, admin=ADMIN, account_id=None):
        self.env = env
        self.platform = platform
        self.account_id = account_id or uniq(platform)
        self.token = "tok-" + secrets.token_hex(12)
        self.app_id = "app-" + secrets.token_hex(4)
        self.key = DiscordKey() if platform == "discord" else None
        self.secret = secrets.token_hex(16)
        self.verify_token = "vt-" + secrets.token_hex(6)
        body = {"platform": platform, "name": f"{platform} {uniq('ch')}",
                "accountId": self.account_id, "secrets": self.secrets()}
        if api_base:
            body["apiBase"] = api_base
        if platform == "zalo":
            body["settings"] = {"appId": self.app_id}
        r = Api(env, admin).post("/api/channels", body)
        assert r.status_code == 201, r.text
        self.doc = r.json()["data"]
        self.id = self.doc["id"]
        self.path = f"/webhooks/{platform}/{self.id}"

    def secrets(self):
        return {
            "facebook": {"appSecret": self.secret, "verifyToken": self.verify_token,
                         "accessToken": self.token},
            "zalo": {"oaSecretKey": self.secret, "accessToken": self.token},
            "tiktok": {"clientSecret": self.secret, "accessToken": self.token},
            "discord": {"publicKey": self.key.public_hex if self.key else "",
                        "botToken": self.token},
            "web": {},
        }[self.platform]

    def post(self, body, headers, path=None, **kw):
        kw.setdefault("timeout", 30)
        return self.env.session(None).post(self.env.url(path or self.path), data=body,
                                           headers=headers, **kw)


def rows(env, sql):
    return env.psql(sql)


def count(env, sql):
    return int(env.psql(sql)[0][0])


def messages_of_channel(env, channel_id):
    return count(env, f"SELECT count(*) FROM conversation_messages "
                      f"WHERE channel_id = '{channel_id}'")


def wait_until(pred, timeout=15, step=0.05, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def message_row(env, message_id):
    """(status, attempts, last_error, platform_message_id) of a message."""
    r = env.psql(f"SELECT status, attempts, coalesce(last_error, ''), "
                 f"coalesce(platform_message_id, '') FROM conversation_messages "
                 f"WHERE id = '{message_id}'")
    return tuple(r[0]) if r else None


def data(r, status=200):
    assert r.status_code == status, f"{r.status_code} {r.text[:500]}"
    return r.json()["data"]


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


# Jobs and deliveries that give up and retry within a test's patience:
# short leases, a poll a second, outbound calls bounded at two seconds.
FAST_JOBS_CONF = """
TicketsJobLease 3
TicketsJobPollInterval 1
TicketsHttpTimeout 2
TicketsHttpConnectTimeout 1
TicketsWebhookTimeout 2
"""


@pytest.fixture(scope="module")
def fake(env):
    """A fake of the four platforms' send APIs for a test module, with
    the instance on FAST_JOBS_CONF while it runs: `from messaging_util
    import fake` (pytest takes imported fixtures as the module's own)."""
    env.restart(FAST_JOBS_CONF)
    with FakePlatform() as f:
        yield f
    env.restart("")
