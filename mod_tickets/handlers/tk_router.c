/* tk_router.c: method + path to handler.
 *
 * The table below is the whole API surface of mod_tickets: a newcomer
 * looking for an endpoint finds its handler here, and the handler lives in
 * handlers/<resource>.c.  An unknown path under /api is 404 JSON; a known
 * path with another method is 405 JSON with Allow.  Before a handler runs,
 * the router parses the query string, establishes who is calling (unless
 * the route is public), and reads the JSON body for routes that take one.
 * After it, whatever transaction the handler left open is rolled back.
 *
 * The router sits above every other area of the glue (it calls the
 * authentication and every handler), so it lives here with the handlers,
 * and mod_tickets.c only registers its hooks.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <ap_expr.h>
#include "handlers/tk_handlers.h"
#include "auth/tk_auth.h"
#include "core/tk_route.h"
#include "core/tk_json.h"
#include "valid/tk_query.h"
#include "mod_tickets.h"

#define TK_PUBLIC   0x1     /* no identity needed */
#define TK_JSON     0x2     /* reads a JSON object body */
#define TK_QUERY    0x4     /* the handler validates its query string */

typedef struct {
    const char *method;
    const char *pattern;
    tk_handler_fn *handler;
    int flags;
} tk_route_t;

static const tk_route_t tk_routes[] = {
    { "GET",    "/api/health",                tk_handle_health,         TK_PUBLIC },
    { "GET",    "/api/openapi.json",          tk_handle_openapi,        TK_PUBLIC },
    { "POST",   "/api/auth/login",            tk_handle_login,          TK_PUBLIC | TK_JSON },
    { "POST",   "/api/auth/logout",           tk_handle_logout,         0 },
    { "GET",    "/api/auth/me",               tk_handle_me,             0 },
    { "GET",    "/api/tokens",                tk_handle_tokens_list,    TK_QUERY },
    { "POST",   "/api/tokens",                tk_handle_tokens_create,  TK_JSON },
    { "DELETE", "/api/tokens/:id",            tk_handle_tokens_revoke,  0 },
    { "GET",    "/api/users",                 tk_handle_users_list,     TK_QUERY },
    { "POST",   "/api/users",                 tk_handle_users_create,   TK_JSON },
    { "GET",    "/api/users/:id",             tk_handle_users_get,      0 },
    { "PATCH",  "/api/users/:id",             tk_handle_users_update,   TK_JSON },
    { "GET",    "/api/tickets",               tk_handle_tickets_list,   TK_QUERY },
    { "POST",   "/api/tickets",               tk_handle_tickets_create, TK_JSON },
    { "GET",    "/api/tickets/search",        tk_handle_tickets_search, TK_QUERY },
    { "GET",    "/api/tickets/:id",           tk_handle_tickets_get,    0 },
    { "PATCH",  "/api/tickets/:id",           tk_handle_tickets_update, TK_JSON },
    { "DELETE", "/api/tickets/:id",           tk_handle_tickets_delete, 0 },
    { "PATCH",  "/api/tickets/:id/status",    tk_handle_tickets_status, TK_JSON },
    { "POST",   "/api/tickets/:id/messages",  tk_handle_messages_create, TK_JSON },
    { "GET",    "/api/tickets/:id/events",    tk_handle_events_list,    TK_QUERY },
    { "POST",   "/api/tickets/:id/attachments", tk_handle_attachments_create, TK_QUERY },
    { "GET",    "/api/attachments/:id",       tk_handle_attachments_get, 0 },
    { "GET",    "/api/tickets/:id/transcript", tk_handle_transcripts_get, TK_QUERY },
    { "POST",   "/api/transcripts/rekey",     tk_handle_transcripts_rekey, 0 },
    { "GET",    "/api/tickets/:id/suggestions", tk_handle_ticket_suggestions, TK_QUERY },
    { "GET",    "/api/tickets/:id/articles",  tk_handle_articles_list,  0 },
    { "POST",   "/api/tickets/:id/articles",  tk_handle_articles_link,  TK_JSON },
    { "DELETE", "/api/tickets/:id/articles/:aid", tk_handle_articles_unlink, 0 },
    { "GET",    "/api/faqs",                  tk_handle_faqs_list,      TK_QUERY },
    { "POST",   "/api/faqs",                  tk_handle_faqs_create,    TK_JSON },
    { "GET",    "/api/faqs/search",           tk_handle_faqs_search,    TK_QUERY },
    { "GET",    "/api/faqs/:id",              tk_handle_faqs_get,       0 },
    { "PATCH",  "/api/faqs/:id",              tk_handle_faqs_update,    TK_JSON },
    { "DELETE", "/api/faqs/:id",              tk_handle_faqs_delete,    0 },
    { "GET",    "/api/public/:org/faqs",      tk_handle_public_faqs_list,   TK_PUBLIC | TK_QUERY },
    { "GET",    "/api/public/:org/faqs/search", tk_handle_public_faqs_search, TK_PUBLIC | TK_QUERY },
    { "GET",    "/api/public/:org/faqs/:id",  tk_handle_public_faqs_get,    TK_PUBLIC },
    { "GET",    "/api/jobs/stats",            tk_handle_jobs_stats,     0 },
    { "GET",    "/api/customers",             tk_handle_customers_list,   TK_QUERY },
    { "POST",   "/api/customers",             tk_handle_customers_create, TK_JSON },
    { "GET",    "/api/customers/:id",         tk_handle_customers_get,    0 },
    { "PATCH",  "/api/customers/:id",         tk_handle_customers_update, TK_JSON },
    { "DELETE", "/api/customers/:id",         tk_handle_customers_delete, 0 },
    { "POST",   "/api/customers/:id/merge",   tk_handle_customers_merge,  TK_JSON },
    { "GET",    "/api/channels",              tk_handle_channels_list,    TK_QUERY },
    { "POST",   "/api/channels",              tk_handle_channels_create,  TK_JSON },
    { "GET",    "/api/channels/:id",          tk_handle_channels_get,     0 },
    { "PATCH",  "/api/channels/:id",          tk_handle_channels_update,  TK_JSON },
    { "DELETE", "/api/channels/:id",          tk_handle_channels_delete,  0 },
    { "PUT",    "/api/channels/:id/secrets",  tk_handle_channels_secrets, TK_JSON },
    { "GET",    "/api/webhooks",              tk_handle_webhooks_list,    TK_QUERY },
    { "POST",   "/api/webhooks",              tk_handle_webhooks_create,  TK_JSON },
    { "GET",    "/api/webhooks/deliveries/:id", tk_handle_deliveries_get, 0 },
    { "POST",   "/api/webhooks/deliveries/:id/replay", tk_handle_deliveries_replay, 0 },
    { "GET",    "/api/webhooks/:id",          tk_handle_webhooks_get,     0 },
    { "PATCH",  "/api/webhooks/:id",          tk_handle_webhooks_update,  TK_JSON },
    { "DELETE", "/api/webhooks/:id",          tk_handle_webhooks_delete,  0 },
    { "POST",   "/api/webhooks/:id/rotate",   tk_handle_webhooks_rotate,  0 },
    { "POST",   "/api/webhooks/:id/test",     tk_handle_webhooks_test,    0 },
    { "GET",    "/api/webhooks/:id/deliveries", tk_handle_deliveries_list, TK_QUERY },
    { "POST",   "/api/copilot/v1/:action",    tk_handle_copilot_start,  TK_JSON },
    { "GET",    "/api/copilot/v1/status/:id", tk_handle_copilot_status, 0 },
    { "POST",   "/api/chat/sessions",         tk_handle_chat_sessions_create,  TK_JSON },
    { "GET",    "/api/chat/sessions",         tk_handle_chat_sessions_list,    TK_QUERY },
    { "GET",    "/api/chat/sessions/:id",     tk_handle_chat_sessions_get,     0 },
    { "DELETE", "/api/chat/sessions/:id",     tk_handle_chat_sessions_delete,  0 },
    { "PATCH",  "/api/chat/sessions/:id/tickets", tk_handle_chat_sessions_tickets, TK_JSON },
    { "POST",   "/api/chat/sessions/:id/messages", tk_handle_chat_messages_create, TK_JSON },
    { "POST",   "/api/chat/tickets",          tk_handle_chat_tickets_create,   TK_JSON },
    { "GET",    "/api/ai/usage",              tk_handle_ai_usage,       TK_QUERY },
    { "GET",    "/api/ai/budget",             tk_handle_ai_budget_get,  0 },
    { "PUT",    "/api/ai/budget",             tk_handle_ai_budget_set,  TK_JSON },
    { "GET",    "/api/conversations",         tk_handle_conversations_list,   TK_QUERY },
    { "POST",   "/api/conversations",         tk_handle_conversations_create, TK_JSON },
    { "GET",    "/api/conversations/:id",     tk_handle_conversations_get,    0 },
    { "PATCH",  "/api/conversations/:id",     tk_handle_conversations_update, TK_JSON },
    { "GET",    "/api/conversations/:id/messages", tk_handle_conversation_messages, TK_QUERY },
    { "POST",   "/api/conversations/:id/messages", tk_handle_conversation_reply, TK_JSON },
    { "POST",   "/api/conversations/:id/messages/:mid/retry", tk_handle_conversation_retry, 0 },
    { "POST",   "/api/conversations/:id/ticket", tk_handle_conversation_ticket, TK_JSON },
    { "POST",   "/api/conversations/:id/transfer", tk_handle_conversation_transfer, TK_JSON },
    /* The platforms: the signature is checked on the raw body, which each
     * handler reads itself (docs/platforms.md). */
    { "GET",    "/webhooks/facebook/:id",     tk_handle_webhook_facebook_verify, TK_PUBLIC | TK_QUERY },
    { "POST",   "/webhooks/facebook/:id",     tk_handle_webhook_facebook, TK_PUBLIC },
    { "POST",   "/webhooks/zalo/:id",         tk_handle_webhook_zalo,     TK_PUBLIC },
    { "POST",   "/webhooks/tiktok/:id",       tk_handle_webhook_tiktok,   TK_PUBLIC },
    { "POST",   "/webhooks/discord/:id",      tk_handle_webhook_discord,  TK_PUBLIC },
};

