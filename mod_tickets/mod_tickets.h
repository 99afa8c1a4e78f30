/* mod_tickets.h: what the httpd glue files of mod_tickets share.
 *
 * The module is a thin layer over the tk_* library: mod_tickets.c holds the
 * module record and hooks, mod_tickets_config.c the directives,
 * mod_tickets_request.c the per-request context (body, replies, errors,
 * database, idempotency), mod_tickets_auth.c authentication, and one
 * handle_*.c file per resource holds its endpoints.  The router
 * (mod_tickets_router.c) maps method and path to those handlers.
 */
#ifndef MOD_TICKETS_H
#define MOD_TICKETS_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <apr_dbd.h>
#include <mod_dbd.h>
#include <jansson.h>

#include "tk_error.h"
#include "tk_db.h"
#include "tk_cache.h"

APLOG_USE_MODULE(tickets);
extern module AP_MODULE_DECLARE_DATA tickets_module;

/* ---------------------------------------------------------------------
 * Configuration (defaults in mod_tickets_config.c and conf/tickets.conf)
 * ------------------------------------------------------------------- */

typedef struct {
    const char *cookie_name;
    int cookie_secure;              /* -1 unset */
    int session_lifetime;           /* seconds */
    int credential_ttl;             /* seconds; 0 disables the cache */
    int credential_slots;
    int idempotency_ttl;            /* seconds */
    int event_retention;            /* seconds (main server's is used) */
} tk_srv_conf_t;

typedef struct {
    apr_off_t max_body;             /* bytes; -1 unset */
    int default_page;
    int max_page;
} tk_dir_conf_t;

extern const command_rec tk_cmds[];
void *tk_create_srv_conf(apr_pool_t *p, server_rec *s);
void *tk_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
void *tk_create_dir_conf(apr_pool_t *p, char *dir);
void *tk_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
const tk_srv_conf_t *tk_srv_conf(const server_rec *s);
void tk_srv_conf_finish(server_rec *s);
const tk_dir_conf_t *tk_dir_conf(const request_rec *r);

/* ---------------------------------------------------------------------
 * Identity
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

/* ---------------------------------------------------------------------
 * Per-request context
 * ------------------------------------------------------------------- */

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
} tk_ctx_t;

/* Handler results: the response is written, or c->err says what failed
 * (the router writes it and rolls back any open transaction). */
#define TK_DONE 0
#define TK_FAIL 1
#define TK_GO   2       /* tk_idem_begin: nothing stored, go on */

typedef int tk_handler_fn(tk_ctx_t *c);

tk_ctx_t *tk_ctx_get(request_rec *r);
const char *tk_request_id(request_rec *r);

/* Fail with code/field/message; returns TK_FAIL. */
int tk_fail(tk_ctx_t *c, tk_ecode_t code, const char *field,
            const char *message);
/* Write c->err as the response. */
void tk_send_error(tk_ctx_t *c);
/* Refuse from a hook, before any handler writes: note code and message for
 * the /api ErrorDocument (which renders them as JSON), set the headers of
 * the status, and return the status for the hook to return. */
int tk_refuse(request_rec *r, tk_ecode_t code, const char *message);
/* Write a JSON response (status, document). */
int tk_send_json(tk_ctx_t *c, int status, json_t *doc);
/* Write a JSON response whose text PostgreSQL serialized (jsonb::text). */
int tk_send_text(tk_ctx_t *c, int status, const char *body);
/* Write {"data": doc} with an optional ETag. */
int tk_send_data(tk_ctx_t *c, int status, json_t *doc, const char *etag);
/* {"data": doc}, owned by the request. */
json_t *tk_wrap_data(tk_ctx_t *c, json_t *doc);

/* Write {"data": [col 0 of each row], "total", "limit", "offset"}; rows
 * carry the total in col 1 (count(*) OVER ()). */
int tk_send_list(tk_ctx_t *c, const tk_rows_t *rows, long total, int limit,
                 int offset);
/* The total of such rows, or -1 when there are none. */
long tk_rows_total(const tk_rows_t *rows);

/* Fetch one page of a list query into *rows. */
typedef int tk_page_fn(tk_ctx_t *c, const void *data, int limit, int offset,
                       tk_rows_t **rows);
/* Fetch the page and send it as a list; a page past the end still reports
 * the total, counted from the first page. */
int tk_send_page(tk_ctx_t *c, tk_page_fn *fetch, const void *data,
                 int limit, int offset);

/* Read and parse the JSON object body (Content-Type, size limit). */
int tk_read_json(tk_ctx_t *c);

/* Role checks: TK_FAIL with FORBIDDEN unless allowed. */
int tk_require_staff(tk_ctx_t *c);
int tk_require_writer(tk_ctx_t *c);
int tk_require_admin(tk_ctx_t *c);
int tk_is_customer(const tk_ctx_t *c);

/* Database through mod_dbd; these log and set c->err on failure. */
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

#define TK_SQL_SELECT(c, label, rows, ...) \
    tk_sql_select((c), (label), (rows), TK_NARGS(__VA_ARGS__), TK_ARGV(__VA_ARGS__))
