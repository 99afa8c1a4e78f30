/* sse_users.c: per-user stream counts in shared memory (see sse_users.h).
 *
 * Layout of the region:
 *
 *   +----------------------------------------------------------+
 *   | magic "SSEU" | version | slots | size                     |
 *   | lock: pthread mutex, PROCESS_SHARED + ROBUST               |
 *   +----------------------------------------------------------+
 *   | slot 0: key[40] (NUL-terminated; "" = never used) | org[40] |
 *   |         count                                              |
 *   | slot 1 ...                                                 |
 *   +----------------------------------------------------------+
 *
 * Open addressing with linear probing from a hash of the key.  A slot
 * whose count fell to 0 keeps its key, so that the probe chains of other
 * keys stay intact, and is reused by the next new key that passes it.
 * Everything happens under the mutex; the table is touched only when a
 * stream opens or closes.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
#include "sse_users.h"
#include "sse_mutex.h"

#define SSE_USERS_MAGIC   0x55455353u   /* "SSEU" read little-endian */
#define SSE_USERS_VERSION 2u

typedef struct {
    char key[SSE_USERS_KEY_MAX];
    char org[SSE_USERS_KEY_MAX];    /* the user's organization */
    uint32_t count;
    uint32_t pad;
} sse_user_slot_t;

struct sse_users_t {
    uint32_t magic;
    uint32_t version;
    uint32_t slots;
    uint32_t pad;
    uint64_t size;
    pthread_mutex_t lock;
    sse_user_slot_t slot[];
};

void (*sse_users_test_hook)(void) = NULL;

size_t sse_users_size(unsigned slots)
{
    size_t n = sizeof(sse_users_t) + (size_t)slots * sizeof(sse_user_slot_t);

    return (n + 7) & ~(size_t)7;
}

static unsigned sse_users_slots_for(size_t size)
{
    if (size < sizeof(sse_users_t) + sizeof(sse_user_slot_t)) {
        return 0;
    }
    return (unsigned)((size - sizeof(sse_users_t)) / sizeof(sse_user_slot_t));
}

sse_users_rc_t sse_users_init(sse_users_t **users, void *mem, size_t size)
{
    sse_users_t *u = mem;
    unsigned slots = sse_users_slots_for(size);

    if (!users || !mem || (uintptr_t)mem % 8 || slots == 0) {
        return SSE_USERS_EINVAL;
    }
    memset(mem, 0, sse_users_size(slots) <= size ? sse_users_size(slots) : size);
    u->version = SSE_USERS_VERSION;
    u->slots = slots;
    u->size = size;
    if (sse_mutex_init(&u->lock) != 0) {
        return SSE_USERS_ELOCK;
    }
    __atomic_store_n(&u->magic, SSE_USERS_MAGIC, __ATOMIC_RELEASE);
    *users = u;
    return SSE_USERS_OK;
}

sse_users_rc_t sse_users_attach(sse_users_t **users, void *mem, size_t size)
{
    sse_users_t *u = mem;

    if (!users || !mem || (uintptr_t)mem % 8) {
        return SSE_USERS_EINVAL;
    }
    if (size < sizeof(sse_users_t)
        || __atomic_load_n(&u->magic, __ATOMIC_ACQUIRE) != SSE_USERS_MAGIC
        || u->version != SSE_USERS_VERSION || u->size != size
        || u->slots != sse_users_slots_for(size)) {
        return SSE_USERS_MISMATCH;
    }
    *users = u;
    return SSE_USERS_OK;
}

/* Every change is one store of a count, or a key copied before its count
 * is set: a holder that died leaves nothing to repair. */
static sse_users_rc_t sse_users_lock(sse_users_t *u)
{
    int recovered;

    return sse_mutex_lock(&u->lock, &recovered) == 0 ? SSE_USERS_OK
                                                     : SSE_USERS_ELOCK;
}

