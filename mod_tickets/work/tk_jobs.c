/* tk_jobs.c: the durable job queue and its workers (see tk_work.h and
 * docs/jobs.md; the table is sql/migrations/005_jobs.sql).
 *
 * A change that needs work done later enqueues a job in its own
 * transaction (tk_job_enqueue), so the job exists exactly when the change
 * committed; the commit then wakes the workers (NOTIFY tickets_jobs).
 * Every child runs TicketsJobWorkers worker threads (tk_worker.c).  They
 * take a database connection from the child's pool only while they work,
 * and sleep on a wake word in the host's shared memory in between, which
 * the host's listener (tk_relay.c, LISTENing on tickets_jobs) bumps; so no
 * idle worker holds a connection requests need.  A worker, woken, every
 * TicketsJobPollInterval seconds, or when the next delayed job is due:
 *
 *   1. gives back jobs whose lease ran out (their worker died): they run
 *      again, or fail when that was their last attempt;
 *   2. keeps one unfinished job of every periodic kind (the purges);
 *   3. claims the next ready job of a kind it knows, FOR UPDATE SKIP
 *      LOCKED, with a lease of TicketsJobLease seconds;
 *   4. runs the kind's function inside a transaction, and marks the job
 *      done in that same transaction, only while it still holds the lease:
 *      what the function wrote commits exactly when the job is done;
 *   5. or, when the function failed, rolls back and records the failure:
 *      the job is retried after tk_backoff() (1 s doubling to an hour,
 *      with jitter), or marked failed after its last attempt and kept for
 *      inspection.
 *
 * Kinds are registered with a function (tk_job_register, or
 * tickets_job_register from another module); the queue knows nothing of
 * what they do.  Kinds marked TK_JOB_OWN_TRANSACTIONS (the purges, which
 * commit batch by batch so that no long transaction holds back the live
 * events) run outside the transaction, and are marked done after.
 */
#include <unistd.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_general.h>
#include <http_core.h>
#include <apr_lib.h>
#include <http_protocol.h>
#include <mod_status.h>
#include "work/tk_work.h"
#include "core/tk_json.h"
#include "jobs/tk_backoff.h"
#include "crypto/tk_crypto.h"
#include "core/tk_wake.h"
#include "tk_queries.h"

#define TK_JOB_KINDS_MAX    64
#define TK_JOB_RETRY_BASE   1.0     /* seconds before the second attempt */
#define TK_JOB_RETRY_CAP    3600.0  /* longest wait between attempts */
/* The longest wait a kind may ask for (the webhook schedule's last step
 * is a day, with jitter). */
#define TK_JOB_RETRY_AFTER_CAP 172800.0

typedef struct {
    char kind[64];
    tickets_job_fn *fn;
    int every;                      /* seconds, periodic kinds; 0: not */
    int flags;
} tk_job_kind_t;

static tk_job_kind_t tk_job_kinds[TK_JOB_KINDS_MAX];
static int tk_njob_kinds;
/* Built in child_init: every kind, and the periodic ones with their
 * intervals, as the comma lists the statements take. */
static const char *tk_kind_list, *tk_periodic_kinds, *tk_periodic_every;

/* ---------------------------------------------------------------------
 * Kinds
 * ------------------------------------------------------------------- */

apr_status_t tk_job_register_kind(const char *kind, tickets_job_fn *fn,
                                  int every, int flags)
{
    int i;

    if (!tk_job_kind_valid(kind) || !fn) {
        return APR_EINVAL;
    }
    for (i = 0; i < tk_njob_kinds; ++i) {
        if (strcmp(tk_job_kinds[i].kind, kind) == 0) {
            break;
        }
    }
    if (i == TK_JOB_KINDS_MAX) {
        return APR_ENOSPC;
    }
    apr_cpystrn(tk_job_kinds[i].kind, kind, sizeof(tk_job_kinds[i].kind));
    tk_job_kinds[i].fn = fn;
    tk_job_kinds[i].every = every;
    tk_job_kinds[i].flags = flags;
    if (i == tk_njob_kinds) {
        ++tk_njob_kinds;
    }
    return APR_SUCCESS;
}

