/* tk_request.h: one API request, as every handler sees it.
 *
 * The request area holds what any endpoint needs, whatever its resource:
 *
 *   tk_context.c  the per-request context (tk_ctx_t) and the caller
 *   tk_reply.c    answers: JSON documents, lists, errors, refusals
 *   tk_body.c     the JSON body, read within its limit
 *   tk_sql.c      the database through mod_dbd: statements, transactions,
 *                 pooled connections that went stale
 *   tk_idem.c     Idempotency-Key on creating POSTs
 *   tk_shm.c      shared memory of the host, kept across graceful restarts
 *
 * Return codes.  A step (reading the body, a role check, a statement)
 * returns TK_OK and writes nothing, or TK_FAIL with c->err saying what
 * failed; steps chain with ||.  A handler returns TK_SENT once its answer
 * is written, or TK_FAIL, and the router then writes c->err and rolls back
 * any open transaction, so an early return never leaves a half-done
 * change.  Idempotency has its own three outcomes (tk_idem_rc_t).
 */
#ifndef TK_REQUEST_H
#define TK_REQUEST_H

#include <apr_dbd.h>
#include <mod_dbd.h>
#include <jansson.h>
#include "tk_glue.h"
#include "config/tk_config.h"
#include "core/tk_error.h"
#include "db/tk_db.h"

/* ---------------------------------------------------------------------
 * Return codes
 * ------------------------------------------------------------------- */

#define TK_OK       0       /* a step succeeded; nothing written */
#define TK_FAIL     1       /* a step or handler failed: c->err says why */
#define TK_SENT     2       /* a handler wrote its answer */

/* ---------------------------------------------------------------------
 * The caller and the context
 * ------------------------------------------------------------------- */

typedef enum {
    TK_VIA_BASIC = 1, TK_VIA_BEARER, TK_VIA_COOKIE, TK_VIA_EXTERNAL
} tk_via_t;

typedef struct {
    char user_id[40];
    char org_id[40];
    char role[16];
    char email[256];
    char name[128];
    int via;
    char credential[24];            /* see tickets_identity_t */
} tk_identity_t;

/* The answer of a handler called from within the module (a tool the
 * assistant calls, handlers/tk_router.c's tk_call): kept here instead
 * of written to the client. */
typedef struct {
    int status;
    const char *body;           /* NULL for 204 and 304 */
} tk_capture_t;

typedef struct tk_ctx_t {
    request_rec *r;
    const tk_srv_conf_t *sconf;
    const tk_dir_conf_t *dconf;
    const char *request_id;
    const tk_identity_t *who;       /* NULL when anonymous */
    tk_err_t err;                   /* set when a step fails */
    tk_db_t *db;                    /* acquired on first use */
    ap_dbd_t *dbd;                  /* mod_dbd's connection behind db */
    const char *params[4];          /* captured path segments */
    apr_table_t *query;
    json_t *body;
    const char *raw_body;
    apr_size_t raw_len;
    const char *idem_key;           /* Idempotency-Key of this request */
    int db_failed;                  /* a statement failed */
    int commit_failed;              /* a COMMIT failed: outcome unknown */
    int stream_written;             /* the open transaction wrote live
                                     * events: wake the relays at commit */
    int jobs_written;               /* ... enqueued jobs: wake the workers */
    tk_capture_t *capture;          /* non-NULL: answers are kept there */
    int no_rerun;                   /* the handler committed more than one
                                     * change: never run it again */
    const char *chat_session_id;    /* a ticket created is of this agent
                                     * chat session (source chat) */
} tk_ctx_t;

typedef int tk_handler_fn(tk_ctx_t *c);

tk_ctx_t *tk_ctx_get(request_rec *r);
const char *tk_request_id(request_rec *r);

/* Role checks: TK_FAIL with FORBIDDEN unless allowed. */
int tk_require_staff(tk_ctx_t *c);
int tk_require_writer(tk_ctx_t *c);
int tk_require_admin(tk_ctx_t *c);
int tk_is_customer(const tk_ctx_t *c);

/* ---------------------------------------------------------------------
 * Answers (tk_reply.c)
 * ------------------------------------------------------------------- */

/* Fail with code/field/message: TK_FAIL. */
int tk_fail(tk_ctx_t *c, tk_ecode_t code, const char *field,
            const char *message);
/* The same for the usual failures. */
int tk_not_found(tk_ctx_t *c, const char *message);
int tk_internal(tk_ctx_t *c);
/* Write c->err as the answer. */
void tk_send_error(tk_ctx_t *c);
/* The /api ErrorDocument: the refused request (c->r->prev) as the error
 * document, with the code and message its refusal noted. */
