"""The staff inbox (console/inbox.html) in headless Chromium, against the
real server, a fake chat platform and signed webhooks.

- A customer's message delivered by a signed Facebook webhook appears in
  an open inbox without a reload: a new row (with the unread count the
  API gives), then, in the open thread, the next message of that thread.
- A reply whose delivery the platform refuses shows failed with the
  platform's reason (as stored), and once the platform takes sends again
  the Retry button turns it to sent, as the database and the API say.
- "Open ticket" opens a ticket of the conversation (the API agrees) and
  links to ticket.html?id=<its key>; the status select changes the
  conversation's status (the API agrees).
- Viewers read and cannot write; the page fits a 360 px screen.
"""

import pytest

from browser import tid
from messaging_util import (Channel, data, fake,  # noqa: F401 (fixture)
                            message_row, wait_until)
from platforms import facebook_delivery
from tickets_util import AGENT, VIEWER, Api, uniq

pytestmark = pytest.mark.messaging


VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def channel(env, fake):
    ch = Channel(env, "facebook", api_base=fake.base)
    fake.tokens["facebook"] = ch.token
    return ch


def deliver(env, ch, psid, text):
    """A customer message on ch from psid, through the signed webhook; the
    id of the conversation it landed in."""
    body, headers = facebook_delivery(ch.account_id, psid, "m-" + uniq(), text, ch.secret)
    r = ch.post(body, headers)
    assert r.status_code == 200, r.text
    return env.psql(f"SELECT id FROM conversations WHERE channel_id = '{ch.id}' "
                    f"AND thread_id = '{psid}' ORDER BY created_at DESC LIMIT 1")[0][0]


def conversation_doc(env, cid, user=AGENT):
    return data(Api(env, user).get(f"/api/conversations/{cid}"))


def api_messages(env, cid, user=AGENT):
    return data(Api(env, user).get(f"/api/conversations/{cid}/messages?limit=100"))


def row(cid):
    return f'{tid("conversation-row")}[data-conversation-id="{cid}"]'


def bodies(page, selector):
    return page.eval("return [...document.querySelectorAll(arg)].map(e => "
                     "e.querySelector('.body').innerText)", selector)


def mark_page(page):
    """A value that lives as long as the document: gone after a reload."""
    page.eval("window.__sameDocument = 'yes'; return true")


def same_document(page):
    return page.eval("return window.__sameDocument === 'yes'")


def test_a_webhook_message_appears_in_the_open_inbox(env, browser, channel):
    ctx = browser.context(viewport=VIEWPORT)
    try:
        page = ctx.login(AGENT)
        page.goto("/console/inbox.html")
        page.wait_text(tid("connection-status"), "^connected$")
        page.wait("#list li")
        mark_page(page)

        psid = "psid" + uniq()
        text = f"My parcel {uniq()} never arrived"
        cid = deliver(env, channel, psid, text)
        page.wait(row(cid), timeout=10000)
        assert same_document(page)
        # the newest conversation comes first, with the API's unread count
        assert page.attr(tid("conversation-row"), "data-conversation-id", nth=0) == cid
        doc = conversation_doc(env, cid)
        assert doc["unreadCount"] == 1
        assert page.text(f"{row(cid)} {tid('unread-count')}") == str(doc["unreadCount"])
        assert f"Facebook user {psid}" in page.text(row(cid))
        assert "facebook" in page.text(row(cid))

        # open it: the thread is the API's, and it is marked read
        page.click(row(cid))
        page.wait_text(tid("conversation-thread"), text)
        assert bodies(page, f'{tid("conversation-thread")} [data-testid=message]') == \
            [m["content"] for m in api_messages(env, cid)]
        wait_until(lambda: conversation_doc(env, cid)["unreadCount"] == 0, timeout=5,
                   what="the conversation marked read")
        assert f"id={cid}" in page.url()

        # the next message of the thread lands in the open thread, live
        second = f"Tracking number {uniq()}"
        assert deliver(env, channel, psid, second) == cid
        page.wait_text(f'{tid("conversation-thread")} [data-testid=message]:last-child', second)
        assert same_document(page)
        assert bodies(page, f'{tid("conversation-thread")} [data-testid=message]') == \
            [m["content"] for m in api_messages(env, cid)]
        assert page.eval("return [...document.querySelectorAll('[data-testid=message]')]"
                         ".map(e => e.dataset.sender)") == ["customer", "customer"]
        page.wait_text(f"{row(cid)} {tid('unread-count')}", "^1$")
        page.screenshot("inbox")
        page.assert_clean()
    finally:
        ctx.close()