apr_status_t tk_job_register(const char *kind, tickets_job_fn *fn)
{
    return tk_job_register_kind(kind, fn, 0, 0);
}

/* The optional function for other modules. */
static apr_status_t tickets_job_register(const char *kind, tickets_job_fn *fn)
{
    return tk_job_register(kind, fn);
}

static const tk_job_kind_t *tk_job_kind(const char *kind)
{
    int i;

    for (i = 0; i < tk_njob_kinds; ++i) {
        if (strcmp(tk_job_kinds[i].kind, kind) == 0) {
            return &tk_job_kinds[i];
        }
    }
    return NULL;
}

static void tk_job_lists(apr_pool_t *p)
{
    int i;

    tk_kind_list = tk_periodic_kinds = tk_periodic_every = NULL;
    for (i = 0; i < tk_njob_kinds; ++i) {
        const tk_job_kind_t *k = &tk_job_kinds[i];

        tk_kind_list = tk_kind_list ? apr_pstrcat(p, tk_kind_list, ",",
                                                  k->kind, NULL)
                                    : apr_pstrdup(p, k->kind);
        if (k->every > 0) {
            const char *every = apr_itoa(p, k->every);

            tk_periodic_kinds = tk_periodic_kinds
                ? apr_pstrcat(p, tk_periodic_kinds, ",", k->kind, NULL)
                : apr_pstrdup(p, k->kind);
            tk_periodic_every = tk_periodic_every
                ? apr_pstrcat(p, tk_periodic_every, ",", every, NULL)
                : every;
        }
    }
}

/* ---------------------------------------------------------------------
 * Enqueueing (inside a request's transaction)
 * ------------------------------------------------------------------- */

int tk_job_enqueue(tk_ctx_t *c, const char *kind, const char *payload,
                   int delay, int max_attempts)
{
    tk_rows_t *rows;

    if (TK_SQL_SELECT(c, job_enqueue, &rows, c->who ? c->who->org_id : NULL,
                      kind, payload, apr_itoa(c->r->pool, delay),
                      max_attempts > 0 ? apr_itoa(c->r->pool, max_attempts)
                                       : NULL)) {
        return TK_FAIL;
    }
    c->jobs_written = 1;
    return TK_OK;
}

/* ---------------------------------------------------------------------
 * Running one job
 * ------------------------------------------------------------------- */

typedef struct {
    tk_worker_t *w;
    tk_db_t *db;
    const char *holder;             /* "<host>:<pid>:<thread>" */
    const tk_srv_conf_t *conf;
    apr_pool_t *pool;               /* the worker thread's, for its jobs'
                                     * worker_pool */
} tk_jobber_t;

static double tk_job_delay(int attempt)
{
    apr_uint64_t r = 0;

    apr_generate_random_bytes((unsigned char *)&r, sizeof(r));
    return tk_backoff(attempt, TK_JOB_RETRY_BASE, TK_JOB_RETRY_CAP, r);
}

/* The job's function failed (rc): retry later, or mark it failed. */
static void tk_job_failed(tk_jobber_t *j, tickets_job_t *job,
                          tickets_job_rc_t rc, apr_pool_t *p)
{
    server_rec *s = tk_worker_server(j->w);
    const char *error = job->error ? job->error : "The job failed.";
    double delay = rc != TICKETS_JOB_RETRY ? 0
                   : job->retry_after > 0
                   ? (job->retry_after < TK_JOB_RETRY_AFTER_CAP
                      ? job->retry_after : TK_JOB_RETRY_AFTER_CAP)
                   : tk_job_delay(job->attempt);
    const char *state;
    tk_rows_t *rows;

    if (TK_SELECT(j->db, job_failed, &rows, job->id, j->holder,
                  apr_psprintf(p, "%.3f", delay), error,
                  tk_bool(rc == TICKETS_JOB_FAIL)) != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "TK00063: the failure "
                     "of job %s (%s) could not be recorded: %s; it runs again "
                     "when its lease runs out", job->id, job->kind,
                     j->db->error ? j->db->error : "?");
        return;
    }
    state = tk_rows_get(rows, 0, 0);
    if (state && strcmp(state, "failed") == 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "TK00064: job %s (%s) "
                     "failed after %d attempts: %s", job->id, job->kind,
                     job->attempt, error);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "TK00065: job %s (%s), "
                     "attempt %d of %d, failed (%s); again in %.1f s",
                     job->id, job->kind, job->attempt, job->max_attempts,
                     error, delay);
    }
}

