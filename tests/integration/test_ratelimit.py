"""Rate limits (SPEC section 4): TicketsRateLimit per <Location>, counted
per API token, per user and (without an identity) per client address, in
shared memory for every child of the host; TicketsLoginFailureLimit for
failed passwords per account and per address.  Every answer of a limited
location has RateLimit-Limit, -Remaining and -Reset; one over the limit
is 429 RATE_LIMITED with Retry-After, and changes nothing.
"""

import os
import threading

import pytest
import requests

from tickets_util import ADMIN, AGENT, VIEWER, Api, assert_error

CONF = """
TicketsLoginFailureLimit 3/60
CustomLog "{log}" "%P %>s %U"
<Location /api/faqs>
    TicketsRateLimit 4/60
</Location>
<Location /api/customers>
    TicketsRateLimit 30/60
</Location>
<Location /api/public>
    TicketsRateLimit 2/60
</Location>
"""


@pytest.fixture(scope="module")
def limited(env):
    log = os.path.join(env.inst, "logs", "pid_log")
    env.restart(CONF.format(log=log))
    yield env, log
    env.restart("")


def headers_of(r):
    return tuple(int(r.headers[h]) for h in
                 ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))


def test_headers_then_429_per_user(limited):
    env, _ = limited
    api = Api(env, VIEWER)
    seen = [api.get("/api/faqs") for _ in range(4)]
    assert [r.status_code for r in seen] == [200] * 4
    assert [headers_of(r)[:2] for r in seen] == [(4, 3), (4, 2), (4, 1), (4, 0)]
    assert 0 < headers_of(seen[-1])[2] <= 60
    r = api.get("/api/faqs")
    assert_error(r, 429, "RATE_LIMITED")
    assert 1 <= int(r.headers["Retry-After"]) <= 15       # one interval: 15 s
    assert headers_of(r)[:2] == (4, 0)
    assert "Retry in" in r.json()["error"]["message"]
    # Another location has its own count; another user too.
    assert Api(env, VIEWER).get("/api/customers").status_code == 200
    assert Api(env, AGENT).get("/api/faqs").status_code == 200
    # Not limited where no limit is set: no headers.
    r = Api(env, VIEWER).get("/api/tickets")
    assert r.status_code == 200 and "RateLimit-Limit" not in r.headers


def test_an_error_answer_carries_the_headers_and_a_429_changes_nothing(limited):
    env, _ = limited
    api = Api(env, ADMIN)
    r = api.get("/api/faqs?colour=red")
    assert_error(r, 400, "INVALID_QUERY")
    assert headers_of(r)[0] == 4
    for _ in range(3):
        api.get("/api/faqs")
    before = env.psql("SELECT count(*) FROM faq_articles")[0][0]
    r = api.post("/api/faqs", {"title": "Over the limit", "body": "x"})
    assert_error(r, 429, "RATE_LIMITED")
    assert env.psql("SELECT count(*) FROM faq_articles")[0][0] == before


def test_a_token_counts_apart_from_its_user(limited):
    env, _ = limited
    # (the admin used up its own count of /api/faqs above)
    r = env.session(ADMIN).post(env.url("/api/tokens"), json={"name": "limits"}, timeout=30)
    assert r.status_code == 201, r.text
    token = r.json()["data"]["token"]
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    got = [s.get(env.url("/api/faqs"), timeout=30).status_code for _ in range(5)]
    assert got == [200, 200, 200, 200, 429]


def test_anonymous_paths_count_by_address(limited):
    env, _ = limited
    got = [requests.get(env.url("/api/public/acme/faqs"), timeout=30) for _ in range(3)]
    assert [r.status_code for r in got] == [200, 200, 429]
    assert headers_of(got[0])[:2] == (2, 1)
    assert "Retry-After" in got[2].headers


def test_the_count_is_shared_by_the_children(limited):
    """30 allowed a minute; 60 requests at once, each on its own
    connection, answered by both children: exactly 30 get through."""
    env, log = limited
    codes = []

    def one():
        r = requests.get(env.url("/api/customers"), auth=(ADMIN, "demo-password"),
                         headers={"Connection": "close"}, timeout=30)
        codes.append(r.status_code)
    threads = [threading.Thread(target=one) for _ in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(200) == 30 and codes.count(429) == 30, sorted(codes)
    with open(log) as f:
        pids = {line.split()[0] for line in f if line.split()[2] == "/api/customers"}
    assert len(pids) >= 2, pids


@pytest.mark.allow_log(r"TK00095")
def test_failed_logins_per_account_hold_back_the_right_password(limited):
    env, _ = limited
    url = env.url("/api/auth/login")
    wrong = {"email": "Viewer@Acme.test", "password": "not-it"}
    got = [requests.post(url, json=wrong, timeout=30).status_code for _ in range(3)]
    assert got == [401, 401, 401]
    r = requests.post(url, json={"email": "viewer@acme.test", "password": "demo-password"},
                      timeout=30)
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) >= 1
    assert "demo-password" not in r.text
    # Basic is held back the same way, for that account only.
    assert_error(requests.get(env.url("/api/auth/me"), auth=("viewer@acme.test", "demo-password"),
                              timeout=30), 429, "RATE_LIMITED")
    assert requests.get(env.url("/api/auth/me"), auth=(AGENT, "demo-password"),
                        timeout=30).status_code == 200
    # A right password does not count as a failure.
    for _ in range(4):
        assert requests.post(url, json={"email": ADMIN, "password": "demo-password"},
                             timeout=30).status_code == 200


@pytest.mark.allow_log(r"TK00095")
def test_failed_logins_per_address(limited):
    """An address may fail ten times what an account may (3/60 here):
    30 wrong passwords of 30 accounts from one address, and the address is
    held back, for another account too."""
    env, _ = limited
    env.restart(CONF.format(log=os.path.join(env.inst, "logs", "pid_log")))
    url = env.url("/api/auth/login")
    codes = [requests.post(url, json={"email": f"a{i}@nowhere.test", "password": "x"},
                           timeout=30).status_code for i in range(45)]
    # 30 at once, then one every 2 s: the first 30 are heard (401), and
    # the address is held back well before the 45th.
    assert codes[:30] == [401] * 30 and codes[-1] == 429, codes
    r = requests.post(url, json={"email": "agent@acme.test", "password": "demo-password"},
                      timeout=30)
    assert_error(r, 429, "RATE_LIMITED")


@pytest.mark.allow_log(r"TK00095")
def test_guesses_sent_at_once_are_counted_before_they_are_checked(limited):
    """Each attempt is counted before its password is checked: twenty wrong
    passwords of one account sent at once get at most three (3/60 here)
    answers of 401, the rest 429, though each check takes a while."""
    from concurrent.futures import ThreadPoolExecutor
    env, _ = limited
    env.restart(CONF.format(log=os.path.join(env.inst, "logs", "pid_log")))
    url = env.url("/api/auth/login")
    wrong = {"email": "agent@acme.test", "password": "a-guess"}
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda _: requests.post(url, json=wrong, timeout=60).status_code,
                              range(20)))
    assert sorted(set(codes)) == [401, 429], codes
    assert codes.count(401) <= 3, codes
    with ThreadPoolExecutor(20) as pool:
        basic = list(pool.map(lambda _: requests.get(env.url("/api/auth/me"),
                                                     auth=("viewer@acme.test", "a-guess"),
                                                     timeout=60).status_code, range(20)))
    assert basic.count(401) <= 3 and basic.count(429) >= 17, basic

