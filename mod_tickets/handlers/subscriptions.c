/* subscriptions.c: /api/webhooks, the organization's outbound webhook
 * subscriptions and their deliveries (admins only; docs/webhooks.md).
 * The inbound webhooks of the chat platforms, under /webhooks/, are
 * webhooks.c and discord.c.
 *
 *   GET    /api/webhooks                 list; filter enabled
 *   POST   /api/webhooks                 {"url", "events", "enabled"?}: 201
 *                                        with "secret", shown this once
 *   GET    /api/webhooks/:id             one
 *   PATCH  /api/webhooks/:id             {"url"?, "events"?, "enabled"?}
 *   DELETE /api/webhooks/:id             soft delete
 *   POST   /api/webhooks/:id/rotate      a new secret (shown once); the old
 *                                        one signs too for
 *                                        TicketsWebhookSecretOverlap
 *   POST   /api/webhooks/:id/test        a webhook.test delivery: 202
 *   GET    /api/webhooks/:id/deliveries  its deliveries; filter state
 *   GET    /api/webhooks/deliveries/:id  one delivery
 *   POST   /api/webhooks/deliveries/:id/replay  send it again: 202
 *
 * A URL is checked where it is given and again at every delivery
 * (work/tk_deliver.c, tk_webhook_target): it must resolve, and to no
 * address the server is not to send to, judged by the main server's
 * TicketsWebhookAllowLocal as the deliveries are.  Secrets never appear in another
 * answer, a log line or an event.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_main.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "work/tk_work.h"
#include "core/tk_id.h"
#include "core/tk_json.h"
#include "crypto/tk_stdwebhook.h"
#include "valid/tk_valid_subscriptions.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

#define TK_NO_WEBHOOK "No such webhook subscription."
#define TK_NO_DELIVERY "No such webhook delivery."

static const char *const tk_bools[] = { "true", "false", NULL };

/* The URL of in, when it has one, may be sent to from here. */
static int tk_check_target(tk_ctx_t *c, const tk_webhook_input_t *in)
{
    const char *why;

    if (!in->url
        || tk_webhook_target(ap_server_conf, c->r->pool, in->url, &why)
           == TK_TARGET_OK) {
        return TK_OK;
    }
    return tk_fail(c, TK_E_VALIDATION, "url", why);
}

/* The secret in this answer only: what create and rotate show once (an
 * Idempotency-Key replay of the create answers without it). */
static int tk_with_secret(tk_ctx_t *c, tk_change_t *ch, const char *secret)
{
    ch->once = tk_json_own(c->r->pool, json_pack("{s:s}", "secret", secret));
    return ch->once ? TK_OK : tk_fail(c, TK_E_INTERNAL, NULL, "The answer "
                                      "could not be built.");
}

static const char *tk_mint(tk_ctx_t *c)
{
    const char *secret = tk_whsec_mint(c->r->pool);

    if (!secret) {
        tk_fail(c, TK_E_INTERNAL, NULL, "No random secret could be made.");
    }
    return secret;
}