void tk_job_db(tickets_job_t *job, tk_db_t *db)
{
    memset(db, 0, sizeof(*db));
    db->driver = job->dbd_driver;
    db->handle = job->dbd_handle;
    db->prepared = job->dbd_prepared;
    db->pool = job->pool;
}

/* Mark the job done, in the open transaction when there is one. */
static int tk_job_done(tk_jobber_t *j, tickets_job_t *job)
{
    int n = 0;

    if (TK_EXEC(j->db, job_done, &n, job->id, j->holder) != 0
        || (j->db->trans && n == 1 && tk_db_commit(j->db) != 0)) {
        return -1;
    }
    if (n != 1) {
        tk_db_rollback(j->db);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, tk_worker_server(j->w),
                     "TK00066: job %s (%s) ran past its lease and was taken "
                     "over; this attempt is undone", job->id, job->kind);
    }
    return 0;
}

static void tk_job_run(tk_jobber_t *j, const tk_job_kind_t *k,
                       tickets_job_t *job, apr_pool_t *p)
{
    server_rec *s = tk_worker_server(j->w);
    apr_time_t began = apr_time_now();
    tickets_job_rc_t rc;

    if (!(k->flags & TK_JOB_OWN_TRANSACTIONS) && tk_db_begin(j->db) != 0) {
        job->error = "The database could not begin a transaction.";
        tk_job_failed(j, job, TICKETS_JOB_RETRY, p);
        return;
    }
    job->dbd_driver = j->db->driver;
    job->dbd_handle = j->db->handle;
    job->dbd_prepared = j->db->prepared;
    rc = k->fn(job);
    if (rc == TICKETS_JOB_DONE && tk_job_done(j, job) == 0) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "TK00062: job %s (%s) "
                     "done in %" APR_TIME_T_FMT " ms", job->id, job->kind,
                     apr_time_as_msec(apr_time_now() - began));
        return;
    }
    if (rc == TICKETS_JOB_DONE) {
        job->error = apr_psprintf(p, "It could not be marked done: %s",
                                  j->db->error ? j->db->error : "?");
        rc = TICKETS_JOB_RETRY;
    }
    tk_db_rollback(j->db);
    tk_job_failed(j, job, rc, p);
}

/* Claim and run the next ready job: 1 when one ran, 0 when none is
 * ready, -1 when the database failed. */
static int tk_job_next(tk_jobber_t *j, apr_pool_t *p)
{
    tickets_job_t job;
    const tk_job_kind_t *k;
    tk_rows_t *rows;

    if (!tk_kind_list) {
        return 0;
    }
    if (TK_SELECT(j->db, job_claim, &rows, j->holder,
                  apr_itoa(p, j->conf->job_lease), tk_kind_list) != 0) {
        return -1;
    }
    if (rows->nrows == 0) {
        return 0;
    }
    memset(&job, 0, sizeof(job));
    job.id = tk_rows_get(rows, 0, 0);
    job.kind = tk_rows_get(rows, 0, 1);
    job.payload = tk_rows_get(rows, 0, 2);
    job.attempt = atoi(tk_rows_get(rows, 0, 3));
    job.max_attempts = atoi(tk_rows_get(rows, 0, 4));
    job.s = tk_worker_server(j->w);
    job.pool = p;
    job.worker_pool = j->pool;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, job.s, "TK00061: job %s (%s), "
                 "attempt %d, started %s us after it was enqueued", job.id,
                 job.kind, job.attempt, tk_rows_get(rows, 0, 5));
    k = tk_job_kind(job.kind);
    if (!k) {
        job.error = "No function is registered for this kind.";
        tk_job_failed(j, &job, TICKETS_JOB_RETRY, p);
        return 1;
    }
    tk_job_run(j, k, &job, p);
    return 1;
}

