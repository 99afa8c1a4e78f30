"""The ticket page of the consoles (console/ticket.html, js/ticket.js,
js/copilot.js) in headless Chromium, against the real API: what it shows
is checked against what the server has (the API and the database).

Staff read the thread with internal notes marked, reply and write notes,
move the status along the lifecycle only, assign, tag, attach and fetch
files, link help articles, read the audit timeline and a closed ticket's
transcript, and see changes by others arrive on the live stream.  A
customer sees their own ticket without notes, copilot or staff controls,
and another customer's ticket as "not found".  The copilot panel shows
its job queued, running, complete and in error against the scripted
provider (llm_server.py), following copilot_job_updated events."""

import re
import threading
import time
import urllib.parse

import pytest

from browser import tid
from llm_server import Provider, conf, configured
from tickets_util import (ADMIN, ADMIN_ID, AGENT, AGENT_ID, CUSTOMER, CUSTOMER_ID, MOVES,
                          VIEWER, WALKIN_CUSTOMER_ID, Api, create_ticket, db_messages, db_ticket, move,
                          q, uniq)

VIEWPORT = {"width": 1280, "height": 800}
# The order in which the page offers the moves (console/js/model.js).
STATUS_ORDER = ("open", "in_progress", "waiting", "resolved", "closed")
# Leaving a page ends its live stream (a fetch the browser aborts).
STREAM_ABORTED = r"requestfailed GET +\S*/api/events/stream\S* net::ERR_ABORTED"


def open_ticket(browser, user, ref):
    """A signed-in context of user on ticket.html?id=ref (through the
    sign-in form, straight to the page)."""
    ctx = browser.context(viewport=VIEWPORT)
    nxt = urllib.parse.quote(f"ticket.html?id={ref}")
    try:
        page = ctx.login(user, path=f"/console/index.html?next={nxt}")
    except Exception:
        ctx.close()
        raise
    return ctx, page


def ready(page, t):
    """Until the page shows ticket t, its live stream is connected and what
    changed before that has been read again (body[data-synced])."""
    page.wait_text(tid("ticket-title"), re.escape(t["title"]))
    page.wait_text(tid("connection-status"), "^connected$")
    page.wait("body[data-synced]", state="attached")


