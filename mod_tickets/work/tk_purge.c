/* tk_purge.c: the purges, the job queue's first periodic kinds.
 *
 *   purge.sessions     browser sessions past their expiry
 *   purge.idempotency  Idempotency-Key answers past TicketsIdempotencyTTL
 *   purge.events       live events past TicketsEventRetention
 *   purge.jobs         finished jobs past TicketsJobRetention
 *   purge.ai_cache     AI answers past their TicketsLLMCacheTTL
 *   purge.uploads      TicketsUploadDir: a rename an upload's crash left
 *                      undone is finished; temporary files no row claims,
 *                      and files of no attachment, go after an hour
 *
 * Each runs once a minute (one job of each waits at all times, see
 * job_schedule in sql/queries.sql) on whichever worker of whichever host
 * claims it, out of the request path.  A purge deletes in batches of
 * TK_PURGE_BATCH rows, each committed on its own: one long delete would
 * hold back the snapshot's xmin and with it every live event behind it
 * (docs/events.md).  The settings are the main server's.
 */
#include <apr_strings.h>
#include <apr_file_info.h>
#include "work/tk_work.h"
#include "core/tk_id.h"
#include "files/tk_upload.h"
#include "tk_queries.h"

#define TK_PURGE_EVERY      60      /* seconds between runs of each */
#define TK_PURGE_BATCH      5000    /* rows per statement */
#define TK_PURGE_BATCHES    40      /* statements per run at most */

typedef enum {
    TK_PURGE_SESSIONS, TK_PURGE_IDEMPOTENCY, TK_PURGE_EVENTS, TK_PURGE_JOBS,
    TK_PURGE_AI_CACHE
} tk_purge_what_t;

/* One batch: rows deleted, or -1. */
static int tk_purge_batch(tk_db_t *db, tk_purge_what_t what,
                          const tk_srv_conf_t *conf, apr_pool_t *p)
{
    const char *batch = apr_itoa(p, TK_PURGE_BATCH);
    int n = 0, rv;

    switch (what) {
    case TK_PURGE_SESSIONS:
        rv = TK_EXEC(db, purge_sessions, &n, batch);
        break;
    case TK_PURGE_IDEMPOTENCY:
        rv = TK_EXEC(db, purge_idempotency, &n,
                     apr_itoa(p, conf->idempotency_ttl), batch);
        break;
    case TK_PURGE_EVENTS:
        rv = TK_EXEC(db, purge_stream_events, &n,
                     apr_itoa(p, conf->event_retention), batch);
        break;
    case TK_PURGE_AI_CACHE:
        rv = TK_EXEC(db, ai_cache_purge, &n, batch);
        break;
    default:
        rv = TK_EXEC(db, purge_jobs, &n, apr_itoa(p, conf->job_retention),
                     batch);
        break;
    }
    return rv == 0 ? n : -1;
}

static tickets_job_rc_t tk_purge(tickets_job_t *job, tk_purge_what_t what)
{
    const tk_srv_conf_t *conf = tk_srv_conf(job->s);     /* the main server */
    tk_db_t db;
    int round, n, total = 0;

    tk_job_db(job, &db);
    for (round = 0; round < TK_PURGE_BATCHES; ++round) {
        if ((n = tk_purge_batch(&db, what, conf, job->pool)) < 0) {
            job->error = apr_pstrcat(job->pool, "The purge failed: ",
                                     db.error ? db.error : "?", NULL);
            return TICKETS_JOB_RETRY;
        }
        total += n;
        if (n < TK_PURGE_BATCH) {
            break;
        }
    }
    if (total > 0) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, job->s, "TK00070: %s "
                     "removed %d rows", job->kind, total);
    }
    return TICKETS_JOB_DONE;
}

static tickets_job_rc_t tk_purge_sessions(tickets_job_t *job)
{
    return tk_purge(job, TK_PURGE_SESSIONS);
}

static tickets_job_rc_t tk_purge_idempotency(tickets_job_t *job)
{
    return tk_purge(job, TK_PURGE_IDEMPOTENCY);
}

