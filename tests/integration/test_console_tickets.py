"""The sign-in page and the staff's ticket list (console/tickets.html), in
Chromium (browser.py).

Seeds 000 and 004: the "New updates" badge lights in one browser when
another person (a second browser context, or a customer on Discord)
creates, changes or deletes a ticket, never for the page's own writes,
and a click on it reloads the list; the connection indicator says
connected, reconnecting or offline, and after the server restarts the
stream resumes with Last-Event-ID so nothing is missed; the new-ticket
form comes back empty after a create.  Errors are the server's sentence
in a toast, never a bare status.
"""

import time

from browser import tid
from messaging_util import Channel
from platforms import discord_ticket_command, snowflake
from tickets_util import ADMIN, AGENT, Api, create_ticket, uniq


def rows(page):
    return page.eval("return [...document.querySelectorAll('[data-testid=ticket-row]')]"
                     ".map(r => r.dataset.ticketKey);")


def wait_badge(page, timeout=10000):
    page.wait_js("const b = document.querySelector('[data-testid=new-updates-badge]');"
                 "return b && !b.hidden;", timeout=timeout)


def badge_shown(page):
    return page.eval("return !document.querySelector('[data-testid=new-updates-badge]').hidden;")


def test_sign_in_errors_are_sentences_and_sign_out_works(env, browser):
    ctx = browser.context()
    try:
        page = ctx.page()
        page.goto("/console/")
        page.screenshot("login", full_page=False)
        page.fill(tid("login-email"), "agent@acme.test")
        page.fill(tid("login-password"), "not the password")
        page.click(tid("login-submit"))
        msg = page.wait_text(tid("toast"), r"\w")
        assert "401" not in msg and "400" not in msg
        assert "password" in msg.lower() or "email" in msg.lower(), msg
        page.assert_clean(allow=[r"status POST 401 .*/api/auth/login"])
        page = ctx.login("agent@acme.test")
        assert page.url().endswith("/console/tickets.html")
        # the pages' own headers: no framing, scripts from this host only
        r = env.get("/console/tickets.html")
        assert r.status_code == 200 and r.headers["X-Frame-Options"] == "DENY"
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "agent" in page.text(tid("whoami"))
        page.click(tid("logout"))
        page.wait(tid("login-email"))
        page.goto("/console/tickets.html")        # the session is gone
        page.wait(tid("login-email"))
        assert "next=tickets.html" in page.url()
        page.assert_clean(allow=[r"status GET 401 .*/api/auth/me"])
    finally:
        ctx.close()


def test_list_shows_the_apis_tickets_with_filters_sort_and_paging(env, browser):
    api = Api(env, AGENT)
    tag = uniq("tag")
    made = [create_ticket(env, title=f"Filter me {i} {tag}", tags=[tag],
                          priority="urgent" if i % 2 else "low") for i in range(5)]
    ctx = browser.context()
    try:
        page = ctx.login("agent@acme.test")
        page.wait(tid("ticket-row"))
        want = [t["key"] for t in api.get("/api/tickets", params={"limit": 20}).json()["data"]]
        assert rows(page) == want
        page.screenshot("tickets")
        # a filter, the sort, and a page size of the API's
        page.fill("#filters [name=tag]", tag)
        page.select("#filters [name=priority]", "urgent")
        page.select("#filters [name=sort]", "number")
        page.click("#filters button[type=submit]")
        want = [t["key"] for t in api.get("/api/tickets", params={
            "tag": tag, "priority": "urgent", "sort": "number"}).json()["data"]]
        assert len(want) == 2
        page.wait_js("return [...document.querySelectorAll('[data-testid=ticket-row]')]"
                     ".map(r => r.dataset.ticketKey).join() === arg;", ",".join(want))
        assert "tag=" in page.url() and "priority=urgent" in page.url()
        # paging: two per page over the five
        page.select("#filters [name=priority]", "")
        page.fill("#filters [name=tag]", tag)
        page.eval("const s = document.querySelector('#filters [name=limit]');"
                  "s.append(new Option('2', '2')); s.value = '2';")
        page.click("#filters button[type=submit]")
        page.wait_text("#summary", "of 5")
        first = rows(page)
        page.click("#pager button:nth-child(2)")
        page.wait_js("return document.querySelector('[data-testid=ticket-row]').dataset.ticketKey !== arg;", first[0])
        second = rows(page)
        want = [t["key"] for t in api.get("/api/tickets", params={
            "tag": tag, "sort": "number", "limit": 2, "offset": 2}).json()["data"]]
        assert second == want and not set(first) & set(second)
        # ranked search goes to /api/tickets/search
        page.goto("/console/tickets.html")
        page.fill("#f-q", f"Filter {tag}")
        page.eval("document.querySelector('#f-ranked').checked = true;")
        page.click("#filters button[type=submit]")
        page.wait_count(tid("ticket-row"), 5)
        assert set(rows(page)) == {t["key"] for t in made}
        page.assert_clean()
    finally:
        ctx.close()


