"""The durable job queue (docs/jobs.md): jobs enqueued in a transaction run
only when it commits, once, on whichever worker of whichever child or host
claims them; a job whose worker was killed runs again after its lease;
failures back off and end as failed; a graceful restart loses none; the
purges run on it; its figures are on /api/jobs/stats and mod_status.

The job kinds used here come from tests/modules/mod_tickets_testjobs.c,
loaded for this file only: test.record records each run in job_test_runs
in the job's own transaction, test.hopeless always fails."""

import os
import re
import signal
import time
import uuid

import pytest
import requests

from tickets_util import ADMIN, AGENT, GLOBEX_ADMIN, ORG_ACME, ORG_GLOBEX
from tkcheck import assert_error
from test_sse_hosts import Host

LEASE = 5


def _conf(env):
    so = os.path.join(env.build_dir, "mod_tickets_testjobs.so")
    return (f"LoadModule tickets_testjobs_module {so}\n"
            f"TicketsJobLease {LEASE}\nTicketsJobPollInterval 1\n"
            # a platform send must end within its lease (docs/platforms.md)
            f"TicketsHttpTimeout {LEASE - 1}\n"
            # so must a webhook delivery (docs/webhooks.md)
            f"TicketsWebhookTimeout {LEASE - 1}\n")


@pytest.fixture(scope="module")
def jobs(env):
    env.psql("CREATE TABLE IF NOT EXISTS job_test_runs ("
             " job_id uuid NOT NULL, attempt int NOT NULL, pid int NOT NULL,"
             " at timestamptz NOT NULL DEFAULT now())")
    env.restart(_conf(env))
    yield env
    env.psql("DELETE FROM jobs WHERE kind LIKE 'test.%'")
    env.restart("")


def enqueue(env, n=1, kind="test.record", payload="{}", max_attempts=5,
            org=ORG_ACME, commit=True):
    """n jobs through the module's own statement text, in one transaction
    that commits (and wakes the workers) or rolls back; their ids."""
    org_sql = f"'{org}'::uuid" if org else "NULL"
    rows = env.psql(
        "BEGIN; "
        f"INSERT INTO jobs (org_id, kind, payload, max_attempts) "
        f"SELECT {org_sql}, '{kind}', '{payload}'::jsonb, {max_attempts} "
        f"FROM generate_series(1, {n}) RETURNING id; "
        + ("COMMIT; NOTIFY tickets_jobs;" if commit else "ROLLBACK;"))
    return [r[0] for r in rows]


def wait_for(check, seconds=30, step=0.1):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = check()
        if v:
            return v
        time.sleep(step)
    return check()


def states(env, ids):
    rows = env.psql("SELECT state, count(*) FROM jobs WHERE id IN ("
                    + ",".join(f"'{i}'" for i in ids) + ") GROUP BY state")
    return {s: int(n) for s, n in rows}


def runs(env, ids):
    rows = env.psql("SELECT job_id, count(*), min(pid) FROM job_test_runs WHERE job_id IN ("
                    + ",".join(f"'{i}'" for i in ids) + ") GROUP BY job_id")
    return {j: (int(n), int(p)) for j, n, p in rows}


def all_done(env, ids):
    return lambda: states(env, ids).get("done", 0) == len(ids)


def test_a_job_of_a_rolled_back_transaction_never_runs(jobs):
    """The queue's side of the contract: jobs of a transaction that rolled
    back are never claimed, though the workers are woken (by the control
    job) right after.  (No endpoint enqueues yet; the first that does tests
    its own rollback through the API.)"""
    env = jobs
    lost = enqueue(env, 5, commit=False)
    control = enqueue(env, 1)
    assert wait_for(all_done(env, control)), states(env, control)
    time.sleep(1.5)         # a poll interval and more
    assert env.psql("SELECT count(*) FROM jobs WHERE id IN ("
                    + ",".join(f"'{i}'" for i in lost) + ")") == [["0"]]
    assert runs(env, lost) == {}
    assert runs(env, control) and runs(env, control)[control[0]][0] == 1