/* Give back expired leases, and keep the periodic jobs scheduled. */
static int tk_jobs_tend(tk_jobber_t *j)
{
    int n = 0;

    if (TK_EXEC(j->db, job_rescue, &n) != 0) {
        return -1;
    }
    if (n > 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, tk_worker_server(j->w),
                     "TK00067: %d jobs whose worker stopped before they "
                     "finished are given back", n);
    }
    if (tk_periodic_kinds && tk_worker_index(j->w) == 0
        && TK_EXEC(j->db, job_schedule, NULL, tk_periodic_kinds,
                   tk_periodic_every) != 0) {
        return -1;
    }
    return 0;
}

/* Milliseconds to wait before looking again: until the next job is due,
 * or the next tending, whichever comes first. */
static int tk_jobs_wait(tk_jobber_t *j, apr_time_t next_tend, apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    apr_int64_t ms = next_tend > now ? apr_time_as_msec(next_tend - now) + 1
                                     : 0;
    const char *due;
    tk_rows_t *rows;

    if (tk_kind_list
        && TK_SELECT(j->db, job_next_due, &rows, tk_kind_list) == 0
        && (due = tk_rows_get(rows, 0, 0)) != NULL) {
        apr_int64_t d = apr_atoi64(due);

        if (d < ms) {
            ms = d > 0 ? d + 1 : 0;
        }
    }
    (void)p;
    return (int)ms;
}

/* ---------------------------------------------------------------------
 * The worker
 * ------------------------------------------------------------------- */

#define TK_JOBS_WAKE_KEY    "mod_tickets_jobs_wake"
#define TK_JOBS_SLICE_MS    250     /* longest sleep between stop checks */

static tk_wake_t *tk_jobs_wake_word;    /* the host's, or NULL */

void tk_jobs_wake(void)
{
    if (tk_jobs_wake_word) {
        tk_wake_all(tk_jobs_wake_word);
    }
}

/* Sleep up to ms, or until the listener says jobs came (the word moved
 * past seen), or the worker is to stop. */
static void tk_jobs_sleep(tk_worker_t *w, uint32_t seen, int ms)
{
    while (ms > 0 && !tk_worker_stopping(w)) {
        int slice = ms < TK_JOBS_SLICE_MS ? ms : TK_JOBS_SLICE_MS;

        if (tk_jobs_wake_word) {
            if (tk_wake_seen(tk_jobs_wake_word) != seen) {
                return;
            }
            tk_wake_wait(tk_jobs_wake_word, seen, slice);
        }
        else {
            tk_worker_nap(w, slice, -1);
        }
        ms -= slice;
    }
}

/* 1 at most once a minute in this child: a database outage is said once,
 * not by every worker thread at every retry. */
static int tk_jobs_complain(void)
{
    static apr_uint32_t last;           /* minutes since the epoch */
    apr_uint32_t now = (apr_uint32_t)(apr_time_sec(apr_time_now()) / 60);
    apr_uint32_t was = apr_atomic_read32(&last);

    return was != now && apr_atomic_cas32(&last, now, was) == was;
}

/* One round, on a connection taken for it: tend the queue when due and
 * run every ready job.  0, or -1 when the database failed; *wait gets the
 * milliseconds to the next round. */