#define TK_NROUTES (sizeof(tk_routes) / sizeof(tk_routes[0]))

static int tk_method_is(const request_rec *r, const char *method)
{
    if (r->header_only && strcmp(method, "GET") == 0) {
        return 1;           /* HEAD is served as GET without the body */
    }
    return strcmp(r->method, method) == 0;
}

static int tk_not_allowed(tk_ctx_t *c, const char *allow)
{
    apr_table_setn(c->r->err_headers_out, "Allow", allow);
    return tk_fail(c, TK_E_METHOD_NOT_ALLOWED, NULL,
                   apr_psprintf(c->r->pool, "This resource allows only %s.",
                                allow));
}

static int tk_prepare(tk_ctx_t *c, const tk_route_t *route)
{
    static const char *const none[] = { NULL };

    c->query = tk_query_parse(c->r->pool, c->r->args, &c->err);
    if (!c->query) {
        return TK_FAIL;
    }
    if (!(route->flags & TK_QUERY) && tk_query_only(c->query, none, &c->err)) {
        return TK_FAIL;
    }
    if (!(route->flags & TK_PUBLIC)) {
        if (tk_resolve_identity(c) != TK_OK) {
            return TK_FAIL;
        }
        if (!c->who) {
            return tk_fail(c, TK_E_UNAUTHENTICATED, NULL,
                           "Sign in, or send an API token or Basic credentials.");
        }
    }
    if (tk_limit_request(c) != TK_OK) {
        return TK_FAIL;
    }
    if ((route->flags & TK_JSON) && tk_read_json(c) != TK_OK) {
        return TK_FAIL;
    }
    return TK_OK;
}

