/* tk_send.c: the delivery of staff replies to the chat platforms, a kind
 * of job (TK_SEND_JOB, "message.send").
 *
 * A reply is stored pending and its job enqueued in the same transaction
 * (handlers/conversations.c).  A worker runs the job:
 *
 *   1. reads the message, where it goes and the channel's token; a
 *      message no longer pending (sent, or failed and not retried) is
 *      done with at once, so a job run again after its worker died once
 *      the outcome was recorded sends nothing;
 *   2. sends it with the platform's API (lib/platforms builds the request
 *      and judges the answer; lib/http sends it, on a connection the
 *      worker thread keeps open between sends), outside any transaction:
 *      no row lock or snapshot is held while a platform thinks;
 *   3. records the outcome on the message with message_sent, in one
 *      statement that commits on its own: sent (with the platform's
 *      message id), pending with the error of an attempt to be retried,
 *      or failed with the platform's message.
 *
 * A transient failure is retried by the queue (after the platform's
 * Retry-After when it gave one, else the queue's backoff), TK_SEND_ATTEMPTS
 * times in all; on the last attempt, or for a permanent failure, the
 * message is failed and the job done (its work, recording why, is done;
 * the job table keeps only the queue's own failures).  A job that died on
 * its last attempt (its worker killed, the database gone) leaves its
 * message pending with no job: the sweep (TK_SEND_SWEEP, every minute)
 * marks those failed, with message_sent, and they can be sent again.  Delivery is at least once: a worker that dies
 * between the platform's answer and step 3's commit leaves the message
 * pending, and the send is made again when the lease runs out
 * (docs/platforms.md says how small that window is).  No token ever goes
 * into a log line or an error: the URL of a Facebook send carries one, so
 * none is logged.
 */
#include <stddef.h>
#include <apr_strings.h>
#include "work/tk_work.h"
#include "core/tk_json.h"
#include "http/tk_http.h"
#include "platforms/tk_platform.h"
#include "tk_queries.h"

typedef struct {
    const char *status;
    tk_platform_t platform;
    tk_send_t send;
    int channel_gone;           /* the channel was deleted */
} tk_delivery_t;

/* The name of the channel's secret that authorizes sends. */
static const char *tk_token_name(tk_platform_t platform)
{
    return platform == TK_PLATFORM_DISCORD ? "botToken" : "accessToken";
}

/* Step 1.  0, or -1 with job->error. */
static int tk_delivery_load(tickets_job_t *job, tk_db_t *db,
                            const char *message_id, tk_delivery_t *d)
{
    json_t *settings, *secrets;
    tk_rows_t *rows;

    if (TK_SELECT(db, send_load, &rows, message_id) != 0) {
        job->error = apr_pstrcat(job->pool, "The message could not be read: ",
                                 db->error ? db->error : "?", NULL);
        return -1;
    }
    if (rows->nrows != 1) {
        job->error = "The message is gone.";
        return -1;
    }
    memset(d, 0, sizeof(*d));
    d->status = tk_rows_get(rows, 0, 0);
    d->send.text = tk_rows_get(rows, 0, 1);
    d->send.recipient = tk_rows_get(rows, 0, 2);
    if (tk_platform_parse(tk_rows_get(rows, 0, 3), &d->platform) != 0) {
        job->error = "The channel's platform is unknown.";
        return -1;
    }
    d->send.account_id = tk_rows_get(rows, 0, 4);
    d->send.base = tk_rows_get(rows, 0, 5);
    settings = tk_json_own(job->pool, json_loads(tk_rows_get(rows, 0, 6), 0,
                                                 NULL));
    secrets = tk_json_own(job->pool, json_loads(tk_rows_get(rows, 0, 7), 0,
                                                NULL));
    d->send.version = tk_json_str(settings, "graphVersion");
    d->send.token = tk_json_str(secrets, tk_token_name(d->platform));
    d->channel_gone = strcmp(tk_rows_get(rows, 0, 9), "t") == 0;
    return 0;
}

/* Step 2: the verdict on one attempt. */
static void tk_delivery_send(tickets_job_t *job, const tk_delivery_t *d,
                             tk_send_outcome_t *out)
{
    const tk_srv_conf_t *conf = tk_srv_conf(job->s);
    tk_http_req_t req;
    tk_http_resp_t resp;
    apr_status_t rv;

    memset(&req, 0, sizeof(req));
    if (d->channel_gone || !d->send.token || !d->send.recipient
        || tk_send_request(job->pool, d->platform, &d->send, &req) != 0) {
        out->verdict = TK_SEND_FAILED;
        out->error = d->channel_gone ? "The channel was deleted."
                     : !d->send.token
                     ? "The channel has no token to send with; set its "
                       "secrets."
                     : "This conversation has nowhere to send a reply to.";
        out->message_id = NULL;
        out->retry_after = -1;
        return;
    }
    req.connect_timeout_ms = conf->http_connect_timeout * 1000L;
    req.timeout_ms = conf->http_timeout * 1000L;
    req.max_response = (apr_size_t)conf->http_max_response;
    req.conns = tk_job_conns(job, "tk_send.conns");
    rv = tk_http_perform(job->pool, &req, &resp);
    tk_send_judge(job->pool, d->platform, rv, &resp, apr_time_now(), out);
}

