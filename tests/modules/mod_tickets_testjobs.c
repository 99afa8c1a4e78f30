/* mod_tickets_testjobs.c: job kinds for the tests of the job queue, loaded
 * by tests/integration only (never installed).
 *
 * It registers its kinds through mod_tickets' optional function
 * tickets_job_register, as any module may, so the tests also prove that a
 * module knowing nothing of mod_tickets' insides can add work to the
 * queue.  Payload {"sleepMs": n, "failures": n}:
 *
 *   test.record    logs each attempt ("TKTEST attempt ..." at notice),
 *                  sleeps sleepMs, fails (retry) while the attempt is at
 *                  most failures, then inserts (job id, attempt, pid) into
 *                  the table job_test_runs, which the test made, in the
 *                  job's own transaction: a row exists exactly when the
 *                  job was marked done
 *   test.hopeless  fails for good at once
 *   test.noop      does nothing: the job queue's own cost (bench/jobs.sh)
 */
#include <unistd.h>
#include <apr_dbd.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <jansson.h>
#include "mod_tickets.h"

APLOG_USE_MODULE(tickets_testjobs);

static json_int_t tt_field(const tickets_job_t *job, const char *name)
{
    json_t *doc = json_loads(job->payload ? job->payload : "{}", 0, NULL);
    json_int_t v = json_integer_value(json_object_get(doc, name));

    json_decref(doc);
    return v;
}

static tickets_job_rc_t tt_record(tickets_job_t *job)
{
    const apr_dbd_driver_t *driver = job->dbd_driver;
    apr_dbd_prepared_t *st = NULL;
    json_int_t ms = tt_field(job, "sleepMs");
    int n = 0;

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, job->s, "TKTEST attempt %s %d "
                 "pid %ld at %" APR_TIME_T_FMT, job->id, job->attempt,
                 (long)getpid(), apr_time_now());
    for (; ms > 0; ms -= 50) {
        apr_sleep(apr_time_from_msec(ms < 50 ? ms : 50));
    }
    if (job->attempt <= tt_field(job, "failures")) {
        job->error = apr_psprintf(job->pool, "attempt %d fails on purpose",
                                  job->attempt);
        return TICKETS_JOB_RETRY;
    }
    /* no label: sent with its parameters, not prepared on the connection */
    if (apr_dbd_prepare(driver, job->pool, job->dbd_handle,
                        "INSERT INTO job_test_runs (job_id, attempt, pid) "
                        "VALUES (%s::uuid, %s::int, %s::int)", NULL, &st) != 0
        || apr_dbd_pvquery(driver, job->pool, job->dbd_handle, &n, st,
                           job->id, apr_itoa(job->pool, job->attempt),
                           apr_itoa(job->pool, (int)getpid()), NULL) != 0) {
        job->error = apr_pstrdup(job->pool,
                                 apr_dbd_error(driver, job->dbd_handle, 0));
        return TICKETS_JOB_RETRY;
    }
    return TICKETS_JOB_DONE;
}

static tickets_job_rc_t tt_hopeless(tickets_job_t *job)
{
    job->error = "This job can never succeed.";
    return TICKETS_JOB_FAIL;
}

static tickets_job_rc_t tt_noop(tickets_job_t *job)
{
    (void)job;
    return TICKETS_JOB_DONE;
}

static int tt_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(tickets_job_register) *reg =
        APR_RETRIEVE_OPTIONAL_FN(tickets_job_register);

    (void)pconf; (void)plog; (void)ptemp;
    if (!reg || reg("test.record", tt_record) != APR_SUCCESS
        || reg("test.hopeless", tt_hopeless) != APR_SUCCESS
        || reg("test.noop", tt_noop) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "TKTEST: mod_tickets "
                     "does not take job kinds");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void tt_register_hooks(apr_pool_t *p)
{
    static const char *const after[] = { "mod_tickets.c", NULL };

    (void)p;
    ap_hook_post_config(tt_post_config, after, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA tickets_testjobs_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    tt_register_hooks,
    AP_MODULE_FLAG_NONE
};
