/* tk_deliver.c: outbound webhook deliveries, a kind of job
 * (TK_DELIVER_JOB, "webhook.deliver"), and the check of where a
 * subscription may send (tk_webhook_target).
 *
 * A delivery and its job are made in the transaction of the change whose
 * event it carries (sql/migrations/011_webhook_subscriptions.sql).  A
 * worker runs the job as tk_send.c runs a platform send:
 *
 *   1. reads the delivery, its subscription and the secrets that sign it;
 *      a delivery no longer pending, or held by a newer job (a replay),
 *      is done with at once;
 *   2. parses the URL and judges every address curl is about to connect
 *      to, as the socket is opened (tk_judge_addr: no reserved or
 *      link-local address, no local one unless TicketsWebhookAllowLocal,
 *      never this server's own listener), so what is checked is what is
 *      connected to, whatever the name resolved to when the URL was
 *      given; the name is resolved within the connect timeout;
 *   3. posts the body exactly as stored, with webhook-id (the same on
 *      every attempt), webhook-timestamp (this attempt's) and
 *      webhook-signature (one per live secret), outside any transaction,
 *      within TicketsWebhookTimeout;
 *   4. records the outcome in one statement that commits on its own
 *      (delivery_outcome): delivered on a 2xx; on a 410 failed and the
 *      subscription disabled; otherwise pending until the next attempt of
 *      the Standard Webhooks schedule (or the receiver's Retry-After), and
 *      failed after the last.
 *
 * A job that died on its last attempt leaves its delivery pending with no
 * job: the sweep (TK_DELIVER_SWEEP, every minute) fails those, and they
 * can be replayed.  Delivery is at least once, as for platform sends:
 * receivers deduplicate by webhook-id.  No secret goes into a log line or
 * an answer; logs name the receiver by host and port only (a path or a
 * query may carry the receiver's own token).
 */
#include <stddef.h>
#include <stdlib.h>
#include <ifaddrs.h>
#include <apr_strings.h>
#include <apr_general.h>
#include <ap_listen.h>
#include "work/tk_work.h"
#include "core/tk_json.h"
#include "core/tk_utf8.h"
#include "crypto/tk_stdwebhook.h"
#include "http/tk_http.h"
#include "http/tk_target.h"
#include "tk_queries.h"

#define TK_DELIVER_SNIPPET 1024     /* bytes of an answer kept */

/* ---------------------------------------------------------------------
 * Where a subscription may send
 * ------------------------------------------------------------------- */

/* Whether addr is an address of one of this host's interfaces. */
static int tk_is_local_interface(int family, const unsigned char *addr)
{
    struct ifaddrs *ifs, *i;
    int found = 0;

    if (getifaddrs(&ifs) != 0) {
        return 1;                   /* cannot tell: take it for ours */
    }
    for (i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != family) {
            continue;
        }
        found = family == APR_INET
                ? memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
                         addr, 4) == 0
                : memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
                         addr, 16) == 0;
    }
    freeifaddrs(ifs);
    return found;
}

/* Whether the address and port are one of this server's listeners: a
 * subscription must not make the server call itself.  A wildcard
 * listener of either family takes every address of this host. */
static int tk_is_own_listener(int family, const unsigned char *addr,
                              unsigned port)
{
    const ap_listen_rec *lr;

    for (lr = ap_listeners; lr; lr = lr->next) {
        const apr_sockaddr_t *b = lr->bind_addr;

        if (!b || b->port != port) {
            continue;
        }
        if (apr_sockaddr_is_wildcard(b)) {
            if (tk_addr_class(family, addr) == TK_ADDR_LOOPBACK
                || tk_is_local_interface(family, addr)) {
                return 1;
            }
        }
        else if (b->family == family
                 && memcmp(b->ipaddr_ptr, addr, family == APR_INET ? 4 : 16)
                    == 0) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    const tk_target_t *target;
    int allow_local;
} tk_judge_t;

/* tk_http_addr_check_fn: an address the delivery is about to connect to. */
static int tk_judge_addr(void *baton, int family, const unsigned char *addr,
                         unsigned port, const char **why)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                              0xff, 0xff };
    const tk_judge_t *j = baton;

    if (family == APR_INET6 && memcmp(addr, mapped, 12) == 0) {
        family = APR_INET;              /* ::ffff:a.b.c.d is a.b.c.d */
        addr += 12;
    }
    if (tk_target_allowed(j->target, tk_addr_class(family, addr),
                          j->allow_local, why) != 0) {
        return -1;
    }
    if (tk_is_own_listener(family, addr, port)) {
        *why = "The URL names this server itself.";
        return -1;
    }
    return 0;
}

