/* tk_authn.c: who is calling (see tk_auth.h).
 *
 * Under `AuthType Tickets`, the check_authn hook verifies, in this order, a
 * Bearer API token or Basic credentials (bcrypt through
 * apr_password_validate) from the Authorization header, or else the
 * session cookie (browsers; EventSource cannot send headers), and sets
 * r->user to the user's email so `Require` and the access log work.  When
 * another module authenticated the request instead (say SSO through
 * mod_auth_openidc), r->user is matched to a user by email.  Tokens,
 * passwords and external emails are remembered by the child's credential
 * cache (tk_credentials.c); session cookies are looked up every time, so
 * logging out takes effect at once.
 *
 * tickets_identify answers the same question for mod_tickets_sse.
 */
#include <apr_strings.h>
#include <apr_md5.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <mod_auth.h>
#include "auth/tk_auth.h"
#include "core/tk_header.h"
#include "core/tk_cache.h"
#include "crypto/tk_crypto.h"
#include "mod_tickets.h"
#include "tk_queries.h"

/* Verified against when the email is unknown, so a miss costs a bcrypt
 * like a hit and response times do not reveal which emails exist. */
static const char tk_decoy_hash[] =
    "$2y$10$swGfty94ukYrScwEarwNauUunPdkYkPxgAayA0idXBgO7yDUCai8u";

void tk_credential_name(char *out, apr_size_t size, char kind,
                        const char *hash)
{
    apr_snprintf(out, size, "%c:%.16s", kind, hash);
}

static void tk_identity_fill(tk_identity_t *id, const tk_rows_t *rows, int via)
{
    apr_cpystrn(id->user_id, tk_rows_get(rows, 0, 0), sizeof(id->user_id));
    apr_cpystrn(id->org_id, tk_rows_get(rows, 0, 1), sizeof(id->org_id));
    apr_cpystrn(id->role, tk_rows_get(rows, 0, 2), sizeof(id->role));
    apr_cpystrn(id->email, tk_rows_get(rows, 0, 3), sizeof(id->email));
    apr_cpystrn(id->name, tk_rows_get(rows, 0, 4), sizeof(id->name));
    id->via = via;
    id->credential[0] = '\0';
}

/* ---------------------------------------------------------------------
 * Each kind of credential
 * ------------------------------------------------------------------- */

/* The identity in the only row of a user query: TK_AUTH_OK, or
 * TK_AUTH_BAD when there is none. */
static int tk_auth_row(const tk_rows_t *rows, int via, tk_identity_t *id)
{
    if (rows->nrows != 1) {
        return TK_AUTH_BAD;
    }
    tk_identity_fill(id, rows, via);
    return TK_AUTH_OK;
}

static int tk_auth_cookie(tk_ctx_t *c, const char *cookie, tk_identity_t *id)
{
    char hash[TK_SHA256_HEX_LEN + 1];
    tk_rows_t *rows;

    tk_sha256_hex(cookie, strlen(cookie), hash);
    if (TK_SQL_SELECT(c, user_by_session, &rows, hash)) {
        return TK_AUTH_DB;
    }
    if (tk_auth_row(rows, TK_VIA_COOKIE, id) != TK_AUTH_OK) {
        return TK_AUTH_BAD;
    }
    tk_credential_name(id->credential, sizeof(id->credential), 's', hash);
    return TK_AUTH_OK;
}

static int tk_auth_bearer(tk_ctx_t *c, const char *token, tk_identity_t *id)
{
    char hash[TK_SHA256_HEX_LEN + 1];
    const char *key = tk_cache_key(c, "bearer", token, NULL);
    apr_uint64_t sync = tk_cache_sync();
    tk_rows_t *rows;

    if (tk_cache_lookup(c, key, id)) {
        return TK_AUTH_OK;
    }
    tk_sha256_hex(token, strlen(token), hash);
    if (TK_SQL_SELECT(c, user_by_token, &rows, hash)) {
        return TK_AUTH_DB;
    }
    if (tk_auth_row(rows, TK_VIA_BEARER, id) != TK_AUTH_OK) {
        return TK_AUTH_BAD;
    }
    tk_credential_name(id->credential, sizeof(id->credential), 't', hash);
    tk_cache_remember(c, key, id, sync);
    return TK_AUTH_OK;
}