def test_badge_lights_for_another_users_changes_only(env, browser):
    watcher, other = browser.context(), browser.context()
    try:
        page = watcher.login("agent@acme.test")
        page.wait_text(tid("connection-status"), "^connected$")
        assert not badge_shown(page)
        # this page's own create: the form resets, and no badge
        page.fill(tid("new-ticket-title"), f"Mine {uniq()}")
        page.fill(tid("new-ticket-description"), "Made here.")
        page.click(tid("new-ticket-submit"))
        page.wait_text(tid("toast"), "Created TKT-")
        assert page.value(tid("new-ticket-title")) == ""
        assert page.value(tid("new-ticket-description")) == ""
        time.sleep(1.5)
        assert not badge_shown(page)
        # another person's create, in another browser
        second = other.login("admin@acme.test")
        title = f"From the other browser {uniq()}"
        second.fill(tid("new-ticket-title"), title)
        second.fill(tid("new-ticket-description"), "Made there.")
        second.click(tid("new-ticket-submit"))
        wait_badge(page)
        assert title not in page.text("#list")
        page.click(tid("new-updates-badge"))
        page.wait_text("#list", title)
        assert not badge_shown(page)
        # a change and a delete by someone else light it again
        t = create_ticket(env, user=ADMIN, title=f"to change {uniq()}")
        wait_badge(page)
        page.click(tid("new-updates-badge"))
        page.wait_text("#list", t["title"])
        Api(env, ADMIN).patch(f"/api/tickets/{t['id']}", json={"priority": "urgent"})
        wait_badge(page)
        page.click(tid("new-updates-badge"))
        page.wait_text(f'{tid("ticket-row")}[data-ticket-key="{t["key"]}"]', "urgent")
        assert not badge_shown(page)
        assert Api(env, ADMIN).delete(f"/api/tickets/{t['id']}").status_code == 204
        wait_badge(page)
        page.click(tid("new-updates-badge"))
        page.wait_js("return !document.body.innerText.includes(arg);", t["title"])
        page.assert_clean()
        second.assert_clean()
    finally:
        watcher.close()
        other.close()


def test_a_ticket_from_discord_lights_the_badge(env, browser):
    ch = Channel(env, "discord")
    ctx = browser.context()
    try:
        page = ctx.login("agent@acme.test")
        page.wait_text(tid("connection-status"), "^connected$")
        subject = f"Discord printer {uniq()}"
        body, headers = discord_ticket_command(ch.key, ch.account_id, "g1", "c1", snowflake(),
                                               "casey", "open", subject=subject,
                                               description="It smokes.")
        r = ch.post(body, headers)
        assert r.status_code == 200, r.text
        wait_badge(page)
        page.click(tid("new-updates-badge"))
        page.wait_text("#list", subject)
        key = [w for w in r.json()["data"]["content"].split() if w.startswith("TKT-")][0]
        assert key.strip(".,") in rows(page)
        page.assert_clean()
    finally:
        ctx.close()


def test_reconnects_after_a_restart_and_misses_nothing(env, browser):
    ctx = browser.context()
    try:
        page = ctx.login("agent@acme.test")
        page.wait_text(tid("connection-status"), "^connected$")
        # every stream request's Last-Event-ID, and the indicator's states
        page.eval("""
            window.__resumed = [];
            const orig = window.fetch;
            window.fetch = (url, init) => {
              if (String(url).includes('/api/sse/tickets'))
                window.__resumed.push((init && init.headers && init.headers['Last-Event-ID']) || null);
              return orig(url, init);
            };
            const ind = document.querySelector('[data-testid=connection-status]');
            window.__states = [];
            new MutationObserver(() => window.__states.push(ind.textContent))
              .observe(ind, {childList: true, characterData: true, subtree: true});
        """)
        seen = create_ticket(env, user=ADMIN, title=f"before the restart {uniq()}")
        wait_badge(page)
        page.click(tid("new-updates-badge"))
        page.wait_text("#list", seen["title"])
        # the server goes away; while the page cannot reach it, the server
        # comes back and a ticket is made: only a resume can bring it
        page.block("**/api/sse/tickets*")
        env.stop()
        page.wait_text(tid("connection-status"), "reconnecting|offline", timeout=15000)
        env.start()
        t = create_ticket(env, user=ADMIN, title=f"while away {uniq()}")
        assert not badge_shown(page)
        page.unblock("**/api/sse/tickets*")
        page.wait_text(tid("connection-status"), "^connected$", timeout=40000)
        wait_badge(page)
        states = page.eval("return window.__states;")
        assert "reconnecting" in states and states[-1] == "connected", states
        resumed = page.eval("return window.__resumed;")
        assert resumed and all(resumed), f"a reconnect without Last-Event-ID: {resumed}"
        # the id sent is a position at or after the last ticket the page
        # had seen and before the one made while it was away
        def position(ticket_id):
            row, = env.psql("SELECT xid::text, id FROM stream_events "
                            f"WHERE type = 'ticket_created' AND ticket_id = '{ticket_id}'")
            return int(row[0]), int(row[1])
        sent = tuple(int(x) for x in resumed[-1].split("-"))
        assert position(seen["id"]) <= sent < position(t["id"]), (resumed, seen, t)
        page.click(tid("new-updates-badge"))
        page.wait_text("#list", t["title"])
        page.assert_clean(allow=[r"requestfailed .*/api/sse/tickets",
                                 r"status GET 50[23] .*/api/sse/tickets"])
    finally:
        ctx.close()


def test_narrow_screen_and_dark_mode(env, browser):
    ctx = browser.context(viewport={"width": 360, "height": 740}, dark=True)
    try:
        page = ctx.login("agent@acme.test")
        page.wait(tid("ticket-row"))
        wide = page.eval("return document.documentElement.scrollWidth;")
        assert wide <= 360, f"the page is {wide} px wide at 360"
        # dark by the system's preference, and the toggle overrides it
        bg = page.eval("return getComputedStyle(document.body).backgroundColor;")
        assert bg == "rgb(18, 22, 28)", bg
        page.click(tid("theme-toggle"))
        assert page.eval("return document.documentElement.dataset.theme;") == "light"
        page.goto("/console/tickets.html")
        page.wait(tid("ticket-row"))
        assert page.eval("return getComputedStyle(document.body).backgroundColor;") == "rgb(246, 247, 249)"
        page.screenshot("tickets-phone")
        page.assert_clean()
    finally:
        ctx.close()
