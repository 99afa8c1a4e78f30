/* mod_tickets_request.c: the per-request context and everything handlers
 * share: reading the JSON body within its limit, writing JSON answers and
 * errors, role checks, the database through mod_dbd, and Idempotency-Key.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include "mod_tickets.h"
#include "tk_json.h"
#include "tk_crypto.h"
#include "tk_status.h"
#include "tk_queries.h"

/* ---------------------------------------------------------------------
 * Context
 * ------------------------------------------------------------------- */

const char *tk_request_id(request_rec *r)
{
    const char *id;

    while (r->prev) {
        r = r->prev;
    }
    while (r->main) {
        r = r->main;
    }
    if (r->log_id) {
        return r->log_id;
    }
    id = apr_table_get(r->subprocess_env, "UNIQUE_ID");
    return id ? id : "-";
}

tk_ctx_t *tk_ctx_get(request_rec *r)
{
    tk_ctx_t *c = ap_get_module_config(r->request_config, &tickets_module);

    if (!c) {
        c = apr_pcalloc(r->pool, sizeof(*c));
        c->r = r;
        c->sconf = tk_srv_conf(r->server);
        c->dconf = tk_dir_conf(r);
        c->request_id = tk_request_id(r);
        ap_set_module_config(r->request_config, &tickets_module, c);
    }
    return c;
}

/* ---------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------- */

int tk_fail(tk_ctx_t *c, tk_ecode_t code, const char *field,
            const char *message)
{
    tk_err(&c->err, code, field, message);
    return TK_FAIL;
}

int tk_send_text(tk_ctx_t *c, int status, const char *body)
{
    request_rec *r = c->r;
    apr_size_t len = strlen(body);

    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "X-Request-Id", c->request_id);
    if (status != HTTP_NO_CONTENT && status != HTTP_NOT_MODIFIED) {
        ap_set_content_length(r, (apr_off_t)len);
        if (!r->header_only) {
            ap_rwrite(body, (int)len, r);
        }
    }
    return TK_DONE;
}

int tk_send_json(tk_ctx_t *c, int status, json_t *doc)
{
    const char *body = tk_json_dump(c->r->pool, doc);

    if (!body) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00030: response could not be serialized");
        return tk_send_text(c, HTTP_INTERNAL_SERVER_ERROR,
                            "{\"error\":{\"code\":\"INTERNAL\",\"message\":"
                            "\"An internal error occurred.\"}}");
    }
    return tk_send_text(c, status, body);
}

json_t *tk_wrap_data(tk_ctx_t *c, json_t *doc)
{
    json_t *wrap = tk_json_own(c->r->pool, json_object());

    json_object_set(wrap, "data", doc);
    return wrap;
}

int tk_send_data(tk_ctx_t *c, int status, json_t *doc, const char *etag)
{
    json_t *wrap = tk_wrap_data(c, doc);

    if (etag) {
        apr_table_setn(c->r->headers_out, "ETag", etag);
    }
    return tk_send_json(c, status, wrap);
}

long tk_rows_total(const tk_rows_t *rows)
{
    const char *t = tk_rows_get(rows, 0, 1);

    return t ? atol(t) : -1;
}

int tk_send_list(tk_ctx_t *c, const tk_rows_t *rows, long total, int limit,
                 int offset)
{
    json_t *list = tk_json_own(c->r->pool, json_object());
    json_t *data = json_array();
    int i;

    json_object_set_new(list, "data", data);
    for (i = 0; i < rows->nrows; ++i) {
        json_t *doc = tk_doc(c, tk_rows_get(rows, i, 0));
        if (!doc) {
            return TK_FAIL;
        }
        json_array_append(data, doc);
    }
    json_object_set_new(list, "total", json_integer(total < 0 ? 0 : total));
    json_object_set_new(list, "limit", json_integer(limit));
    json_object_set_new(list, "offset", json_integer(offset));
    return tk_send_json(c, HTTP_OK, list);
}