/* What req needs to judge each address it connects to for url. */
static int tk_target_judged(server_rec *s, apr_pool_t *p, const char *url,
                            tk_http_req_t *req, const char **why)
{
    tk_target_t *t = apr_palloc(p, sizeof(*t));
    tk_judge_t *j = apr_palloc(p, sizeof(*j));

    if (tk_target_parse(p, url, t, why) != 0) {
        return -1;
    }
    j->target = t;
    j->allow_local = tk_srv_conf(s)->webhook_allow_local;
    req->addr_check = tk_judge_addr;
    req->addr_baton = j;
    return 0;
}

int tk_webhook_target(server_rec *s, apr_pool_t *p, const char *url,
                      const char **why)
{
    const tk_srv_conf_t *conf = tk_srv_conf(s);
    tk_http_req_t req;
    tk_http_resp_t resp;

    memset(&req, 0, sizeof(req));
    if (tk_target_judged(s, p, url, &req, why) != 0) {
        return TK_TARGET_REFUSED;
    }
    req.method = "GET";
    req.url = url;
    req.connect_timeout_ms = req.timeout_ms = conf->http_connect_timeout
                                              * 1000L;
    req.resolve_only = 1;
    switch (tk_http_perform(p, &req, &resp)) {
    case APR_SUCCESS:
        return TK_TARGET_OK;
    case APR_EACCES:
        *why = resp.error;
        return TK_TARGET_REFUSED;
    case APR_EINVAL:
        *why = resp.error;
        return TK_TARGET_REFUSED;
    case APR_TIMEUP:
        *why = "The URL's host did not resolve in time.";
        return TK_TARGET_UNRESOLVED;
    case APR_EHOSTUNREACH:
        *why = "The URL's host does not resolve.";
        return TK_TARGET_UNRESOLVED;
    default:
        *why = "The URL's host could not be checked.";
        return TK_TARGET_UNRESOLVED;
    }
}

/* ---------------------------------------------------------------------
 * One attempt
 * ------------------------------------------------------------------- */

typedef struct {
    const char *state;
    const char *webhook_id;
    const char *body;
    const char *type;
    const char *url;
    const char *secrets[3];         /* the newest first, NULL-terminated */
    int enabled;
    int deleted;
    const char *job_id;             /* the job that holds it */
} tk_delivery_t;

typedef struct {
    const char *state;              /* delivered, pending, failed */
    int status;                     /* the receiver's; 0: none */
    const char *response;           /* the start of its answer */
    const char *error;
    double next_in;                 /* seconds, when pending */
    int disable;                    /* 410: the subscription goes off */
} tk_attempt_t;

/* Step 1.  0, or -1 with job->error. */
static int tk_delivery_load(tickets_job_t *job, tk_db_t *db, const char *id,
                            tk_delivery_t *d)
{
    tk_rows_t *rows;

    if (TK_SELECT(db, delivery_load, &rows, id) != 0) {
        job->error = apr_pstrcat(job->pool, "The delivery could not be read: ",
                                 db->error ? db->error : "?", NULL);
        return -1;
    }
    if (rows->nrows != 1) {
        job->error = "The delivery is gone.";
        return -1;
    }
    memset(d, 0, sizeof(*d));
    d->state = tk_rows_get(rows, 0, 0);
    d->webhook_id = tk_rows_get(rows, 0, 1);
    d->body = tk_rows_get(rows, 0, 2);
    d->type = tk_rows_get(rows, 0, 3);
    d->url = tk_rows_get(rows, 0, 4);
    d->secrets[0] = tk_rows_get(rows, 0, 5);
    d->secrets[1] = tk_rows_get(rows, 0, 6);
    d->enabled = tk_rows_true(rows, 0, 7);
    d->deleted = tk_rows_true(rows, 0, 8);
    d->job_id = tk_rows_get(rows, 0, 9);
    return 0;
}

