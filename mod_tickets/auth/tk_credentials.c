/* tk_credentials.c: what each child remembers of verified credentials, and
 * how every child forgets it at once.
 *
 * Verifying a Basic password costs a bcrypt and an API token a query, so
 * each child keeps what it verified for TicketsCredentialCacheTTL seconds
 * (lib/core/tk_cache.h), keyed by the SHA-256 of the credential and the
 * virtual host (whose database verified it).  Session cookies are looked
 * up every time.
 *
 * Revocations reach every child through the host's revocation log
 * (lib/core/tk_revlog.h), a segment of shared memory kept across graceful
 * restarts (as mod_tickets_sse keeps its ring), so old and new children
 * hear of the same revocations.  A request that revokes a token, ends a
 * session or changes a user adds an entry after its commit; the relay adds
 * the entries of revocations it reads from the event log, which covers
 * those made on other hosts.  Before a child trusts its cache it reads the
 * entries added since it last looked and drops the cached identities they
 * name: the one credential, or every credential of the user.  A child
 * that missed entries (more than the log holds came at once) drops its
 * whole cache.
 *
 * A verification that began before a revocation could otherwise put back
 * what the revocation removed; tk_cache_remember therefore keeps nothing
 * when the log moved since the verification began.
 */
#include <apr_atomic.h>
#include <http_core.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <jansson.h>
#include "auth/tk_auth.h"
#include "core/tk_cache.h"
#include "core/tk_revlog.h"
#include "crypto/tk_crypto.h"

#define TK_REVLOG_RETAINED "mod_tickets_revlog"

static tk_revlog_t *tk_revlog;          /* the host's, or NULL */
static tk_cache_t *tk_credentials;      /* this child's, or NULL */
static apr_uint64_t tk_seen;            /* the last entry applied */
#if APR_HAS_THREADS
static apr_thread_mutex_t *tk_sync_lock;
#endif

/* ---------------------------------------------------------------------
 * Forgetting
 * ------------------------------------------------------------------- */

typedef struct {
    char kind;
    const char *value;
} tk_forget_t;

static int tk_forget_match(const void *value, const void *data)
{
    const tk_identity_t *id = value;
    const tk_forget_t *f = data;

    return strcmp(f->kind == TK_REVLOG_USER ? id->user_id : id->credential,
                  f->value) == 0;
}

static void tk_forget_one(char kind, const char *value, void *cache)
{
    tk_forget_t f = { kind, value };

    if (*value) {
        tk_cache_forget(cache, tk_forget_match, &f);
    }
}

apr_uint64_t tk_cache_sync(void)
{
    apr_uint64_t newest;

    if (!tk_revlog) {
        return 0;
    }
    newest = tk_revlog_newest(tk_revlog);
    if (!tk_credentials || newest == apr_atomic_read64(&tk_seen)) {
        return newest;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_lock(tk_sync_lock);
#endif
    if (newest > apr_atomic_read64(&tk_seen)) {
        if (tk_revlog_read(tk_revlog, apr_atomic_read64(&tk_seen), newest,
                           tk_forget_one, tk_credentials) != 0) {
            tk_cache_clear(tk_credentials);
        }
        apr_atomic_set64(&tk_seen, newest);
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(tk_sync_lock);
#endif
    return newest;
}

void tk_auth_forget(char kind, const char *value)
{
    if (tk_revlog) {
        tk_revlog_add(tk_revlog, kind, value);
    }
    tk_cache_sync();
}

void tk_auth_forget_event(const char *data, apr_size_t len)
{
    json_t *doc = json_loadb(data, len, 0, NULL);
    const char *v;

    if ((v = json_string_value(json_object_get(doc, "credential"))) != NULL) {
        tk_auth_forget(TK_REVLOG_CREDENTIAL, v);
    }
    else if ((v = json_string_value(json_object_get(doc, "user"))) != NULL) {
        tk_auth_forget(TK_REVLOG_USER, v);
    }
    json_decref(doc);
}

/* ---------------------------------------------------------------------
 * The cache
 * ------------------------------------------------------------------- */

const char *tk_cache_key(tk_ctx_t *c, const char *kind, const char *a,
                         const char *b)
{
    return tk_sha256_strs(c->r->pool, kind, "\n",
                          apr_psprintf(c->r->pool, "%pp", c->r->server), "\n",
                          a, "\n", b ? b : "", NULL);
}

int tk_cache_lookup(tk_ctx_t *c, const char *key, tk_identity_t *id)
{
    tk_cache_sync();
    return tk_credentials && c->sconf->credential_ttl > 0
           && tk_cache_get(tk_credentials, key, apr_time_now(), id);
}

void tk_cache_remember(tk_ctx_t *c, const char *key, const tk_identity_t *id,
                       apr_uint64_t sync)
{
    if (tk_credentials && c->sconf->credential_ttl > 0
        && (!tk_revlog || tk_revlog_newest(tk_revlog) == sync)) {
        tk_cache_put(tk_credentials, key, id, apr_time_now()
                     + apr_time_from_sec(c->sconf->credential_ttl));
        /* a revocation that landed between the look and the put may have
         * been read by another thread before the put: take it back */
        if (tk_revlog && tk_revlog_newest(tk_revlog) != sync) {
            tk_cache_remove(tk_credentials, key);
        }
    }
}

/* Longest a request waits for another's bcrypt of the same password. */
#define TK_VERIFY_WAIT apr_time_from_sec(2)

int tk_cache_verifying(tk_ctx_t *c, const char *key)
{
    if (!tk_credentials || c->sconf->credential_ttl <= 0) {
        return TK_CACHE_ALONE;
    }
    return tk_cache_begin(tk_credentials, key, TK_VERIFY_WAIT);
}

void tk_cache_verified(const char *key)
{
    if (tk_credentials) {
        tk_cache_end(tk_credentials, key);
    }
}

/* ---------------------------------------------------------------------
 * Hooks
 * ------------------------------------------------------------------- */

static int tk_credentials_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                      apr_pool_t *ptemp, server_rec *s)
{
    void *mem;
    int fresh;

    (void)pconf; (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (!(mem = tk_shm_host(s, TK_REVLOG_RETAINED, tk_revlog_size(), &fresh))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    tk_revlog = fresh ? tk_revlog_init(mem) : mem;
    return OK;
}

static void tk_credentials_child_init(apr_pool_t *pchild, server_rec *s)
{
    const tk_srv_conf_t *conf = tk_srv_conf(s);

    tk_credentials = tk_cache_create(pchild, conf->credential_slots,
                                     sizeof(tk_identity_t));
#if APR_HAS_THREADS
    if (tk_credentials
        && apr_thread_mutex_create(&tk_sync_lock, APR_THREAD_MUTEX_DEFAULT,
                                   pchild) != APR_SUCCESS) {
        tk_credentials = NULL;
    }
#endif
    if (!tk_credentials) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "TK00003: credential cache could not be created; "
                     "every request will verify its credentials");
    }
    tk_seen = tk_revlog ? tk_revlog_newest(tk_revlog) : 0;
}

void tk_credentials_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_credentials_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_child_init(tk_credentials_child_init, NULL, NULL,
                       APR_HOOK_MIDDLE);
}