static int tk_webhooks_page(tk_ctx_t *c, const void *data, int limit,
                            int offset, tk_rows_t **rows)
{
    return TK_SQL_SELECT(c, webhook_list, rows, c->who->org_id,
                         (const char *)data, apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_webhooks_list(tk_ctx_t *c)
{
    static const char *const params[] = { "enabled", "limit", "offset", NULL };
    const char *enabled;
    int limit, offset;

    if (tk_require_admin(c)
        || tk_query_only(c->query, params, &c->err)
        || tk_query_enum(c->r->pool, c->query, "enabled", tk_bools, NULL,
                         &enabled, &c->err)
        || tk_query_page(c->query, c->dconf->default_page, c->dconf->max_page,
                         &limit, &offset, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_webhooks_page, enabled, limit, offset);
}

int tk_handle_webhooks_get(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_require_admin(c)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_WEBHOOK);
    }
    if (TK_SQL_SELECT(c, webhook_get, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_send_resource(c, rows, TK_NO_WEBHOOK);
}

int tk_handle_webhooks_create(tk_ctx_t *c)
{
    tk_webhook_input_t in;
    tk_change_t ch = { 0 };
    const char *secret;
    tk_rows_t *rows;
    int rv;

    if (tk_require_admin(c)
        || tk_valid_webhook(c->r->pool, c->body, 1, &in, &c->err)
        || tk_check_target(c, &in) || !(secret = tk_mint(c))) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (TK_SQL_SELECT(c, webhook_create, &rows, c->who->org_id, in.url,
                      in.events, tk_bool(in.enabled), secret)
        || tk_change_answer(c, rows, HTTP_CREATED, &ch)
        || tk_with_secret(c, &ch, secret)) {
        return TK_FAIL;
    }
    ch.location = apr_pstrcat(c->r->pool, "/api/webhooks/",
                              tk_rows_get(rows, 0, 2), NULL);
    return tk_change_finish(c, &ch);
}

/* Inside a transaction: lock the subscription of :id. */
static int tk_lock_webhook(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_WEBHOOK);
    }
    if (TK_SQL_SELECT(c, webhook_lock, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_check_locked(c, rows, TK_NO_WEBHOOK);
}

int tk_handle_webhooks_update(tk_ctx_t *c)
{
    tk_webhook_input_t in;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;

    if (tk_require_admin(c)
        || tk_valid_webhook(c->r->pool, c->body, 0, &in, &c->err)
        || tk_check_target(c, &in)
        || tk_sql_begin(c) || tk_lock_webhook(c)
        || TK_SQL_SELECT(c, webhook_update, &rows, c->params[0], in.url,
                         in.events,
                         in.enabled < 0 ? NULL : tk_bool(in.enabled))
        || tk_change_answer(c, rows, HTTP_OK, &ch)) {
        return TK_FAIL;
    }
    return tk_change_finish(c, &ch);
}

int tk_handle_webhooks_delete(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };

    if (tk_require_admin(c) || tk_sql_begin(c) || tk_lock_webhook(c)
        || TK_SQL_EXEC(c, webhook_delete, NULL, c->params[0])) {
        return TK_FAIL;
    }
    ch.status = HTTP_NO_CONTENT;
    return tk_change_finish(c, &ch);
}

int tk_handle_webhooks_rotate(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    const char *secret;
    tk_rows_t *rows;

    if (tk_require_admin(c) || !(secret = tk_mint(c))
        || tk_sql_begin(c) || tk_lock_webhook(c)
        || TK_SQL_SELECT(c, webhook_rotate, &rows, c->params[0], secret,
                         apr_itoa(c->r->pool, c->sconf->webhook_overlap))
        || tk_change_answer(c, rows, HTTP_OK, &ch)
        || tk_with_secret(c, &ch, secret)) {
        return TK_FAIL;
    }
    return tk_change_finish(c, &ch);
}

/* A delivery's answer: 202, its document, the job workers woken. */
static int tk_delivery_accepted(tk_ctx_t *c, tk_rows_t *rows)
{
    tk_change_t ch = { 0 };

    if (tk_change_answer(c, rows, HTTP_ACCEPTED, &ch)) {
        return TK_FAIL;
    }
    ch.etag = NULL;
    c->jobs_written = 1;
    return tk_change_finish(c, &ch);
}

int tk_handle_webhooks_test(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_require_admin(c) || tk_sql_begin(c) || tk_lock_webhook(c)
        || TK_SQL_SELECT(c, webhook_test, &rows, c->params[0],
                         c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_delivery_accepted(c, rows);
}

typedef struct {
    const char *subscription;
    const char *state;
} tk_delivery_filter_t;

static int tk_deliveries_page(tk_ctx_t *c, const void *data, int limit,
                              int offset, tk_rows_t **rows)
{
    const tk_delivery_filter_t *f = data;

    return TK_SQL_SELECT(c, delivery_list, rows, f->subscription,
                         c->who->org_id, f->state,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_deliveries_list(tk_ctx_t *c)
{
    static const char *const params[] = { "state", "limit", "offset", NULL };
    tk_delivery_filter_t f;
    tk_rows_t *rows;
    int limit, offset;

    if (tk_require_admin(c)
        || tk_query_only(c->query, params, &c->err)
        || tk_query_enum(c->r->pool, c->query, "state", tk_delivery_states,
                         NULL, &f.state, &c->err)
        || tk_query_page(c->query, c->dconf->default_page, c->dconf->max_page,
                         &limit, &offset, &c->err)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_WEBHOOK);
    }
    if (TK_SQL_SELECT(c, webhook_get, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, TK_NO_WEBHOOK);
    }
    f.subscription = c->params[0];
    return tk_send_page(c, tk_deliveries_page, &f, limit, offset);
}

int tk_handle_deliveries_get(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_require_admin(c)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_DELIVERY);
    }
    if (TK_SQL_SELECT(c, delivery_get, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_send_resource(c, rows, TK_NO_DELIVERY);
}

int tk_handle_deliveries_replay(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_require_admin(c)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_DELIVERY);
    }
    if (tk_sql_begin(c)
        || TK_SQL_SELECT(c, delivery_replay, &rows, c->params[0],
                         c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows == 1) {
        return tk_delivery_accepted(c, rows);
    }
    if (TK_SQL_SELECT(c, delivery_state, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, TK_NO_DELIVERY);
    }
    return tk_fail(c, TK_E_CONFLICT, NULL,
                   tk_rows_true(rows, 0, 1)
                   ? "The delivery's subscription was deleted."
                   : tk_rows_true(rows, 0, 2)
                   ? "The delivery's subscription is disabled; enable it "
                     "before replaying its deliveries."
                   : "The delivery is still pending; it can be replayed once "
                     "it is delivered or failed.");
}
