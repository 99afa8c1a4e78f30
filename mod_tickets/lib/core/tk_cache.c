/* tk_cache.c: fixed-size, TTL-bounded identity cache (see tk_cache.h).
 *
 *   +--------+--------+--------+-----+
 *   | slot 0 | slot 1 | slot 2 | ... |   nslots, chosen by key digest
 *   +--------+--------+--------+-----+
 *   slot: key (up to 64 chars) | expires | value (value_size bytes)
 *
 * Keys are SHA-256 hex digests, so their first bytes are already uniform
 * and pick the slot directly.  Beside the slots, the keys being verified
 * right now (tk_cache_begin) and a condition their waiters sleep on.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>
#include "core/tk_cache.h"

typedef struct {
    char key[TK_CACHE_KEY_MAX + 1];
    apr_time_t expires;
} tk_slot_t;

struct tk_cache_t {
    int nslots;
    size_t value_size;
    size_t stride;
    char *slots;
    char flights[TK_CACHE_FLIGHTS][TK_CACHE_KEY_MAX + 1];
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *landed;
#endif
};

tk_cache_t *tk_cache_create(apr_pool_t *p, int nslots, size_t value_size)
{
    tk_cache_t *c = apr_pcalloc(p, sizeof(*c));

    if (nslots <= 0) {
        return NULL;
    }
    c->nslots = nslots;
    c->value_size = value_size;
    c->stride = (sizeof(tk_slot_t) + value_size + 15) & ~(size_t)15;
    c->slots = apr_pcalloc(p, c->stride * (size_t)nslots);
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS
        || apr_thread_cond_create(&c->landed, p) != APR_SUCCESS) {
        return NULL;
    }
#endif
    return c;
}

static tk_slot_t *tk_cache_slot(tk_cache_t *c, const char *key)
{
    unsigned long h = 5381;
    int i;

    for (i = 0; key[i] && i < 16; ++i) {
        h = h * 33 + (unsigned char)key[i];
    }
    return (tk_slot_t *)(c->slots + c->stride * (h % (unsigned long)c->nslots));
}

static void tk_cache_lock(tk_cache_t *c)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(c->lock);
#else
    (void)c;
#endif
}

static void tk_cache_unlock(tk_cache_t *c)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(c->lock);
#else
    (void)c;
#endif
}

int tk_cache_get(tk_cache_t *c, const char *key, apr_time_t now, void *out)
{
    tk_slot_t *s = tk_cache_slot(c, key);
    int hit;

    tk_cache_lock(c);
    hit = s->expires > now && strcmp(s->key, key) == 0;
    if (hit) {
        memcpy(out, (char *)s + sizeof(*s), c->value_size);
    }
    tk_cache_unlock(c);
    return hit;
}

void tk_cache_put(tk_cache_t *c, const char *key, const void *value,
                  apr_time_t expires)
{
    tk_slot_t *s = tk_cache_slot(c, key);

    if (strlen(key) > TK_CACHE_KEY_MAX) {
        return;
    }
    tk_cache_lock(c);
    apr_cpystrn(s->key, key, sizeof(s->key));
    s->expires = expires;
    memcpy((char *)s + sizeof(*s), value, c->value_size);
    tk_cache_unlock(c);
}

void tk_cache_remove(tk_cache_t *c, const char *key)
{
    tk_slot_t *s = tk_cache_slot(c, key);

    tk_cache_lock(c);
    if (strcmp(s->key, key) == 0) {
        s->expires = 0;
    }
    tk_cache_unlock(c);
}

void tk_cache_forget(tk_cache_t *c, tk_cache_match_fn *match, const void *data)
{
    int i;

    tk_cache_lock(c);
    for (i = 0; i < c->nslots; ++i) {
        tk_slot_t *s = (tk_slot_t *)(c->slots + c->stride * (size_t)i);

        if (s->expires != 0 && match((char *)s + sizeof(*s), data)) {
            s->expires = 0;
        }
    }
    tk_cache_unlock(c);
}

void tk_cache_clear(tk_cache_t *c)
{
    int i;

    tk_cache_lock(c);
    for (i = 0; i < c->nslots; ++i) {
        ((tk_slot_t *)(c->slots + c->stride * (size_t)i))->expires = 0;
    }
    tk_cache_unlock(c);
}

/* The flight slot holding key, or -1. */
static int tk_cache_flight(const tk_cache_t *c, const char *key)
{
    int i;

    for (i = 0; i < TK_CACHE_FLIGHTS; ++i) {
        if (strcmp(c->flights[i], key) == 0) {
            return i;
        }
    }
    return -1;
}

int tk_cache_begin(tk_cache_t *c, const char *key, apr_interval_time_t wait)
{
    int slot;

    if (!*key || strlen(key) > TK_CACHE_KEY_MAX) {
        return TK_CACHE_ALONE;
    }
    tk_cache_lock(c);
#if APR_HAS_THREADS
    if (tk_cache_flight(c, key) >= 0) {
        apr_time_t until = apr_time_now() + wait;

        while (tk_cache_flight(c, key) >= 0 && apr_time_now() < until) {
            apr_thread_cond_timedwait(c->landed, c->lock,
                                      until - apr_time_now());
        }
        tk_cache_unlock(c);
        return TK_CACHE_WAITED;
    }
#else
    (void)wait;
#endif
    if ((slot = tk_cache_flight(c, "")) >= 0) {
        apr_cpystrn(c->flights[slot], key, sizeof(c->flights[slot]));
    }
    tk_cache_unlock(c);
    return slot >= 0 ? TK_CACHE_LEAD : TK_CACHE_ALONE;
}

void tk_cache_end(tk_cache_t *c, const char *key)
{
    int slot;

    if (!*key) {
        return;
    }
    tk_cache_lock(c);
    if ((slot = tk_cache_flight(c, key)) >= 0) {
        c->flights[slot][0] = '\0';
#if APR_HAS_THREADS
        apr_thread_cond_broadcast(c->landed);
#endif
    }
    tk_cache_unlock(c);
}