static uint32_t sse_users_hash(const char *key)
{
    uint32_t h = 2166136261u;

    for (; *key; ++key) {
        h = (h ^ (unsigned char)*key) * 16777619u;
    }
    return h;
}

/* The slot holding key, or NULL; *free_slot gets the first slot a new key
 * may take (a reusable or never-used one), or NULL when there is none. */
static sse_user_slot_t *sse_users_find(sse_users_t *u, const char *key,
                                       sse_user_slot_t **free_slot)
{
    uint32_t i, start = sse_users_hash(key) % u->slots;

    *free_slot = NULL;
    for (i = 0; i < u->slots; ++i) {
        sse_user_slot_t *s = &u->slot[(start + i) % u->slots];

        if (s->key[0] == '\0') {            /* end of the chain */
            if (!*free_slot) {
                *free_slot = s;
            }
            return NULL;
        }
        if (strcmp(s->key, key) == 0) {
            return s;
        }
        if (s->count == 0 && !*free_slot) {
            *free_slot = s;
        }
    }
    return NULL;
}

static int sse_users_key_ok(const char *user)
{
    return user && *user && strlen(user) < SSE_USERS_KEY_MAX;
}

sse_users_rc_t sse_users_enter(sse_users_t *u, const char *user,
                               const char *org, unsigned limit)
{
    sse_user_slot_t *s, *free_slot;
    sse_users_rc_t rc;

    if (!u || !sse_users_key_ok(user) || !sse_users_key_ok(org)) {
        return SSE_USERS_EINVAL;
    }
    if ((rc = sse_users_lock(u)) != SSE_USERS_OK) {
        return rc;
    }
    if (sse_users_test_hook) {
        sse_users_test_hook();
    }
    s = sse_users_find(u, user, &free_slot);
    if (!s && free_slot) {
        s = free_slot;
        s->count = 0;
        apr_cpystrn(s->key, user, sizeof(s->key));
    }
    if (s && s->count == 0) {
        apr_cpystrn(s->org, org, sizeof(s->org));
    }
    if (!s) {
        rc = SSE_USERS_FULL;
    }
    else if (limit != 0 && s->count >= limit) {
        rc = SSE_USERS_LIMIT;
    }
    else {
        ++s->count;
    }
    pthread_mutex_unlock(&u->lock);
    return rc;
}

void sse_users_leave(sse_users_t *u, const char *user)
{
    sse_user_slot_t *s, *free_slot;

    if (!u || !sse_users_key_ok(user) || sse_users_lock(u) != SSE_USERS_OK) {
        return;
    }
    s = sse_users_find(u, user, &free_slot);
    if (s && s->count > 0) {
        --s->count;
    }
    pthread_mutex_unlock(&u->lock);
}

unsigned sse_users_count(sse_users_t *u, const char *user)
{
    sse_user_slot_t *s, *free_slot;
    unsigned n = 0;

    if (!u || !sse_users_key_ok(user) || sse_users_lock(u) != SSE_USERS_OK) {
        return 0;
    }
    s = sse_users_find(u, user, &free_slot);
    if (s) {
        n = s->count;
    }
    pthread_mutex_unlock(&u->lock);
    return n;
}

/* Users with streams (what 1) or their streams (what 0), of org (NULL:
 * any). */
static unsigned sse_users_sum(sse_users_t *u, const char *org, int users)
{
    unsigned i, n = 0;

    if (!u || sse_users_lock(u) != SSE_USERS_OK) {
        return 0;
    }
    for (i = 0; i < u->slots; ++i) {
        const sse_user_slot_t *s = &u->slot[i];

        if (s->count > 0 && (!org || strcmp(s->org, org) == 0)) {
            n += users ? 1 : s->count;
        }
    }
    pthread_mutex_unlock(&u->lock);
    return n;
}

unsigned sse_users_active(sse_users_t *u, const char *org)
{
    return sse_users_sum(u, org, 1);
}

unsigned sse_users_streams(sse_users_t *u, const char *org)
{
    return sse_users_sum(u, org, 0);
}
