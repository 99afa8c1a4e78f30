/* tk_ratelimit.h: rate limits counted in a table shared by every child of
 * the host (GCRA, the generic cell rate algorithm).
 *
 * A limit of n requests per period is a bucket that drains one request
 * every period/n: each key keeps one number, its theoretical arrival time
 * (TAT), the moment its bucket is empty again.  A request at now is let
 * through when TAT - now (clamped at 0) plus one interval is at most the
 * period, and moves TAT one interval on; so a key may send n at once,
 * then one per interval, and Retry-After and Reset are exact.  Why this
 * and not a window: one 64-bit word per key (no counters to reset, no
 * burst of 2n at a window's edge), updated with one compare-and-swap, so
 * no lock is held and a child that dies mid-update leaves nothing locked.
 *
 * The table is an array of words in shared memory, each a 24-bit tag of
 * the key's hash and a 40-bit TAT in milliseconds; a key probes
 * TK_RL_PROBE words from its hash's place.  A word whose TAT has passed
 * is free; when all are busy the one with the earliest TAT (the key
 * closest to being allowed anyway) is taken over, so a flood of new keys
 * can cost old keys their history but never blocks anyone.
 */
#ifndef TK_RATELIMIT_H
#define TK_RATELIMIT_H

#include <stddef.h>
#include <apr.h>

#define TK_RL_PROBE 8

/* A limit: n requests per period_ms. */
typedef struct {
    int n;
    apr_int64_t period_ms;
} tk_rl_limit_t;

typedef struct {
    int allowed;
    int limit;              /* RateLimit-Limit */
    int remaining;          /* RateLimit-Remaining */
    int reset;              /* RateLimit-Reset: seconds until all n are back */
    int retry_after;        /* seconds (at least 1) when not allowed */
} tk_rl_result_t;

/* Bytes of a table of nslots words (zeroed memory is an empty table). */
size_t tk_rl_size(apr_uint32_t nslots);

/* "n/seconds" (as the directives write it): 0, or -1 when malformed. */
int tk_rl_parse(const char *s, tk_rl_limit_t *out);

/* The hash of a key (its text and the limit, so each limit counts on its
 * own). */
apr_uint64_t tk_rl_hash(const char *key, const tk_rl_limit_t *limit);

/* One request of key hash at now_ms (milliseconds of the epoch): consume
 * 0 only looks (would it be allowed?), 1 counts it when allowed. */
void tk_rl_take(void *table, apr_uint32_t nslots, apr_uint64_t hash,
                const tk_rl_limit_t *limit, apr_int64_t now_ms, int consume,
                tk_rl_result_t *out);

/* Count one request whatever the verdict (a failed login counts even
 * when already over). */
void tk_rl_charge(void *table, apr_uint32_t nslots, apr_uint64_t hash,
                  const tk_rl_limit_t *limit, apr_int64_t now_ms);

/* Give back one request counted before (a sign-in counted up front that
 * turned out right); nothing when the key is at rest or unknown. */
void tk_rl_refund(void *table, apr_uint32_t nslots, apr_uint64_t hash,
                  const tk_rl_limit_t *limit, apr_int64_t now_ms);

#endif