/* The bcrypt of a password that the cache did not have. */
static int tk_password_verify(tk_ctx_t *c, const char *key,
                              const char *email, const char *password,
                              int via, tk_identity_t *id)
{
    apr_uint64_t sync = tk_cache_sync();
    const char *hash;
    tk_rows_t *rows;

    if (TK_SQL_SELECT(c, user_by_email, &rows, email)) {
        return TK_AUTH_DB;
    }
    hash = rows->nrows == 1 ? tk_rows_get(rows, 0, 5) : NULL;
    if (apr_password_validate(password, hash ? hash : tk_decoy_hash)
        != APR_SUCCESS || !hash) {
        return TK_AUTH_BAD;
    }
    tk_identity_fill(id, rows, via);
    tk_cache_remember(c, key, id, sync);
    return TK_AUTH_OK;
}

/* A burst of requests with one password (streams reconnecting) pays one
 * bcrypt per child: the others wait for it and take its result. */
int tk_auth_password(tk_ctx_t *c, const char *email, const char *password,
                     int via, tk_identity_t *id)
{
    const char *key = tk_cache_key(c, "password", email, password);
    int rc, flight;

    /* Held back is held back, for a right password too (else a guess
     * could tell one from its answer). */
    if (tk_limit_login_blocked(c, email, 0)) {
        return TK_AUTH_LIMITED;
    }
    /* A password this child verified lately, or is verifying for another
     * request now, is no new attempt: many requests at once with the
     * right password are not held back for each other. */
    if (tk_cache_lookup(c, key, id)) {
        id->via = via;
        return TK_AUTH_OK;
    }
    flight = tk_cache_verifying(c, key);
    if (flight == TK_CACHE_WAITED && tk_cache_lookup(c, key, id)) {
        id->via = via;
        return TK_AUTH_OK;
    }
    /* Counted before it is checked, so that guesses sent at once cannot
     * all pass before one is counted; given back when it was right. */
    if (tk_limit_login_blocked(c, email, 1)) {
        rc = TK_AUTH_LIMITED;
    }
    else if ((rc = tk_password_verify(c, key, email, password, via, id))
             == TK_AUTH_OK) {
        tk_limit_login_ok(c, email);
    }
    if (flight == TK_CACHE_LEAD) {
        tk_cache_verified(key);
    }
    return rc;
}

static int tk_auth_external(tk_ctx_t *c, const char *email, tk_identity_t *id)
{
    const char *key = tk_cache_key(c, "external", email, NULL);
    apr_uint64_t sync = tk_cache_sync();
    tk_rows_t *rows;

    if (tk_cache_lookup(c, key, id)) {
        return TK_AUTH_OK;
    }
    if (TK_SQL_SELECT(c, user_by_email, &rows, email)) {
        return TK_AUTH_DB;
    }
    if (tk_auth_row(rows, TK_VIA_EXTERNAL, id) != TK_AUTH_OK) {
        return TK_AUTH_BAD;
    }
    tk_cache_remember(c, key, id, sync);
    return TK_AUTH_OK;
}

/* Credentials from the request headers: Authorization (Bearer or Basic),
 * else the session cookie.  TK_AUTH_*. */
static int tk_authenticate(tk_ctx_t *c, tk_identity_t *id)
{
    request_rec *r = c->r;
    const char *authz = apr_table_get(r->headers_in, "Authorization");
    const char *cookie = tk_cookie_get(r->pool,
                                       apr_table_get(r->headers_in, "Cookie"),
                                       c->sconf->cookie_name);
    const char *token, *user, *pass;

    if (authz) {
        if ((token = tk_bearer_parse(r->pool, authz)) != NULL) {
            return tk_auth_bearer(c, token, id);
        }
        if (tk_basic_parse(r->pool, authz, &user, &pass) == 0) {
            return tk_auth_password(c, user, pass, TK_VIA_BASIC, id);
        }
        return TK_AUTH_BAD;
    }
    if (cookie && *cookie) {
        return tk_auth_cookie(c, cookie, id);
    }
    return TK_AUTH_NONE;
}