static int tk_dispatch(tk_ctx_t *c, tk_handler_fn **handler)
{
    const char *path = c->r->uri, *allow = NULL;
    size_t i;

    for (i = 0; i < TK_NROUTES; ++i) {
        const tk_route_t *route = &tk_routes[i];
        const char *params[TK_ROUTE_MAX_PARAMS];
        int n = tk_route_match(c->r->pool, route->pattern, path, params);

        if (n < 0) {
            continue;
        }
        if (!tk_method_is(c->r, route->method)) {
            if (!allow) {
                allow = route->method;
            }
            else if (!ap_find_token(c->r->pool, allow, route->method)) {
                allow = apr_pstrcat(c->r->pool, allow, ", ", route->method, NULL);
            }
            continue;
        }
        memcpy(c->params, params, sizeof(params[0]) * (size_t)n);
        if (tk_prepare(c, route) != TK_OK) {
            return TK_FAIL;
        }
        *handler = route->handler;
        return route->handler(c);
    }
    if (allow) {
        return tk_not_allowed(c, allow);
    }
    return tk_fail(c, TK_E_NOT_FOUND, NULL, "No such endpoint.");
}

static int tk_route(tk_ctx_t *c)
{
    tk_handler_fn *handler = NULL;
    int rv = tk_dispatch(c, &handler);

    if (c->db) {
        tk_db_rollback(c->db);      /* a handler that failed mid-transaction */
    }
    if (rv == TK_FAIL && handler && c->db_failed && !c->commit_failed
        && !c->no_rerun && tk_sql_renewed(c)) {
        /* A statement met a renewed database session (statements lost);
         * the transaction is rolled back, so nothing happened: run the
         * handler once more on the statements prepared again. */
        memset(&c->err, 0, sizeof(c->err));
        c->db_failed = 0;
        rv = handler(c);
        if (c->db) {
            tk_db_rollback(c->db);
        }
    }
    if (rv == TK_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, "TK00032: the handler "
                      "of %s %s wrote no answer", c->r->method, c->r->uri);
        tk_internal(c);
        rv = TK_FAIL;
    }
    if (rv == TK_FAIL) {
        tk_send_error(c);
    }
    return OK;
}