def api_ticket(env, ref, user=AGENT):
    r = Api(env, user).get(f"/api/tickets/{ref}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def body_text(page):
    return page.eval("return document.body.innerText")


def offered_moves(page):
    return page.eval("return [...document.querySelectorAll('[data-testid=status-move] option')]"
                     ".map(o => o.value)")


def assert_badge(page, text, kind, rgb):
    """The copilot's state badge says text, has the colours of badge
    class kind, and that colour is the expected one (yellow, blue, green
    or red, by its dominant channel)."""
    page.wait_text(tid("copilot-state"), f"^{text}$", timeout=15000)
    got = page.eval(
        "const el = document.querySelector(arg.s); const ref = document.createElement('span');"
        "ref.className = 'badge ' + arg.k; document.body.append(ref);"
        "const a = getComputedStyle(el), b = getComputedStyle(ref);"
        "const out = [[a.color, a.backgroundColor], [b.color, b.backgroundColor]];"
        "ref.remove(); return out;", {"s": tid("copilot-state"), "k": kind})
    assert got[0] == got[1], got
    r, g, b = (int(x) for x in re.findall(r"\d+", got[0][0])[:3])
    assert rgb(r, g, b), (text, got[0][0])


YELLOW = lambda r, g, b: r > b + 60 and g > b + 30          # noqa: E731
BLUE = lambda r, g, b: b > r + 60 and b > g                 # noqa: E731
GREEN = lambda r, g, b: g > r + 40 and g > b + 20           # noqa: E731
RED = lambda r, g, b: r > g + 80 and r > b + 80             # noqa: E731


# ---- the main path, as an agent ----------------------------------------------------

def test_agent_reads_replies_notes_and_moves_the_status(env, browser):
    note = uniq("note")
    t = create_ticket(env, title=f"Printer on fire {uniq()}", description="Smoke everywhere.",
                      customerId=CUSTOMER_ID, tags=["hardware"])
    assert Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages",
                                {"content": note, "internal": True}).status_code == 201
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        # the thread as the API has it, the note marked
        detail = api_ticket(env, t["id"])
        assert page.texts(f"{tid('ticket-message')} .body") == [m["content"] for m in detail["messages"]]
        marked = page.eval("return [...document.querySelectorAll('[data-testid=ticket-message]')]"
                           ".map(m => [m.classList.contains('internal'), "
                           "(m.querySelector('[data-testid=internal-badge]') || {}).textContent || ''])")
        assert marked == [[True, "internal note"] if m["internal"] else [False, ""]
                          for m in detail["messages"]]
        assert page.text(tid("ticket-status")) == "open"
        assert page.text(tid("ticket-tags")) == "hardware"

        # a reply
        reply = f"We are on it {uniq()}"
        page.fill(tid("ticket-reply-input"), reply)
        page.click(tid("ticket-reply-submit"))
        page.wait_count(tid("ticket-message"), 3)
        assert page.text(f"{tid('ticket-message')}:last-child .body") == reply
        assert page.value(tid("ticket-reply-input")) == ""
        # an internal note
        note2 = f"Customer sounds upset {uniq()}"
        page.fill(tid("ticket-reply-input"), note2)
        page.click(tid("ticket-reply-internal"))
        page.click(tid("ticket-reply-submit"))
        page.wait_count(tid("ticket-message"), 4)
        last = f"{tid('ticket-message')}:last-child"
        assert page.text(f"{last} .body") == note2
        assert "internal" in page.attr(last, "class").split()
        assert page.text(f"{last} {tid('internal-badge')}") == "internal note"
        assert page.value(tid("ticket-reply-input")) == ""
        assert page.eval("return document.querySelector('[data-testid=ticket-reply-internal]').checked") is False
        stored = [(m["content"], m["internal"], m["author_id"]) for m in db_messages(env, t["id"])]
        assert stored[-2:] == [(reply, False, AGENT_ID), (note2, True, AGENT_ID)]

        # the status: only the legal moves are offered
        offered = offered_moves(page)
        assert set(offered) == MOVES["open"] and len(offered) == len(MOVES["open"])
        page.select(tid("status-move"), "in_progress")
        page.click(tid("status-move-submit"))
        page.wait_text(tid("ticket-status"), "^in progress$")
        assert api_ticket(env, t["id"])["status"] == "in_progress"
        assert db_ticket(env, t["id"])["status"] == "in_progress"
        offered = offered_moves(page)
        assert set(offered) == MOVES["in_progress"] and len(offered) == len(MOVES["in_progress"])
        assert [s for s in STATUS_ORDER if s in offered] == offered
        page.select(tid("status-move"), "resolved")
        page.click(tid("status-move-submit"))
        page.wait_text(tid("ticket-status"), "^resolved$")
        assert db_ticket(env, t["id"])["status"] == "resolved"
        offered = offered_moves(page)
        assert set(offered) == MOVES["resolved"] and len(offered) == len(MOVES["resolved"])

        # the copilot panel is there for staff (no provider here: no job yet)
        assert page.visible(tid("copilot-panel"))
        assert page.visible(tid("analyze-button"))
        # none of this page's own writes counted as someone else's
        assert not page.visible(tid("ticket-updated-notice"))
        page.eval("document.querySelectorAll('.toast').forEach(t => t.remove())")
        page.screenshot("ticket")
        # on a phone: one column, nothing wider than the screen
        page.viewport(360, 740)
        assert page.eval("return document.documentElement.scrollWidth") <= 360
        assert page.visible(tid("ticket-reply-submit"))
        page.assert_clean()
    finally:
        ctx.close()


def test_a_change_by_someone_else_is_announced_and_a_stale_move_reloads(env, browser):
    t = create_ticket(env)
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        # someone else moves it: the notice comes through the stream
        move(env, t["id"], "waiting", user=ADMIN)
        page.wait(tid("ticket-updated-notice"))
        assert re.search("updated by someone else", page.text(tid("ticket-updated-notice")), re.I)
        assert page.text(tid("ticket-status")) == "open"
        # a move from the stale view: 412, reloaded, and the user is told
        page.select(tid("status-move"), "resolved")
        page.click(tid("status-move-submit"))
        page.wait_text(tid("ticket-status"), "^waiting$")
        page.wait_text(tid("toast"), "changed this ticket in the meantime")
        assert api_ticket(env, t["id"])["status"] == "waiting"
        offered = offered_moves(page)
        assert set(offered) == MOVES["waiting"] and len(offered) == len(MOVES["waiting"])
        # a reload from the notice shows the other's message too
        text = f"Hello from the admin {uniq()}"
        assert Api(env, ADMIN).post(f"/api/tickets/{t['id']}/messages",
                                    {"content": text}).status_code == 201
        page.wait(tid("ticket-updated-notice"))
        page.click(tid("ticket-updated-notice"))
        page.wait_text(tid("ticket-thread"), re.escape(text))
        assert not page.visible(tid("ticket-updated-notice"))
        page.assert_clean(allow=[r"status PATCH 412 .*/api/tickets/[^/]+/status"])
    finally:
        ctx.close()


