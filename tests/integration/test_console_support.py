"""The customer's pages (console/support.html) in headless Chromium, as
customer@acme.test, against the real server and a scripted AI provider
(llm_server.py).

- My tickets lists exactly what GET /api/tickets gives the customer, each
  linked to ticket.html?id=<key>; the new-ticket form creates a ticket
  (the API has it, the list shows it) and comes back empty.
- Staff are sent to their own start page.
- The AI chat: a message sent, the AI's answer appears (live); after a
  reload the same thread is shown, as the API has it; "Talk to a human"
  hands it over: the system message and the mode human show, as the API
  says.
- Isolation: another customer's ticket titles (one made by an agent for
  that customer just now, and the demo's) and an internal note on the
  customer's own ticket appear nowhere on the page (at 360 px, which
  the page fits).
"""

import pytest

from browser import tid
from llm_server import Provider, llm, fresh_llm  # noqa: F401 (fixtures)
from messaging_util import wait_until
from tickets_util import (AGENT, CUSTOMER, CUSTOMER_ID, WALKIN_CUSTOMER_ID, Api, create_ticket,
                          uniq)

VIEWPORT = {"width": 1280, "height": 800}


def api_data(r, status=200):
    assert r.status_code == status, r.text
    return r.json()["data"]


def my_tickets(env):
    return api_data(Api(env, CUSTOMER).get("/api/tickets?limit=100&sort=-updatedAt"))


def chat_messages(env, cid):
    return api_data(Api(env, CUSTOMER).get(f"/api/conversations/{cid}/messages?limit=100"))


def shown_messages(page):
    """(sender, content) of every chat message on the page."""
    return [tuple(x) for x in page.eval(
        "return [...document.querySelectorAll('[data-testid=chat-message]')].map(e => "
        "[e.dataset.sender, e.querySelector('.body').innerText])")]


def as_shown(messages):
    return [(m["sender"], m["content"]) for m in messages]


def open_support(browser, viewport=VIEWPORT):
    ctx = browser.context(viewport=viewport)
    page = ctx.login(CUSTOMER)
    assert page.url().endswith("/console/support.html")
    page.wait_text(tid("connection-status"), "^connected$")
    page.wait("#tickets li")
    return ctx, page


def test_my_tickets_and_a_new_one(env, browser):
    ctx, page = open_support(browser)
    try:
        mine = my_tickets(env)
        assert mine, "the demo customer has tickets"
        keys = page.eval("return [...document.querySelectorAll('[data-testid=my-ticket]')]"
                         ".map(e => e.dataset.ticketKey)")
        assert keys == [t["key"] for t in mine]
        assert page.texts(tid("my-ticket-title")) == [t["title"] for t in mine]
        assert page.attr(tid("my-ticket") + " a", "href") == f"ticket.html?id={mine[0]['key']}"

        title = f"Broken charger {uniq()}"
        page.fill(tid("new-ticket-title"), title)
        page.fill(tid("new-ticket-description"), "It stopped charging after a week.")
        page.click(tid("new-ticket-submit"))
        page.wait_text(tid("my-ticket-title"), title)
        assert page.value(tid("new-ticket-title")) == ""
        assert page.value(tid("new-ticket-description")) == ""
        mine = my_tickets(env)
        assert mine[0]["title"] == title and mine[0]["source"] == "web"
        assert mine[0]["customerId"] == CUSTOMER_ID
        page.wait_js("return document.querySelectorAll('[data-testid=my-ticket]').length"
                     " === arg", len(mine))
        assert page.texts(tid("my-ticket-title")) == [t["title"] for t in mine]
        page.screenshot("support")
        page.assert_clean()
    finally:
        ctx.close()


def test_staff_are_sent_to_their_own_page(env, browser):
    ctx = browser.context(viewport=VIEWPORT)
    try:
        page = ctx.login(AGENT)
        page.goto("/console/support.html")
        page.wait_js("return location.pathname.endsWith('/tickets.html')")
        page.assert_clean()
    finally:
        ctx.close()


