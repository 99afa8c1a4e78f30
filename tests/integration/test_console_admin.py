"""The admin page in the browser (console/admin.html): users and roles,
customers (live, from another session's writes), channels whose secrets
never reach the page, webhook subscriptions (the secret shown once
signs the test ping the receiver gets; a delivery replayed), API tokens
(shown once, then only the prefix; revoked ones get 401), the AI budget
and usage, and the job and stream figures; each checked against what
the API or the database has.  A non-admin is sent away."""

import time

import pytest
import requests

from browser import tid
from messaging_util import wait_until
from receiver import Receiver, verify
from tickets_util import ADMIN, AGENT, AGENT_ID, ORG_ACME, Api, uniq


def open_admin(browser, section, user=ADMIN):
    ctx = browser.context(viewport={"width": 1280, "height": 800})
    page = ctx.login(user)
    page.goto(f"/console/admin.html#{section}")
    page.wait(tid(f"admin-section-{section}"))
    return ctx, page


def shoot(page, name):
    """A screenshot for the docs, with the secret shown once masked (the
    box stays: it is what the picture shows)."""
    page.eval("document.querySelectorAll('.once code').forEach("
              "c => { c.textContent = c.textContent.slice(0, 6) + '…(shown once)'; });")
    page.screenshot(name)


def reload(page, section):
    """A real reload (a goto that changes only the hash would not load)."""
    page.eval("window.__before_reload = true;")
    page.goto(f"/console/admin.html?reloaded={uniq()}#{section}")
    assert page.eval("return window.__before_reload === undefined;")
    page.wait(tid(f"admin-section-{section}"))


def html(page):
    return page.eval("return document.documentElement.outerHTML;")


def test_users_are_created_and_their_role_changed(env, browser):
    api = Api(env, ADMIN)
    email = f"{uniq('u')}@acme.test"
    ctx, page = open_admin(browser, "users")
    try:
        page.wait_count(tid("user-row"), api.get("/api/users", params={"limit": 100}).json()["total"])
        page.fill(tid("user-email"), email)
        page.fill(tid("user-name"), "New Person")
        page.select(tid("user-new-role"), "agent")
        page.fill(tid("user-password"), "a-long-password")
        page.click(f'{tid("user-create")} button[type=submit]')
        row = f'{tid("user-row")}[data-email="{email}"]'
        page.wait(row)
        got, = [u for u in api.get("/api/users", params={"q": email}).json()["data"]]
        assert got["role"] == "agent" and got["name"] == "New Person"
        assert requests.get(env.url("/api/auth/me"), auth=(email, "a-long-password"),
                            timeout=10).status_code == 200
        page.select(f'{row} {tid("user-role")}', "viewer")
        wait_until(lambda: api.get(f"/api/users/{got['id']}").json()["data"]["role"] == "viewer",
              what="the role change")
        page.wait_js("const s = document.querySelector(arg);"
                     "return s && s.value === 'viewer';", f'{row} {tid("user-role")}')
        page.click(f'{row} {tid("user-disable")}')
        wait_until(lambda: api.get(f"/api/users/{got['id']}").json()["data"]["disabled"] is True,
              what="the user disabled")
        page.wait_text(row, "disabled")
        page.screenshot("admin-users")
        page.assert_clean()
    finally:
        ctx.close()


