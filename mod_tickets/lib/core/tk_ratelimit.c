/* tk_ratelimit.c: GCRA on a lock-free table of 64-bit words (see
 * tk_ratelimit.h).  Every update is a compare-and-swap loop over one
 * word, bounded by TK_RL_PROBE slots and a few retries. */
#include <string.h>
#include <stdlib.h>
#include "core/tk_ratelimit.h"

#define TK_RL_TAG_BITS  24
#define TK_RL_TAT_BITS  40
#define TK_RL_TAT_MASK  ((APR_UINT64_C(1) << TK_RL_TAT_BITS) - 1)
#define TK_RL_EPOCH_MS  APR_INT64_C(1767225600000)  /* 2026-01-01 */
#define TK_RL_TRIES     16

size_t tk_rl_size(apr_uint32_t nslots)
{
    return (size_t)nslots * sizeof(apr_uint64_t);
}

int tk_rl_parse(const char *s, tk_rl_limit_t *out)
{
    char *end;
    long n = strtol(s, &end, 10), secs;

    if (end == s || *end != '/' || n < 1 || n > 1000000) {
        return -1;
    }
    s = end + 1;
    secs = strtol(s, &end, 10);
    if (end == s || *end || secs < 1 || secs > 86400) {
        return -1;
    }
    out->n = (int)n;
    out->period_ms = (apr_int64_t)secs * 1000;
    return 0;
}

apr_uint64_t tk_rl_hash(const char *key, const tk_rl_limit_t *limit)
{
    apr_uint64_t h = APR_UINT64_C(14695981039346656037);    /* FNV-1a */
    apr_uint64_t extra[2];
    const unsigned char *p;
    size_t i;

    for (p = (const unsigned char *)key; *p; ++p) {
        h = (h ^ *p) * APR_UINT64_C(1099511628211);
    }
    extra[0] = (apr_uint64_t)limit->n;
    extra[1] = (apr_uint64_t)limit->period_ms;
    p = (const unsigned char *)extra;
    for (i = 0; i < sizeof(extra); ++i) {
        h = (h ^ p[i]) * APR_UINT64_C(1099511628211);
    }
    return h ^ (h >> 29);
}

static apr_uint64_t tk_rl_tag(apr_uint64_t hash)
{
    apr_uint64_t tag = hash >> (64 - TK_RL_TAG_BITS);

    return tag ? tag : 1;       /* tag 0 marks a word never used */
}

static apr_int64_t tk_rl_tat(apr_uint64_t word)
{
    return (apr_int64_t)(word & TK_RL_TAT_MASK);
}

static apr_uint64_t tk_rl_word(apr_uint64_t tag, apr_int64_t tat)
{
    return (tag << TK_RL_TAT_BITS) | ((apr_uint64_t)tat & TK_RL_TAT_MASK);
}

/* The slot of the key: its own, a free one, or the one closest to free. */
static apr_uint64_t *tk_rl_slot(apr_uint64_t *words, apr_uint32_t nslots,
                                apr_uint64_t hash, apr_uint64_t *seen)
{
    apr_uint64_t tag = tk_rl_tag(hash), *best = NULL, bestw = 0;
    apr_uint32_t i;

    for (i = 0; i < TK_RL_PROBE; ++i) {
        apr_uint64_t *w = &words[(hash + i) % nslots];
        apr_uint64_t v = __atomic_load_n(w, __ATOMIC_ACQUIRE);

        if (v >> TK_RL_TAT_BITS == tag) {
            *seen = v;
            return w;
        }
        if (!best || tk_rl_tat(v) < tk_rl_tat(bestw)) {
            best = w;
            bestw = v;
        }
    }
    /* Not there: the word of the earliest TAT, which is free when that
     * has passed (its key would be let through in full anyway). */
    *seen = bestw;
    return best;
}