def test_a_ticket_deleted_by_someone_else_is_announced(env, browser):
    t = create_ticket(env)
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        assert Api(env, ADMIN).delete(f"/api/tickets/{t['id']}").status_code == 204
        page.wait(tid("ticket-updated-notice"))
        assert re.search("deleted by someone else", page.text(tid("ticket-updated-notice")), re.I)
        page.assert_clean()
    finally:
        ctx.close()


def test_a_viewer_reads_notes_and_writes_nothing(env, browser):
    note = uniq("note")
    t = create_ticket(env)
    assert Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages",
                                {"content": note, "internal": True}).status_code == 201
    ctx, page = open_ticket(browser, VIEWER, t["key"])
    try:
        ready(page, t)
        page.wait_text(f"{tid('ticket-message')}.internal .body", re.escape(note))
        for hook in ("ticket-reply-input", "status-move", "assign-me", "tags-input",
                     "attachment-input", "article-select"):
            assert page.count(tid(hook)) == 0, hook
        assert page.visible(tid("copilot-panel")) and page.visible(tid("timeline"))
        page.assert_clean()
    finally:
        ctx.close()


# ---- assignment and tags -------------------------------------------------------------

def test_assignment_and_tags_are_stored(env, browser):
    t = create_ticket(env)
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        assert page.text(tid("ticket-assignee")) == "unassigned"
        assert page.count(tid("assignee-select")) == 0          # admins only
        page.click(tid("assign-me"))
        page.wait_text(tid("ticket-assignee"), "Alex Agent")
        assert db_ticket(env, t["id"])["assignee_id"] == AGENT_ID
        assert page.count(tid("assign-me")) == 0
        page.click(tid("unassign"))
        page.wait_text(tid("ticket-assignee"), "^unassigned$")
        assert db_ticket(env, t["id"])["assignee_id"] is None

        page.fill(tid("tags-input"), " vpn, Network ,, urgent-ish ")
        page.click(tid("tags-save"))
        page.wait_text(tid("ticket-tags"), "vpn")
        tags = api_ticket(env, t["id"])["tags"]
        assert sorted(tags) == sorted(["vpn", "Network", "urgent-ish"]) or \
            sorted(tags) == sorted(["vpn", "network", "urgent-ish"])
        assert page.text(tid("ticket-tags")) == ", ".join(tags)
        assert db_ticket(env, t["id"])["tags"] == tags
        assert not page.visible(tid("ticket-updated-notice"))
        page.assert_clean()
    finally:
        ctx.close()
    # an admin picks anyone who may be assigned
    ctx, page = open_ticket(browser, ADMIN, t["key"])
    try:
        ready(page, t)
        users = Api(env, ADMIN).get("/api/users?limit=100").json()["data"]
        assignable = {u["id"] for u in users if u["role"] in ("admin", "agent") and not u["disabled"]}
        options = page.eval("return [...document.querySelectorAll('[data-testid=assignee-select] option')]"
                            ".map(o => o.value).filter(Boolean)")
        assert set(options) == assignable and len(options) == len(assignable)
        page.select(tid("assignee-select"), AGENT_ID)
        page.click(tid("assignee-submit"))
        page.wait_text(tid("ticket-assignee"), "Alex Agent")
        assert db_ticket(env, t["id"])["assignee_id"] == AGENT_ID
        page.select(tid("assignee-select"), ADMIN_ID)
        page.click(tid("assignee-submit"))
        page.wait_text(tid("ticket-assignee"), "Ada Admin")
        assert api_ticket(env, t["id"])["assigneeId"] == ADMIN_ID
        page.assert_clean()
    finally:
        ctx.close()


# ---- attachments -----------------------------------------------------------------------