def test_each_job_runs_once_across_the_children_and_their_workers(jobs):
    env = jobs
    ids = enqueue(env, 200, payload='{"sleepMs": 5}')
    assert wait_for(all_done(env, ids), 60), states(env, ids)
    r = runs(env, ids)
    assert len(r) == 200 and all(n == 1 for n, _ in r.values()), \
        [j for j, (n, _) in r.items() if n != 1]
    pids = {p for _, p in r.values()}
    assert len(pids) >= 2, f"all 200 jobs ran in one process: {pids}"
    holders = env.psql("SELECT count(*) FROM jobs WHERE id IN ("
                       + ",".join(f"'{i}'" for i in ids)
                       + ") AND (lease_holder IS NOT NULL OR attempts <> 1)")
    assert holders == [["0"]]


def test_each_job_runs_once_across_two_hosts(jobs):
    env = jobs
    b = Host(env, "httpd-jobs-b")
    with open(b.conf, "a") as f:
        f.write(_conf(env))
    b.start()
    try:
        ids = enqueue(env, 200, payload='{"sleepMs": 5}')
        assert wait_for(all_done(env, ids), 60), states(env, ids)
        r = runs(env, ids)
        assert len(r) == 200 and all(n == 1 for n, _ in r.values())
        b_pids = set()
        for line in open(b.error_log, errors="replace"):
            m = re.search(r"TKTEST attempt (\S+) \d+ pid (\d+)", line)
            if m and m.group(1) in r:
                b_pids.add(int(m.group(2)))
        a_pids = {p for _, p in r.values()} - b_pids
        assert b_pids, "host B ran none of the jobs"
        assert a_pids, "host A ran none of the jobs"
    finally:
        b.stop()
        with open(b.error_log) as f:
            bad = env.bad_log_lines(f.readlines(), [])
        assert not bad, bad


def test_a_killed_worker_s_job_runs_again_after_its_lease(jobs):
    env = jobs
    [job] = enqueue(env, 1, payload='{"sleepMs": 2500}')

    def holder():
        rows = env.psql(f"SELECT lease_holder FROM jobs WHERE id = '{job}' AND state = 'running'")
        return rows and rows[0][0]
    h = wait_for(holder, 15)
    assert h, "the job was never claimed"
    pid = int(h.split(":")[1])
    env.expect_child_killed(pid)
    env.expect_log(r"TK00067")      # the expired lease is given back (warn)
    os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    assert wait_for(all_done(env, [job]), 40), states(env, [job])
    r = runs(env, [job])
    assert r[job][0] == 1, "the killed attempt left a run behind"
    assert r[job][1] != pid
    attempts, = env.psql(f"SELECT attempts FROM jobs WHERE id = '{job}'")[0]
    assert int(attempts) == 2
    # not before the lease ran out
    assert time.time() - killed_at >= LEASE - 1


def test_failures_back_off_then_succeed(jobs):
    env = jobs
    env.expect_log(r"TK00065")
    mark = env.log_mark()
    [job] = enqueue(env, 1, payload='{"failures": 3}', max_attempts=5)
    assert wait_for(all_done(env, [job]), 40), states(env, [job])
    times = []
    for line in env.error_log_lines_since(mark):
        m = re.search(rf"TKTEST attempt {job} (\d+) pid \d+ at (\d+)", line)
        if m:
            times.append((int(m.group(1)), int(m.group(2)) / 1e6))
    times.sort()
    assert [a for a, _ in times] == [1, 2, 3, 4], times
    gaps = [b - a for (_, a), (_, b) in zip(times, times[1:])]
    # nominal 1, 2, 4 s, of which at least half is kept
    for gap, nominal in zip(gaps, (1, 2, 4)):
        assert gap >= nominal / 2 - 0.05, gaps
    assert gaps[2] > gaps[0], f"the waits do not grow: {gaps}"
    row = env.psql(f"SELECT attempts, last_error IS NULL FROM jobs WHERE id = '{job}'")[0]
    assert row == ["4", "t"]