static tickets_job_rc_t tk_purge_events(tickets_job_t *job)
{
    return tk_purge(job, TK_PURGE_EVENTS);
}

static tickets_job_rc_t tk_purge_jobs(tickets_job_t *job)
{
    return tk_purge(job, TK_PURGE_JOBS);
}

static tickets_job_rc_t tk_purge_ai_cache(tickets_job_t *job)
{
    return tk_purge(job, TK_PURGE_AI_CACHE);
}

/* ---------------------------------------------------------------------
 * The upload directory
 * ------------------------------------------------------------------- */

#define TK_UPLOAD_STALE     3600    /* seconds before an orphan goes */

/* One entry of the directory: 1 when it was removed or renamed, 0 when
 * left, -1 when the database failed. */
static int tk_purge_upload(tk_db_t *db, const char *dir,
                           const apr_finfo_t *fi, apr_pool_t *p)
{
    size_t plen = sizeof(TK_UPLOAD_TMP_PREFIX) - 1;
    int tmp = strncmp(fi->name, TK_UPLOAD_TMP_PREFIX, plen) == 0;
    const char *id = tmp ? fi->name + plen : fi->name;
    int stale = apr_time_now() - fi->mtime > apr_time_from_sec(TK_UPLOAD_STALE);
    tk_rows_t *rows;

    if (fi->filetype != APR_REG || !tk_uuid_valid(id)) {
        return 0;
    }
    if (TK_SELECT(db, attachment_exists, &rows, id)) {
        return -1;
    }
    if (rows->nrows == 1) {
        return tmp && apr_file_rename(tk_attachment_path(p, dir, id, 1),
                                      tk_attachment_path(p, dir, id, 0),
                                      p) == APR_SUCCESS;
    }
    return stale && apr_file_remove(tk_attachment_path(p, dir, id, tmp), p)
                    == APR_SUCCESS;
}

static tickets_job_rc_t tk_purge_uploads(tickets_job_t *job)
{
    const char *dir = tk_srv_conf(job->s)->upload_dir;
    apr_finfo_t fi;
    apr_dir_t *d;
    tk_db_t db;
    int n, total = 0;

    if (!*dir || apr_dir_open(&d, dir, job->pool) != APR_SUCCESS) {
        return TICKETS_JOB_DONE;
    }
    tk_job_db(job, &db);
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE | APR_FINFO_MTIME,
                        d) == APR_SUCCESS) {
        if ((n = tk_purge_upload(&db, dir, &fi, job->pool)) < 0) {
            apr_dir_close(d);
            job->error = apr_pstrcat(job->pool, "The purge failed: ",
                                     db.error ? db.error : "?", NULL);
            return TICKETS_JOB_RETRY;
        }
        total += n;
    }
    apr_dir_close(d);
    if (total > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, job->s, "TK00088: %s "
                     "settled or removed %d files", job->kind, total);
    }
    return TICKETS_JOB_DONE;
}

static int tk_purge_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp; (void)s;
    tk_job_register_kind("purge.sessions", tk_purge_sessions, TK_PURGE_EVERY,
                         TK_JOB_OWN_TRANSACTIONS);
    tk_job_register_kind("purge.idempotency", tk_purge_idempotency,
                         TK_PURGE_EVERY, TK_JOB_OWN_TRANSACTIONS);
    tk_job_register_kind("purge.events", tk_purge_events, TK_PURGE_EVERY,
                         TK_JOB_OWN_TRANSACTIONS);
    tk_job_register_kind("purge.jobs", tk_purge_jobs, TK_PURGE_EVERY,
                         TK_JOB_OWN_TRANSACTIONS);
    tk_job_register_kind("purge.ai_cache", tk_purge_ai_cache, TK_PURGE_EVERY,
                         TK_JOB_OWN_TRANSACTIONS);
    tk_job_register_kind("purge.uploads", tk_purge_uploads, TK_PURGE_EVERY,
                         TK_JOB_OWN_TRANSACTIONS);
    return OK;
}

void tk_purge_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_purge_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