def test_customers_appear_live_and_are_edited(env, browser):
    api = Api(env, ADMIN)
    ctx, page = open_admin(browser, "customers")
    try:
        page.wait_text(tid("connection-status"), "^connected$")
        # another session's create shows without a reload
        name = f"Live {uniq()}"
        r = Api(env, AGENT).post("/api/customers", {"name": name, "email": f"{uniq()}@example.com"})
        assert r.status_code == 201, r.text
        cid = r.json()["data"]["id"]
        page.wait_text(f'{tid("customer-row")}[data-customer-id="{cid}"]', name)
        # one made here, then edited
        mine = f"Made {uniq()}"
        page.fill(tid("customer-name"), mine)
        page.fill(tid("customer-phone"), "+15550199")
        page.click(f'{tid("customer-create")} button[type=submit]')
        made = wait_until(lambda: [c for c in api.get("/api/customers", params={"q": mine}).json()["data"]],
                     what="the customer created")[0]
        assert made["phone"] == "+15550199"
        row = f'{tid("customer-row")}[data-customer-id="{made["id"]}"]'
        page.wait(row)
        page.click(f'{row} {tid("customer-edit")}')
        page.fill(tid("customer-edit-notes"), "Prefers mornings")
        page.click(f'{tid("customer-edit-form")} button[type=submit]')
        wait_until(lambda: api.get(f"/api/customers/{made['id']}").json()["data"]["notes"] == "Prefers mornings",
              what="the edit")
        # another session's delete takes the row away
        assert api.delete(f"/api/customers/{cid}").status_code == 204
        page.wait(f'{tid("customer-row")}[data-customer-id="{cid}"]', state="detached")
        page.screenshot("admin-customers")
        page.assert_clean()
    finally:
        ctx.close()


def test_channel_secrets_are_write_only(env, browser):
    api = Api(env, ADMIN)
    first, second = f"s3cret{uniq()}", f"n3wsecret{uniq()}"
    account = uniq("biz")
    ctx, page = open_admin(browser, "channels")
    try:
        page.select(tid("channel-platform"), "tiktok")
        page.fill(tid("channel-name"), "TikTok shop")
        page.fill(tid("channel-account"), account)
        page.fill(tid("secret-clientSecret"), first)
        page.click(f'{tid("channel-create")} button[type=submit]')
        ch = wait_until(lambda: [c for c in api.get("/api/channels", params={"limit": 100}).json()["data"]
                            if c["accountId"] == account], what="the channel")[0]
        assert ch["secretsSet"] == {"clientSecret": True, "accessToken": False}
        row = f'{tid("channel-row")}[data-channel-id="{ch["id"]}"]'
        page.wait(row)
        assert "clientSecret set" in page.text(f'{row} {tid("channel-secrets-set")}')
        assert first not in html(page)
        assert env.psql(f"SELECT secrets->>'clientSecret' FROM channels WHERE id = '{ch['id']}'") == [[first]]
        # replaced through PUT .../secrets
        page.click(f'{row} {tid("channel-secrets")}')
        page.fill(f'{tid("channel-secrets-form")} {tid("secret-clientSecret")}', second)
        page.fill(f'{tid("channel-secrets-form")} {tid("secret-accessToken")}', "tok" + second)
        page.click(f'{tid("channel-secrets-form")} button[type=submit]')
        wait_until(lambda: env.psql(f"SELECT secrets->>'clientSecret' FROM channels "
                               f"WHERE id = '{ch['id']}'") == [[second]], what="the new secret")
        page.wait_text(f'{row} {tid("channel-secrets-set")}', "accessToken set")
        for s in (first, second):
            assert s not in html(page)
        # edited
        page.click(f'{row} {tid("channel-edit")}')
        page.fill(tid("channel-edit-name"), "TikTok store")
        page.click(f'{tid("channel-edit-form")} button[type=submit]')
        page.wait_text(row, "TikTok store")
        assert api.get(f"/api/channels/{ch['id']}").json()["data"]["name"] == "TikTok store"
        reload(page, "channels")
        page.wait(row)
        for s in (first, second):
            assert s not in html(page)
        page.screenshot("admin-channels")
        page.assert_clean()
    finally:
        ctx.close()
        api.delete(f"/api/channels/{ch['id']}") if "ch" in locals() else None


