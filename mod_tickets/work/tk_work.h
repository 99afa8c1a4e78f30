/* tk_work.h: work done outside requests.
 *
 *   tk_worker.c  the worker facility: threads started in every child,
 *                stopped before the child's pools go; a worker may be a
 *                singleton (one per host at a time, by a global mutex,
 *                the other children standing by) or run in every child
 *   tk_relay.c   the host's listener (a singleton worker): committed live
 *                events from the database into mod_tickets_sse's ring,
 *                and the job workers woken when jobs were enqueued
 *   tk_jobs.c    the durable job queue in PostgreSQL and its workers
 *                (docs/jobs.md): enqueue inside a change's transaction,
 *                claim with FOR UPDATE SKIP LOCKED, leases, retries
 *   tk_purge.c   the first job kinds: purges of expired sessions,
 *                idempotency keys, past-retention events, finished jobs
 *   tk_outbound.c  what the jobs that call out over HTTP share: libcurl,
 *                each worker thread's connections, the lease rule
 *   tk_send.c    replies delivered to the chat platforms
 *   tk_deliver.c outbound webhook deliveries to subscribers, and the
 *                check of where a subscription may send
 */
#ifndef TK_WORK_H
#define TK_WORK_H

#include <apr_thread_proc.h>
#include "request/tk_request.h"
#include "mod_tickets.h"

/* ---------------------------------------------------------------------
 * Workers (tk_worker.c)
 * ------------------------------------------------------------------- */

typedef struct tk_worker_t tk_worker_t;

/* One thread's work: run until tk_worker_stopping(), or return early
 * (a failure, logged by it) to be run again after a pause of a second.
 * p is the thread's pool, cleared between runs. */
typedef void tk_worker_fn(tk_worker_t *w, apr_pool_t *p);

typedef struct {
    const char *name;           /* "relay", "jobs": logs and the mutex */
    int singleton;              /* one thread per host, by a global mutex */
    tk_worker_fn *run;
    /* Threads per child (not for singletons); 0: none in this child. */
    int (*threads)(server_rec *s);
    /* Whether this child runs the worker at all (NULL: yes). */
    int (*wanted)(server_rec *s);
} tk_worker_spec_t;

/* Declare a worker (from register_hooks; spec must outlive the process).
 * The facility's hooks do the rest: the mutex in pre_config and
 * post_config, the threads in child_init, the stop at child exit. */
void tk_worker_declare(const tk_worker_spec_t *spec);

/* The worker is to stop (the child is exiting). */
int tk_worker_stopping(const tk_worker_t *w);
/* Wait up to ms for fd (-1: none) to be readable or for the stop; 1 when
 * fd is readable. */
int tk_worker_nap(const tk_worker_t *w, int ms, int fd);
server_rec *tk_worker_server(const tk_worker_t *w);
/* 0, 1, ...: which of the worker's threads in this child. */
int tk_worker_index(const tk_worker_t *w);

void tk_worker_register_hooks(apr_pool_t *p);

/* A database connection of the worker's child, from mod_dbd's pool,
 * as a tk_db_t whose statements are prepared (again, when its server
 * session is new).  NULL when there is none. */
tk_db_t *tk_worker_db(const tk_worker_t *w, apr_pool_t *p, ap_dbd_t **dbd);

/* ---------------------------------------------------------------------
 * The relay (tk_relay.c) and jobs (tk_jobs.c, tk_purge.c)
 * ------------------------------------------------------------------- */

void tk_relay_register_hooks(apr_pool_t *p);

/* After a job's own commit that wrote live events: wake every host's
 * relay (the wake statement, committed on its own; a failure only delays
 * the events until the relay's next read). */
void tk_relay_wake(tk_db_t *db);

/* Enqueue a job inside the caller's transaction (it runs only if that
 * commits): kind, JSON payload text (NULL: {}), delay in seconds before
 * it may run, attempts before it is marked failed (0: the default).  The
 * workers are woken after the commit.  TK_OK or TK_FAIL. */