def test_a_file_uploaded_through_the_page_downloads_the_same(env, browser, tmp_path):
    t = create_ticket(env)
    data = f"log line one\nunique {uniq()}\n".encode()
    f = tmp_path / "notes.txt"
    f.write_bytes(data)
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        assert page.count(tid("attachment")) == 0
        page.upload(tid("attachment-input"), str(f))
        page.click(tid("attachment-submit"))
        page.wait_count(tid("attachment"), 1)
        listed = api_ticket(env, t["id"])["attachments"]
        assert [a["filename"] for a in listed] == ["notes.txt"]
        assert page.text(tid("attachment-link")) == "notes.txt"
        href = page.attr(tid("attachment-link"), "href")
        assert href == listed[0]["url"]
        r = env.session(AGENT).get(env.url(href), timeout=30)
        assert r.status_code == 200 and r.content == data
        assert not page.visible(tid("attachment-progress"))
        assert not page.visible(tid("ticket-updated-notice"))
        page.assert_clean()
    finally:
        ctx.close()


# ---- help articles ---------------------------------------------------------------------

def test_an_article_is_linked_and_unlinked(env, browser):
    t = create_ticket(env)
    faqs = Api(env, AGENT).get("/api/faqs?limit=100").json()["data"]
    article = next(a for a in faqs if a["status"] == "published")
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        page.wait(tid("article-select"))
        assert page.count(tid("linked-article")) == 0
        options = page.eval("return [...document.querySelectorAll('[data-testid=article-select] option')]"
                            ".map(o => o.value)")
        assert set(options) == {a["id"] for a in faqs}
        page.select(tid("article-select"), article["id"])
        page.click(tid("article-link"))
        page.wait_count(tid("linked-article"), 1)
        assert article["title"] in page.text(tid("linked-article"))
        linked = Api(env, AGENT).get(f"/api/tickets/{t['id']}/articles").json()["data"]
        assert [a["id"] for a in linked] == [article["id"]]
        page.wait_js("return ![...document.querySelectorAll('[data-testid=article-select] option')]"
                     ".some(o => o.value === arg)", article["id"])
        page.click(tid("article-unlink"))
        page.wait_count(tid("linked-article"), 0)
        assert Api(env, AGENT).get(f"/api/tickets/{t['id']}/articles").json()["data"] == []
        assert not page.visible(tid("ticket-updated-notice"))
        page.assert_clean()
    finally:
        ctx.close()


# ---- the audit timeline ------------------------------------------------------------------

def test_the_timeline_shows_the_events_the_api_lists(env, browser):
    t = create_ticket(env)
    api = Api(env, AGENT)
    move(env, t["id"], "in_progress")
    assert api.post(f"/api/tickets/{t['id']}/messages", {"content": "hi"}).status_code == 201
    assert api.patch(f"/api/tickets/{t['id']}", {"priority": "high"}).status_code == 200
    assert api.patch(f"/api/tickets/{t['id']}", {"assigneeId": AGENT_ID}).status_code == 200
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        events = api.get(f"/api/tickets/{t['id']}/events?limit=100").json()
        page.wait_count(tid("timeline-event"), events["total"])
        shown = page.eval("return [...document.querySelectorAll('[data-testid=timeline-event]')]"
                          ".map(e => [Number(e.dataset.eventId), e.dataset.eventType])")
        assert shown == [[e["id"], e["type"]] for e in events["data"]]
        assert len(shown) >= 5
        status = page.text(f"{tid('timeline-event')}[data-event-type=STATUS_CHANGED]")
        assert "open → in_progress" in status
        assert "priority: medium → high" in page.text(f"{tid('timeline-event')}[data-event-type=UPDATED]")
        # a move on the page adds its event
        page.select(tid("status-move"), "waiting")
        page.click(tid("status-move-submit"))
        page.wait_count(tid("timeline-event"), events["total"] + 1)
        newest = api.get(f"/api/tickets/{t['id']}/events?limit=100").json()["data"][-1]
        assert page.attr(f"{tid('timeline-event')}:last-child", "data-event-id") == str(newest["id"])
        page.assert_clean()
    finally:
        ctx.close()


# ---- the transcript of a closed ticket ----------------------------------------------------