def test_a_failed_reply_shows_why_and_retry_sends_it(env, browser, fake, channel):
    psid = "psid" + uniq()
    cid = deliver(env, channel, psid, "Can you refund order 1182?")
    fake.clear()
    reason = "Error validating access token: Session has expired on Tuesday"
    fake.facebook_error(190, reason)
    ctx = browser.context(viewport=VIEWPORT)
    try:
        page = ctx.login(AGENT)
        page.goto(f"/console/inbox.html?id={cid}")
        page.wait_text(tid("connection-status"), "^connected$")
        page.wait_text(tid("conversation-thread"), "refund order 1182")
        mark_page(page)
        reply = f"Refund on its way {uniq()}"
        page.fill(tid("reply-input"), reply)
        page.click(tid("reply-submit"))
        page.wait_text(tid("delivery-status"), "^failed$", timeout=15000)
        assert page.value(tid("reply-input")) == ""

        (mid,) = [m["id"] for m in api_messages(env, cid) if m["sender"] == "agent"]
        status, attempts, last_error, _ = message_row(env, mid)
        assert status == "failed" and reason in last_error
        assert page.text(tid("delivery-error")) == last_error
        assert page.count(tid("delivery-status")) == 1
        assert page.count(tid("retry-button")) == 1
        page.screenshot("conversation")
        # the platform takes sends again (its one refusal is spent)
        assert fake.pending() == 0
        page.click(tid("retry-button"))
        page.wait_text(tid("delivery-status"), "^sent$", timeout=15000)
        assert same_document(page)
        assert page.count(tid("retry-button")) == 0
        assert page.count(tid("delivery-error")) == 0
        status, attempts, last_error, pid = message_row(env, mid)
        assert status == "sent" and attempts == "2" and pid
        (m,) = [m for m in api_messages(env, cid) if m["id"] == mid]
        assert m["status"] == "sent" and m["content"] == reply
        texts = [r["json"]["message"]["text"] for r in fake.requests("facebook")]
        assert texts == [reply, reply]
        # the failed send's Graph answer (400) was the fake's, not the page's
        page.assert_clean()
    finally:
        ctx.close()


def test_open_a_ticket_and_change_the_status(env, browser, channel):
    psid = "psid" + uniq()
    first_line = f"Printer {uniq()} jams"
    cid = deliver(env, channel, psid, f"{first_line}\nevery morning")
    ctx = browser.context(viewport=VIEWPORT)
    try:
        page = ctx.login(AGENT)
        page.goto(f"/console/inbox.html?id={cid}")
        page.wait_text(tid("conversation-thread"), "every morning")
        page.click(tid("open-ticket-button"))
        page.wait(tid("ticket-link"))
        href = page.attr(tid("ticket-link"), "href")
        assert href.startswith("ticket.html?id=")
        key = href.split("=", 1)[1]
        t = data(Api(env, AGENT).get(f"/api/tickets/{key}"))
        assert t["key"] == key and t["conversationId"] == cid and t["title"] == first_line
        assert env.psql(f"SELECT count(*) FROM tickets WHERE conversation_id = '{cid}'") == [["1"]]
        # a new matter from the same customer may still become a ticket
        assert page.text(tid("open-ticket-button")) == "Open another ticket"

        page.select(tid("conversation-status"), "pending")
        wait_until(lambda: conversation_doc(env, cid)["status"] == "pending", timeout=5,
                   what="the status saved")
        page.wait_text(row(cid), "pending")
        page.assert_clean()

        # after a reload the page still knows the ticket: no second one
        assert [x["key"] for x in conversation_doc(env, cid)["tickets"]] == [key]
        page.goto(f"/console/inbox.html?id={cid}")
        page.wait(tid("ticket-link"))
        assert page.attr(tid("ticket-link"), "href") == href
        assert page.text(tid("open-ticket-button")) == "Open another ticket"

        # the link leads to that ticket's page
        page.click(tid("ticket-link"))
        page.wait_js("return location.pathname.endsWith('/ticket.html')")
        assert page.url().endswith(f"/console/ticket.html?id={key}")
    finally:
        ctx.close()


def test_viewers_read_only_and_the_page_fits_a_phone(env, browser, channel):
    cid = deliver(env, channel, "psid" + uniq(), "Hello from a phone")
    ctx = browser.context(viewport={"width": 360, "height": 740})
    try:
        page = ctx.login(VIEWER)
        page.goto(f"/console/inbox.html?id={cid}")
        page.wait_text(tid("conversation-thread"), "Hello from a phone")
        page.wait(row(cid))
        assert page.count(tid("reply-input")) == 0
        assert page.count(tid("open-ticket-button")) == 0
        assert page.eval(f"return document.querySelector('{tid('conversation-status')}').disabled")
        assert page.eval("return document.documentElement.scrollWidth") <= 360
        # a viewer's look does not mark the conversation read
        assert conversation_doc(env, cid)["unreadCount"] == 1
        page.assert_clean()
    finally:
        ctx.close()