/* The request of step 3, signed now (req's address judge already set). */
static int tk_delivery_request(tickets_job_t *job, const tk_delivery_t *d,
                               tk_http_req_t *req)
{
    const tk_srv_conf_t *conf = tk_srv_conf(job->s);
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    size_t len = strlen(d->body);
    apr_array_header_t *h = apr_array_make(job->pool, 5, sizeof(char *));
    const char *sig = tk_stdwebhook_sign(job->pool, d->secrets, d->webhook_id,
                                         now, d->body, len);

    if (!sig) {
        return -1;
    }
    APR_ARRAY_PUSH(h, const char *) = "Content-Type: application/json";
    APR_ARRAY_PUSH(h, const char *) = apr_pstrcat(job->pool, "webhook-id: ",
                                                  d->webhook_id, NULL);
    APR_ARRAY_PUSH(h, const char *) = apr_psprintf(job->pool,
                                                   "webhook-timestamp: %"
                                                   APR_INT64_T_FMT, now);
    APR_ARRAY_PUSH(h, const char *) = apr_pstrcat(job->pool,
                                                  "webhook-signature: ", sig,
                                                  NULL);
    req->method = "POST";
    req->url = d->url;
    req->headers = h;
    req->body = d->body;
    req->body_len = len;
    req->timeout_ms = conf->webhook_timeout * 1000L;
    req->connect_timeout_ms = conf->http_connect_timeout < conf->webhook_timeout
                              ? conf->http_connect_timeout * 1000L
                              : req->timeout_ms;
    req->max_response = (apr_size_t)conf->http_max_response;
    req->conns = tk_job_conns(job, "tk_deliver.conns");
    return 0;
}

/* Seconds before the attempt after this one: the receiver's Retry-After
 * when it gave one, else the schedule. */
static double tk_delivery_delay(const tk_http_resp_t *resp, int attempt)
{
    const char *ra = resp->headers ? apr_table_get(resp->headers,
                                                   "Retry-After") : NULL;
    double after = ra ? tk_http_retry_after(ra, apr_time_now()) : -1;
    apr_uint64_t r = 0;

    if (after > 0) {
        return after;
    }
    apr_generate_random_bytes((unsigned char *)&r, sizeof(r));
    return tk_stdwebhook_delay(attempt, r);
}

/* The verdict on an answer (rv, resp) to attempt `attempt`. */
static void tk_delivery_judge(tickets_job_t *job, apr_status_t rv,
                              const tk_http_resp_t *resp, tk_attempt_t *a)
{
    int last = job->attempt >= job->max_attempts;

    a->status = resp->status;
    if (resp->body_len > 0) {
        size_t n = tk_utf8_prefix(resp->body, resp->body_len,
                                  TK_DELIVER_SNIPPET);
        a->response = apr_pstrndup(job->pool, resp->body, n);
    }
    if (resp->status >= 200 && resp->status < 300
        && (rv == APR_SUCCESS || rv == APR_ENOSPC)) {
        a->state = "delivered";
        return;
    }
    if (resp->status == 410) {
        a->state = "failed";
        a->disable = 1;
        a->error = "The receiver answered 410 Gone; the subscription was "
                   "disabled.";
        return;
    }
    if (rv == APR_SUCCESS) {
        a->error = apr_psprintf(job->pool, "The receiver answered %d.",
                                resp->status);
    }
    else if (resp->status > 0) {
        a->error = apr_psprintf(job->pool, "The receiver answered %d, but "
                                "the exchange did not complete: %s",
                                resp->status, resp->error ? resp->error
                                                          : "it failed.");
    }
    else {
        a->error = resp->error ? resp->error : "The request failed.";
    }
    a->state = last ? "failed" : "pending";
    a->next_in = last ? 0 : tk_delivery_delay(resp, job->attempt);
}

/* Steps 2 and 3 for a delivery that is to go. */
static void tk_delivery_attempt(tickets_job_t *job, const tk_delivery_t *d,
                                tk_attempt_t *a)
{
    const char *why;
    tk_http_req_t req;
    tk_http_resp_t resp;
    apr_status_t rv;

    memset(a, 0, sizeof(*a));
    memset(&req, 0, sizeof(req));
    if (d->deleted || (!d->enabled && strcmp(d->type, "webhook.test") != 0)) {
        a->state = "failed";
        a->error = d->deleted ? "The subscription was deleted."
                              : "The subscription is disabled.";
        return;
    }
    if (tk_target_judged(job->s, job->pool, d->url, &req, &why) != 0) {
        a->state = "failed";
        a->error = why;
        return;
    }
    if (tk_delivery_request(job, d, &req) != 0) {
        a->state = "failed";
        a->error = "The subscription's secret is malformed; rotate it.";
        return;
    }
    rv = tk_http_perform(job->pool, &req, &resp);
    if (rv == APR_EACCES) {
        a->state = "failed";          /* an address it must not go to */
        a->error = resp.error;
        return;
    }
    tk_delivery_judge(job, rv, &resp, a);
}

