/* mod_tickets.h: what mod_tickets offers other modules, and what it asks of
 * them; the one header mod_tickets and mod_tickets_sse share.
 *
 * The two modules never link against each other: each exports APR
 * optional functions, retrieved by the other when needed, so either module
 * loads and works without the other (as mod_http2.h does for mod_proxy_http2).
 *
 *   tickets_sse_publish   (exported by mod_tickets_sse)  append an event,
 *                         with its position in the event log, to the
 *                         shared ring; every stream of every child sees it.
 *                         mod_tickets' relay calls it for each committed
 *                         event, in position order.
 *   tickets_sse_position  (exported by mod_tickets_sse)  the position of
 *                         the last event in the ring: where the relay goes
 *                         on from.
 *   tickets_identify      (exported by mod_tickets)  who is calling, as the
 *                         REST API's authentication found them; the stream
 *                         handler uses it to decide what a stream may see.
 *   tickets_events_read   (exported by mod_tickets)  events of the log
 *                         (PostgreSQL) after a position: how a stream
 *                         catches up when the ring has moved past it.
 *   tickets_events_newest (exported by mod_tickets)  an organization's
 *                         newest event: where a new stream tells its
 *                         client it starts.
 *   tickets_job_register  (exported by mod_tickets)  a kind of background
 *                         job and the function that runs it (docs/jobs.md).
 *
 * A position is two numbers, the writing transaction and the row (see
 * sql/migrations/004_stream_events.sql); it is also the event's id on the
 * wire ("X-N").
 *
 * This header needs APR only (request_rec and server_rec are named by
 * their struct tags), so library code may use its constants too.
 */
#ifndef MOD_TICKETS_PUBLIC_H
#define MOD_TICKETS_PUBLIC_H

#include <apr_hash.h>
#include <apr_optional.h>
#include <apr_tables.h>
#include <apr_time.h>

struct request_rec;
struct server_rec;

/* ---------------------------------------------------------------------
 * Error documents
 *
 * A module that refuses a request under /api before any body is written
 * sets these two notes and returns the HTTP status; mod_tickets' /api
 * ErrorDocument renders them as {"error": {code, message, requestId}}.
 * ------------------------------------------------------------------- */

#define TICKETS_NOTE_ERROR_CODE     "tickets-error-code"
#define TICKETS_NOTE_ERROR_MESSAGE  "tickets-error-message"

/* The handler (SetHandler) of mod_tickets_sse's <Location> blocks. */
#define TICKETS_SSE_HANDLER         "tickets-sse"

/* The error codes of SPEC section 4, as sent. */
#define TICKETS_E_VALIDATION        "VALIDATION_ERROR"
#define TICKETS_E_INVALID_JSON      "INVALID_JSON"
#define TICKETS_E_INVALID_QUERY     "INVALID_QUERY"
#define TICKETS_E_UNAUTHENTICATED   "UNAUTHENTICATED"
#define TICKETS_E_FORBIDDEN         "FORBIDDEN"
#define TICKETS_E_NOT_FOUND         "NOT_FOUND"
#define TICKETS_E_METHOD_NOT_ALLOWED "METHOD_NOT_ALLOWED"
#define TICKETS_E_INVALID_TRANSITION "INVALID_TRANSITION"
#define TICKETS_E_CONFLICT          "CONFLICT"
#define TICKETS_E_PRECONDITION_FAILED "PRECONDITION_FAILED"
#define TICKETS_E_PAYLOAD_TOO_LARGE "PAYLOAD_TOO_LARGE"
#define TICKETS_E_UNSUPPORTED_MEDIA_TYPE "UNSUPPORTED_MEDIA_TYPE"
#define TICKETS_E_INVALID_SIGNATURE "INVALID_SIGNATURE"
#define TICKETS_E_RATE_LIMITED      "RATE_LIMITED"
#define TICKETS_E_DB_UNAVAILABLE    "DB_UNAVAILABLE"
#define TICKETS_E_AI_UNAVAILABLE    "AI_UNAVAILABLE"
#define TICKETS_E_AI_BUDGET_EXCEEDED "AI_BUDGET_EXCEEDED"
#define TICKETS_E_BAD_REQUEST       "BAD_REQUEST"
#define TICKETS_E_INTERNAL          "INTERNAL"

/* ---------------------------------------------------------------------
 * Identity
 * ------------------------------------------------------------------- */

/* The caller of a request, as mod_tickets resolved them (NUL-terminated
 * copies, so they outlive nothing but the struct). */
typedef struct {
    char org[40];               /* organization uuid */
    char user[40];              /* user uuid */
    char role[16];              /* "admin", "agent", "viewer", "customer" */
    char credential[24];        /* what authenticated the caller, when it
                                 * can be revoked: "s:<16 hex>" for a
                                 * session cookie, "t:<16 hex>" for an API
                                 * token (the start of its SHA-256), else
                                 * "" */
} tickets_identity_t;

/* Resolve who is calling r.  OK with *out filled; otherwise an HTTP
 * status (401 anonymous, 403, 503 database unavailable, 500), with
 * nothing written to the client and the error notes set. */
APR_DECLARE_OPTIONAL_FN(int, tickets_identify,
                        (struct request_rec *r, tickets_identity_t *out));