int tk_error_document(tk_ctx_t *c);
/* The error filter for httpd's own refusals (tk_reply.c). */
void tk_reply_register_hooks(apr_pool_t *p);
/* Refuse from a hook, before any handler writes: note code and message for
 * the /api ErrorDocument (which renders them as JSON), set the headers of
 * the status, and return the status for the hook to return. */
int tk_refuse(request_rec *r, tk_ecode_t code, const char *message);
/* Write a JSON answer (status, document): TK_SENT. */
int tk_send_json(tk_ctx_t *c, int status, json_t *doc);
/* Write a JSON answer whose text PostgreSQL serialized (jsonb::text). */
int tk_send_text(tk_ctx_t *c, int status, const char *body);
/* The same for a body of another Content-Type (a text/plain rendering). */
int tk_send_typed(tk_ctx_t *c, int status, const char *type, const char *body);
/* Write {"data": doc} with an optional ETag. */
int tk_send_data(tk_ctx_t *c, int status, json_t *doc, const char *etag);
/* 204, no body. */
int tk_send_no_content(tk_ctx_t *c);
/* {"data": doc}, owned by the request. */
json_t *tk_wrap_data(tk_ctx_t *c, json_t *doc);

/* Write {"data": [col 0 of each row], "total", "limit", "offset"}; rows
 * carry the total in col 1 (count(*) OVER ()). */
int tk_send_list(tk_ctx_t *c, const tk_rows_t *rows, long total, int limit,
                 int offset);
/* The total of such rows, or -1 when there are none. */
long tk_rows_total(const tk_rows_t *rows);

/* Fetch one page of a list query into *rows: TK_OK or TK_FAIL. */
typedef int tk_page_fn(tk_ctx_t *c, const void *data, int limit, int offset,
                       tk_rows_t **rows);
/* Fetch the page and send it as a list; a page past the end still reports
 * the total, counted from the first page. */
int tk_send_page(tk_ctx_t *c, tk_page_fn *fetch, const void *data,
                 int limit, int offset);
/* The same for an endpoint whose query string is only limit and offset
 * (TK_FAIL on anything else). */
int tk_send_paged(tk_ctx_t *c, tk_page_fn *fetch, const void *data);

/* ---------------------------------------------------------------------
 * The body (tk_body.c)
 * ------------------------------------------------------------------- */

/* Read and parse the JSON object body (Content-Type, size limit) into
 * c->body and c->raw_body. */
int tk_read_json(tk_ctx_t *c);
/* Read the body as it came, any Content-Type, within the size limit,
 * into c->raw_body and c->raw_len (NUL-terminated). */
int tk_read_raw(tk_ctx_t *c);
/* The declared Content-Length (-1: none) checked against limit before
 * anything is read: TK_FAIL with 400 when malformed, or 413 (field and
 * too_large its message; NULL: the body's limit is named). */
int tk_body_declared(tk_ctx_t *c, apr_off_t limit, const char *field,
                     const char *too_large, apr_off_t *declared);
/* Stream the body (dechunked) to fn in chunks of at most TK_CHUNK_SIZE
 * bytes, none kept: TK_OK, or TK_FAIL (fn's *err, or 400). */
#define TK_CHUNK_SIZE 65536
typedef int tk_chunk_fn(void *baton, const char *data, apr_size_t len,
                        tk_err_t *err);
int tk_read_chunks(tk_ctx_t *c, tk_chunk_fn *fn, void *baton);

/* ---------------------------------------------------------------------
 * Single resources (tk_resource.c)
 * ------------------------------------------------------------------- */

/* Answer GET of one resource from rows of (document, version): 404 with
 * missing when there is none, 304 for a matching If-None-Match, else
 * {"data": doc} with its ETag. */
int tk_send_resource(tk_ctx_t *c, const tk_rows_t *rows,
                     const char *missing);

/* After a statement that locked one resource (cols id, version, ...):
 * TK_FAIL with 404 (missing) when there is none, or 412 when If-Match
 * names another version. */
int tk_check_locked(tk_ctx_t *c, const tk_rows_t *rows, const char *missing);

/* ---------------------------------------------------------------------
 * The database (tk_sql.c); failures are logged and set c->err
 * ------------------------------------------------------------------- */

tk_db_t *tk_db(tk_ctx_t *c);
/* Give the connection back now (any open transaction is rolled back);
 * the next tk_db() takes one again. */
