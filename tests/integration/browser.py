"""browser: headless Chromium for the console tests, in the harness's style.

A real browser (Debian's chromium) is driven by playwright-core through
tests/browser/driver.mjs, one Node.js process per test session, talking
one JSON line per command over pipes.  Tests see it as Browser ->
Context (its own cookies: one signed-in person) -> Page, with the few
verbs the tests need (goto, click, fill, text, count, wait_text, ...).
Selectors are CSS; tid("name") is the page's data-testid hook.

Every page records console errors, page errors, failed requests and
4xx/5xx answers; Page.assert_clean() fails a test that saw any it did not
expect.  Screenshots go to TICKETS_SCREENS_DIR (default
<build>/screens; make screens writes docs/screens/).

Environment: CHROMIUM (/usr/bin/chromium), NODE (node).
"""

import json
import os
import re
import queue
import subprocess
import threading

from tkenv import DEMO_PASSWORD, ROOT

DRIVER = os.path.join(ROOT, "tests", "browser", "driver.mjs")
REPLY_TIMEOUT = 60


def tid(name):
    return f'[data-testid="{name}"]'


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, base_url):
        self.base_url = base_url
        self._id = 0
        self.proc = subprocess.Popen(
            [os.environ.get("NODE", "node"), DRIVER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=os.path.dirname(DRIVER))
        self.contexts = set()
        self._lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        # The driver's answers, one per line, as they come: a thread, so a
        # late answer (after a timeout) cannot sit in a buffer unseen.
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, op, **args):
        self._id += 1
        args.update(id=self._id, op=op)
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        while True:
            try:
                line = self._lines.get(timeout=REPLY_TIMEOUT)
            except queue.Empty:
                raise BrowserError(f"the browser driver did not answer {op} in {REPLY_TIMEOUT} s")
            if line is None:
                raise BrowserError(f"the browser driver ended during {op}")
            reply = json.loads(line)
            if reply.get("id") == self._id:
                break
        if not reply["ok"]:
            raise BrowserError(f"{op} {args.get('selector', args.get('url', ''))}: {reply['error']}")
        return reply.get("value")

    def context(self, viewport=None, dark=False):
        cid = self.send("context", base=self.base_url, viewport=viewport,
                        colorScheme="dark" if dark else "light")
        ctx = Context(self, cid)
        self.contexts.add(ctx)
        return ctx

    def close_all(self):
        """Closes the contexts a test left open (it failed half-way); how
        many there were."""
        left = list(self.contexts)
        for ctx in left:
            try:
                ctx.close()
            except BrowserError:
                self.contexts.discard(ctx)
        return len(left)

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
            except BrowserError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Context:
    def __init__(self, browser, cid):
        self.browser = browser
        self.id = cid

    def page(self):
        return Page(self.browser, self.browser.send("page", context=self.id))

    def close(self):
        self.browser.contexts.discard(self)
        self.browser.send("close", context=self.id)

    def login(self, email, path="/console/", password=DEMO_PASSWORD):
        """A page of this context, signed in as email, on the page the
        sign-in leads to (the role's start page, or ?next=)."""
        page = self.page()
        page.goto(path)
        page.fill(tid("login-email"), email)
        page.fill(tid("login-password"), password)
        page.click(tid("login-submit"))
        page.wait_js("return !location.pathname.endsWith('/console/') && "
                     "!location.pathname.endsWith('index.html') && "
                     "document.querySelector('[data-testid=whoami]') !== null")
        return page


class Page:
    def __init__(self, browser, pid):
        self.browser = browser
        self.id = pid

    def _call(self, selector, method, *args, nth=None):
        kw = {"page": self.id, "selector": selector, "method": method, "args": list(args)}
        if nth is not None:
            kw["nth"] = nth
        return self.browser.send("call", **kw)

    def goto(self, path):
        return self.browser.send("goto", page=self.id, url=path)

    def url(self):
        return self.browser.send("url", page=self.id)

    def click(self, selector, nth=None):
        return self._call(selector, "click", nth=nth)

    def fill(self, selector, value, nth=None):
        return self._call(selector, "fill", value, nth=nth)

    def press(self, selector, key):
        return self._call(selector, "press", key)

    def key(self, key):
        """A key pressed where the focus is (Tab, Enter, Shift+Tab, ...)."""
        return self.browser.send("key", page=self.id, key=key)

    def focused(self):
        """The data-testid (or tag) of the element with the focus."""
        return self.eval("const a = document.activeElement;"
                         "return a ? (a.dataset.testid || a.tagName.toLowerCase()) : null;")

    def select(self, selector, value):
        return self._call(selector, "selectOption", value)

    def upload(self, selector, path):
        return self._call(selector, "setInputFiles", path)

    def text(self, selector, nth=None):
        return self._call(selector, "innerText", nth=nth)

    def texts(self, selector):
        return self._call(selector, "allInnerTexts")

    def value(self, selector):
        return self._call(selector, "inputValue")

    def attr(self, selector, name, nth=None):
        return self._call(selector, "getAttribute", name, nth=nth)

    def count(self, selector):
        return self._call(selector, "count")

    def visible(self, selector):
        return self._call(selector, "isVisible")

    def wait(self, selector, state="visible", timeout=10000, nth=None):
        return self._call(selector, "waitFor", {"state": state, "timeout": timeout}, nth=nth)

    def eval(self, body, arg=None):
        return self.browser.send("eval", page=self.id, body=body, arg=arg)

    def wait_js(self, body, arg=None, timeout=10000):
        return self.browser.send("wait_for", page=self.id, body=body, arg=arg, timeout=timeout)

    def wait_text(self, selector, pattern, timeout=10000):
        """Until the first element matching selector has text matching the
        regex pattern (re.search semantics, case-insensitive)."""
        return self.wait_js(
            "const el = document.querySelector(arg.s);"
            "return el && new RegExp(arg.p, 'i').test(el.innerText) ? el.innerText : null;",
            {"s": selector, "p": pattern}, timeout=timeout)

    def wait_count(self, selector, n, timeout=10000):
        return self.wait_js(
            "return document.querySelectorAll(arg.s).length === arg.n;",
            {"s": selector, "n": n}, timeout=timeout)

    def block(self, pattern):
        """Requests to URLs matching the glob pattern fail (as if the
        network were down) until unblock(pattern)."""
        return self.browser.send("block", page=self.id, pattern=pattern)

    def unblock(self, pattern):
        return self.browser.send("unblock", page=self.id, pattern=pattern)

    def viewport(self, width, height):
        return self.browser.send("viewport", page=self.id, width=width, height=height)

    def screenshot(self, name, full_page=True):
        out = os.environ.get("TICKETS_SCREENS_DIR") or os.path.join(
            ROOT, os.environ.get("TICKETS_BUILD_DIR", "build"), "screens")
        os.makedirs(out, exist_ok=True)
        return self.browser.send("screenshot", page=self.id,
                                 path=os.path.join(out, f"{name}.png"), fullPage=full_page)

    def problems(self):
        return self.browser.send("problems", page=self.id)

    def assert_clean(self, allow=()):
        """No console error, page error, failed request or error answer
        since the last look, except those whose text or URL matches one of
        the allow regexes."""
        allowed = [re.compile(a) for a in allow]
        bad = []
        for p in self.problems():
            desc = f"{p['kind']} {p.get('method', '')} {p.get('status', '')} {p.get('url', '')} {p.get('text', '')}"
            if not any(a.search(desc) for a in allowed):
                bad.append(desc)
        assert not bad, "the page saw problems:\n  " + "\n  ".join(bad)
