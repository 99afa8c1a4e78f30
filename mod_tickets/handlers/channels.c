/* channels.c: /api/channels, the organization's presences on the chat
 * platforms (admins only).
 *
 *   GET    /api/channels              list; filter platform
 *   POST   /api/channels              {"platform", "name", "accountId",
 *                                     "apiBase"?, "settings"?, "secrets"}
 *   GET    /api/channels/:id          one
 *   PATCH  /api/channels/:id          {"name"?, "accountId"?, "apiBase"?,
 *                                     "settings"?}
 *   PUT    /api/channels/:id/secrets  {<name>: <value>, ...}: all of them
 *   DELETE /api/channels/:id          soft delete: its webhooks answer 404
 *
 * Secrets are write-only: an answer says which are set ("secretsSet"),
 * never what they are, and none is logged (validation messages name the
 * field only).  A channel's webhook URL is in its "webhookPath".
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "core/tk_etag.h"
#include "core/tk_id.h"
#include "core/tk_status.h"
#include "valid/tk_valid_channels.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

#define TK_NO_CHANNEL "No such channel."

static int tk_channels_page(tk_ctx_t *c, const void *data, int limit,
                            int offset, tk_rows_t **rows)
{
    return TK_SQL_SELECT(c, channel_list, rows, c->who->org_id,
                         (const char *)data, apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_channels_list(tk_ctx_t *c)
{
    static const char *const params[] = { "platform", "limit", "offset", NULL };
    const char *platform;
    int limit, offset;

    if (tk_require_admin(c)
        || tk_query_only(c->query, params, &c->err)
        || tk_query_enum(c->r->pool, c->query, "platform", tk_platforms, NULL,
                         &platform, &c->err)
        || tk_query_page(c->query, c->dconf->default_page, c->dconf->max_page,
                         &limit, &offset, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_channels_page, platform, limit, offset);
}

int tk_handle_channels_get(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_require_admin(c)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_CHANNEL);
    }
    if (TK_SQL_SELECT(c, channel_get, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_send_resource(c, rows, TK_NO_CHANNEL);
}

int tk_handle_channels_create(tk_ctx_t *c)
{
    tk_channel_input_t in;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;
    int rv;

    if (tk_require_admin(c)
        || tk_valid_channel_create(c->r->pool, c->body, &in, &c->err)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (TK_SQL_SELECT(c, channel_create, &rows, c->who->org_id, in.platform,
                      in.name, in.account_id, in.api_base.value, in.settings,
                      in.secrets)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_CONFLICT, "accountId",
                       strcmp(in.platform, "web") == 0
                       ? "The organization has its web chat channel already."
                       : "The organization has a channel for this account "
                         "already.");
    }
    if (tk_change_answer(c, rows, HTTP_CREATED, &ch)) {
        return TK_FAIL;
    }
    ch.location = apr_pstrcat(c->r->pool, "/api/channels/",
                              tk_rows_get(rows, 0, 2), NULL);
    return tk_change_finish(c, &ch);
}

/* Inside a transaction: lock the channel of :id; *platform is its
 * platform. */
static int tk_lock_channel(tk_ctx_t *c, const char **platform)
{
    tk_rows_t *rows;

    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_CHANNEL);
    }
    if (TK_SQL_SELECT(c, channel_lock, &rows, c->params[0], c->who->org_id)
        || tk_check_locked(c, rows, TK_NO_CHANNEL)) {
        return TK_FAIL;
    }
    *platform = tk_rows_get(rows, 0, 3);
    return TK_OK;
}

/* The conflict of an edit that would give the organization the same
 * account twice. */
static int tk_update(tk_ctx_t *c, const tk_channel_input_t *in,
                     const char *secrets, tk_change_t *ch)
{
    tk_rows_t *rows;

    if (TK_SQL_SELECT(c, channel_update, &rows, c->params[0], in->name,
                      in->account_id, tk_bool(in->api_base.set),
                      in->api_base.value, in->settings, secrets)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_CONFLICT, "accountId",
                       "The organization has a channel for this account "
                       "already.");
    }
    return tk_change_answer(c, rows, HTTP_OK, ch);
}

int tk_handle_channels_update(tk_ctx_t *c)
{
    tk_channel_input_t in;
    tk_change_t ch = { 0 };
    const char *platform;

    if (tk_require_admin(c) || tk_sql_begin(c)
        || tk_lock_channel(c, &platform)
        || tk_valid_channel_patch(c->r->pool, c->body, platform, &in, &c->err)
        || tk_update(c, &in, NULL, &ch)) {
        return TK_FAIL;
    }
    return tk_change_finish(c, &ch);
}

int tk_handle_channels_secrets(tk_ctx_t *c)
{
    tk_channel_input_t in = { 0 };
    tk_change_t ch = { 0 };
    const char *platform, *secrets;

    if (tk_require_admin(c) || tk_sql_begin(c)
        || tk_lock_channel(c, &platform)
        || tk_valid_channel_secrets(c->r->pool, c->body, platform, &secrets,
                                    &c->err)
        || tk_update(c, &in, secrets, &ch)) {
        return TK_FAIL;
    }
    return tk_change_finish(c, &ch);
}

int tk_handle_channels_delete(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    const char *platform;

    if (tk_require_admin(c) || tk_sql_begin(c)
        || tk_lock_channel(c, &platform)
        || TK_SQL_EXEC(c, channel_delete, NULL, c->params[0])) {
        return TK_FAIL;
    }
    ch.status = HTTP_NO_CONTENT;
    return tk_change_finish(c, &ch);
}
