"""/webhooks/discord/<channel id>: Discord's interactions (SPEC section 8).

Ed25519 over X-Signature-Timestamp + raw body under the application's
public key; Discord sends invalid signatures on purpose, which must be
refused (401).  PING answers {"type": 1}.  /ticket open creates the
customer, the conversation and a ticket with source discord, answered
within Discord's 3 s (type 4, ephemeral) with the ticket's key, and the
ticket is on staff streams at once; /ticket close and reopen move the
caller's ticket in that channel.
"""

import time

import pytest

from messaging_util import Channel, count, data
from platforms import (DiscordKey, discord_interaction, discord_ping,
                       discord_ticket_command, snowflake)
from test_sse import start
from tickets_util import ADMIN, AGENT, Api, assert_error, uniq

pytestmark = pytest.mark.messaging


def command(ch, user, sub, channel="c1", **kw):
    return discord_ticket_command(ch.key, ch.account_id, "g1", channel, user, "casey",
                                  sub, **kw)


def test_ping(env):
    ch = Channel(env, "discord")
    body, headers = discord_ping(ch.key, ch.account_id)
    r = ch.post(body, headers)
    assert r.status_code == 200 and r.json() == {"type": 1}


def test_invalid_signatures_are_refused(env):
    ch = Channel(env, "discord")
    body, headers = discord_ping(ch.key, ch.account_id)
    other = DiscordKey()
    bad = [dict(headers, **{"X-Signature-Ed25519": other.sign(
               headers["X-Signature-Timestamp"], body)}),
           dict(headers, **{"X-Signature-Timestamp": str(int(time.time()) + 1)}),
           {k: v for k, v in headers.items() if k != "X-Signature-Ed25519"},
           dict(headers, **{"X-Signature-Ed25519": "zz"})]
    for h in bad:
        assert_error(ch.post(body, h), 401, "INVALID_SIGNATURE")
    body2, headers2 = command(ch, snowflake(), "open", subject="x")
    assert_error(ch.post(body2.replace(b'"x"', b'"y"'), headers2), 401, "INVALID_SIGNATURE")
    assert count(env, f"SELECT count(*) FROM conversations WHERE channel_id = '{ch.id}'") == 0


def test_a_replayed_interaction_is_refused(env):
    ch = Channel(env, "discord")
    user = snowflake()
    old = str(int(time.time()) - 400)
    body, headers = command(ch, user, "close", timestamp=old)
    env.expect_log(r"TK00073")
    assert_error(ch.post(body, headers), 401, "INVALID_SIGNATURE")
    body, headers = discord_ping(ch.key, ch.account_id, timestamp=str(int(time.time()) - 100))
    assert ch.post(body, headers).json() == {"type": 1}


def test_ticket_open_close_reopen(env):
    ch = Channel(env, "discord")
    user = snowflake()
    subject = f"Printer on fire {uniq()}"
    with start(env, user=ADMIN) as staff:
        body, headers = command(ch, user, "open", subject=subject,
                                description="It smokes.")
        t0 = time.time()
        r = ch.post(body, headers)
        took = time.time() - t0
        assert r.status_code == 200, r.text
        assert took < 3.0
        answer = r.json()
        assert answer["type"] == 4 and answer["data"]["flags"] == 64
        key = [w for w in answer["data"]["content"].split() if w.startswith("TKT-")][0]
        mine = lambda out: [e for e in out if e["event"] == "ticket_created"
                            and e["json"]["key"] == key]
        got = mine(staff.collect(lambda out: mine(out), timeout=5))
        created = got[0]["json"]
        assert time.time() - t0 < 1.5
    assert created["key"] == key and created["source"] == "discord"
    assert created["title"] == subject and created["customerId"]
    ticket = data(Api(env, AGENT).get(f"/api/tickets/{key}"))
    assert ticket["description"] == subject + "\n\nIt smokes."
    listed = Api(env, AGENT).get(f"/api/tickets?source=discord&customerId="
                                 f"{created['customerId']}").json()["data"]
    assert [t["key"] for t in listed] == [key]
    # Discord's retry of the same interaction gives the same ticket.
    again = ch.post(body, headers).json()
    assert key in again["data"]["content"]
    assert count(env, f"SELECT count(*) FROM tickets WHERE customer_id = "
                      f"'{created['customerId']}'") == 1
    with start(env, user=ADMIN) as staff:
        body, headers = command(ch, user, "close")
        r = ch.post(body, headers).json()
        assert "closed" in r["data"]["content"]
        mine = lambda out: [e for e in out if e["event"] == "ticket_updated"
                            and e["json"]["key"] == key]
        upd = mine(staff.collect(lambda out: mine(out)))[0]["json"]
        assert upd["status"] == "closed" and upd["changes"]["status"]["before"] == "open"
    body, headers = command(ch, user, "close")
    assert "already" in ch.post(body, headers).json()["data"]["content"]
    body, headers = command(ch, user, "reopen")
    assert "open" in ch.post(body, headers).json()["data"]["content"]
    assert data(Api(env, AGENT).get(f"/api/tickets/{key}"))["status"] == "open"
    events = env.psql(f"SELECT type FROM ticket_events WHERE ticket_id = '{ticket['id']}' "
                      "ORDER BY id")
    assert [e[0] for e in events] == ["TICKET_CREATED", "STATUS_CHANGED", "STATUS_CHANGED"]
    closed = Api(env, AGENT).get("/api/tickets?source=discord&status=open&limit=100")
    assert key in [t["key"] for t in closed.json()["data"]]
    body, headers = command(ch, snowflake(), "close")
    assert "no ticket" in ch.post(body, headers).json()["data"]["content"]


def test_open_without_subject_and_unknown_commands(env):
    ch = Channel(env, "discord")
    body, headers = command(ch, snowflake(), "open")
    assert "subject" in ch.post(body, headers).json()["data"]["content"]
    body, headers = discord_interaction(ch.key, {"id": snowflake(), "type": 2,
                                                 "application_id": ch.account_id,
                                                 "channel_id": "c", "data": {"name": "other"},
                                                 "user": {"id": "1", "username": "u"}})
    r = ch.post(body, headers)
    assert r.status_code == 200 and r.json()["type"] == 4
    assert count(env, f"SELECT count(*) FROM tickets t JOIN conversations v ON "
                      f"v.id = t.conversation_id WHERE v.channel_id = '{ch.id}'") == 0
