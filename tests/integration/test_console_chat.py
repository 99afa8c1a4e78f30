"""The agents' assistant in the browser (console/chat.html, seed document
002) against the scripted provider (llm_server.py): a new session, two
tickets attached from the slide-out picker (which then offers them no
more) and one removed again, a message the provider answers by calling
create_ticket, whose ticket shows as an inline card, the tool progress
from the private chat_progress events, and the session resumed after a
reload; the sessions list opens and deletes sessions.  Every step is
checked against what the API has."""

import json
import re

import pytest

from browser import tid
from llm_server import Provider, llm, fresh_llm  # noqa: F401 (fixtures)
from tickets_util import AGENT, Api, create_ticket, uniq


def chat_session(env, sid):
    r = Api(env, AGENT).get(f"/api/chat/sessions/{sid}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def open_chat(browser, path="/console/chat.html"):
    ctx = browser.context(viewport={"width": 1280, "height": 800})
    page = ctx.login(AGENT)
    page.goto(path)
    page.wait(tid("connection-status"))
    page.wait_text(tid("connection-status"), "^connected$")
    return ctx, page


def picker_row(key):
    return f'{tid("picker-ticket")}[data-ticket-key="{key}"]'


def chip(key):
    return f'{tid("ticket-chip")}[data-ticket-key="{key}"]'


def test_a_session_with_tickets_and_an_answer_that_creates_one(env, llm, browser):
    word = uniq("printer")
    a = create_ticket(env, title=f"Printer jams {word}", priority="high")
    b = create_ticket(env, title=f"Printer offline {word}")
    ctx, page = open_chat(browser)
    try:
        page.click(tid("new-session"))
        sid = page.wait_js("const m = location.search.match(/session=([0-9a-f-]{36})/);"
                           "return m && m[1];")
        assert chat_session(env, sid)["messages"] == []

        # the picker: search, then attach both; each leaves the picker's list
        page.click(tid("attach-ticket-button"))
        page.wait(tid("ticket-picker"))
        page.fill(tid("picker-search"), word)
        page.click(tid("picker-apply"))
        page.wait_count(f'{tid("picker-ticket")}', 2)
        # the filters narrow it: only a is high
        page.select(tid("picker-priority"), "high")
        page.wait_count(tid("picker-ticket"), 1)
        assert page.attr(tid("picker-ticket"), "data-ticket-key") == a["key"]
        page.select(tid("picker-priority"), "")
        page.wait_count(tid("picker-ticket"), 2)
        for t in (a, b):
            page.click(f'{picker_row(t["key"])} {tid("picker-attach")}')
            page.wait(chip(t["key"]))
            page.wait(picker_row(t["key"]), state="detached")
        assert page.count(tid("picker-ticket")) == 0
        page.wait_text("#picker-summary", "attached already")
        assert set(chat_session(env, sid)["attachedTicketIds"]) == {a["id"], b["id"]}
        page.press("#picker-filters input", "Escape")
        page.wait(tid("ticket-picker"), state="hidden")
        assert set(page.eval(
            "return [...document.querySelectorAll('[data-testid=ticket-chip]')]"
            ".map(c => c.dataset.ticketKey);")) == {a["key"], b["key"]}

        # a chip removed: the API agrees, and the picker offers it again
        page.click(f'{chip(a["key"])} {tid("chip-remove")}')
        page.wait(chip(a["key"]), state="detached")
        assert chat_session(env, sid)["attachedTicketIds"] == [b["id"]]
        page.click(tid("attach-ticket-button"))
        page.click(tid("picker-apply"))
        page.wait(picker_row(a["key"]))
        assert page.count(picker_row(b["key"])) == 0
        page.click(tid("picker-close"))

        # every text the progress element shows while the assistant works
        page.eval("window.__steps = [];"
                  "const el = document.querySelector('[data-testid=chat-progress]');"
                  "new MutationObserver(() => window.__steps.push(el.innerText))"
                  ".observe(el, {childList: true, subtree: true, characterData: true});")
        title = f"VPN drops {uniq()}"
        llm.script(Provider.tool_calls([("create_ticket", json.dumps(
                       {"title": title, "description": "Drops every hour", "priority": "urgent"}))]),
                   Provider.text("I created the ticket for the VPN."))
        page.fill(tid("chat-input"), "Open a ticket: the VPN drops every hour")
        page.click(tid("chat-send"))
        page.wait_text(f'{tid("chat-message")}[data-role="assistant"]', "created the ticket")
        page.wait(tid("ticket-card"))

        made = Api(env, AGENT).get("/api/tickets", params={"q": title.split()[-1]}).json()["data"]
        assert len(made) == 1 and made[0]["source"] == "chat" and made[0]["chatSessionId"] == sid
        key = made[0]["key"]
        assert page.attr(tid("ticket-card"), "data-ticket-key") == key
        href = page.attr(f'{tid("ticket-card")} a', "href")
        assert href == f"ticket.html?id={key}"
        assert title in page.text(tid("ticket-card"))
        page.wait_js("return window.__steps.some(s => /create_ticket done/.test(s));")
        steps = page.eval("return window.__steps;")
        assert any(re.search(r"Running create_ticket", s) for s in steps), steps
        stored = chat_session(env, sid)
        assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
        assert stored["messages"][1]["ticketRefs"] == [made[0]["id"]]
        # the session's new title is in the list
        page.wait_text(f'{tid("session-row")}[data-session-id="{sid}"]', "Open a ticket")
        page.screenshot("chat")

        # a reload shows the stored thread again, card included
        page.goto(f"/console/chat.html?session={sid}")
        page.wait_count(tid("chat-message"), 2)
        roles = page.eval("return [...document.querySelectorAll('[data-testid=chat-message]')]"
                          ".map(m => m.dataset.role);")
        assert roles == [m["role"] for m in stored["messages"]]
        assert stored["messages"][0]["content"] in page.text(tid("chat-message"), nth=0)
        assert stored["messages"][1]["content"] in page.text(tid("chat-message"), nth=1)
        page.wait(f'{tid("ticket-card")}[data-ticket-key="{key}"]')
        assert page.count(tid("ticket-chip")) == 1
        assert page.attr(tid("ticket-chip"), "data-ticket-key") == b["key"]
        page.assert_clean()
    finally:
        ctx.close()


def test_sessions_are_resumed_and_deleted_from_the_list(env, llm, browser):
    api = Api(env, AGENT)
    first = f"Remember {uniq()}"
    sid = api.post("/api/chat/sessions", {}).json()["data"]["id"]
    llm.script(Provider.text("Noted."))
    assert api.post(f"/api/chat/sessions/{sid}/messages", {"content": first}).status_code == 201
    ctx, page = open_chat(browser)
    try:
        row = f'{tid("session-row")}[data-session-id="{sid}"]'
        page.wait_text(row, first)
        page.click(f"{row} .chat-session-open")
        page.wait_count(tid("chat-message"), 2)
        assert first in page.text(tid("chat-message"), nth=0)
        assert "Noted." in page.text(tid("chat-message"), nth=1)
        assert sid in page.url()
        # delete asks once more on the same button
        page.click(f'{row} {tid("session-delete")}')
        page.wait_text(f'{row} {tid("session-delete")}', "Really")
        assert api.get(f"/api/chat/sessions/{sid}").status_code == 200
        page.click(f'{row} {tid("session-delete")}')
        page.wait(row, state="detached")
        assert api.get(f"/api/chat/sessions/{sid}").status_code == 404
        assert page.count(tid("chat-message")) == 0
        assert "session=" not in page.url()
        page.assert_clean()
    finally:
        ctx.close()


def test_the_picker_is_a_dialog_for_the_keyboard(env, llm, browser):
    ctx, page = open_chat(browser)
    try:
        page.click(tid("new-session"))
        page.wait(tid("attach-ticket-button"))
        page.click(tid("attach-ticket-button"))
        page.wait(tid("ticket-picker"))
        page.wait(tid("picker-ticket"))
        assert page.focused() == "picker-search"
        # the focus wraps at both ends of the open picker
        stops = page.eval("return [...document.querySelectorAll('[data-testid=ticket-picker] "
                          "button, [data-testid=ticket-picker] input, [data-testid=ticket-picker] select, "
                          "[data-testid=ticket-picker] a[href]')].filter(e => !e.disabled && e.offsetParent)"
                          ".length;")
        page.eval("const s = [...document.querySelectorAll('[data-testid=ticket-picker] button, "
                  "[data-testid=ticket-picker] input, [data-testid=ticket-picker] select, "
                  "[data-testid=ticket-picker] a[href]')].filter(e => !e.disabled && e.offsetParent);"
                  "window.__first = s[0]; window.__last = s[s.length - 1]; s[0].focus();")
        page.key("Shift+Tab")
        assert page.eval("return document.activeElement === window.__last;")
        page.key("Tab")
        assert page.eval("return document.activeElement === window.__first;")
        for _ in range(stops + 2):
            page.key("Tab")
            assert page.eval("return document.querySelector('[data-testid=ticket-picker]')"
                             ".contains(document.activeElement);")
        page.key("Escape")
        page.wait(tid("ticket-picker"), state="hidden")
        assert page.focused() == "attach-ticket-button"
        assert page.attr(tid("attach-ticket-button"), "aria-expanded") == "false"
        page.assert_clean()
    finally:
        ctx.close()