def test_a_closed_ticket_shows_its_transcript(env, browser):
    note = uniq("secret")
    t = create_ticket(env, customerId=CUSTOMER_ID)
    api = Api(env, AGENT)
    assert api.post(f"/api/tickets/{t['id']}/messages", {"content": "Fixed it."}).status_code == 201
    assert api.post(f"/api/tickets/{t['id']}/messages",
                    {"content": note, "internal": True}).status_code == 201
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        assert not page.visible(tid("transcript"))
        page.select(tid("status-move"), "closed")
        page.click(tid("status-move-submit"))
        page.wait(tid("transcript"))
        page.wait_count(tid("transcript-message"), 3)
        tr = api.get(f"/api/tickets/{t['id']}/transcript").json()["data"]
        assert page.texts(f"{tid('transcript-message')} .body") == \
            [m["content"] for m in tr["transcript"]["messages"]]
        assert f"Version {tr['version']}" in page.text(tid("transcript"))
        # reopened, the section goes
        assert set(offered_moves(page)) == MOVES["closed"]
        page.click(tid("status-move-submit"))
        page.wait_text(tid("ticket-status"), "^open$")
        assert not page.visible(tid("transcript"))
        page.assert_clean()
    finally:
        ctx.close()
    move(env, t["id"], "closed")
    # the customer's transcript has no note
    ctx, page = open_ticket(browser, CUSTOMER, t["key"])
    try:
        ready(page, t)
        page.wait(tid("transcript"))
        ctr = Api(env, CUSTOMER).get(f"/api/tickets/{t['id']}/transcript").json()["data"]
        page.wait_count(tid("transcript-message"), len(ctr["transcript"]["messages"]))
        assert page.texts(f"{tid('transcript-message')} .body") == \
            [m["content"] for m in ctr["transcript"]["messages"]]
        assert note not in body_text(page)
        page.assert_clean()
    finally:
        ctx.close()


# ---- the customer's view ---------------------------------------------------------------------

def test_a_customer_sees_their_ticket_without_notes_or_staff_controls(env, browser):
    note = f"Internal only {uniq()}"
    t = create_ticket(env, title=f"My invoice {uniq()}", customerId=CUSTOMER_ID)
    assert Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages",
                                {"content": note, "internal": True}).status_code == 201
    other = create_ticket(env, title=f"Walk-in {uniq()}", customerId=WALKIN_CUSTOMER_ID)
    ctx, page = open_ticket(browser, CUSTOMER, t["key"])
    try:
        ready(page, t)
        assert note not in body_text(page)
        assert page.count(".msg.internal") == 0
        assert page.texts(f"{tid('ticket-message')} .body") == \
            [m["content"] for m in api_ticket(env, t["id"], user=CUSTOMER)["messages"]]
        for hook in ("copilot-panel", "analyze-button", "ticket-reply-internal", "status-move",
                     "assign-me", "unassign", "tags-input", "article-select", "timeline"):
            assert page.count(tid(hook)) == 0 or not page.visible(tid(hook)), hook
        # the customer replies
        text = f"Thanks {uniq()}"
        page.fill(tid("ticket-reply-input"), text)
        page.click(tid("ticket-reply-submit"))
        page.wait_text(tid("ticket-thread"), re.escape(text))
        assert page.value(tid("ticket-reply-input")) == ""
        stored = db_messages(env, t["id"])[-1]
        assert stored["content"] == text and stored["author_type"] == "customer" \
            and stored["internal"] is False
        # a note written meanwhile does not reach the page, even on reload
        later = f"Another note {uniq()}"
        assert Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages",
                                    {"content": later, "internal": True}).status_code == 201
        page.goto(f"/console/ticket.html?id={t['key']}")
        ready(page, t)
        assert note not in body_text(page) and later not in body_text(page)
        page.assert_clean(allow=[STREAM_ABORTED])
        # another customer's ticket is "not found", readably
        page.goto(f"/console/ticket.html?id={other['key']}")
        page.wait_text(tid("ticket-not-found"), "no ticket")
        assert other["title"] not in body_text(page)
        assert not re.search(r"\b404\b", body_text(page))
        page.assert_clean(allow=[STREAM_ABORTED, rf"status GET 404 .*/api/tickets/{other['key']} "])
    finally:
        ctx.close()


# ---- the copilot panel --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def llm(env, tmp_path_factory):
    with configured(env, tmp_path_factory) as p:
        yield p


@pytest.fixture
def provider(llm):
    llm.clear()
    yield llm


def analysis(summary):
    return Provider.json_answer({"summary": summary, "sentiment": "negative", "category": "network",
                                 "urgency": "high", "suggestedActions": ["Check the VPN client"]})


def suggestion_state(env, sid):
    return Api(env, AGENT).get(f"/api/copilot/v1/status/{sid}").json()["data"]


def newest_suggestion(env, ticket_id):
    rows = env.psql(f"SELECT id FROM ai_suggestions WHERE ticket_id = {q(ticket_id)} "
                    "ORDER BY created_at DESC LIMIT 1")
    return rows[0][0] if rows else None