def test_ai_chat_survives_a_reload_and_hands_over(env, browser, llm):
    answer = f"Choose Forgot password on the sign-in page ({uniq()})."
    llm.script(Provider.text(answer), Provider.text("Casey cannot sign in."))
    ctx, page = open_support(browser)
    try:
        question = f"How do I reset my password? {uniq()}"
        page.fill(tid("chat-input"), question)
        page.click(tid("chat-send"))
        page.wait(f'{tid("chat-message")}[data-sender="ai"]', timeout=20000)
        assert page.value(tid("chat-input")) == ""
        cid = page.eval("return new URLSearchParams(location.search).get('chat')")
        conv = api_data(Api(env, CUSTOMER).get(f"/api/conversations/{cid}"))
        assert conv["mode"] == "ai" and conv["platform"] == "web"
        assert page.text(tid("chat-mode")) == "ai"
        stored = chat_messages(env, cid)
        assert as_shown(stored) == [("customer", question), ("ai", answer)]
        assert shown_messages(page) == as_shown(stored)
        # the AI was asked with the customer's question
        assert llm.records()[0]["body"]["messages"][-1]["content"] == question

        # a reload (the page's plain address: the id is kept in the browser)
        page.goto("/console/support.html")
        page.wait_js("return document.querySelectorAll('[data-testid=chat-message]').length"
                     " === arg", len(stored))
        assert shown_messages(page) == as_shown(chat_messages(env, cid))
        assert f"chat={cid}" in page.url()
        page.screenshot("support-chat")

        # to a human: the handoff note and the mode, as the API has them
        page.click(tid("transfer-button"))
        page.wait_text(tid("chat-mode"), "^human$")
        page.wait(f'{tid("chat-message")}[data-sender="system"]')
        conv = api_data(Api(env, CUSTOMER).get(f"/api/conversations/{cid}"))
        assert conv["mode"] == "human"
        after = chat_messages(env, cid)
        assert [m["sender"] for m in after] == ["customer", "ai", "system"]
        assert "Handed to a human agent" in after[-1]["content"]
        wait_until(lambda: shown_messages(page) == as_shown(after), timeout=5,
                   what="the page showing the stored thread")
        assert page.count(tid("transfer-button")) == 0

        # an agent's answer arrives live, as sender agent
        reply = f"Hi Casey, I am on it {uniq()}"
        r = Api(env, AGENT).post(f"/api/conversations/{cid}/messages", {"content": reply})
        assert r.status_code == 201, r.text
        page.wait_text(f'{tid("chat-message")}:last-child', reply)
        assert shown_messages(page)[-1] == ("agent", reply)
        page.assert_clean()
    finally:
        ctx.close()


def test_a_customer_sees_nothing_of_others(env, browser):
    other_title = f"Walk-in only {uniq()}"
    create_ticket(env, title=other_title, description="Not Casey's business.",
                  customerId=WALKIN_CUSTOMER_ID)
    own = create_ticket(env, title=f"Casey's router {uniq()}", description="It blinks.",
                        customerId=CUSTOMER_ID)
    note = f"Internal: customer is on the legacy plan {uniq()}"
    r = Api(env, AGENT).post(f"/api/tickets/{own['id']}/messages",
                             {"content": note, "internal": True})
    assert r.status_code == 201, r.text
    staff_titles, offset = [], 0
    while True:             # every ticket staff can see, page by page
        page = Api(env, AGENT).get(f"/api/tickets?limit=100&offset={offset}").json()
        staff_titles += [t["title"] for t in page["data"]]
        offset += 100
        if offset >= page["total"]:
            break
    mine = [t["title"] for t in my_tickets(env)]
    others = [t for t in staff_titles if t not in mine]
    assert other_title in others and "Invoice shows the wrong VAT rate" in others
    ctx, page = open_support(browser, viewport={"width": 360, "height": 740})
    try:
        page.wait_text(tid("my-ticket-title"), own["title"])
        assert page.eval("return document.documentElement.scrollWidth") <= 360
        page.wait("#conversations li")
        text = page.text("body")
        assert own["title"] in text
        for t in others:
            assert t not in text, t
        assert note not in text
        assert "Doomsday device" not in text          # another organization's
        page.assert_clean()
    finally:
        ctx.close()