/* ---------------------------------------------------------------------
 * Calls from within the module
 * ------------------------------------------------------------------- */

/* The route of method and path, with its captures in params; NULL when
 * none. */
static const tk_route_t *tk_route_of(apr_pool_t *p, const char *method,
                                     const char *path, const char **params)
{
    size_t i;

    for (i = 0; i < TK_NROUTES; ++i) {
        const char *got[TK_ROUTE_MAX_PARAMS];
        int n = tk_route_match(p, tk_routes[i].pattern, path, got);

        if (n >= 0 && strcmp(tk_routes[i].method, method) == 0
            && !(tk_routes[i].flags & TK_PUBLIC)) {
            memcpy(params, got, sizeof(got[0]) * (size_t)n);
            return &tk_routes[i];
        }
    }
    return NULL;
}

/* What tk_call changes of the request, kept to be put back. */
typedef struct {
    apr_table_t *headers_in, *headers_out, *err_headers_out, *notes;
    int status;
    const char *method;
    int method_number;
    char *uri, *args;
} tk_saved_t;

static void tk_save(request_rec *r, tk_saved_t *s)
{
    s->headers_in = r->headers_in;
    s->headers_out = r->headers_out;
    s->err_headers_out = r->err_headers_out;
    s->notes = r->notes;
    s->status = r->status;
    s->method = r->method;
    s->method_number = r->method_number;
    s->uri = r->uri;
    s->args = r->args;
    /* the inner call sees none of the outer request's headers (If-Match,
     * Idempotency-Key) and leaves none in its answer */
    r->headers_in = apr_table_make(r->pool, 1);
    r->headers_out = apr_table_make(r->pool, 4);
    r->err_headers_out = apr_table_make(r->pool, 4);
    r->notes = apr_table_copy(r->pool, r->notes);
}

static void tk_restore(request_rec *r, const tk_saved_t *s)
{
    r->headers_in = s->headers_in;
    r->headers_out = s->headers_out;
    r->err_headers_out = s->err_headers_out;
    r->notes = s->notes;
    r->status = s->status;
    r->method = s->method;
    r->method_number = s->method_number;
    r->uri = s->uri;
    r->args = s->args;
}

