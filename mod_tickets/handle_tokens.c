/* handle_tokens.c: /api/tokens, API tokens for scripts (admins only).
 *
 * POST creates a token for the caller or, with userId, for another user of
 * the organization; the secret is in that one answer and never again (only
 * its SHA-256 is stored, and a replay by Idempotency-Key returns the token
 * without it).  DELETE revokes; a revoked token stops working at once on
 * requests that reach the database and within TicketsCredentialCacheTTL
 * everywhere.
 */
#include <apr_strings.h>
#include "mod_tickets.h"
#include "tk_json.h"
#include "tk_crypto.h"
#include "tk_id.h"
#include "tk_valid.h"
#include "tk_queries.h"

static int tk_tokens_page(tk_ctx_t *c, const void *data, int limit,
                          int offset, tk_rows_t **rows)
{
    (void)data;
    return TK_SQL_SELECT(c, TKQ_token_list, rows, c->who->org_id,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_tokens_list(tk_ctx_t *c)
{
    static const char *const params[] = { "limit", "offset", NULL };
    int limit, offset;

    if (tk_require_admin(c) || tk_query_only(c->query, params, &c->err)
        || tk_query_page(c->query, c->dconf->default_page, c->dconf->max_page,
                         &limit, &offset, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_tokens_page, NULL, limit, offset);
}

int tk_handle_tokens_create(tk_ctx_t *c)
{
    const char *name, *user_id, *secret, *prefix;
    char hash[TK_SHA256_HEX_LEN + 1];
    tk_rows_t *rows;
    json_t *doc;
    int days, rv;

    if (tk_require_admin(c)
        || tk_valid_token_create(c->body, &name, &user_id, &days, &c->err)) {
        return TK_FAIL;
    }
    secret = tk_random_secret(c->r->pool, "tk_", 32);
    if (!secret) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00021: no randomness for an API token");
        return tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
    }
    tk_sha256_hex(secret, strlen(secret), hash);
    prefix = apr_pstrndup(c->r->pool, secret, 10);
    if (tk_sql_begin(c)) {
        return TK_FAIL;
    }
    if ((rv = tk_idem_begin(c)) != TK_GO) {
        return rv;
    }
    if (TK_SQL_SELECT(c, TKQ_token_create, &rows, c->who->org_id,
                      user_id ? user_id : c->who->user_id, name, hash, prefix,
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
    json_object_set_new(doc, "token", json_string(secret));
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
        return tk_fail(c, TK_E_NOT_FOUND, NULL, "No such token.");
    }
    if (tk_sql_begin(c)
        || TK_SQL_SELECT(c, TKQ_token_revoke, &rows, c->params[0],
                         c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_NOT_FOUND, NULL, "No such token.");
    }
    /* Streams the token opened end too (a credential_revoked event). */
    tk_credential_name(name, sizeof(name), 't', tk_rows_get(rows, 0, 1));
    if (tk_stream_revoked(c, name) || tk_sql_commit(c)) {
        return TK_FAIL;
    }
    tk_auth_revoked();
    c->r->status = HTTP_NO_CONTENT;
    return TK_DONE;
}