def test_copilot_queued_then_complete_after_the_workers_return(env, browser, provider):
    """With no job worker the job stays queued (yellow); once the workers
    are back the page, reconnected, follows it to complete."""
    t = create_ticket(env)
    summary = f"Queued first {uniq()}"
    env.restart(conf(provider.url, provider.keyfile, extra="TicketsJobWorkers 0\n"))
    try:
        ctx, page = open_ticket(browser, AGENT, t["key"])
        try:
            ready(page, t)
            page.click(tid("analyze-button"))
            assert_badge(page, "queued", "queued", YELLOW)
            sid = newest_suggestion(env, t["id"])
            time.sleep(1.5)
            assert suggestion_state(env, sid)["state"] == "queued"
            assert page.text(tid("copilot-state")) == "queued"
            provider.script(analysis(summary))
            env.restart(provider.conf)
            assert_badge(page, "complete", "complete", GREEN)
            assert page.text(tid("analysis-summary")) == summary
            assert suggestion_state(env, sid)["content"]["summary"] == summary
            # the stream's drop while the server restarted is all that went wrong
            page.assert_clean(allow=[r"/api/events/stream"])
        finally:
            ctx.close()
    finally:
        env.restart(provider.conf)


def test_copilot_running_then_complete(env, browser, provider):
    t = create_ticket(env, title=f"VPN drops {uniq()}")
    summary = f"The VPN drops every hour {uniq()}"
    gate = threading.Event()

    def held(rec):
        gate.wait(3)
        return analysis(summary)

    provider.script(held)
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        page.click(tid("analyze-button"))
        try:
            assert_badge(page, "running", "running", BLUE)
            sid = newest_suggestion(env, t["id"])
            assert suggestion_state(env, sid)["state"] == "running"
            assert not page.visible(tid("copilot-error"))
        finally:
            gate.set()
        assert_badge(page, "complete", "complete", GREEN)
        assert page.text(tid("analysis-summary")) == summary
        s = suggestion_state(env, sid)
        assert s["state"] == "success" and s["content"]["summary"] == summary
        assert page.visible(tid("copy-json"))
        assert "Check the VPN client" in page.text(tid("copilot-result"))
        page.eval("document.querySelectorAll('.toast').forEach(t => t.remove())")
        page.screenshot("copilot")
        page.click(tid("copy-json"))
        page.wait_text(tid("toast"), "JSON is on the clipboard")
        # the panel followed events, it never polled the status
        polled = page.eval("return performance.getEntriesByType('resource')"
                           ".filter(e => e.name.includes('/api/copilot/v1/status/')).length")
        assert polled == 0
        page.assert_clean()
    finally:
        ctx.close()


def test_copilot_error_shows_the_message(env, browser, provider):
    t = create_ticket(env)
    provider.script(Provider.error(401, "invalid_api_key"))
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        page.click(tid("analyze-button"))
        assert_badge(page, "error", "error", RED)
        sid = newest_suggestion(env, t["id"])
        s = suggestion_state(env, sid)
        assert s["state"] == "error" and s["error"]
        page.wait_text(tid("copilot-error"), re.escape(s["error"]))
        assert page.text(tid("copilot-error")) == s["error"]
        assert page.count(tid("analysis-summary")) == 0
        page.assert_clean()
    finally:
        ctx.close()


def test_copilot_draft_reply_fills_the_reply_and_steps_are_a_list(env, browser, provider):
    t = create_ticket(env)
    draft = f"Hello, we have reset your VPN profile. {uniq()}"
    provider.script(Provider.json_answer({"steps": ["Ask for logs", "Reproduce"]}),
                    Provider.json_answer({"reply": draft}))
    ctx, page = open_ticket(browser, AGENT, t["key"])
    try:
        ready(page, t)
        page.click(tid("suggest-button"))
        assert_badge(page, "complete", "complete", GREEN)
        assert page.texts(f"{tid('suggestion-steps')} li") == ["Ask for logs", "Reproduce"]
        page.select(tid("draft-tone"), "friendly")
        page.click(tid("draft-reply-button"))
        page.wait(tid("use-draft"), timeout=15000)
        assert page.text(tid("draft-reply")) == draft
        page.click(tid("use-draft"))
        assert page.value(tid("ticket-reply-input")) == draft
        sid = newest_suggestion(env, t["id"])
        assert suggestion_state(env, sid)["request"] == {"tone": "friendly"}
        page.assert_clean()
    finally:
        ctx.close()