def test_webhooks_secret_ping_deliveries_and_replay(env, browser):
    api = Api(env, ADMIN)
    with Receiver() as rx:
        ctx, page = open_admin(browser, "webhooks")
        sid = None
        try:
            page.fill(tid("webhook-url"), rx.url)
            page.fill(tid("webhook-events"), "ticket_deleted")
            page.click(f'{tid("webhook-create")} button[type=submit]')
            page.wait(tid("webhook-secret"))
            assert "shown only this once" in page.text(tid("webhook-secret"))
            secret = page.text(tid("webhook-secret-value")).strip()
            assert secret.startswith("whsec_")
            sub, = [s for s in api.get("/api/webhooks").json()["data"] if s["url"] == rx.url]
            sid = sub["id"]
            assert "secret" not in sub
            row = f'{tid("webhook-row")}[data-webhook-id="{sid}"]'
            page.wait(row)
            shoot(page, "admin-webhooks")
            page.click(tid("webhook-secret-dismiss"))
            assert secret not in html(page)

            # the ping reaches the receiver, signed with the secret shown
            page.click(f'{row} {tid("webhook-test")}')
            rec, = rx.wait_for(1)
            assert verify(secret, rec["headers"], rec["body"], now=int(time.time()))
            d, = api.get(f"/api/webhooks/{sid}/deliveries").json()["data"]
            wait_until(lambda: api.get(f"/api/webhooks/deliveries/{d['id']}").json()["data"]["state"]
                  == "delivered", what="the ping delivered")
            drow = f'{tid("delivery-row")}[data-delivery-id="{d["id"]}"]'
            page.click(tid("deliveries-refresh"))
            page.wait(f'{drow}[data-state="delivered"]')
            assert "webhook.test" in page.text(drow)

            # replay: sent again with the same webhook-id, one more attempt
            page.click(f'{drow} {tid("replay-button")}')
            first, again = rx.wait_for(2)
            assert again["headers"]["webhook-id"] == first["headers"]["webhook-id"]
            wait_until(lambda: (lambda x: x["attempts"] == 2 and x["state"] == "delivered")(
                api.get(f"/api/webhooks/deliveries/{d['id']}").json()["data"]), what="the replay")
            page.click(tid("deliveries-refresh"))
            page.wait(f'{drow}[data-attempts="2"][data-state="delivered"]')

            # disable, enable, rotate (a new secret, shown once)
            page.click(f'{row} {tid("webhook-toggle")}')
            wait_until(lambda: api.get(f"/api/webhooks/{sid}").json()["data"]["enabled"] is False,
                  what="disabled")
            page.wait_text(f'{row} {tid("webhook-toggle")}', "Enable")
            page.click(f'{row} {tid("webhook-toggle")}')
            wait_until(lambda: api.get(f"/api/webhooks/{sid}").json()["data"]["enabled"] is True,
                  what="enabled")
            page.click(f'{row} {tid("webhook-rotate")}')
            page.click(f'{row} {tid("webhook-rotate")}')
            page.wait(tid("webhook-secret-value"))
            rotated = page.text(tid("webhook-secret-value")).strip()
            assert rotated.startswith("whsec_") and rotated != secret
            assert api.get(f"/api/webhooks/{sid}").json()["data"]["previousSecretExpiresAt"]
            page.assert_clean()
        finally:
            ctx.close()
            if sid:
                api.delete(f"/api/webhooks/{sid}")


def test_tokens_are_shown_once_and_revoked(env, browser):
    api = Api(env, ADMIN)
    name = f"ci {uniq()}"
    ctx, page = open_admin(browser, "tokens")
    try:
        page.fill(tid("token-name"), name)
        page.click(f'{tid("token-create")} button[type=submit]')
        page.wait(tid("token-once-value"))
        token = page.text(tid("token-once-value")).strip()
        bearer = {"Authorization": f"Bearer {token}"}
        assert requests.get(env.url("/api/auth/me"), headers=bearer, timeout=10).status_code == 200
        t, = [x for x in api.get("/api/tokens", params={"limit": 100}).json()["data"] if x["name"] == name]
        row = f'{tid("token-row")}[data-token-id="{t["id"]}"]'
        page.wait(row)
        assert t["prefix"] in page.text(row) and token not in page.text(row)
        shoot(page, "admin-tokens")
        reload(page, "tokens")
        page.wait(row)
        assert token not in html(page) and t["prefix"] in page.text(row)
        page.click(f'{row} {tid("token-revoke")}')
        page.click(f'{row} {tid("token-revoke")}')
        page.wait(f'{row}[data-revoked="1"]')
        got, = [x for x in api.get("/api/tokens", params={"limit": 100}).json()["data"] if x["id"] == t["id"]]
        assert got["revokedAt"]
        assert requests.get(env.url("/api/auth/me"), headers=bearer, timeout=10).status_code == 401
        page.assert_clean()
    finally:
        ctx.close()