int tk_send_page(tk_ctx_t *c, tk_page_fn *fetch, const void *data,
                 int limit, int offset)
{
    tk_rows_t *rows, *first;
    long total;

    if (fetch(c, data, limit, offset, &rows)) {
        return TK_FAIL;
    }
    total = tk_rows_total(rows);
    if (total < 0 && offset > 0) {
        if (fetch(c, data, 1, 0, &first)) {
            return TK_FAIL;
        }
        total = tk_rows_total(first);
    }
    return tk_send_list(c, rows, total, limit, offset);
}

/* Headers that go with an error status, whoever writes the body. */
static void tk_error_headers(request_rec *r, int status)
{
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
    }
    if (status == HTTP_UNAUTHORIZED) {
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       "Bearer realm=\"tickets\"");
    }
}

int tk_refuse(request_rec *r, tk_ecode_t code, const char *message)
{
    int status = tk_ecode_status(code);

    apr_table_setn(r->notes, "tickets-error-code", tk_ecode_name(code));
    apr_table_setn(r->notes, "tickets-error-message",
                   message ? message : tk_status_sentence(status));
    tk_error_headers(r, status);
    return status;
}

void tk_send_error(tk_ctx_t *c)
{
    json_t *doc;
    int status;

    if (c->err.code == TK_E_NONE) {
        tk_err(&c->err, TK_E_INTERNAL, NULL, NULL);
    }
    status = tk_ecode_status(c->err.code);
    doc = tk_json_own(c->r->pool, tk_err_json(&c->err, c->request_id));
    apr_table_clear(c->r->headers_out);     /* no Location/ETag of a failure */
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        c->r->connection->keepalive = AP_CONN_CLOSE;
    }
    tk_error_headers(c->r, status);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, c->r,
                  "TK00031: %d %s: %s", status, tk_ecode_name(c->err.code),
                  c->err.message ? c->err.message : "");
    tk_send_json(c, status, doc);
}

/* ---------------------------------------------------------------------
 * Request body
 * ------------------------------------------------------------------- */

static int tk_is_json_type(const char *ct)
{
    size_t n = sizeof("application/json") - 1;

    return ct && strncasecmp(ct, "application/json", n) == 0
           && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int tk_too_large(tk_ctx_t *c, apr_off_t limit)
{
    return tk_fail(c, TK_E_PAYLOAD_TOO_LARGE, NULL,
                   apr_psprintf(c->r->pool, "The request body is larger than "
                                "the limit of %" APR_OFF_T_FMT " bytes.", limit));
}

/* Read the whole body into pool memory, never more than limit bytes: a
 * declared length is allocated once; a chunked body grows by doubling. */
static int tk_read_body(tk_ctx_t *c, apr_off_t declared, apr_off_t limit)
{
    request_rec *r = c->r;
    apr_size_t cap = declared >= 0 ? (apr_size_t)declared + 1 : 8192;
    apr_size_t len = 0;
    char *buf = apr_palloc(r->pool, cap);
    long n;

    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        return tk_fail(c, TK_E_BAD_REQUEST, NULL,
                       "The request body could not be read.");
    }
    if (ap_should_client_block(r)) {
        for (;;) {
            if (declared >= 0 && (apr_off_t)len == declared) {
                break;          /* all of it: no need to grow and look */
            }
            if (len + 1 >= cap) {
                /* Room for limit + 1 bytes tells "too large" from "full". */
                apr_size_t want = cap * 2;
                char *bigger;
                if ((apr_off_t)want > limit + 2) {
                    want = (apr_size_t)limit + 2;
                }
                if (want <= cap) {
                    return tk_too_large(c, limit);
                }
                bigger = apr_palloc(r->pool, want);
                memcpy(bigger, buf, len);
                buf = bigger;
                cap = want;
            }
            n = ap_get_client_block(r, buf + len, cap - 1 - len);
            if (n <= 0) {
                break;
            }
            len += (apr_size_t)n;
            if ((apr_off_t)len > limit) {
                return tk_too_large(c, limit);
            }
        }
        if (n < 0) {
            return tk_fail(c, TK_E_BAD_REQUEST, NULL,
                           "The request body could not be read.");
        }
    }
    buf[len] = '\0';
    c->raw_body = buf;
    c->raw_len = len;
    return TK_DONE;
}

