/* tk_reply.c: every answer mod_tickets writes: JSON documents, lists and
 * errors (see tk_request.h).
 *
 * Errors take three roads, all ending in the same document
 * {"error": {code, message, requestId}}: a handler's failure, written by
 * tk_send_error; a refusal from a hook (authentication, the stream
 * module), which notes its code and message and returns the status for
 * the /api ErrorDocument to render (tk_error_document); and httpd's own
 * refusals of a request it could not even read (a malformed
 * Content-Length, %00 or an encoded slash in the path), which come before
 * any <Location> and so before the ErrorDocument: their HTML page is
 * swapped for the document by an error filter (tk_error_filter).
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include "request/tk_request.h"
#include "core/tk_json.h"
#include "valid/tk_query.h"
#include "mod_tickets.h"

/* The paths the module answers: every error under them is JSON. */
#define TK_API_PREFIX "/api/"

int tk_fail(tk_ctx_t *c, tk_ecode_t code, const char *field,
            const char *message)
{
    tk_err(&c->err, code, field, message);
    return TK_FAIL;
}

int tk_not_found(tk_ctx_t *c, const char *message)
{
    return tk_fail(c, TK_E_NOT_FOUND, NULL, message);
}

int tk_internal(tk_ctx_t *c)
{
    return tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
}

int tk_send_text(tk_ctx_t *c, int status, const char *body)
{
    return tk_send_typed(c, status, "application/json", body);
}

int tk_send_typed(tk_ctx_t *c, int status, const char *type, const char *body)
{
    request_rec *r = c->r;
    apr_size_t len = strlen(body);

    if (c->capture) {
        c->capture->status = status;
        c->capture->body = status == HTTP_NO_CONTENT
                           || status == HTTP_NOT_MODIFIED ? NULL : body;
        return TK_SENT;
    }
    r->status = status;
    ap_set_content_type(r, type);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "X-Request-Id", c->request_id);
    if (status != HTTP_NO_CONTENT && status != HTTP_NOT_MODIFIED) {
        ap_set_content_length(r, (apr_off_t)len);
        if (!r->header_only) {
            ap_rwrite(body, (int)len, r);
        }
    }
    return TK_SENT;
}

int tk_send_no_content(tk_ctx_t *c)
{
    if (c->capture) {
        c->capture->status = HTTP_NO_CONTENT;
        c->capture->body = NULL;
        return TK_SENT;
    }
    c->r->status = HTTP_NO_CONTENT;
    apr_table_setn(c->r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(c->r->headers_out, "X-Request-Id", c->request_id);
    return TK_SENT;
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

int tk_send_paged(tk_ctx_t *c, tk_page_fn *fetch, const void *data)
{
    static const char *const params[] = { "limit", "offset", NULL };
    int limit, offset;

    if (tk_query_only(c->query, params, &c->err)
        || tk_query_page(c->query, c->dconf->default_page, c->dconf->max_page,
                         &limit, &offset, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, fetch, data, limit, offset);
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

    apr_table_setn(r->notes, TICKETS_NOTE_ERROR_CODE, tk_ecode_name(code));
    apr_table_setn(r->notes, TICKETS_NOTE_ERROR_MESSAGE,
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
 * httpd's own errors on our paths
 * ------------------------------------------------------------------- */

/* The error of a refused request: its status, and the code and message a
 * hook noted (TICKETS_NOTE_ERROR_*), else those of the status. */
static void tk_error_of(const request_rec *orig, int status, tk_err_t *err)
{
    const char *code = apr_table_get(orig->notes, TICKETS_NOTE_ERROR_CODE);
    const char *message = apr_table_get(orig->notes,
                                        TICKETS_NOTE_ERROR_MESSAGE);
    tk_ecode_t e = tk_ecode_parse(code);

    memset(err, 0, sizeof(*err));
    err->code = e != TK_E_NONE ? e : tk_ecode_for_status(status);
    err->message = message ? message : tk_status_sentence(status);
}

int tk_error_document(tk_ctx_t *c)
{
    request_rec *orig = c->r->prev;
    int status = orig->status >= 400 ? orig->status
                                     : HTTP_INTERNAL_SERVER_ERROR;

    tk_error_of(orig, status, &c->err);
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        c->r->connection->keepalive = AP_CONN_CLOSE;
    }
    return tk_send_json(c, status, tk_json_own(c->r->pool,
                                               tk_err_json(&c->err,
                                                           c->request_id)));
}

#define TK_ERROR_FILTER "TICKETS_ERROR"

typedef struct {
    const char *text;           /* the document that replaces the page */
    apr_size_t len;
} tk_error_filter_ctx_t;

/* Drop httpd's HTML page, headers included, and send the document. */
static apr_status_t tk_error_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    tk_error_filter_ctx_t *ctx = f->ctx;
    apr_bucket *b, *next;

    if (!ctx) {
        tk_err_t err;
        json_t *doc;
        const char *id = tk_request_id(r);

        f->ctx = ctx = apr_pcalloc(r->pool, sizeof(*ctx));
        tk_error_of(r, r->status, &err);
        doc = tk_json_own(r->pool, tk_err_json(&err, id));
        ctx->text = tk_json_dump(r->pool, doc);
        ctx->len = ctx->text ? strlen(ctx->text) : 0;
        ap_set_content_type(r, "application/json");
        ap_set_content_length(r, (apr_off_t)ctx->len);
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
        apr_table_setn(r->headers_out, "X-Request-Id", id);
    }
    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = next) {
        next = APR_BUCKET_NEXT(b);
        if (APR_BUCKET_IS_EOS(b)) {
            if (ctx->len && !r->header_only) {
                APR_BUCKET_INSERT_BEFORE(b, apr_bucket_pool_create(
                    ctx->text, ctx->len, r->pool, f->c->bucket_alloc));
            }
            ap_remove_output_filter(f);
            break;
        }
        if (!APR_BUCKET_IS_METADATA(b)) {
            apr_bucket_delete(b);
        }
    }
    return ap_pass_brigade(f->next, bb);
}

/* Errors only: a redirect (an authentication module's login) keeps its
 * page and its Location. */
static void tk_insert_error_filter(request_rec *r)
{
    if (r->status >= 400 && r->uri
        && strncmp(r->uri, TK_API_PREFIX, sizeof(TK_API_PREFIX) - 1) == 0) {
        ap_add_output_filter(TK_ERROR_FILTER, NULL, r, r->connection);
    }
}

void tk_reply_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_register_output_filter(TK_ERROR_FILTER, tk_error_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    ap_hook_insert_error_filter(tk_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
}
