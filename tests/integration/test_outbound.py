"""Agent replies delivered to the platforms (SPEC section 8).

POST /api/conversations/:id/messages stores the reply pending and enqueues
its delivery; a worker sends it to the platform's send API (here a fake
platform server) and records the outcome, emitted as message_sent.
Transient failures (500, 429 with Retry-After, a timeout) are retried;
permanent ones mark the reply failed with the platform's message; a
failed reply can be sent again.  A child killed before the platform
answered: the send is retried after the lease.  A child killed after the
outcome was recorded: nothing is sent again.
"""

import contextlib
import os
import signal
import time

import pytest

from messaging_util import (FAST_JOBS_CONF, Channel, data, fake,  # noqa: F401 (fixture)
                            message_row, wait_until)
from platforms import facebook_delivery, tiktok_delivery, zalo_delivery
from platforms import discord_ticket_command, snowflake
from test_jobs import run_now
from test_sse import start
from tickets_util import ADMIN, AGENT, Api, assert_error, uniq
from tkenv import EnvError

pytestmark = pytest.mark.messaging

CONF = FAST_JOBS_CONF


def conversation(env, ch):
    """A conversation opened by a customer message on ch; its id."""
    user = "u" + uniq()
    if ch.platform == "facebook":
        body, h = facebook_delivery(ch.account_id, user, "m-" + uniq(), "hi", ch.secret)
    elif ch.platform == "zalo":
        body, h = zalo_delivery(ch.app_id, ch.account_id, user, "m-" + uniq(), "hi", ch.secret)
    elif ch.platform == "tiktok":
        body, h = tiktok_delivery("ck", ch.account_id, user, "conv-" + user, "m-" + uniq(),
                                  "hi", ch.secret)
    else:
        body, h = discord_ticket_command(ch.key, ch.account_id, "g", "4242", snowflake(),
                                         "u", "open", subject="help")
    assert ch.post(body, h).status_code == 200
    return env.psql(f"SELECT id FROM conversations WHERE channel_id = '{ch.id}' "
                    "ORDER BY created_at DESC LIMIT 1")[0][0]


def reply(env, conv, text=None):
    r = Api(env, AGENT).post(f"/api/conversations/{conv}/messages",
                             {"content": text or f"Reply {uniq()}"})
    m = data(r, 201)
    assert m["status"] == "pending" and m["sender"] == "agent"
    return m


def settled(env, mid, timeout=20):
    return wait_until(lambda: (lambda r: r if r and r[0] != "pending" else None)(
        message_row(env, mid)), timeout=timeout, what=f"message {mid} settled")


@pytest.mark.parametrize("platform", ["facebook", "zalo", "tiktok", "discord"])
def test_sent_on_the_first_try(env, fake, platform):
    ch = Channel(env, platform, api_base=fake.base)
    fake.tokens[platform] = ch.token
    conv = conversation(env, ch)
    fake.clear()
    with start(env, user=ADMIN) as staff:
        m = reply(env, conv, "Your order ships today")
        status, attempts, err, pid = settled(env, m["id"])
        got = staff.collect(lambda out: any(e["event"] == "message_sent"
                                            and e["json"]["id"] == m["id"] for e in out))
    assert (status, attempts, err) == ("sent", "1", "") and pid
    sent = [e["json"] for e in got if e["event"] == "message_sent" and e["json"]["id"] == m["id"]]
    assert sent[-1]["status"] == "sent" and sent[-1]["platformMessageId"] == pid
    (req,) = fake.requests(platform)
    assert req["problem"] is None, req
    text = {"facebook": lambda j: j["message"]["text"], "zalo": lambda j: j["message"]["text"],
            "tiktok": lambda j: j["text"]["body"], "discord": lambda j: j["content"]}[platform]
    assert text(req["json"]) == "Your order ships today"


@pytest.mark.parametrize("outcome", ["500", "429", "hang"])
def test_transient_failures_are_retried(env, fake, outcome):
    ch = Channel(env, "facebook", api_base=fake.base)
    fake.tokens["facebook"] = ch.token
    conv = conversation(env, ch)
    fake.clear()
    if outcome == "500":
        fake.fail_with_500(platform="facebook")
    elif outcome == "429":
        fake.rate_limit(2, platform="facebook")
    else:
        fake.queue(("hang", 3), platform="facebook")
    t0 = time.time()
    m = reply(env, conv)
    status, attempts, err, pid = settled(env, m["id"], timeout=30)
    assert status == "sent" and attempts == "2", (status, attempts, err)
    reqs = fake.requests("facebook")
    assert len(reqs) == 2
    if outcome == "429":
        assert reqs[1]["time"] - reqs[0]["time"] >= 1.9
    assert time.time() - t0 < 30