/* ---------------------------------------------------------------------
 * Live events
 * ------------------------------------------------------------------- */

/* The event that ends streams and forgets cached credentials; never sent
 * to any client.  Its data is exactly {"credential":"<name>"} (one
 * revoked session or token, see tickets_identity_t) or {"user":"<uuid>"}
 * (every credential of a user whose account changed: disabled, role or
 * password). */
#define TICKETS_EVENT_REVOKED       "credential_revoked"

/* One committed event.  Strings are NUL-terminated; "" when absent. */
typedef struct {
    apr_uint64_t pos[2];        /* its position, the event id */
    apr_time_t written;         /* when its transaction wrote it (0:
                                 * unknown) */
    int ready;                  /* tickets_events_read only: 0 when an
                                 * earlier event may still commit; this one
                                 * and every later one must be read again
                                 * later */
    const char *org;            /* organization uuid */
    const char *type;           /* "ticket_created", ... */
    const char *ticket;         /* ticket uuid */
    const char *conversation;   /* conversation uuid */
    const char *audience[2];    /* customer users who may see it */
    int staff_only;             /* never shown to customers */
    const char *data;           /* the JSON document sent as data:, NULL
                                 * for an event of another organization
                                 * than the one asked for */
    apr_size_t data_len;
} tickets_event_t;

/* Append ev (at ev->pos) to the ring.  APR_SUCCESS; APR_EEXIST when the
 * ring already holds that position or a later one (another feeder
 * appended it: nothing to do); APR_EINVAL when ev cannot be encoded;
 * APR_ENOSPC when it can never fit the ring; APR_EGENERAL when the ring
 * is not available. */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_sse_publish,
                        (const tickets_event_t *ev));

/* The position of the last event appended to the ring ({0, 0} when none
 * ever was).  APR_EGENERAL when the ring is not available. */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_sse_position,
                        (apr_uint64_t pos[2]));

/* Events after position pos, in order, for r: at most n, and no more
 * than about max_bytes of data (always at least one); only org's events
 * carry their data.  With check set, first make sure pos itself is still
 * in the log.  APR_SUCCESS with *events (of tickets_event_t, allocated
 * from p; fewer than n when the log ends there or the bytes ran out);
 * APR_NOTFOUND when check is set and pos is not in the log (purged, or
 * never an event); APR_EGENERAL when the database failed (logged).  The
 * database connection is taken for the call only, and nothing is
 * allocated from r->pool, so a stream may call it again and again. */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_events_read,
                        (struct request_rec *r, apr_pool_t *p,
                         const apr_uint64_t pos[2], int check,
                         const char *org, int n, apr_size_t max_bytes,
                         apr_array_header_t **events));

/* The position of org's newest event that every stream may start after
 * (its transaction and every earlier one have ended), in pos.
 * APR_SUCCESS; APR_NOTFOUND when the log holds no event of org;
 * APR_EGENERAL when the database failed (logged). */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_events_newest,
                        (struct request_rec *r, const char *org,
                         apr_uint64_t pos[2]));

/* ---------------------------------------------------------------------
 * Background jobs (docs/jobs.md)
 * ------------------------------------------------------------------- */

/* A claimed job, handed to its kind's function. */
typedef struct {
    const char *id;             /* the job's uuid */
    const char *kind;
    const char *payload;        /* its JSON payload, as enqueued */
    int attempt;                /* 1 on the first run */
    int max_attempts;
    struct server_rec *s;
    apr_pool_t *pool;           /* cleared after the job */
    /* The database, inside the transaction that will mark the job done:
     * what the function writes here commits exactly when the job does
     * (apr_dbd driver and handle, mod_dbd's prepared statements). */
    const void *dbd_driver;     /* const apr_dbd_driver_t * */
    void *dbd_handle;           /* apr_dbd_t * */
    apr_hash_t *dbd_prepared;   /* label -> apr_dbd_prepared_t * */
    const char *error;          /* set by a failing function: recorded */
    double retry_after;         /* set by a function returning RETRY:
                                 * seconds before the next attempt (a
                                 * platform's Retry-After); 0: the
                                 * queue's backoff */
    apr_pool_t *worker_pool;    /* lives as long as the worker's thread:
                                 * where a kind keeps what its runs on
                                 * this thread share (open connections) */
} tickets_job_t;

/* A job's outcome. */
typedef enum {
    TICKETS_JOB_DONE = 0,       /* commit: the job is done */
    TICKETS_JOB_RETRY,          /* roll back; run again after a backoff, or
                                 * mark it failed after its last attempt */
    TICKETS_JOB_FAIL            /* roll back; mark it failed now */
} tickets_job_rc_t;

typedef tickets_job_rc_t tickets_job_fn(tickets_job_t *job);

/* Register the function of a job kind (letters, digits, '_' and '.'; at
 * most 63).  Call from a pre_config or post_config hook (the table is
 * read-only once children start); a kind registered twice keeps the last
 * function.  APR_SUCCESS, APR_EINVAL for a bad kind, or APR_ENOSPC when
 * 64 kinds are registered already. */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_job_register,
                        (const char *kind, tickets_job_fn *fn));

#endif