#define TK_SQL_EXEC(c, label, affected, ...) \
    tk_sql_exec((c), (label), (affected), TK_NARGS(__VA_ARGS__), TK_ARGV(__VA_ARGS__))

/* Every statement of sql/queries.sql (mod_tickets.c). */
const tk_query_t *tk_query_catalogue(int *n);
/* Prepare the catalogue again on this request's connection (after the
 * server lost it); 0 on success. */
int tk_sql_reprepare(tk_ctx_t *c);
/* Outside a transaction: 1 when the connection's session had lost our
 * statements, which are then prepared again. */
int tk_sql_renewed(tk_ctx_t *c);

/* Parse a JSON document column from PostgreSQL (owned by the request). */
json_t *tk_doc(tk_ctx_t *c, const char *text);

/* Idempotency-Key for creating POSTs.  Call inside the transaction before
 * creating: TK_DONE means a stored answer was replayed (transaction ended),
 * TK_FAIL a conflict; TK_GO means go on, and call tk_idem_store() before
 * committing. */
int tk_idem_begin(tk_ctx_t *c);
/* Store the answer (status, body, and the Location and ETag headers already
 * set on the response) for replays. */
int tk_idem_store(tk_ctx_t *c, int status, json_t *response);

/* ---------------------------------------------------------------------
 * Authentication (mod_tickets_auth.c)
 * ------------------------------------------------------------------- */

int tk_check_authn(request_rec *r);
/* child_init: make this child's verified-credential cache. */
void tk_auth_child_init(apr_pool_t *pchild, server_rec *s);
/* post_config: the host's revocation count in shared memory. */
int tk_auth_post_config(apr_pool_t *pconf, server_rec *s);
/* A credential was revoked (here or on another host): every child stops
 * trusting what its credential cache holds. */
void tk_auth_revoked(void);
/* Resolve who is calling: our authn result, or r->user set by another
 * module matched by email.  TK_FAIL only when the database fails. */
int tk_resolve_identity(tk_ctx_t *c);

/* ---------------------------------------------------------------------
 * Live events (mod_tickets_events.c, mod_tickets_relay.c)
 * ------------------------------------------------------------------- */

/* Write a ticket's live event into the log, inside the transaction of the
 * change (before its commit): TK_DONE or TK_FAIL.  The audience is read
 * from the ticket; staff_only keeps it from customers. */
int tk_stream_ticket(tk_ctx_t *c, const char *type, const char *ticket_id,
                     json_t *data, int staff_only);
/* Write a credential_revoked event for credential (see
 * tickets_identity_t), inside the revoking transaction: the streams that
 * credential opened end. */
int tk_stream_revoked(tk_ctx_t *c, const char *credential);
/* "<kind>:<first 16 of hash>" into out. */
void tk_credential_name(char *out, apr_size_t size, char kind,
                        const char *hash);
/* Rows of stream_events_after as tickets_event_t (pointing into rows);
 * -1 when a position is malformed. */
int tk_stream_rows(apr_pool_t *p, const tk_rows_t *rows,
                   apr_array_header_t **events);
/* A decimal column (a position's xid or id) as a 64-bit number; -1 when
 * it is not one. */
int tk_parse_u64(const char *s, apr_uint64_t *out);
/* v in decimal, from p. */
const char *tk_u64_text(apr_pool_t *p, apr_uint64_t v);
/* The relay: a thread per child, one of which (per host) carries
 * committed events from the log into mod_tickets_sse's ring. */
void tk_relay_pre_config(apr_pool_t *pconf);
int tk_relay_post_config(apr_pool_t *pconf, server_rec *s);
void tk_relay_child_init(apr_pool_t *pchild, server_rec *s);

/* A copy of ticket (owned by the request) with "changes": {field:
 * {before, after}} from up to two tk_json_diff results (either NULL);
 * NULL when ticket is NULL. */
json_t *tk_event_changes(tk_ctx_t *c, json_t *ticket, json_t *diff0,
                         json_t *diff1);

/* ---------------------------------------------------------------------
 * Routing and handlers
 * ------------------------------------------------------------------- */

int tk_route(tk_ctx_t *c);
int tk_error_document(request_rec *r);

/* handle_health.c */
int tk_handle_health(tk_ctx_t *c);
/* handle_auth.c */
int tk_handle_login(tk_ctx_t *c);
int tk_handle_logout(tk_ctx_t *c);
int tk_handle_me(tk_ctx_t *c);
/* handle_tokens.c */
int tk_handle_tokens_list(tk_ctx_t *c);
int tk_handle_tokens_create(tk_ctx_t *c);
int tk_handle_tokens_revoke(tk_ctx_t *c);
/* handle_tickets.c */
int tk_handle_tickets_list(tk_ctx_t *c);
int tk_handle_tickets_search(tk_ctx_t *c);
int tk_handle_tickets_create(tk_ctx_t *c);
int tk_handle_tickets_get(tk_ctx_t *c);
int tk_handle_tickets_update(tk_ctx_t *c);
int tk_handle_tickets_delete(tk_ctx_t *c);
int tk_handle_tickets_status(tk_ctx_t *c);
/* handle_messages.c */
int tk_handle_messages_create(tk_ctx_t *c);
int tk_handle_events_list(tk_ctx_t *c);

#endif