def test_permanent_failure_keeps_the_platforms_message_and_retry_resends(env, fake):
    ch = Channel(env, "facebook", api_base=fake.base)
    fake.tokens["facebook"] = ch.token
    conv = conversation(env, ch)
    fake.clear()
    fake.facebook_error(190, "Error validating access token: Session has expired")
    with start(env, user=ADMIN) as staff:
        m = reply(env, conv)
        status, attempts, err, _ = settled(env, m["id"])
        got = staff.collect(lambda out: any(e["event"] == "message_sent"
                                            and e["json"]["id"] == m["id"] for e in out))
    assert status == "failed" and attempts == "1"
    assert "Session has expired" in err
    failed = [e["json"] for e in got if e["event"] == "message_sent"
              and e["json"]["id"] == m["id"]][-1]
    assert failed["status"] == "failed" and "Session has expired" in failed["lastError"]
    assert ch.token not in err
    r = Api(env, AGENT).post(f"/api/conversations/{conv}/messages/{m['id']}/retry")
    assert data(r)["status"] == "pending"
    status, attempts, err, _ = settled(env, m["id"])
    assert status == "sent" and attempts == "2"
    assert_error(Api(env, AGENT).post(f"/api/conversations/{conv}/messages/{m['id']}/retry"),
                 409, "CONFLICT")


def test_zalo_error_at_http_200_is_a_failure(env, fake):
    ch = Channel(env, "zalo", api_base=fake.base)
    fake.tokens["zalo"] = ch.token
    conv = conversation(env, ch)
    fake.zalo_error(-216, "Access token is invalid")
    m = reply(env, conv)
    status, _, err, _ = settled(env, m["id"])
    assert status == "failed" and "Access token is invalid" in err


@contextlib.contextmanager
def held_reply(env, fake):
    """A reply on a new Discord channel whose send reached the fake and is
    held there, unanswered, until the block ends: (conversation, message)."""
    ch = Channel(env, "discord", api_base=fake.base)
    fake.tokens["discord"] = ch.token
    conv = conversation(env, ch)
    fake.clear()
    fake.hold()
    try:
        m = reply(env, conv)
        fake.wait_for(1, timeout=10, platform="discord")
        yield conv, m
    finally:
        fake.release()


def test_child_killed_before_the_platform_answered_sends_again(env, fake):
    with held_reply(env, fake) as (conv, m):
        holder = env.psql("SELECT lease_holder FROM jobs WHERE kind = 'message.send' "
                          f"AND payload->>'messageId' = '{m['id']}'")[0][0]
        pid = int(holder.split(":")[1])
        env.expect_child_killed(pid)
        env.expect_log(r"TK0006[3-7]|AH00052")
        os.kill(pid, signal.SIGKILL)
    status, attempts, _, _ = settled(env, m["id"], timeout=30)
    assert status == "sent"
    assert len(fake.requests("discord")) == 2        # at least once: it was sent twice


def test_child_killed_after_the_outcome_sends_nothing_again(env, fake):
    ch = Channel(env, "tiktok", api_base=fake.base)
    fake.tokens["tiktok"] = ch.token
    conv = conversation(env, ch)
    fake.clear()
    m = reply(env, conv)
    settled(env, m["id"])
    # As if the worker died after recording the outcome, before the job
    # was marked done: the job is run again when its lease has run out.
    env.expect_log(r"TK00067")
    env.psql("UPDATE jobs SET state = 'running', lease_holder = 'gone:1:1', "
             "lease_expires = now() - interval '1 second', finished_at = NULL "
             f"WHERE kind = 'message.send' AND payload->>'messageId' = '{m['id']}'")
    wait_until(lambda: env.psql("SELECT state FROM jobs WHERE kind = 'message.send' AND "
                                f"payload->>'messageId' = '{m['id']}'")[0][0] == "done",
               timeout=20, what="the job run again")
    assert len(fake.requests("tiktok")) == 1
    assert message_row(env, m["id"])[1] == "1"