int tk_call(tk_ctx_t *c, const char *method, const char *path,
            const char *args, json_t *body, int *status, json_t **doc)
{
    tk_ctx_t inner = *c;
    tk_capture_t cap = { 0, NULL };
    const char *params[TK_ROUTE_MAX_PARAMS] = { NULL };
    const tk_route_t *route = tk_route_of(c->r->pool, method, path, params);
    tk_saved_t saved;
    int rv;

    memset(&inner.err, 0, sizeof(inner.err));
    memcpy(inner.params, params, sizeof(inner.params));
    inner.capture = &cap;
    inner.body = body;
    inner.raw_body = body ? tk_json_dump(c->r->pool, body) : NULL;
    inner.raw_len = inner.raw_body ? strlen(inner.raw_body) : 0;
    inner.idem_key = NULL;
    inner.db_failed = inner.commit_failed = 0;
    inner.stream_written = inner.jobs_written = 0;
    inner.query = tk_query_parse(c->r->pool, route && (route->flags & TK_QUERY)
                                             ? args : NULL, &inner.err);
    if (!route) {
        rv = tk_fail(&inner, TK_E_NOT_FOUND, NULL, "No such endpoint.");
    }
    else if (!inner.query) {
        rv = TK_FAIL;
    }
    else {
        tk_save(c->r, &saved);
        c->r->method = method;
        c->r->method_number = ap_method_number_of(method);
        c->r->uri = apr_pstrdup(c->r->pool, path);
        c->r->args = args ? apr_pstrdup(c->r->pool, args) : NULL;
        rv = route->handler(&inner);
        if (inner.db) {
            tk_db_rollback(inner.db);
        }
        tk_restore(c->r, &saved);
    }
    c->db = inner.db;
    c->dbd = inner.dbd;
    if (rv == TK_FAIL || rv == TK_OK) {
        if (inner.err.code == TK_E_NONE) {
            tk_internal(&inner);
        }
        *status = tk_ecode_status(inner.err.code);
        *doc = tk_json_own(c->r->pool, tk_err_json(&inner.err, c->request_id));
        return TK_OK;
    }
    *status = cap.status;
    *doc = cap.body ? tk_json_load(c->r->pool, cap.body) : NULL;
    return TK_OK;
}

/* ---------------------------------------------------------------------
 * Hooks
 * ------------------------------------------------------------------- */

#define TK_ERROR_PATH "/api/_error"

static int tk_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "tickets") != 0) {
        return DECLINED;
    }
    if (strcmp(r->uri, TK_ERROR_PATH) == 0 && r->prev) {
        tk_error_document(tk_ctx_get(r));
        return OK;
    }
    return tk_route(tk_ctx_get(r));
}

/* The API and the event streams (mod_tickets_sse's handler) name no file,
 * yet core's map_to_storage would walk the directories of
 * DocumentRoot/api/... and stat them on every request.  translate_name
 * still sees the <Location> configuration (map_to_storage runs with it
 * reset), so the requests of either handler are claimed there with a
 * filename "tickets:<uri>", and map_to_storage then skips the walks for
 * them, as mod_proxy does. */
#define TK_FILENAME_PREFIX "tickets:"

static int tk_translate_name(request_rec *r)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *h, *err = NULL;

    if (!d || !d->expr_handler) {
        return DECLINED;
    }
    h = ap_expr_str_exec(r, d->expr_handler, &err);
    if (err || !h || (strcmp(h, "tickets") != 0
                      && strcmp(h, TICKETS_SSE_HANDLER) != 0)) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, TK_FILENAME_PREFIX, r->uri, NULL);
    return OK;
}

static int tk_map_to_storage(request_rec *r)
{
    return r->filename && strncmp(r->filename, TK_FILENAME_PREFIX,
                                  sizeof(TK_FILENAME_PREFIX) - 1) == 0
           ? OK : DECLINED;
}

void tk_handlers_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_translate_name(tk_translate_name, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(tk_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(tk_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