static int tk_jobs_round(tk_jobber_t *j, apr_pool_t *p, apr_time_t *next_tend,
                         int *wait)
{
    server_rec *s = tk_worker_server(j->w);
    apr_pool_t *one;
    ap_dbd_t *dbd;
    int rv = 0;

    if (!(j->db = tk_worker_db(j->w, p, &dbd))) {
        return -1;
    }
    apr_pool_create(&one, p);
    if (apr_time_now() >= *next_tend) {
        rv = tk_jobs_tend(j);
        *next_tend = apr_time_now() + apr_time_from_sec(j->conf->job_poll);
    }
    while (rv == 0 && !tk_worker_stopping(j->w)) {
        apr_pool_clear(one);
        j->db->pool = one;
        if ((rv = tk_job_next(j, one)) <= 0) {
            break;
        }
        rv = 0;
    }
    j->db->pool = p;
    if (rv == 0) {
        *wait = tk_jobs_wait(j, *next_tend, p);
    }
    else {
        /* once a minute per child, not once a second per thread */
        int level = tk_jobs_complain() ? APLOG_WARNING : APLOG_DEBUG;

        ap_log_error(APLOG_MARK, level, 0, s, "TK00069: a job worker lost "
                     "the database (%s); retrying",
                     j->db->error ? j->db->error : "?");
    }
    tk_db_rollback(j->db);
    ap_dbd_close(s, dbd);
    j->db = NULL;
    return rv < 0 ? -1 : 0;
}

/* A worker thread: it holds a database connection only while it works,
 * and sleeps on the host's wake word in between. */
static void tk_jobs_work(tk_worker_t *w, apr_pool_t *p)
{
    char host[64] = "";
    const char *tag;
    apr_time_t next_tend = 0;
    tk_jobber_t j;
    apr_pool_t *round;

    memset(&j, 0, sizeof(j));
    j.w = w;
    j.pool = p;
    j.conf = tk_srv_conf(tk_worker_server(w));
    gethostname(host, sizeof(host) - 1);
    /* host, pid and thread say who it is; the random part makes it unique
     * where two hosts share a name and pid (containers) */
    tag = tk_random_secret(p, "", 6);
    j.holder = apr_psprintf(p, "%s:%ld:%d:%s", host, (long)getpid(),
                            tk_worker_index(w), tag ? tag : "-");
    apr_pool_create(&round, p);
    while (!tk_worker_stopping(w)) {
        uint32_t seen = tk_jobs_wake_word ? tk_wake_seen(tk_jobs_wake_word)
                                          : 0;
        int wait = 0;

        apr_pool_clear(round);
        if (tk_jobs_round(&j, round, &next_tend, &wait) != 0) {
            return;             /* the facility tries again in a second */
        }
        tk_jobs_sleep(w, seen, wait);
    }
}

static int tk_jobs_threads(server_rec *s)
{
    return tk_srv_conf(s)->job_workers;
}

static const tk_worker_spec_t tk_jobs_spec = {
    "jobs", 0, tk_jobs_work, tk_jobs_threads, NULL
};

/* ---------------------------------------------------------------------
 * Figures: GET /api/jobs/stats and the mod_status section
 * ------------------------------------------------------------------- */

static const char *const tk_job_states[] = {
    "queued", "running", "retrying", "done", "failed", NULL
};

/* {state: 0, ...} */
static json_t *tk_jobs_zero(void)
{
    json_t *o = json_object();
    const char *const *st;

    for (st = tk_job_states; *st; ++st) {
        json_object_set_new(o, *st, json_integer(0));
    }
    return o;
}

/* Rows of job_stats (kind, state, n) as {"total": {state: n}, "kinds":
 * {kind: {state: n}}}; every registered kind is there, 0s included. */
