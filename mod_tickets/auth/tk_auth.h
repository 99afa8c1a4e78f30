/* tk_auth.h: who is calling, and what every child must stop trusting.
 *
 *   tk_authn.c        AuthType Tickets (check_authn): session cookie,
 *                     Bearer API token, Basic (bcrypt); r->user set by
 *                     another module matched by email; tickets_identify
 *                     for mod_tickets_sse
 *   tk_credentials.c  the verified-credential cache of each child, and
 *                     the host's revocation log (lib/core/tk_revlog.h)
 *                     through which a revoked token, a deleted session or
 *                     a changed user is forgotten by every child at once
 */
#ifndef TK_AUTH_H
#define TK_AUTH_H

#include "request/tk_request.h"

/* Outcomes of checking offered credentials. */
#define TK_AUTH_NONE    0       /* no credentials offered */
#define TK_AUTH_OK      1
#define TK_AUTH_BAD     2       /* credentials offered but wrong */
#define TK_AUTH_DB      -1      /* the database failed: c->err set */
#define TK_AUTH_LIMITED -2      /* too many failed passwords: c->err set
                                 * (429, TicketsLoginFailureLimit) */

/* Resolve who is calling: our authn result, or r->user set by another
 * module matched by email.  c->who stays NULL for an anonymous caller;
 * TK_FAIL for wrong credentials or a database failure. */
int tk_resolve_identity(tk_ctx_t *c);

/* Check an email and password (the login endpoint and Basic), under
 * TicketsLoginFailureLimit: TK_AUTH_OK fills *id, else TK_AUTH_BAD,
 * TK_AUTH_LIMITED (c->err set) or TK_AUTH_DB. */
int tk_auth_password(tk_ctx_t *c, const char *email, const char *password,
                     int via, tk_identity_t *id);

/* The Set-Cookie value of the session cookie. */
const char *tk_session_cookie(tk_ctx_t *c, const char *value, int max_age);

/* "<kind>:<first 16 of hash>" into out: the name of a revocable
 * credential ('s' session, 't' API token), as streams and the revocation
 * log know it. */
void tk_credential_name(char *out, apr_size_t size, char kind,
                        const char *hash);

/* ---------------------------------------------------------------------
 * The credential cache (tk_credentials.c)
 * ------------------------------------------------------------------- */

/* Before verifying a credential: the cache is brought up to date with
 * the revocation log; the number returned goes to tk_cache_remember. */
apr_uint64_t tk_cache_sync(void);
/* A verified identity under key, or 0. */
int tk_cache_lookup(tk_ctx_t *c, const char *key, tk_identity_t *id);
/* Remember a verified identity, unless something was revoked since sync
 * (then the verification may predate it). */
void tk_cache_remember(tk_ctx_t *c, const char *key, const tk_identity_t *id,
                       apr_uint64_t sync);
/* Around the verification of a password that missed: what
 * tk_cache_begin says (lib/core/tk_cache.h); after TK_CACHE_LEAD, call
 * tk_cache_verified once verified. */
int tk_cache_verifying(tk_ctx_t *c, const char *key);
void tk_cache_verified(const char *key);
/* The cache key of a credential of kind ("bearer", "password",
 * "external"): a SHA-256, never the credential. */
const char *tk_cache_key(tk_ctx_t *c, const char *kind, const char *a,
                         const char *b);

/* Every child of this host forgets, at once, what it verified for a
 * credential (TK_REVLOG_CREDENTIAL, its name) or a user
 * (TK_REVLOG_USER, the uuid).  Called after the commit that revoked it,
 * and by the relay for revocations read from the event log (those of
 * other hosts). */
void tk_auth_forget(char kind, const char *value);
/* The same for a credential_revoked event's data. */
void tk_auth_forget_event(const char *data, apr_size_t len);

void tk_auth_register_hooks(apr_pool_t *p);
/* Within the area: the cache's and the log's hooks. */
void tk_credentials_register_hooks(apr_pool_t *p);

#endif