def test_a_job_failing_every_attempt_is_kept_as_failed(jobs):
    env = jobs
    env.expect_log(r"TK0006[45]")
    [job] = enqueue(env, 1, payload='{"failures": 99}', max_attempts=2)
    [hopeless] = enqueue(env, 1, kind="test.hopeless", max_attempts=5)
    done = lambda: states(env, [job]).get("failed") and states(env, [hopeless]).get("failed")
    assert wait_for(done, 30), (states(env, [job]), states(env, [hopeless]))
    row = env.psql(f"SELECT attempts, last_error, finished_at IS NOT NULL FROM jobs WHERE id = '{job}'")[0]
    assert row[0] == "2" and "attempt 2 fails on purpose" in row[1] and row[2] == "t"
    row = env.psql(f"SELECT attempts, last_error FROM jobs WHERE id = '{hopeless}'")[0]
    assert row == ["1", "This job can never succeed."]
    assert runs(env, [job]) == {}


def test_a_graceful_restart_loses_no_job(jobs):
    env = jobs
    ids = enqueue(env, 120, payload='{"sleepMs": 40}')
    time.sleep(0.5)
    env.restart(_conf(env), graceful=True)
    assert wait_for(all_done(env, ids), 90), states(env, ids)
    r = runs(env, ids)
    assert len(r) == 120 and all(n == 1 for n, _ in r.values())


# ---- purges --------------------------------------------------------------------

def run_now(env, kind):
    """The periodic job of kind, due now (it runs once a minute)."""
    def queued():
        return env.psql(f"SELECT count(*) FROM jobs WHERE kind = '{kind}' "
                        "AND state IN ('queued', 'retrying')") == [["1"]]
    assert wait_for(queued, 15), f"no {kind} job waits"
    env.psql(f"UPDATE jobs SET run_at = now() WHERE kind = '{kind}' "
             "AND state IN ('queued', 'retrying'); NOTIFY tickets_jobs;")


def test_expired_sessions_are_purged(jobs):
    env = jobs
    stale = uuid.uuid4().hex
    env.psql("INSERT INTO sessions (org_id, user_id, token_hash, expires_at) "
             f"SELECT org_id, id, '{stale}', now() - interval '1 hour' "
             "FROM users WHERE email = 'viewer@acme.test'")
    run_now(env, "purge.sessions")
    assert wait_for(lambda: env.psql(f"SELECT count(*) FROM sessions WHERE token_hash = '{stale}'")
                    == [["0"]], 15)
    # a login no longer purges in the request: it only makes its session
    r = env.session().post(env.url("/api/auth/login"),
                           json={"email": "viewer@acme.test", "password": "demo-password"},
                           timeout=30)
    assert r.status_code == 200


def test_expired_idempotency_keys_are_purged(jobs):
    env = jobs
    old, new = f"old-{uuid.uuid4()}", f"new-{uuid.uuid4()}"
    agent = env.psql("SELECT id FROM users WHERE email = 'agent@acme.test'")[0][0]
    env.psql("INSERT INTO idempotency_keys (user_id, key, request_hash, status, response, "
             f"created_at) VALUES ('{agent}', '{old}', 'x', 201, '{{}}', now() - interval '2 days'),"
             f" ('{agent}', '{new}', 'x', 201, '{{}}', now())")
    run_now(env, "purge.idempotency")
    assert wait_for(lambda: env.psql(f"SELECT count(*) FROM idempotency_keys WHERE key = '{old}'")
                    == [["0"]], 15)
    assert env.psql(f"SELECT count(*) FROM idempotency_keys WHERE key = '{new}'") == [["1"]]


