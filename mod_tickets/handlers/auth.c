/* auth.c: /api/auth, signing in and out in a browser.
 *
 *   POST /api/auth/login   {"email", "password"}: a session cookie
 *                          (HttpOnly, SameSite=Strict) and who you are
 *   POST /api/auth/logout  the session ends, and the event streams it
 *                          opened with it
 *   GET  /api/auth/me      who you are, with your organization
 *
 * How each request is authenticated is auth/tk_authn.c.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "auth/tk_auth.h"
#include "events/tk_events.h"
#include "core/tk_header.h"
#include "crypto/tk_crypto.h"
#include "valid/tk_valid_auth.h"
#include "tk_queries.h"

static int tk_send_me(tk_ctx_t *c, int status)
{
    tk_rows_t *rows;
    json_t *doc;

    if (TK_SQL_SELECT(c, user_me, &rows, c->who->user_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1 || !(doc = tk_doc(c, tk_rows_get(rows, 0, 0)))) {
        return tk_fail(c, TK_E_UNAUTHENTICATED, NULL,
                       "Your account no longer exists.");
    }
    return tk_send_data(c, status, doc, NULL);
}

int tk_handle_login(tk_ctx_t *c)
{
    const char *email, *password;
    tk_identity_t *id = apr_pcalloc(c->r->pool, sizeof(*id));
    tk_secret_t session;
    int rv;

    if (tk_valid_login(c->body, &email, &password, &c->err)) {
        return TK_FAIL;
    }
    rv = tk_auth_password(c, email, password, TK_VIA_COOKIE, id);
    if (rv == TK_AUTH_DB || rv == TK_AUTH_LIMITED) {
        return TK_FAIL;
    }
    if (rv != TK_AUTH_OK) {
        return tk_fail(c, TK_E_UNAUTHENTICATED, NULL,
                       "The email or password is not correct.");
    }
    if (tk_secret_mint(c->r->pool, "tks_", &session) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00020: no randomness for a session secret");
        return tk_internal(c);
    }
    if (TK_SQL_EXEC(c, session_create, NULL, id->user_id, session.hash,
                    apr_itoa(c->r->pool, c->sconf->session_lifetime))) {
        return TK_FAIL;
    }
    c->who = id;
    apr_table_add(c->r->err_headers_out, "Set-Cookie",
                  tk_session_cookie(c, session.secret,
                                    c->sconf->session_lifetime));
    return tk_send_me(c, HTTP_OK);
}

int tk_handle_logout(tk_ctx_t *c)
{
    const char *cookie = tk_cookie_get(c->r->pool,
                                       apr_table_get(c->r->headers_in, "Cookie"),
                                       c->sconf->cookie_name);
    char name[24] = "";

    if (cookie && *cookie) {
        char hash[TK_SHA256_HEX_LEN + 1];
        int deleted = 0;

        tk_sha256_hex(cookie, strlen(cookie), hash);
        tk_credential_name(name, sizeof(name), 's', hash);
        /* The session goes, and with it (same transaction) the streams
         * it opened, through a credential_revoked event. */
        if (tk_sql_begin(c)
            || TK_SQL_EXEC(c, session_delete, &deleted, hash)
            || (c->who && deleted > 0
                && tk_event_revoked(c, "credential", name))
            || tk_sql_commit(c)) {
            return TK_FAIL;
        }
    }
    apr_table_add(c->r->err_headers_out, "Set-Cookie",
                  tk_session_cookie(c, "", 0));
    return tk_send_no_content(c);
}

int tk_handle_me(tk_ctx_t *c)
{
    return tk_send_me(c, HTTP_OK);
}