static json_t *tk_jobs_figures(const tk_rows_t *rows)
{
    json_t *doc = json_pack("{s:o,s:o}", "total", tk_jobs_zero(),
                            "kinds", json_object());
    json_t *kinds = json_object_get(doc, "kinds");
    json_t *total = json_object_get(doc, "total");
    int i;

    for (i = 0; i < tk_njob_kinds; ++i) {
        json_object_set_new(kinds, tk_job_kinds[i].kind, tk_jobs_zero());
    }
    for (i = 0; i < rows->nrows; ++i) {
        const char *kind = tk_rows_get(rows, i, 0);
        const char *state = tk_rows_get(rows, i, 1);
        json_int_t n = (json_int_t)apr_atoi64(tk_rows_get(rows, i, 2));
        json_t *k = json_object_get(kinds, kind);

        if (!k) {
            json_object_set_new(kinds, kind, k = tk_jobs_zero());
        }
        json_object_set_new(k, state, json_integer(n));
        json_object_set_new(total, state, json_integer(
            json_integer_value(json_object_get(total, state)) + n));
    }
    return doc;
}

json_t *tk_jobs_stats(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (TK_SQL_SELECT(c, job_stats, &rows, c->who->org_id)) {
        return NULL;
    }
    return tk_json_own(c->r->pool, tk_jobs_figures(rows));
}

/* The host's jobs, every organization's and its own, on mod_status. */
static int tk_jobs_status_hook(request_rec *r, int flags)
{
    tk_ctx_t *c = tk_ctx_get(r);
    json_t *doc, *kinds, *counts;
    const char *kind, *const *st;
    tk_rows_t *rows;

    if (TK_SQL_SELECT(c, job_stats, &rows, NULL)) {
        tk_db_release(c);
        return OK;
    }
    tk_db_release(c);
    doc = tk_json_own(r->pool, tk_jobs_figures(rows));
    kinds = json_object_get(doc, "kinds");
    if (flags & AP_STATUS_SHORT) {
        for (st = tk_job_states; *st; ++st) {
            ap_rprintf(r, "TicketsJobs%c%s: %" APR_INT64_T_FMT "\n",
                       apr_toupper(**st), *st + 1,
                       (apr_int64_t)json_integer_value(json_object_get(
                           json_object_get(doc, "total"), *st)));
        }
        return OK;
    }
    ap_rputs("<hr>\n<h2>mod_tickets: background jobs</h2>\n<table "
             "border=\"1\"><tr><th>kind</th>", r);
    for (st = tk_job_states; *st; ++st) {
        ap_rprintf(r, "<th>%s</th>", *st);
    }
    ap_rputs("</tr>\n", r);
    json_object_foreach(kinds, kind, counts) {
        ap_rprintf(r, "<tr><td>%s</td>", ap_escape_html(r->pool, kind));
        for (st = tk_job_states; *st; ++st) {
            ap_rprintf(r, "<td>%" APR_INT64_T_FMT "</td>",
                       (apr_int64_t)json_integer_value(json_object_get(counts,
                                                                       *st)));
        }
        ap_rputs("</tr>\n", r);
    }
    ap_rputs("</table>\n", r);
    return OK;
}

/* ---------------------------------------------------------------------
 * Hooks
 * ------------------------------------------------------------------- */

static int tk_jobs_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp)
{
    (void)pconf; (void)plog; (void)ptemp;
    tk_njob_kinds = 0;      /* kinds are registered again in post_config */
    return OK;
}

static int tk_jobs_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    int fresh;

    (void)pconf; (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    tk_jobs_wake_word = tk_shm_host(s, TK_JOBS_WAKE_KEY, sizeof(tk_wake_t),
                                    &fresh);
    return tk_jobs_wake_word ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static void tk_jobs_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)s;
    tk_job_lists(pchild);
}

void tk_jobs_register_hooks(apr_pool_t *p)
{
    (void)p;
    tk_worker_declare(&tk_jobs_spec);
    /* first: another module's pre_config may register its kinds */
    ap_hook_pre_config(tk_jobs_pre_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(tk_jobs_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* before the workers start (tk_worker.c, also in child_init) */
    ap_hook_child_init(tk_jobs_child_init, NULL, NULL, APR_HOOK_FIRST);
    APR_OPTIONAL_HOOK(ap, status_hook, tk_jobs_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
    APR_REGISTER_OPTIONAL_FN(tickets_job_register);
}