int tk_read_json(tk_ctx_t *c)
{
    request_rec *r = c->r;
    const char *clen = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t limit = c->dconf->max_body, declared = -1;

    if (!tk_is_json_type(apr_table_get(r->headers_in, "Content-Type"))) {
        return tk_fail(c, TK_E_UNSUPPORTED_MEDIA_TYPE, NULL,
                       "Send the request body as application/json.");
    }
    if (clen) {
        char *end;
        apr_int64_t v = apr_strtoi64(clen, &end, 10);
        if (*end || end == clen || v < 0) {
            return tk_fail(c, TK_E_BAD_REQUEST, NULL,
                           "The Content-Length header is malformed.");
        }
        if (v > limit) {
            return tk_too_large(c, limit);
        }
        declared = (apr_off_t)v;
    }
    if (tk_read_body(c, declared, limit) != TK_DONE) {
        return TK_FAIL;
    }
    c->body = tk_json_parse_object(r->pool, c->raw_body, c->raw_len, &c->err);
    return c->body ? TK_DONE : TK_FAIL;
}

/* ---------------------------------------------------------------------
 * Roles
 * ------------------------------------------------------------------- */

int tk_is_customer(const tk_ctx_t *c)
{
    return c->who && strcmp(c->who->role, "customer") == 0;
}

int tk_require_staff(tk_ctx_t *c)
{
    if (!tk_role_is_staff(c->who->role)) {
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "Only staff members may do this.");
    }
    return TK_DONE;
}

int tk_require_writer(tk_ctx_t *c)
{
    if (!tk_role_can_write(c->who->role)) {
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "Your role may read but not change this.");
    }
    return TK_DONE;
}

int tk_require_admin(tk_ctx_t *c)
{
    if (strcmp(c->who->role, "admin") != 0) {
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "Only administrators may do this.");
    }
    return TK_DONE;
}

/* ---------------------------------------------------------------------
 * Database
 * ------------------------------------------------------------------- */

/* The connection goes back to mod_dbd's pool when the request ends, or
 * earlier through tk_db_release() (a long-lived stream must not hold one). */
static apr_status_t tk_db_cleanup(void *data)
{
    tk_db_release(data);
    return APR_SUCCESS;
}

tk_db_t *tk_db(tk_ctx_t *c)
{
    ap_dbd_t *dbd;

    if (c->db) {
        return c->db;
    }
    dbd = ap_dbd_open(c->r->pool, c->r->server);
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00010: no database connection available");
        tk_fail(c, TK_E_DB_UNAVAILABLE, NULL,
                "The database is unavailable; try again shortly.");
        return NULL;
    }
    c->dbd = dbd;
    c->db = apr_pcalloc(c->r->pool, sizeof(*c->db));
    c->db->driver = dbd->driver;
    c->db->handle = dbd->handle;
    c->db->prepared = dbd->prepared;
    c->db->pool = c->r->pool;
    apr_pool_cleanup_register(c->r->pool, c, tk_db_cleanup,
                              apr_pool_cleanup_null);
    return c->db;
}

void tk_db_release(tk_ctx_t *c)
{
    if (c->dbd) {
        tk_db_rollback(c->db);
        ap_dbd_close(c->r->server, c->dbd);
        c->dbd = NULL;
        c->db = NULL;
    }
}

int tk_sql_reprepare(tk_ctx_t *c)
{
    int n, rv;
    const tk_query_t *q = tk_query_catalogue(&n);

    rv = tk_db_reprepare(c->db, c->dbd->pool, q, n);
    ap_log_rerror(APLOG_MARK, rv ? APLOG_ERR : APLOG_INFO, 0, c->r,
                  "TK00012: database session was renewed; statements "
                  "prepared again%s", rv ? " with failures" : "");
    return rv;
}

int tk_sql_renewed(tk_ctx_t *c)
{
    int n;
    const tk_query_t *q = tk_query_catalogue(&n);

    if (c->db->trans || !tk_db_session_renewed(c->db, c->dbd->pool, q)) {
        return 0;
    }
    tk_sql_reprepare(c);
    return 1;
}

