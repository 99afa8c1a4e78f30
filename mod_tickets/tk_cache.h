/* tk_cache.h: a small, bounded, thread-safe cache of verified identities.
 *
 * Verifying a Basic password costs a bcrypt; looking up an API token costs
 * a query.  A verified result is kept for a short TTL under the SHA-256 of
 * the credential (never the credential itself), in a fixed table of slots
 * chosen by that digest: memory is fixed, a collision just replaces the
 * older entry, and a lookup is one lock and one compare.
 */
#ifndef TK_CACHE_H
#define TK_CACHE_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct tk_cache_t tk_cache_t;

/* A cache of nslots entries of value_size bytes each; NULL on failure. */
tk_cache_t *tk_cache_create(apr_pool_t *p, int nslots, size_t value_size);

/* Copy the value for key into out when present and not expired: 1 / 0. */
int tk_cache_get(tk_cache_t *c, const char *key, apr_time_t now, void *out);

void tk_cache_put(tk_cache_t *c, const char *key, const void *value,
                  apr_time_t expires);

/* Drop key if present. */
void tk_cache_remove(tk_cache_t *c, const char *key);

#endif