def test_events_past_retention_are_purged(jobs):
    env = jobs
    old = f"purge {uuid.uuid4().hex}"
    env.psql("INSERT INTO stream_events (org_id, type, data, created_at) VALUES "
             f"('{ORG_ACME}', 'ticket_updated', '{{\"id\":\"{old}\"}}', now() - interval '2 days')")
    recent = f"keep {uuid.uuid4().hex}"
    env.psql("INSERT INTO stream_events (org_id, type, data) VALUES "
             f"('{ORG_ACME}', 'ticket_updated', '{{\"id\":\"{recent}\"}}')")
    run_now(env, "purge.events")
    assert wait_for(lambda: env.psql(f"SELECT count(*) FROM stream_events WHERE data LIKE '%{old}%'")
                    == [["0"]], 15)
    assert env.psql(f"SELECT count(*) FROM stream_events WHERE data LIKE '%{recent}%'") == [["1"]]


def test_finished_jobs_past_retention_are_purged(jobs):
    env = jobs
    [old] = enqueue(env, 1, kind="test.nobody", commit=True)
    env.psql(f"UPDATE jobs SET state = 'done', finished_at = now() - interval '30 days' "
             f"WHERE id = '{old}'")
    [failed] = enqueue(env, 1, kind="test.nobody")
    env.psql(f"UPDATE jobs SET state = 'failed', finished_at = now() - interval '1 hour' "
             f"WHERE id = '{failed}'")
    run_now(env, "purge.jobs")
    assert wait_for(lambda: env.psql(f"SELECT count(*) FROM jobs WHERE id = '{old}'") == [["0"]], 15)
    assert env.psql(f"SELECT count(*) FROM jobs WHERE id = '{failed}'") == [["1"]]
    env.psql(f"DELETE FROM jobs WHERE id = '{failed}'")


def test_a_kind_no_worker_knows_waits(jobs):
    env = jobs
    [job] = enqueue(env, 1, kind="test.nobody")
    time.sleep(2)
    assert states(env, [job]) == {"queued": 1}
    env.psql(f"DELETE FROM jobs WHERE id = '{job}'")


# ---- figures -------------------------------------------------------------------

def test_job_stats_are_per_organization_for_admins(jobs):
    env = jobs
    [a] = enqueue(env, 1, kind="test.nobody", org=ORG_ACME)
    [g] = enqueue(env, 1, kind="test.nobody", org=ORG_GLOBEX)
    try:
        r = env.get("/api/jobs/stats", ADMIN)
        assert r.status_code == 200, r.text
        doc = r.json()["data"]
        assert set(doc) == {"total", "kinds"}
        assert set(doc["total"]) == {"queued", "running", "retrying", "done", "failed"}
        acme_nobody = doc["kinds"]["test.nobody"]["queued"]
        assert acme_nobody == int(env.psql(
            f"SELECT count(*) FROM jobs WHERE kind = 'test.nobody' AND state = 'queued' "
            f"AND org_id = '{ORG_ACME}'")[0][0])
        # the host's purges belong to no organization
        assert doc["kinds"]["purge.sessions"] == {s: 0 for s in doc["total"]}
        g_doc = env.get("/api/jobs/stats", GLOBEX_ADMIN).json()["data"]
        assert g_doc["kinds"]["test.nobody"]["queued"] == 1
        for user in (AGENT, "viewer@acme.test", "customer@acme.test"):
            assert_error(env.get("/api/jobs/stats", user), 403, "FORBIDDEN")
        assert_error(env.get("/api/jobs/stats"), 401, "UNAUTHENTICATED")
        # the host's figures, every organization's and the purges, on mod_status
        text = requests.get(env.url("/server-status?auto"), timeout=30).text
        assert re.search(r"^TicketsJobsQueued: \d+$", text, re.M), text[-800:]
        html = requests.get(env.url("/server-status"), timeout=30).text
        assert "background jobs" in html and "purge.sessions" in html
    finally:
        env.psql(f"DELETE FROM jobs WHERE id IN ('{a}', '{g}')")