/* A failed statement.  When the connection is gone, or its session was
 * renewed under us (prepared statements lost), the answer is 503: the
 * check below reconnects a broken connection when it can, and the
 * statements are prepared again, so the next request finds it working.
 * Inside a transaction the router rolls back, looks, and runs the handler
 * again when the session was renewed. */
static int tk_sql_failed(tk_ctx_t *c, const char *what, const char *label)
{
    int down = apr_dbd_check_conn(c->db->driver, c->r->pool, c->db->handle)
               != APR_SUCCESS;

    c->db_failed = 1;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                  "TK00011: %s %s failed: %s", what, label,
                  c->db->error ? c->db->error : "?");
    if (down || c->db->lost || tk_sql_renewed(c)) {
        return tk_fail(c, TK_E_DB_UNAVAILABLE, NULL,
                       "The database is unavailable; try again shortly.");
    }
    return tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
}

/* After a failure outside a transaction: run the statement once more when
 * the session turned out renewed (its statements are prepared again) and
 * running it twice is harmless: nothing ran (the statement was unknown to
 * the server) or the request only reads. */
static int tk_sql_retryable(tk_ctx_t *c)
{
    int nothing_ran = c->db->stale && !c->db->lost;

    if (c->db->trans || (!nothing_ran && c->r->method_number != M_GET)) {
        return 0;
    }
    if (apr_dbd_check_conn(c->db->driver, c->r->pool, c->db->handle)
        != APR_SUCCESS) {
        return 0;
    }
    return tk_sql_renewed(c);
}

int tk_sql_select(tk_ctx_t *c, const char *label, tk_rows_t **rows,
                  int nargs, const char *const *args)
{
    if (!tk_db(c)) {
        return TK_FAIL;
    }
    if (tk_db_select(c->db, label, nargs, args, rows) != 0
        && (!tk_sql_retryable(c)
            || tk_db_select(c->db, label, nargs, args, rows) != 0)) {
        return tk_sql_failed(c, "query", label);
    }
    return TK_DONE;
}

int tk_sql_exec(tk_ctx_t *c, const char *label, int *affected,
                int nargs, const char *const *args)
{
    if (!tk_db(c)) {
        return TK_FAIL;
    }
    if (tk_db_exec(c->db, label, nargs, args, affected) != 0
        && (!tk_sql_retryable(c)
            || tk_db_exec(c->db, label, nargs, args, affected) != 0)) {
        return tk_sql_failed(c, "statement", label);
    }
    return TK_DONE;
}

int tk_sql_begin(tk_ctx_t *c)
{
    if (!tk_db(c)) {
        return TK_FAIL;
    }
    if (tk_db_begin(c->db) != 0) {
        c->db->lost = 1;        /* BEGIN is not prepared: the link broke */
        return tk_sql_failed(c, "transaction", "begin");
    }
    return TK_DONE;
}

/* The transaction wrote live events: wake the relays now rather than at
 * their next read.  A failure only delays the events (logged). */
static void tk_stream_wake(tk_ctx_t *c)
{
    tk_rows_t *rows;

    c->stream_written = 0;
    if (tk_db_select(c->db, TKQ_stream_wake, 0, NULL, &rows) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, c->r, "TK00044: the "
                      "relays could not be woken (%s); the events follow "
                      "within a second", c->db->error ? c->db->error : "?");
    }
}

int tk_sql_commit(tk_ctx_t *c)
{
    if (tk_db_commit(c->db) != 0) {
        c->commit_failed = 1;       /* it may have committed: never rerun */
        return tk_sql_failed(c, "transaction", "commit");
    }
    if (c->stream_written) {
        tk_stream_wake(c);
    }
    return TK_DONE;
}

json_t *tk_doc(tk_ctx_t *c, const char *text)
{
    json_t *j = tk_json_load(c->r->pool, text);

    if (!j) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00014: the database returned a malformed document");
        tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
    }
    return j;
}

/* ---------------------------------------------------------------------
 * Idempotency-Key
 * ------------------------------------------------------------------- */