int tk_job_enqueue(tk_ctx_t *c, const char *kind, const char *payload,
                   int delay, int max_attempts);

/* Register a job kind (post_config). */
apr_status_t tk_job_register(const char *kind, tickets_job_fn *fn);
/* The same with an interval (seconds, 0: not periodic): a periodic kind
 * always has one job waiting, due that long after the last finished; and
 * flags: */
#define TK_JOB_OWN_TRANSACTIONS 0x1     /* fn commits as it goes: it runs
                                         * outside the done transaction */
apr_status_t tk_job_register_kind(const char *kind, tickets_job_fn *fn,
                                  int every, int flags);

/* Jobs by state and kind, as JSON {"kinds": {kind: {state: n}}, "total":
 * {state: n}}, owned by c's pool; NULL with c->err on failure. */
json_t *tk_jobs_stats(tk_ctx_t *c);

/* Wake every job worker of this host (the listener calls it when the
 * database notified tickets_jobs). */
void tk_jobs_wake(void);

/* The connection a job was handed, as a tk_db_t for TK_SELECT/TK_EXEC. */
void tk_job_db(tickets_job_t *job, tk_db_t *db);

void tk_jobs_register_hooks(apr_pool_t *p);
void tk_purge_register_hooks(apr_pool_t *p);

/* ---------------------------------------------------------------------
 * Jobs that call out over HTTP (tk_outbound.c)
 * ------------------------------------------------------------------- */

/* This worker thread's open connections for the kind that names them
 * key, made on first use and kept while the thread lives; NULL when curl
 * cannot make them (each request then connects on its own). */
struct tk_http_conns_t *tk_job_conns(tickets_job_t *job, const char *key);
/* A call must end within its job's lease, or another worker takes the
 * job over and calls again while the first one still waits: the first
 * server running job workers whose timeout (the int field of
 * tk_srv_conf_t at timeout_offset) is not shorter than its
 * TicketsJobLease, or NULL. */
server_rec *tk_job_outlasting(server_rec *main, size_t timeout_offset);
/* libcurl, once per process (post_config). */
void tk_outbound_register_hooks(apr_pool_t *p);

/* ---------------------------------------------------------------------
 * Delivery of replies to the platforms (tk_send.c)
 * ------------------------------------------------------------------- */

#define TK_SEND_JOB "message.send"
/* Attempts of a delivery: the queue's backoff (1 s doubling, with
 * jitter) spreads ten over about eight minutes. */
#define TK_SEND_ATTEMPTS 10
/* The sweep of replies whose delivery stopped (TK_SEND_SWEEP_EVERY s). */
#define TK_SEND_SWEEP "message.sweep"
#define TK_SEND_SWEEP_EVERY 60
void tk_send_register_hooks(apr_pool_t *p);

/* ---------------------------------------------------------------------
 * Outbound webhook deliveries (tk_deliver.c)
 * ------------------------------------------------------------------- */

/* The kind of the jobs sql/migrations/011 makes; their attempts are
 * TK_STDWEBHOOK_ATTEMPTS (the SQL says 10). */
#define TK_DELIVER_JOB "webhook.deliver"
#define TK_DELIVER_SWEEP "webhook.sweep"
#define TK_DELIVER_SWEEP_EVERY 60

/* Whether a subscription may send to url, from server s: its host
 * resolved now (within TicketsHttpConnectTimeout) and every address
 * checked (no reserved or link-local one, no loopback or private one
 * unless TicketsWebhookAllowLocal, never one of this server's
 * listeners).  TK_TARGET_OK, or TK_TARGET_REFUSED / TK_TARGET_UNRESOLVED
 * with *why a sentence.  Each attempt checks again, as it connects. */
#define TK_TARGET_OK            0
#define TK_TARGET_REFUSED       (-1)
#define TK_TARGET_UNRESOLVED    (-2)
int tk_webhook_target(server_rec *s, apr_pool_t *p, const char *url,
                      const char **why);
void tk_deliver_register_hooks(apr_pool_t *p);

#endif