/* Step 4.  0; 1 when nothing was recorded (a replay's newer job holds
 * the delivery now); -1 with job->error. */
static int tk_delivery_record(tickets_job_t *job, tk_db_t *db, const char *id,
                              const tk_attempt_t *a)
{
    tk_rows_t *rows;

    if (TK_SELECT(db, delivery_outcome, &rows, id, job->id, a->state,
                  a->status > 0 ? apr_itoa(job->pool, a->status) : NULL,
                  a->response, a->error,
                  apr_psprintf(job->pool, "%.3f", a->next_in),
                  a->disable ? "true" : "false") != 0) {
        job->error = apr_pstrcat(job->pool, "The outcome could not be "
                                 "recorded: ", db->error ? db->error : "?",
                                 NULL);
        return -1;
    }
    return rows->nrows == 1 ? 0 : 1;
}

static tickets_job_rc_t tk_deliver_job(tickets_job_t *job)
{
    json_t *payload = tk_json_own(job->pool, json_loads(job->payload, 0, NULL));
    const char *id = json_string_value(json_object_get(payload, "deliveryId"));
    tk_delivery_t d;
    tk_attempt_t a;
    tk_db_t db;

    tk_job_db(job, &db);
    if (!id) {
        job->error = "The job names no delivery.";
        return TICKETS_JOB_FAIL;
    }
    if (tk_delivery_load(job, &db, id, &d) != 0) {
        return TICKETS_JOB_RETRY;
    }
    if (strcmp(d.state, "pending") != 0 || !d.job_id
        || strcmp(d.job_id, job->id) != 0) {
        return TICKETS_JOB_DONE;        /* recorded before, or replayed */
    }
    tk_delivery_attempt(job, &d, &a);
    switch (tk_delivery_record(job, &db, id, &a)) {
    case 0:
        break;
    case 1:
        return TICKETS_JOB_DONE;        /* replayed while it was sent */
    default:
        return TICKETS_JOB_RETRY;
    }
    if (strcmp(a.state, "pending") == 0) {
        job->error = a.error;
        job->retry_after = a.next_in;
        return TICKETS_JOB_RETRY;
    }
    if (a.disable) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, job->s, "TK00097: the "
                     "receiver of delivery %s (%s) answered 410 Gone; its "
                     "subscription was disabled", id,
                     tk_target_where(job->pool, d.url));
    }
    else if (strcmp(a.state, "failed") == 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, job->s, "TK00098: webhook "
                     "delivery %s (%s) to %s failed, attempt %d: %s", id,
                     d.type, tk_target_where(job->pool, d.url), job->attempt,
                     a.error);
    }
    return TICKETS_JOB_DONE;
}

/* The sweep: deliveries whose job ended without an outcome are failed. */
static tickets_job_rc_t tk_deliver_sweep(tickets_job_t *job)
{
    tk_rows_t *rows;
    tk_db_t db;
    int n;

    tk_job_db(job, &db);
    if (TK_SELECT(&db, delivery_sweep, &rows) != 0 || rows->nrows != 1) {
        job->error = apr_pstrcat(job->pool, "The sweep failed: ",
                                 db.error ? db.error : "?", NULL);
        return TICKETS_JOB_RETRY;
    }
    n = atoi(tk_rows_get(rows, 0, 0));
    if (n > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, job->s, "TK00099: %d webhook "
                     "deliveries whose job stopped were marked failed", n);
    }
    return TICKETS_JOB_DONE;
}

/* A delivery must end within its job's lease (tk_job_outlasting). */
static int tk_deliver_check_lease(server_rec *main)
{
    server_rec *s = tk_job_outlasting(main,
                                      offsetof(tk_srv_conf_t, webhook_timeout));

    if (s) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TK00100: "
                     "TicketsWebhookTimeout (%d s) must be shorter than "
                     "TicketsJobLease (%d s)", tk_srv_conf(s)->webhook_timeout,
                     tk_srv_conf(s)->job_lease);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int tk_deliver_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                  apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    if (tk_deliver_check_lease(s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    tk_job_register_kind(TK_DELIVER_JOB, tk_deliver_job, 0,
                         TK_JOB_OWN_TRANSACTIONS);
    tk_job_register_kind(TK_DELIVER_SWEEP, tk_deliver_sweep,
                         TK_DELIVER_SWEEP_EVERY, TK_JOB_OWN_TRANSACTIONS);
    return OK;
}

void tk_deliver_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_deliver_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