/* Step 3: record the outcome with its message_sent, and wake the relays.
 * 0, or -1 with job->error. */
static int tk_delivery_record(tickets_job_t *job, tk_db_t *db,
                              const char *message_id, const char *status,
                              const tk_send_outcome_t *out)
{
    tk_rows_t *rows;

    if (TK_SELECT(db, send_outcome, &rows, message_id, status,
                  out->message_id, out->error) != 0) {
        job->error = apr_pstrcat(job->pool, "The outcome could not be "
                                 "recorded: ", db->error ? db->error : "?",
                                 NULL);
        return -1;
    }
    tk_relay_wake(db);
    return 0;
}

static tickets_job_rc_t tk_send_job(tickets_job_t *job)
{
    json_t *payload = tk_json_own(job->pool, json_loads(job->payload, 0, NULL));
    const char *message_id = tk_json_str(payload, "messageId");
    tk_send_outcome_t out;
    tk_delivery_t d;
    const char *status;
    int last = job->attempt >= job->max_attempts;
    tk_db_t db;

    tk_job_db(job, &db);
    if (!message_id) {
        job->error = "The job names no message.";
        return TICKETS_JOB_FAIL;
    }
    if (tk_delivery_load(job, &db, message_id, &d) != 0) {
        return TICKETS_JOB_RETRY;
    }
    if (strcmp(d.status, "pending") != 0) {
        return TICKETS_JOB_DONE;        /* recorded before, or not wanted */
    }
    tk_delivery_send(job, &d, &out);
    status = out.verdict == TK_SEND_SENT ? "sent"
             : out.verdict == TK_SEND_RETRY && !last ? "pending" : "failed";
    if (tk_delivery_record(job, &db, message_id, status, &out) != 0) {
        return TICKETS_JOB_RETRY;
    }
    if (strcmp(status, "pending") == 0) {
        job->error = out.error;
        job->retry_after = out.retry_after > 0 ? out.retry_after : 0;
        return TICKETS_JOB_RETRY;
    }
    if (strcmp(status, "failed") == 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, job->s, "TK00071: message %s "
                     "was not delivered (%s, attempt %d): %s", message_id,
                     tk_platform_name(d.platform), job->attempt, out.error);
    }
    return TICKETS_JOB_DONE;
}

/* The sweep: replies whose delivery stopped without an outcome are
 * failed (send_sweep), so none stays pending unseen. */
static tickets_job_rc_t tk_send_sweep(tickets_job_t *job)
{
    tk_rows_t *rows;
    tk_db_t db;

    tk_job_db(job, &db);
    if (TK_SELECT(&db, send_sweep, &rows) != 0) {
        job->error = apr_pstrcat(job->pool, "The sweep failed: ",
                                 db.error ? db.error : "?", NULL);
        return TICKETS_JOB_RETRY;
    }
    if (rows->nrows == 1 && strcmp(tk_rows_get(rows, 0, 0), "0") != 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, job->s, "TK00077: %s replies "
                     "whose delivery stopped were marked failed",
                     tk_rows_get(rows, 0, 0));
    }
    return TICKETS_JOB_DONE;
}

/* A send must end within its job's lease (tk_job_outlasting). */
static int tk_send_check_lease(server_rec *main)
{
    server_rec *s = tk_job_outlasting(main,
                                      offsetof(tk_srv_conf_t, http_timeout));

    if (s) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TK00078: "
                     "TicketsHttpTimeout (%d s) must be shorter than "
                     "TicketsJobLease (%d s)", tk_srv_conf(s)->http_timeout,
                     tk_srv_conf(s)->job_lease);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int tk_send_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    if (tk_send_check_lease(s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    tk_job_register_kind(TK_SEND_JOB, tk_send_job, 0,
                         TK_JOB_OWN_TRANSACTIONS);
    tk_job_register_kind(TK_SEND_SWEEP, tk_send_sweep, TK_SEND_SWEEP_EVERY,
                         TK_JOB_OWN_TRANSACTIONS);
    return OK;
}

void tk_send_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_send_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