void tk_db_release(tk_ctx_t *c);
int tk_sql_select(tk_ctx_t *c, const char *label, tk_rows_t **rows,
                  int nargs, const char *const *args);
int tk_sql_exec(tk_ctx_t *c, const char *label, int *affected,
                int nargs, const char *const *args);
int tk_sql_begin(tk_ctx_t *c);
int tk_sql_commit(tk_ctx_t *c);
/* After a change made by one statement outside a transaction (it
 * committed on its own): wake the relays or workers as tk_sql_commit
 * does.  TK_OK. */
int tk_sql_committed(tk_ctx_t *c);

/* TK_SQL_SELECT(c, label, &rows, arg1, ...): the statement `-- name:
 * label` of sql/queries.sql; the number of arguments is checked when
 * compiled (see TK_SELECT in lib/db/tk_db.h). */
#define TK_SQL_SELECT(c, label, rows, ...) \
    tk_sql_select((c), TKQ_##label, (rows), \
                  TK_NARGS(__VA_ARGS__) + (int)TK_ARGS_CHECK(label, __VA_ARGS__), \
                  TK_ARGV(__VA_ARGS__))
#define TK_SQL_EXEC(c, label, affected, ...) \
    tk_sql_exec((c), TKQ_##label, (affected), \
                TK_NARGS(__VA_ARGS__) + (int)TK_ARGS_CHECK(label, __VA_ARGS__), \
                TK_ARGV(__VA_ARGS__))

/* A connection of server s's pool for work outside a request (a worker,
 * a stream catching up): checked and with its statements prepared, its
 * allocations in p.  NULL when none can be had.  Give it back with
 * ap_dbd_close(s, *dbd). */
tk_db_t *tk_db_open(server_rec *s, apr_pool_t *p, ap_dbd_t **dbd);

/* Outside a transaction: 1 when the connection's session had lost our
 * statements, which are then prepared again. */
int tk_sql_renewed(tk_ctx_t *c);

/* Parse a JSON document column from PostgreSQL (owned by the request);
 * NULL with c->err set when it is malformed. */
json_t *tk_doc(tk_ctx_t *c, const char *text);
/* The document in column 0 of the only row; NULL (c->err INTERNAL) when
 * there is no such row. */
json_t *tk_doc_row(tk_ctx_t *c, const tk_rows_t *rows);

/* "true" or "false", for boolean parameters. */
const char *tk_bool(int v);

/* ---------------------------------------------------------------------
 * Idempotency-Key (tk_idem.c)
 * ------------------------------------------------------------------- */

typedef enum {
    TK_IDEM_NEW = 0,        /* go on: create, then tk_idem_store() */
    TK_IDEM_REPLAYED,       /* the first answer was sent again; the
                             * transaction is ended */
    TK_IDEM_FAILED          /* c->err: a conflict, a bad key, the database */
} tk_idem_rc_t;

/* Call inside the creating transaction, before creating. */
tk_idem_rc_t tk_idem_begin(tk_ctx_t *c);
/* Store the answer (status, body, and the Location and ETag headers already
 * set on the response) for replays: TK_OK or TK_FAIL. */
int tk_idem_store(tk_ctx_t *c, int status, json_t *response);

/* ---------------------------------------------------------------------
 * The host's shared memory (tk_shm.c)
 * ------------------------------------------------------------------- */

/* ---------------------------------------------------------------------
 * Rate limits (tk_limit.c, docs/ratelimits.md)
 * ------------------------------------------------------------------- */

/* TicketsRateLimit for this request: TK_OK (its RateLimit-* headers set)
 * or TK_FAIL with 429 and Retry-After. */
int tk_limit_request(tk_ctx_t *c);
/* Before checking a password of email: with count, counts the attempt
 * against the account and the address, up front (guesses sent at once
 * cannot all pass before one is counted); without, only looks.  1
 * (c->err: 429) when either is held back by TicketsLoginFailureLimit. */
int tk_limit_login_blocked(tk_ctx_t *c, const char *email, int count);
/* After the right password: the attempt is given back, so only failures
 * stay counted. */
void tk_limit_login_ok(tk_ctx_t *c, const char *email);
void tk_limit_register_hooks(apr_pool_t *p);

/* size bytes of shared memory under key, made zeroed by the first call
 * (post_config, not the pre-config pass) and found again by every later
 * generation; *fresh when this call made it.  NULL on failure (logged). */
void *tk_shm_host(server_rec *s, const char *key, apr_size_t size,
                  int *fresh);

#endif