/* ---------------------------------------------------------------------
 * The caller
 * ------------------------------------------------------------------- */

static int tk_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r);
    tk_ctx_t *c;
    tk_identity_t *id;
    int rv;

    if (!type || strcasecmp(type, "Tickets") != 0) {
        return DECLINED;
    }
    c = tk_ctx_get(r);
    id = apr_pcalloc(r->pool, sizeof(*id));
    rv = tk_authenticate(c, id);
    if (rv == TK_AUTH_OK) {
        c->who = id;
        r->user = apr_pstrdup(r->pool, id->email);
        r->ap_auth_type = "Tickets";
        return OK;
    }
    if (rv == TK_AUTH_DB || rv == TK_AUTH_LIMITED) {
        return tk_refuse(r, c->err.code, c->err.message);
    }
    return tk_refuse(r, TK_E_UNAUTHENTICATED, rv == TK_AUTH_NONE
                     ? "Sign in, or send an API token or Basic credentials."
                     : "The credentials are not valid.");
}

int tk_resolve_identity(tk_ctx_t *c)
{
    request_rec *r = c->r;
    tk_identity_t *id;
    int rv;

    if (c->who) {
        return TK_OK;
    }
    id = apr_pcalloc(r->pool, sizeof(*id));
    if (r->user && (!r->ap_auth_type
                    || strcasecmp(r->ap_auth_type, "Tickets") != 0)) {
        rv = tk_auth_external(c, r->user, id);
        if (rv == TK_AUTH_DB) {
            return TK_FAIL;
        }
        if (rv != TK_AUTH_OK) {
            return tk_fail(c, TK_E_FORBIDDEN, NULL,
                           "Your account is not known to the helpdesk.");
        }
        c->who = id;
        return TK_OK;
    }
    rv = tk_authenticate(c, id);
    if (rv == TK_AUTH_DB || rv == TK_AUTH_LIMITED) {
        return TK_FAIL;
    }
    if (rv == TK_AUTH_BAD) {
        return tk_fail(c, TK_E_UNAUTHENTICATED, NULL,
                       "The credentials are not valid.");
    }
    if (rv == TK_AUTH_OK) {
        c->who = id;
    }
    return TK_OK;
}

/* The optional function for mod_tickets_sse. */
static int tickets_identify(request_rec *r, tickets_identity_t *out)
{
    tk_ctx_t *c = tk_ctx_get(r);
    int rv = tk_resolve_identity(c);

    /* The caller (a stream) may live for an hour: it must not keep the
     * database connection that identifying it took. */
    tk_db_release(c);
    if (rv != TK_OK) {
        return tk_refuse(r, c->err.code != TK_E_NONE ? c->err.code
                                                     : TK_E_INTERNAL,
                         c->err.message);
    }
    if (!c->who) {
        return tk_refuse(r, TK_E_UNAUTHENTICATED,
                         "Sign in, or send an API token or Basic credentials.");
    }
    apr_cpystrn(out->org, c->who->org_id, sizeof(out->org));
    apr_cpystrn(out->user, c->who->user_id, sizeof(out->user));
    apr_cpystrn(out->role, c->who->role, sizeof(out->role));
    apr_cpystrn(out->credential, c->who->credential, sizeof(out->credential));
    return OK;
}

const char *tk_session_cookie(tk_ctx_t *c, const char *value, int max_age)
{
    return apr_psprintf(c->r->pool, "%s=%s; Path=/; Max-Age=%d; HttpOnly; "
                        "SameSite=Strict%s", c->sconf->cookie_name, value,
                        max_age, c->sconf->cookie_secure ? "; Secure" : "");
}

void tk_auth_register_hooks(apr_pool_t *p)
{
    tk_credentials_register_hooks(p);
    ap_hook_check_authn(tk_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    APR_REGISTER_OPTIONAL_FN(tickets_identify);
}
