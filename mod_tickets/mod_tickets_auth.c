/* mod_tickets_auth.c: who is calling.
 *
 * Under `AuthType Tickets`, the check_authn hook verifies, in this order, a
 * session cookie (browsers; EventSource cannot send headers), a Bearer API
 * token, or Basic credentials (bcrypt through apr_password_validate), and
 * sets r->user to the user's email so `Require` and the access log work.
 * When another module authenticated the request instead (say SSO through
 * mod_auth_openidc), r->user is matched to a user by email.
 *
 * Verified Basic passwords, API tokens and external emails are remembered
 * per child for TicketsCredentialCacheTTL seconds, under the SHA-256 of the
 * credential and the virtual host, so Basic does not cost a bcrypt per
 * request.  Session cookies are looked up every time, so logging out takes
 * effect at once.  The cache key also holds the host's revocation count
 * (a word of shared memory, bumped when a token is revoked here or when
 * the relay sees a revocation made on another host), so a revoked token
 * stops working at once on every child of every host.
 */
#include <apr_strings.h>
#include <apr_md5.h>
#include <apr_shm.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <mod_auth.h>
#include "mod_tickets.h"
#include "tk_crypto.h"
#include "tk_valid.h"
#include "tk_queries.h"

#define TK_AUTH_NONE    0       /* no credentials offered */
#define TK_AUTH_OK      1
#define TK_AUTH_BAD     2       /* credentials offered but wrong */

/* Verified against when the email is unknown, so a miss costs a bcrypt
 * like a hit and response times do not reveal which emails exist. */
static const char tk_decoy_hash[] =
    "$2y$10$swGfty94ukYrScwEarwNauUunPdkYkPxgAayA0idXBgO7yDUCai8u";

static tk_cache_t *tk_credentials;     /* this child's, or NULL */
static apr_uint64_t *tk_revocations;   /* shared by the host's children */

int tk_auth_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_shm_t *shm;
    apr_status_t rv;

    tk_revocations = NULL;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    rv = apr_shm_create(&shm, sizeof(apr_uint64_t), NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00004: shared memory "
                     "for revocations could not be created");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    tk_revocations = apr_shm_baseaddr_get(shm);
    *tk_revocations = 0;
    return OK;
}

void tk_auth_revoked(void)
{
    if (tk_revocations) {
        __atomic_fetch_add(tk_revocations, 1, __ATOMIC_RELAXED);
    }
}

void tk_auth_child_init(apr_pool_t *pchild, server_rec *s)
{
    const tk_srv_conf_t *conf = tk_srv_conf(s);

    tk_credentials = tk_cache_create(pchild, conf->credential_slots,
                                     sizeof(tk_identity_t));
    if (!tk_credentials) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "TK00003: credential cache could not be created; "
                     "every request will verify its credentials");
    }
}

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

/* The cache key of a credential: the SHA-256 of its kind, the virtual host
 * (whose database verified it: another vhost may use another database)
 * and the credential itself. */
static const char *tk_cache_key(tk_ctx_t *c, const char *kind, const char *a,
                                const char *b)
{
    apr_uint64_t gen = tk_revocations
                       ? __atomic_load_n(tk_revocations, __ATOMIC_RELAXED) : 0;

    return tk_sha256_strs(c->r->pool, kind, "\n",
                          apr_psprintf(c->r->pool, "%pp %" APR_UINT64_T_FMT,
                                       c->r->server, gen), "\n",
                          a, "\n", b ? b : "", NULL);
}

static int tk_cache_lookup(tk_ctx_t *c, const char *key, tk_identity_t *id)
{
    tk_cache_t *cache = tk_credentials;

    return cache && c->sconf->credential_ttl > 0
           && tk_cache_get(cache, key, apr_time_now(), id);
}

static void tk_cache_remember(tk_ctx_t *c, const char *key,
                              const tk_identity_t *id)
{
    tk_cache_t *cache = tk_credentials;

    if (cache && c->sconf->credential_ttl > 0) {
        tk_cache_put(cache, key, id, apr_time_now()
                     + apr_time_from_sec(c->sconf->credential_ttl));
    }
}

