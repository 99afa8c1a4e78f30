"""pytest wiring for the integration tests (see tkenv.py).

- `env` (session): the running httpd + PostgreSQL instance.
- `browser` (session): headless Chromium driven through browser.py.
- After every test that uses `env`, the new part of httpd's error log is
  checked: a line at warn, error, crit, alert or emerg fails the test
  unless the test expected it, with `@pytest.mark.allow_log(r"TK00123")`
  or `env.expect_log(r"TK00123")` (regexes searched in the line).  In a
  sanitizer run (make asan) a new ASan/UBSan report fails it as well.
"""

import re

import pytest

from tkenv import Env, install_signal_handlers


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "allow_log(*patterns): error-log lines matching these regexes are expected")
    config.addinivalue_line(
        "markers", "users_api: tests of user management, /api/users (test_users.py)")
    config.addinivalue_line(
        "markers", "messaging: customers, channels, conversations, the platforms' "
        "webhooks and deliveries")
    install_signal_handlers()


@pytest.fixture(scope="session")
def env():
    e = Env()
    try:
        e.setup()
        yield e
    finally:
        e.teardown()


@pytest.fixture(scope="session")
def browser(env):
    """Headless Chromium against the instance (browser.py)."""
    from browser import Browser
    b = Browser(env.url("").rstrip("/"))
    try:
        yield b
    finally:
        b.quit()


@pytest.fixture(autouse=True)
def _close_browser_contexts(request):
    """A console test that fails before closing its browser contexts
    leaves none open for the next."""
    yield
    if "browser" in request.fixturenames:
        request.getfixturevalue("browser").close_all()


@pytest.fixture(autouse=True)
def _check_error_log(request):
    if "env" not in request.fixturenames:
        yield
        return
    e = request.getfixturevalue("env")
    e.take_expected()
    mark = e.log_mark()
    reports_before = set(e.sanitizer_reports())
    yield
    allowed = [re.compile(p) for m in request.node.iter_markers("allow_log") for p in m.args]
    allowed += e.take_expected()
    bad = e.bad_log_lines(e.error_log_lines_since(mark), allowed)
    new_reports = sorted(set(e.sanitizer_reports()) - reports_before)
    problems = []
    if bad:
        problems.append("unexpected error-log lines:\n  " + "\n  ".join(bad))
    for path in new_reports:
        with open(path, errors="replace") as f:
            problems.append(f"sanitizer report {path}:\n{f.read()}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