static int tk_idem_key_valid(const char *k)
{
    size_t n = strlen(k);

    if (n == 0 || n > 255) {
        return 0;
    }
    for (; *k; ++k) {
        if (*k < 0x21 || *k > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static const char *tk_idem_hash(tk_ctx_t *c)
{
    return tk_sha256_strs(c->r->pool, c->r->method, "\n", c->r->uri, "\n",
                          c->raw_body ? c->raw_body : "", NULL);
}

/* Headers of a first answer that a replay repeats. */
static const char *const tk_idem_headers[] = { "Location", "ETag", NULL };

static int tk_idem_replay(tk_ctx_t *c, const char *hash)
{
    tk_rows_t *rows;
    const char *stored_hash, *status, *response, *key;
    json_t *stored, *body, *headers, *v;

    if (TK_SQL_SELECT(c, TKQ_idem_get, &rows, c->who->user_id, c->idem_key)) {
        return TK_FAIL;
    }
    stored_hash = tk_rows_get(rows, 0, 0);
    status = tk_rows_get(rows, 0, 1);
    response = tk_rows_get(rows, 0, 2);
    if (!stored_hash || !tk_ct_streq(stored_hash, hash)) {
        return tk_fail(c, TK_E_CONFLICT, "Idempotency-Key",
                       "This Idempotency-Key was used with a different request.");
    }
    if (!status || !response || !(stored = tk_doc(c, response))
        || !(body = json_object_get(stored, "body"))) {
        return tk_fail(c, TK_E_CONFLICT, "Idempotency-Key",
                       "A request with this Idempotency-Key is still in progress.");
    }
    headers = json_object_get(stored, "headers");
    json_object_foreach(headers, key, v) {
        if (json_is_string(v)) {
            apr_table_set(c->r->headers_out, key, json_string_value(v));
        }
    }
    apr_table_setn(c->r->headers_out, "Idempotent-Replayed", "true");
    return tk_send_json(c, atoi(status), body);
}

int tk_idem_begin(tk_ctx_t *c)
{
    const char *hash;
    tk_rows_t *rows;

    c->idem_key = apr_table_get(c->r->headers_in, "Idempotency-Key");
    if (!c->idem_key) {
        return TK_GO;
    }
    if (!tk_idem_key_valid(c->idem_key)) {
        c->idem_key = NULL;
        return tk_fail(c, TK_E_VALIDATION, "Idempotency-Key",
                       "The Idempotency-Key must be 1 to 255 visible ASCII "
                       "characters.");
    }
    hash = tk_idem_hash(c);
    if (TK_SQL_SELECT(c, TKQ_idem_claim, &rows, c->who->user_id, c->idem_key,
                      hash, apr_itoa(c->r->pool, c->sconf->idempotency_ttl))) {
        return TK_FAIL;
    }
    if (rows->nrows == 1) {
        /* About one claim in sixteen (by the request hash) also drops this
         * user's expired keys, so the table does not grow without end. */
        if (hash[0] == '0'
            && TK_SQL_EXEC(c, TKQ_idem_purge, NULL, c->who->user_id,
                           apr_itoa(c->r->pool, c->sconf->idempotency_ttl))) {
            return TK_FAIL;
        }
        return TK_GO;
    }
    /* Someone has (or had) this key: leave our transaction, answer theirs. */
    tk_db_rollback(c->db);
    if (tk_idem_replay(c, hash) == TK_FAIL) {
        return TK_FAIL;
    }
    return TK_DONE;
}

int tk_idem_store(tk_ctx_t *c, int status, json_t *response)
{
    json_t *stored, *headers;
    const char *const *h;

    if (!c->idem_key) {
        return TK_DONE;
    }
    headers = json_object();
    for (h = tk_idem_headers; *h; ++h) {
        const char *v = apr_table_get(c->r->headers_out, *h);
        if (v) {
            json_object_set_new(headers, *h, json_string(v));
        }
    }
    stored = tk_json_own(c->r->pool, json_pack("{s:O,s:o}", "body", response,
                                               "headers", headers));
    return TK_SQL_EXEC(c, TKQ_idem_store, NULL,
                       apr_itoa(c->r->pool, status),
                       tk_json_dump(c->r->pool, stored),
                       c->who->user_id, c->idem_key);
}
