/* tk_cache.h: a small, bounded, thread-safe cache of verified identities.
 *
 * Verifying a Basic password costs a bcrypt; looking up an API token costs
 * a query.  A verified result is kept for a short TTL under the SHA-256 of
 * the credential (never the credential itself), in a fixed table of slots
 * chosen by that digest: memory is fixed, a collision just replaces the
 * older entry, and a lookup is one lock and one compare.  Entries a
 * revocation concerns are dropped by a scan (tk_cache_forget), which is
 * rare and costs one pass over the slots.
 */
#ifndef TK_CACHE_H
#define TK_CACHE_H

#include <apr_pools.h>
#include <apr_time.h>

/* The longest key (a SHA-256 in hex). */
#define TK_CACHE_KEY_MAX 64

typedef struct tk_cache_t tk_cache_t;

/* A cache of nslots entries of value_size bytes each; NULL on failure. */
tk_cache_t *tk_cache_create(apr_pool_t *p, int nslots, size_t value_size);

/* Copy the value for key into out when present and not expired: 1 / 0. */
int tk_cache_get(tk_cache_t *c, const char *key, apr_time_t now, void *out);

void tk_cache_put(tk_cache_t *c, const char *key, const void *value,
                  apr_time_t expires);

/* Drop key if present. */
void tk_cache_remove(tk_cache_t *c, const char *key);

/* Drop every entry whose value match() says 1 to (data is passed on):
 * what a revoked credential or a changed account had verified. */
typedef int tk_cache_match_fn(const void *value, const void *data);
void tk_cache_forget(tk_cache_t *c, tk_cache_match_fn *match, const void *data);

/* Drop every entry. */
void tk_cache_clear(tk_cache_t *c);

/* One verification per credential at a time.  A burst of requests bearing
 * the same credential (a hundred streams reconnecting) would otherwise all
 * miss together and each pay a bcrypt.  Before verifying what missed, call
 * tk_cache_begin.  TK_CACHE_LEAD: this thread verifies and must call
 * tk_cache_end when done (after tk_cache_put, if it succeeded).
 * TK_CACHE_WAITED: another thread was verifying the same key and has
 * finished, or `wait` has passed: look the key up again, and verify only
 * if it is still missing.  TK_CACHE_ALONE: TK_CACHE_FLIGHTS keys are being
 * verified already; verify without the rule (and without tk_cache_end). */
enum { TK_CACHE_WAITED, TK_CACHE_LEAD, TK_CACHE_ALONE };
#define TK_CACHE_FLIGHTS 16
int tk_cache_begin(tk_cache_t *c, const char *key, apr_interval_time_t wait);
void tk_cache_end(tk_cache_t *c, const char *key);

#endif