def test_ai_budget_and_usage(env, browser):
    api = Api(env, ADMIN)
    # a call in the ledger, as the assistant's would be (this instance has no provider)
    env.psql("INSERT INTO ai_calls (org_id, user_id, purpose, model, prompt_tokens, "
             f"completion_tokens, outcome) VALUES ('{ORG_ACME}', '{AGENT_ID}', 'chat', "
             "'test-model', 700, 300, 'ok')")
    ctx, page = open_admin(browser, "ai")
    try:
        page.wait(tid("ai-budget-input"))
        page.fill(tid("ai-budget-input"), "123456")
        page.click(f'{tid("ai-budget-form")} button[type=submit]')
        wait_until(lambda: api.get("/api/ai/budget").json()["data"]["monthlyTokens"] == 123456,
              what="the budget")
        page.wait(f'{tid("ai-budget-now")}[data-monthly="123456"]')
        usage = api.get("/api/ai/usage").json()["data"]
        page.wait(f'{tid("ai-usage")} {tid("ai-usage-budget")}[data-value="123456"]')
        for figure, key in (("ai-calls", "calls"), ("ai-tokens", "tokens"), ("ai-errors", "errors")):
            assert page.attr(f'{tid("ai-usage")} {tid(figure)}', "data-value") == str(usage[key])
        assert usage["tokens"] >= 1000 and "chat" in usage["byPurpose"]
        assert "chat" in page.text(tid("ai-usage")) and "test-model" in page.text(tid("ai-usage"))
        page.screenshot("admin-ai")
        page.fill(tid("ai-budget-input"), "")
        page.click(f'{tid("ai-budget-form")} button[type=submit]')
        wait_until(lambda: api.get("/api/ai/budget").json()["data"]["monthlyTokens"] is None,
              what="the budget lifted")
        page.assert_clean()
    finally:
        ctx.close()
        api.put("/api/ai/budget", {"monthlyTokens": None})


def test_figures_are_the_apis(env, browser):
    api = Api(env, ADMIN)
    ctx, page = open_admin(browser, "figures")
    try:
        page.wait_text(tid("connection-status"), "^connected$")
        before = api.get("/api/jobs/stats").json()["data"]
        page.click(tid("figures-refresh"))
        page.wait(f'{tid("job-stats")} {tid("jobs-done")}')
        page.wait(f'{tid("stream-stats")} {tid("streams-open")}')
        after = api.get("/api/jobs/stats").json()["data"]
        streams = api.get("/api/events/stats").json()["data"]
        for state in before["total"]:
            shown = int(page.attr(f'{tid("job-stats")} {tid("jobs-" + state)}', "data-value"))
            lo, hi = sorted((before["total"][state], after["total"][state]))
            assert lo <= shown <= hi or state in ("queued", "running"), (state, shown, before, after)
        assert page.count(f'{tid("job-stats")} tr[data-kind]') == len(after["kinds"])
        assert int(page.attr(tid("streams-open"), "data-value")) == streams["streamsOpen"] >= 1
        assert int(page.attr(tid("users-streaming"), "data-value")) == streams["usersStreaming"]
        page.screenshot("admin-figures")
        page.assert_clean()
    finally:
        ctx.close()


@pytest.mark.parametrize("user", [AGENT])
def test_a_non_admin_is_sent_away(env, browser, user):
    ctx = browser.context()
    try:
        page = ctx.login(user)
        page.goto("/console/admin.html")
        page.wait_js("return location.pathname.endsWith('/tickets.html');")
        assert page.count(tid("admin-section-users")) == 0 or not page.visible(tid("admin-section-users"))
        page.assert_clean()
    finally:
        ctx.close()