/* ---------------------------------------------------------------------
 * Each kind of credential
 * ------------------------------------------------------------------- */

static int tk_auth_lookup(tk_ctx_t *c, const char *label, const char *arg,
                          int via, tk_identity_t *id)
{
    tk_rows_t *rows;

    if (TK_SQL_SELECT(c, label, &rows, arg)) {
        return -1;
    }
    if (rows->nrows != 1) {
        return TK_AUTH_BAD;
    }
    tk_identity_fill(id, rows, via);
    return TK_AUTH_OK;
}

static int tk_auth_cookie(tk_ctx_t *c, const char *cookie, tk_identity_t *id)
{
    char hash[TK_SHA256_HEX_LEN + 1];
    int rv;

    tk_sha256_hex(cookie, strlen(cookie), hash);
    rv = tk_auth_lookup(c, TKQ_user_by_session, hash, TK_VIA_COOKIE, id);
    if (rv == TK_AUTH_OK) {
        tk_credential_name(id->credential, sizeof(id->credential), 's', hash);
    }
    return rv;
}

static int tk_auth_bearer(tk_ctx_t *c, const char *token, tk_identity_t *id)
{
    char hash[TK_SHA256_HEX_LEN + 1];
    const char *key = tk_cache_key(c, "bearer", token, NULL);
    int rv;

    if (tk_cache_lookup(c, key, id)) {
        return TK_AUTH_OK;
    }
    tk_sha256_hex(token, strlen(token), hash);
    rv = tk_auth_lookup(c, TKQ_user_by_token, hash, TK_VIA_BEARER, id);
    if (rv == TK_AUTH_OK) {
        tk_credential_name(id->credential, sizeof(id->credential), 't', hash);
        tk_cache_remember(c, key, id);
    }
    return rv;
}

/* Check email and password; TK_AUTH_OK fills *id. */
static int tk_auth_password(tk_ctx_t *c, const char *email,
                            const char *password, int via, tk_identity_t *id)
{
    const char *key = tk_cache_key(c, "password", email, password);
    const char *hash;
    tk_rows_t *rows;

    if (tk_cache_lookup(c, key, id)) {
        id->via = via;
        return TK_AUTH_OK;
    }
    if (TK_SQL_SELECT(c, TKQ_user_by_email, &rows, email)) {
        return -1;
    }
    hash = rows->nrows == 1 ? tk_rows_get(rows, 0, 5) : NULL;
    if (apr_password_validate(password, hash ? hash : tk_decoy_hash)
        != APR_SUCCESS || !hash) {
        return TK_AUTH_BAD;
    }
    tk_identity_fill(id, rows, via);
    tk_cache_remember(c, key, id);
    return TK_AUTH_OK;
}

static int tk_auth_external(tk_ctx_t *c, const char *email, tk_identity_t *id)
{
    const char *key = tk_cache_key(c, "external", email, NULL);
    int rv;

    if (tk_cache_lookup(c, key, id)) {
        return TK_AUTH_OK;
    }
    rv = tk_auth_lookup(c, TKQ_user_by_email, email, TK_VIA_EXTERNAL, id);
    if (rv == TK_AUTH_OK) {
        tk_cache_remember(c, key, id);
    }
    return rv;
}

/* Credentials from the request headers, in order cookie, Bearer, Basic.
 * Returns TK_AUTH_*, or -1 when the database failed (c->err set). */
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
 * Hooks
 * ------------------------------------------------------------------- */

