/* tokens.c: /api/tokens, API tokens for scripts (admins only).
 *
 *   GET    /api/tokens      the organization's tokens (never a secret)
 *   POST   /api/tokens      {"name", "userId"?, "expiresInDays"?}
 *   DELETE /api/tokens/:id  revoke
 *
 * POST creates a token for the caller or, with userId, for another user of
 * the organization; the secret is in that one answer and never again (only
 * its SHA-256 is stored, and a replay by Idempotency-Key returns the token
 * without it).  A revoked token stops working at once on every child of
 * every host, and the event streams it opened end.
 */
#include <apr_strings.h>
#include "handlers/tk_handlers.h"
#include "auth/tk_auth.h"
#include "events/tk_events.h"
#include "core/tk_id.h"
#include "core/tk_revlog.h"
#include "crypto/tk_crypto.h"
#include "valid/tk_valid_auth.h"
#include "tk_queries.h"

static int tk_tokens_page(tk_ctx_t *c, const void *data, int limit,
                          int offset, tk_rows_t **rows)
{
    (void)data;
    return TK_SQL_SELECT(c, token_list, rows, c->who->org_id,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_tokens_list(tk_ctx_t *c)
{
    if (tk_require_admin(c)) {
        return TK_FAIL;
    }
    return tk_send_paged(c, tk_tokens_page, NULL);
}

int tk_handle_tokens_create(tk_ctx_t *c)
{
    const char *name, *user_id;
    tk_secret_t token;
    tk_rows_t *rows;
    json_t *doc;
    int days, rv;

    if (tk_require_admin(c)
        || tk_valid_token_create(c->body, &name, &user_id, &days, &c->err)) {
        return TK_FAIL;
    }
    if (tk_secret_mint(c->r->pool, "tk_", &token) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00021: no randomness for an API token");
        return tk_internal(c);
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (TK_SQL_SELECT(c, token_create, &rows, c->who->org_id,
                      user_id ? user_id : c->who->user_id, name, token.hash,
                      apr_pstrndup(c->r->pool, token.secret, 10),
                      days ? apr_itoa(c->r->pool, days) : NULL)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_VALIDATION, "userId",
                       "No user with this id in your organization.");
    }
    if (!(doc = tk_doc(c, tk_rows_get(rows, 0, 0)))) {
        return TK_FAIL;
    }
    /* Stored (serialized now) without the secret, which is added after. */
    if (tk_idem_store(c, HTTP_CREATED, tk_wrap_data(c, doc))
        || tk_sql_commit(c)) {
        return TK_FAIL;
    }
    json_object_set_new(doc, "token", json_string(token.secret));
    return tk_send_data(c, HTTP_CREATED, doc, NULL);
}

int tk_handle_tokens_revoke(tk_ctx_t *c)
{
    tk_rows_t *rows;
    char name[24];

    if (tk_require_admin(c)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, "No such token.");
    }
    if (tk_sql_begin(c)
        || TK_SQL_SELECT(c, token_revoke, &rows, c->params[0],
                         c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, "No such token.");
    }
    /* Streams the token opened end too (a credential_revoked event). */
    tk_credential_name(name, sizeof(name), 't', tk_rows_get(rows, 0, 1));
    if (tk_event_revoked(c, "credential", name) || tk_sql_commit(c)) {
        return TK_FAIL;
    }
    tk_auth_forget(TK_REVLOG_CREDENTIAL, name);
    return tk_send_no_content(c);
}