/* The verdict at now for a key whose TAT is tat (0: none). */
static apr_int64_t tk_rl_verdict(apr_int64_t tat, const tk_rl_limit_t *l,
                                 apr_int64_t now, tk_rl_result_t *out)
{
    apr_int64_t e = l->period_ms / l->n, base = tat > now ? tat : now;
    apr_int64_t next = base + e, ahead = next - now;

    if (e < 1) {
        e = 1;
        next = base + 1;
        ahead = next - now;
    }
    out->limit = l->n;
    out->allowed = ahead <= l->period_ms;
    if (out->allowed) {
        out->remaining = (int)((l->period_ms - ahead) / e);
        out->reset = (int)((ahead + 999) / 1000);
        out->retry_after = 0;
        return next;
    }
    out->remaining = 0;
    out->reset = (int)((base - now + 999) / 1000);
    out->retry_after = (int)((ahead - l->period_ms + 999) / 1000);
    if (out->retry_after < 1) {
        out->retry_after = 1;
    }
    return base;
}

static void tk_rl_update(void *table, apr_uint32_t nslots, apr_uint64_t hash,
                         const tk_rl_limit_t *limit, apr_int64_t now_ms,
                         int consume, int charge, tk_rl_result_t *out)
{
    apr_uint64_t tag = tk_rl_tag(hash);
    apr_int64_t now = now_ms - TK_RL_EPOCH_MS;
    int tries;

    memset(out, 0, sizeof(*out));
    if (now < 1) {
        now = 1;
    }
    for (tries = 0; tries < TK_RL_TRIES; ++tries) {
        apr_uint64_t seen, *w = tk_rl_slot(table, nslots, hash, &seen);
        apr_int64_t tat = seen >> TK_RL_TAT_BITS == tag ? tk_rl_tat(seen) : 0;
        apr_int64_t next = tk_rl_verdict(tat, limit, now, out);

        if (charge && !out->allowed) {
            /* Over already: counted still, up to two periods ahead, so
             * failures go on costing without locking a key out for long. */
            next = tat + limit->period_ms / limit->n;
            if (next > now + 2 * limit->period_ms) {
                next = now + 2 * limit->period_ms;
            }
        }
        if (!consume || (!out->allowed && !charge)) {
            return;
        }
        if (__atomic_compare_exchange_n(w, &seen, tk_rl_word(tag, next), 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            return;
        }
    }
    /* Contended past reason: let it through uncounted, never block. */
}

void tk_rl_take(void *table, apr_uint32_t nslots, apr_uint64_t hash,
                const tk_rl_limit_t *limit, apr_int64_t now_ms, int consume,
                tk_rl_result_t *out)
{
    tk_rl_update(table, nslots, hash, limit, now_ms, consume, 0, out);
}

void tk_rl_charge(void *table, apr_uint32_t nslots, apr_uint64_t hash,
                  const tk_rl_limit_t *limit, apr_int64_t now_ms)
{
    tk_rl_result_t ignored;

    tk_rl_update(table, nslots, hash, limit, now_ms, 1, 1, &ignored);
}

void tk_rl_refund(void *table, apr_uint32_t nslots, apr_uint64_t hash,
                  const tk_rl_limit_t *limit, apr_int64_t now_ms)
{
    apr_uint64_t tag = tk_rl_tag(hash);
    apr_int64_t now = now_ms - TK_RL_EPOCH_MS;
    apr_int64_t e = limit->period_ms / limit->n > 0
                    ? limit->period_ms / limit->n : 1;
    int tries;

    for (tries = 0; tries < TK_RL_TRIES; ++tries) {
        apr_uint64_t seen, *w = tk_rl_slot(table, nslots, hash, &seen);
        apr_int64_t tat, next;

        if (seen >> TK_RL_TAT_BITS != tag || (tat = tk_rl_tat(seen)) <= now) {
            return;                 /* not counted, or at rest already */
        }
        next = tat - e > now ? tat - e : now;
        if (__atomic_compare_exchange_n(w, &seen, tk_rl_word(tag, next), 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            return;
        }
    }
}
