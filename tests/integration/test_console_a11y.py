"""Every console page, for keyboard and screen-reader users and on a phone
(issue 11: "every control reachable by keyboard and labelled; works at
360 px wide and on a desktop"), and clean: no console error, page error,
failed request or error answer on any of them.

The checks run in the page itself: each visible control (input, select,
textarea, button, link) has an accessible name (a <label>, aria-label,
aria-labelledby, or its own text), nothing that reacts to clicks is
outside the tab order, and the page is no wider than the screen.
"""

import pytest

from browser import tid
from tickets_util import create_ticket

# What a page may hold that cannot be used: a control must be labelled
# and focusable; clickable non-controls must be rows with a link inside.
AUDIT = r"""
const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
const named = (el) => {
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title) return true;
  if (el.labels && el.labels.length) return true;
  if (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) && el.innerText.trim()) return true;
  return false;
};
const bad = [];
for (const el of document.querySelectorAll('input, select, textarea, button, a[href], summary')) {
  if (el.type === 'hidden' || !visible(el)) continue;
  const what = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
               `${el.dataset.testid ? '[' + el.dataset.testid + ']' : ''} "${(el.innerText || el.value || '').slice(0, 30)}"`;
  if (!named(el)) bad.push('no accessible name: ' + what);
  if (el.tabIndex < 0) bad.push('not in the tab order: ' + what);
}
for (const el of document.querySelectorAll('[onclick], .clickable, [role=button]')) {
  if (!visible(el)) continue;
  const inner = el.querySelector('a[href], button');
  if (el.tabIndex < 0 && !inner) bad.push('clickable but not focusable: ' + el.tagName + ' ' + el.className);
}
const width = document.documentElement.scrollWidth;
return {bad, width};
"""

PAGES = [
    ("agent@acme.test", "/console/tickets.html", tid("ticket-row")),
    ("agent@acme.test", "/console/ticket.html?id={key}", tid("ticket-thread")),
    ("agent@acme.test", "/console/inbox.html", tid("connection-status")),
    ("agent@acme.test", "/console/chat.html", tid("chat-input")),
    ("admin@acme.test", "/console/admin.html#users", tid("user-row")),
    ("admin@acme.test", "/console/admin.html#customers", tid("customer-row")),
    ("admin@acme.test", "/console/admin.html#channels", tid("admin-section-channels")),
    ("admin@acme.test", "/console/admin.html#webhooks", tid("admin-section-webhooks")),
    ("admin@acme.test", "/console/admin.html#tokens", tid("admin-section-tokens")),
    ("admin@acme.test", "/console/admin.html#ai", tid("ai-budget")),
    ("admin@acme.test", "/console/admin.html#figures", tid("job-stats")),
    ("customer@acme.test", "/console/support.html", tid("chat-input")),
    ("customer@acme.test", "/console/ticket.html?id=TKT-0001", tid("ticket-thread")),
]


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("user,path,ready", PAGES)
def test_page_is_labelled_focusable_fits_and_clean(env, browser, user, path, ready, width):
    key = create_ticket(env)["key"] if "{key}" in path else None
    ctx = browser.context(viewport={"width": width, "height": 800})
    try:
        page = ctx.login(user)
        page.goto(path.format(key=key))
        page.wait(ready)
        page.wait_text(tid("connection-status"), "^connected$")
        result = page.eval(AUDIT)
        assert not result["bad"], "\n".join(result["bad"])
        assert result["width"] <= width, f"{path} is {result['width']} px wide at {width}"
        page.assert_clean()
    finally:
        ctx.close()


def tab_to(page, testid, most=80):
    """Tab until testid has the focus; the testids passed on the way."""
    seen = []
    for _ in range(most):
        page.key("Tab")
        seen.append(page.focused())
        if seen[-1] == testid:
            return seen
    raise AssertionError(f"Tab never reached {testid}: {seen}")


def test_sign_in_and_create_a_ticket_by_keyboard_alone(env, browser):
    ctx = browser.context()
    try:
        page = ctx.page()
        page.goto("/console/")
        tab_to(page, "login-email")
        for ch in "agent@acme.test":
            page.key(ch)
        page.key("Tab")
        assert page.focused() == "login-password"
        for ch in "demo-password":
            page.key(ch)
        page.key("Enter")
        page.wait(tid("ticket-row"))
        page.wait_text(tid("connection-status"), "^connected$")
        seen = tab_to(page, "new-ticket-title")
        assert "new-updates-badge" not in seen      # hidden until there is news
        title = "Typed without a mouse"
        for ch in title:
            page.key(ch)
        tab_to(page, "new-ticket-description", most=3)
        for ch in "Only keys.":
            page.key(ch)
        tab_to(page, "new-ticket-submit")
        page.key("Enter")
        page.wait_text(tid("toast"), "Created TKT-")
        page.wait_text("#list", title)
        assert page.value(tid("new-ticket-title")) == ""
        page.assert_clean()
    finally:
        ctx.close()