int tk_check_authn(request_rec *r)
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
    if (rv < 0) {
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
        return TK_DONE;
    }
    id = apr_pcalloc(r->pool, sizeof(*id));
    if (r->user && (!r->ap_auth_type
                    || strcasecmp(r->ap_auth_type, "Tickets") != 0)) {
        rv = tk_auth_external(c, r->user, id);
        if (rv < 0) {
            return TK_FAIL;
        }
        if (rv != TK_AUTH_OK) {
            return tk_fail(c, TK_E_FORBIDDEN, NULL,
                           "Your account is not known to the helpdesk.");
        }
        c->who = id;
        return TK_DONE;
    }
    rv = tk_authenticate(c, id);
    if (rv < 0) {
        return TK_FAIL;
    }
    if (rv == TK_AUTH_BAD) {
        return tk_fail(c, TK_E_UNAUTHENTICATED, NULL,
                       "The credentials are not valid.");
    }
    if (rv == TK_AUTH_OK) {
        c->who = id;
    }
    return TK_DONE;
}

/* ---------------------------------------------------------------------
 * /api/auth
 * ------------------------------------------------------------------- */

static const char *tk_session_cookie(tk_ctx_t *c, const char *value, int max_age)
{
    return apr_psprintf(c->r->pool, "%s=%s; Path=/; Max-Age=%d; HttpOnly; "
                        "SameSite=Strict%s", c->sconf->cookie_name, value,
                        max_age, c->sconf->cookie_secure ? "; Secure" : "");
}

static int tk_send_me(tk_ctx_t *c, int status)
{
    tk_rows_t *rows;
    json_t *doc;

    if (TK_SQL_SELECT(c, TKQ_user_me, &rows, c->who->user_id)) {
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
    const char *email, *password, *secret;
    char hash[TK_SHA256_HEX_LEN + 1];
    tk_identity_t *id = apr_pcalloc(c->r->pool, sizeof(*id));
    int rv;

    if (tk_valid_login(c->body, &email, &password, &c->err)) {
        return TK_FAIL;
    }
    rv = tk_auth_password(c, email, password, TK_VIA_COOKIE, id);
    if (rv < 0) {
        return TK_FAIL;
    }
    if (rv != TK_AUTH_OK) {
        return tk_fail(c, TK_E_UNAUTHENTICATED, NULL,
                       "The email or password is not correct.");
    }
    secret = tk_random_secret(c->r->pool, "tks_", 32);
    if (!secret) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00020: no randomness for a session secret");
        return tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
    }
    tk_sha256_hex(secret, strlen(secret), hash);
    if (TK_SQL_EXEC(c, TKQ_session_purge, NULL)
        || TK_SQL_EXEC(c, TKQ_session_create, NULL, id->user_id, hash,
                       apr_itoa(c->r->pool, c->sconf->session_lifetime))) {
        return TK_FAIL;
    }
    c->who = id;
    apr_table_add(c->r->err_headers_out, "Set-Cookie",
                  tk_session_cookie(c, secret, c->sconf->session_lifetime));
    return tk_send_me(c, HTTP_OK);
}

int tk_handle_logout(tk_ctx_t *c)
{
    const char *cookie = tk_cookie_get(c->r->pool,
                                       apr_table_get(c->r->headers_in, "Cookie"),
                                       c->sconf->cookie_name);

    if (cookie && *cookie) {
        char hash[TK_SHA256_HEX_LEN + 1], name[24];
        int deleted = 0;

        tk_sha256_hex(cookie, strlen(cookie), hash);
        tk_credential_name(name, sizeof(name), 's', hash);
        /* The session goes, and with it (same transaction) the streams
         * it opened, through a credential_revoked event. */
        if (tk_sql_begin(c)
            || TK_SQL_EXEC(c, TKQ_session_delete, &deleted, hash)
            || (c->who && deleted > 0 && tk_stream_revoked(c, name))
            || tk_sql_commit(c)) {
            return TK_FAIL;
        }
    }
    apr_table_add(c->r->err_headers_out, "Set-Cookie",
                  tk_session_cookie(c, "", 0));
    c->r->status = HTTP_NO_CONTENT;
    apr_table_setn(c->r->headers_out, "Cache-Control", "no-store");
    return TK_DONE;
}

int tk_handle_me(tk_ctx_t *c)
{
    return tk_send_me(c, HTTP_OK);
}