def test_a_retried_reply_is_sent_once(env, fake):
    ch = Channel(env, "zalo", api_base=fake.base)
    fake.tokens["zalo"] = ch.token
    conv = conversation(env, ch)
    fake.clear()
    key = {"Idempotency-Key": uniq("reply")}
    first = Api(env, AGENT).post(f"/api/conversations/{conv}/messages",
                                 {"content": "Once only"}, headers=key)
    again = Api(env, AGENT).post(f"/api/conversations/{conv}/messages",
                                 {"content": "Once only"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    settled(env, first.json()["data"]["id"])
    time.sleep(0.5)
    assert [r["json"]["message"]["text"] for r in fake.requests("zalo")] == ["Once only"]
    other = Api(env, AGENT).post(f"/api/conversations/{conv}/messages",
                                 {"content": "Something else"}, headers=key)
    assert_error(other, 409, "CONFLICT")


def run_the_sweep(env):
    """The sweep, due now.  A sweep an earlier test's restart left running
    under a long lease is given back first (the rescue queues it again):
    it is periodic, and one is never more than one."""
    env.psql("UPDATE jobs SET lease_expires = now() WHERE kind = 'message.sweep' "
             "AND state = 'running'")
    run_now(env, "message.sweep")


def test_a_reply_whose_delivery_stopped_is_failed_and_can_be_sent_again(env, fake):
    ch = Channel(env, "facebook", api_base=fake.base)
    fake.tokens["facebook"] = ch.token
    conv = conversation(env, ch)
    # As a worker killed on the last attempt leaves it: pending, no job.
    mid = env.psql("INSERT INTO conversation_messages (org_id, conversation_id, channel_id, "
                   "sender, content, status) SELECT org_id, id, channel_id, 'agent', "
                   f"'stuck', 'pending' FROM conversations WHERE id = '{conv}' "
                   "RETURNING id")[0][0]
    with start(env, user=ADMIN) as staff:
        run_the_sweep(env)
        status, _, err, _ = settled(env, mid)
        got = staff.collect(lambda out: any(e["event"] == "message_sent"
                                            and e["json"]["id"] == mid for e in out))
    assert status == "failed" and "stopped" in err
    assert [e["json"]["status"] for e in got if e["event"] == "message_sent"
            and e["json"]["id"] == mid] == ["failed"]
    fake.clear()
    r = Api(env, AGENT).post(f"/api/conversations/{conv}/messages/{mid}/retry")
    assert data(r)["status"] == "pending"
    assert settled(env, mid)[0] == "sent"
    assert [q["json"]["message"]["text"] for q in fake.requests("facebook")] == ["stuck"]


def test_a_reply_on_a_deleted_channel_fails(env, fake):
    ch = Channel(env, "tiktok", api_base=fake.base)
    conv = conversation(env, ch)
    fake.clear()
    env.psql(f"UPDATE channels SET deleted_at = now() WHERE id = '{ch.id}'")
    m = reply(env, conv)
    status, _, err, _ = settled(env, m["id"])
    assert status == "failed" and "deleted" in err
    assert fake.requests("tiktok") == []


def test_the_http_timeout_must_be_shorter_than_the_lease(env, fake):
    mark = env.log_mark()
    env.expect_log(r"TK00078|AH00016")
    with pytest.raises(EnvError):
        env.restart(CONF + "TicketsHttpTimeout 3\n")        # the lease is 3
    assert any("TK00078" in line for line in env.error_log_lines_since(mark))
    env.restart(CONF)


def test_no_retry_while_a_delivery_is_under_way(env, fake):
    with held_reply(env, fake) as (conv, m):
        # As if a failure had been recorded and the worker died before its
        # job was done: the job is still to run, so a retry would send twice.
        env.psql(f"UPDATE conversation_messages SET status = 'failed' WHERE id = '{m['id']}'")
        r = Api(env, AGENT).post(f"/api/conversations/{conv}/messages/{m['id']}/retry")
        assert_error(r, 409, "CONFLICT")
    wait_until(lambda: env.psql("SELECT state FROM jobs WHERE kind = 'message.send' AND "
                                f"payload->>'messageId' = '{m['id']}'")[0][0] == "done",
               timeout=20, what="the delivery's job done")
    assert len(fake.requests("discord")) == 1
