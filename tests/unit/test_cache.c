/* test_cache.c: the bounded TTL cache (tk_cache.c), including concurrent
 * use from several threads. */
#include <string.h>
#include <apr_strings.h>
#include <apr_atomic.h>
#include <apr_thread_proc.h>
#include "tk_suites.h"
#include "core/tk_cache.h"
#include "crypto/tk_crypto.h"
#include "core/tk_header.h"

typedef struct {
    int user;
    char role[12];
} tk_val_t;

/* A key as the callers make them: a SHA-256 hex digest. */
static const char *tk_key(const char *credential)
{
    return tk_sha256_strs(tk_tp, "cache-test:", credential, (const char *)NULL);
}

START_TEST(create_refuses_no_slots)
{
    ck_assert_ptr_null(tk_cache_create(tk_tp, 0, sizeof(tk_val_t)));
    ck_assert_ptr_null(tk_cache_create(tk_tp, -3, sizeof(tk_val_t)));
    ck_assert_ptr_nonnull(tk_cache_create(tk_tp, 1, sizeof(tk_val_t)));
}
END_TEST

START_TEST(hit_and_miss)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 64, sizeof(tk_val_t));
    tk_val_t v = { 7, "agent" }, out;
    apr_time_t now = apr_time_from_sec(1000000);

    memset(&out, 0, sizeof(out));
    ck_assert_int_eq(tk_cache_get(c, tk_key("alice"), now, &out), 0);
    ck_assert_int_eq(out.user, 0);          /* untouched on a miss */

    tk_cache_put(c, tk_key("alice"), &v, now + apr_time_from_sec(60));
    ck_assert_int_eq(tk_cache_get(c, tk_key("alice"), now, &out), 1);
    ck_assert_int_eq(out.user, 7);
    ck_assert_str_eq(out.role, "agent");
    ck_assert_int_eq(tk_cache_get(c, tk_key("bob"), now, &out), 0);
    ck_assert_int_eq(tk_cache_get(c, tk_key("alic"), now, &out), 0);

    /* the stored value is a copy */
    v.user = 99;
    ck_assert_int_eq(tk_cache_get(c, tk_key("alice"), now, &out), 1);
    ck_assert_int_eq(out.user, 7);

    /* put again replaces */
    tk_cache_put(c, tk_key("alice"), &v, now + apr_time_from_sec(60));
    ck_assert_int_eq(tk_cache_get(c, tk_key("alice"), now, &out), 1);
    ck_assert_int_eq(out.user, 99);
}
END_TEST

START_TEST(empty_cache_misses_empty_key)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 4, sizeof(tk_val_t));
    tk_val_t out;

    /* a fresh slot holds the empty key with expiry 0 */
    ck_assert_int_eq(tk_cache_get(c, "", 0, &out), 0);
}
END_TEST

START_TEST(expiry)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 16, sizeof(tk_val_t));
    tk_val_t v = { 1, "admin" }, out;
    apr_time_t t0 = apr_time_from_sec(5000), exp = t0 + apr_time_from_sec(30);

    tk_cache_put(c, tk_key("k"), &v, exp);
    ck_assert_int_eq(tk_cache_get(c, tk_key("k"), t0, &out), 1);
    ck_assert_int_eq(tk_cache_get(c, tk_key("k"), exp - 1, &out), 1);
    ck_assert_int_eq(tk_cache_get(c, tk_key("k"), exp, &out), 0);
    ck_assert_int_eq(tk_cache_get(c, tk_key("k"), exp + apr_time_from_sec(1), &out), 0);
    /* an entry already expired when stored is never seen */
    tk_cache_put(c, tk_key("old"), &v, t0 - 1);
    ck_assert_int_eq(tk_cache_get(c, tk_key("old"), t0, &out), 0);
}
END_TEST

START_TEST(remove_entry)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 16, sizeof(tk_val_t));
    tk_val_t v = { 3, "viewer" }, out;
    apr_time_t now = apr_time_from_sec(100), exp = now + apr_time_from_sec(60);

    tk_cache_put(c, tk_key("a"), &v, exp);
    tk_cache_remove(c, tk_key("a"));
    ck_assert_int_eq(tk_cache_get(c, tk_key("a"), now, &out), 0);
    tk_cache_remove(c, tk_key("a"));        /* removing twice is harmless */
    tk_cache_remove(c, tk_key("never"));
    tk_cache_put(c, tk_key("a"), &v, exp);  /* and it can come back */
    ck_assert_int_eq(tk_cache_get(c, tk_key("a"), now, &out), 1);
}
END_TEST

/* One slot: every key collides. */
START_TEST(collision_replaces)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 1, sizeof(tk_val_t));
    tk_val_t a = { 1, "agent" }, b = { 2, "customer" }, out;
    apr_time_t now = apr_time_from_sec(100), exp = now + apr_time_from_sec(60);

    tk_cache_put(c, tk_key("a"), &a, exp);
    ck_assert_int_eq(tk_cache_get(c, tk_key("a"), now, &out), 1);
    tk_cache_put(c, tk_key("b"), &b, exp);
    ck_assert_int_eq(tk_cache_get(c, tk_key("a"), now, &out), 0);
    ck_assert_int_eq(tk_cache_get(c, tk_key("b"), now, &out), 1);
    ck_assert_int_eq(out.user, 2);
    ck_assert_str_eq(out.role, "customer");

    /* removing the evicted key leaves the slot's owner alone */
    tk_cache_remove(c, tk_key("a"));
    ck_assert_int_eq(tk_cache_get(c, tk_key("b"), now, &out), 1);
    ck_assert_int_eq(out.user, 2);
}
END_TEST

START_TEST(overlong_key_ignored)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 1, sizeof(tk_val_t));
    tk_val_t a = { 1, "agent" }, b = { 2, "admin" }, out;
    apr_time_t now = apr_time_from_sec(100), exp = now + apr_time_from_sec(60);
    const char *longkey = apr_pstrcat(tk_tp, tk_key("x"), "0", NULL);

    tk_cache_put(c, tk_key("a"), &a, exp);
    tk_cache_put(c, longkey, &b, exp);
    ck_assert_int_eq(tk_cache_get(c, longkey, now, &out), 0);
    ck_assert_int_eq(tk_cache_get(c, tk_key("a"), now, &out), 1);
    ck_assert_int_eq(out.user, 1);
}
END_TEST

START_TEST(many_keys_small_cache)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 8, sizeof(tk_val_t));
    apr_time_t now = apr_time_from_sec(100), exp = now + apr_time_from_sec(60);
    tk_val_t v, out;
    int i, hits = 0;

    for (i = 0; i < 100; ++i) {
        memset(&v, 0, sizeof(v));
        v.user = i;
        tk_cache_put(c, tk_key(apr_itoa(tk_tp, i)), &v, exp);
    }
    for (i = 0; i < 100; ++i) {
        if (tk_cache_get(c, tk_key(apr_itoa(tk_tp, i)), now, &out)) {
            ck_assert_int_eq(out.user, i);  /* a hit is always the right value */
            ++hits;
        }
    }
    ck_assert_int_ge(hits, 1);
    ck_assert_int_le(hits, 8);              /* memory stays bounded */
}
END_TEST

/* ---------------------------------------------------------------------
 * Concurrency: threads put and get keys that share slots.  Each value
 * spells out its key and a check pattern, so a torn copy (half of one
 * put, half of another) or a hit returning another key's value shows.
 * ------------------------------------------------------------------- */

#define TK_NTHREADS 8
#define TK_NKEYS    32
#define TK_ROUNDS   100000
#define TK_FILL     4000

typedef struct {
    char key[TK_SHA256_HEX_LEN + 1];
    unsigned int stamp;
    unsigned char fill[TK_FILL];
    unsigned int stamp_again;
} tk_big_t;

typedef struct {
    tk_cache_t *cache;
    const char *const *keys;
    int id;
    int hits;
    int bad;
} tk_worker_t;

static void tk_big_fill(tk_big_t *v, const char *key, unsigned int stamp)
{
    memcpy(v->key, key, sizeof(v->key));
    v->stamp = stamp;
    memset(v->fill, (int)(stamp & 0xff), sizeof(v->fill));
    v->stamp_again = stamp;
}

static int tk_big_ok(const tk_big_t *v, const char *key)
{
    size_t i;

    if (strcmp(v->key, key) != 0 || v->stamp != v->stamp_again) {
        return 0;
    }
    for (i = 0; i < sizeof(v->fill); ++i) {
        if (v->fill[i] != (unsigned char)(v->stamp & 0xff)) {
            return 0;
        }
    }
    return 1;
}

static void *APR_THREAD_FUNC tk_worker(apr_thread_t *thd, void *data)
{
    tk_worker_t *w = data;
    apr_time_t now = apr_time_from_sec(100), exp = now + apr_time_from_sec(60);
    unsigned int seed = (unsigned int)w->id * 2654435761u + 1;
    tk_big_t v, out;
    int i;

    for (i = 0; i < TK_ROUNDS; ++i) {
        const char *key;

        seed = seed * 1103515245u + 12345u;
        key = w->keys[(seed >> 8) % TK_NKEYS];
        if ((seed >> 20) & 1) {
            tk_big_fill(&v, key, (seed >> 4) ^ (unsigned int)w->id);
            tk_cache_put(w->cache, key, &v, exp);
        }
        else if (tk_cache_get(w->cache, key, now, &out)) {
            ++w->hits;
            if (!tk_big_ok(&out, key)) {
                ++w->bad;
            }
        }
        if ((seed >> 24) % 97 == 0) {
            tk_cache_remove(w->cache, key);
        }
    }
    /* return rather than apr_thread_exit(): pthread_exit's unwinding upsets
     * ASan's stack bookkeeping */
    (void)thd;
    return NULL;
}

START_TEST(concurrent)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 4, sizeof(tk_big_t));
    const char *keys[TK_NKEYS];
    apr_thread_t *thr[TK_NTHREADS];
    tk_worker_t w[TK_NTHREADS];
    int i, hits = 0, bad = 0;

    ck_assert_ptr_nonnull(c);
    for (i = 0; i < TK_NKEYS; ++i) {
        keys[i] = tk_key(apr_psprintf(tk_tp, "user-%d", i));
    }
    for (i = 0; i < TK_NTHREADS; ++i) {
        w[i].cache = c;
        w[i].keys = keys;
        w[i].id = i;
        w[i].hits = 0;
        w[i].bad = 0;
        ck_assert_int_eq(apr_thread_create(&thr[i], NULL, tk_worker, &w[i], tk_tp),
                         APR_SUCCESS);
    }
    for (i = 0; i < TK_NTHREADS; ++i) {
        apr_status_t rv;
        ck_assert_int_eq(apr_thread_join(&rv, thr[i]), APR_SUCCESS);
        hits += w[i].hits;
        bad += w[i].bad;
    }
    ck_assert_int_gt(hits, 0);
    ck_assert_msg(bad == 0, "%d of %d hits returned a torn or foreign value", bad, hits);
}
END_TEST

/* One verification at a time per key: while the main thread verifies,
 * the others wait, and return (0) only once it has ended, its result in
 * the cache. */
typedef struct {
    tk_cache_t *cache;
    const char *key;
    volatile apr_uint32_t *ended;
    int said, saw_end, hit;
} tk_waiter_t;

static void *APR_THREAD_FUNC tk_waiter(apr_thread_t *thd, void *data)
{
    tk_waiter_t *w = data;
    tk_val_t out;

    w->said = tk_cache_begin(w->cache, w->key, apr_time_from_sec(10));
    w->saw_end = (int)apr_atomic_read32(w->ended);
    w->hit = tk_cache_get(w->cache, w->key, apr_time_from_sec(100), &out)
             && out.user == 7;
    (void)thd;
    return NULL;
}

START_TEST(one_verification_at_a_time)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 8, sizeof(tk_val_t));
    const char *key = tk_key("burst");
    volatile apr_uint32_t ended = 0;
    apr_thread_t *thr[8];
    tk_waiter_t w[8];
    tk_val_t v = { 7, "agent" };
    int i;

    ck_assert_int_eq(tk_cache_begin(c, key, apr_time_from_sec(10)), TK_CACHE_LEAD);
    for (i = 0; i < 8; ++i) {
        w[i] = (tk_waiter_t){ c, key, &ended, -1, 0, 0 };
        ck_assert_int_eq(apr_thread_create(&thr[i], NULL, tk_waiter, &w[i], tk_tp),
                         APR_SUCCESS);
    }
    apr_sleep(apr_time_from_msec(100));     /* they are waiting */
    tk_cache_put(c, key, &v, apr_time_from_sec(160));
    apr_atomic_set32(&ended, 1);
    tk_cache_end(c, key);
    for (i = 0; i < 8; ++i) {
        apr_status_t rv;

        ck_assert_int_eq(apr_thread_join(&rv, thr[i]), APR_SUCCESS);
        ck_assert_int_eq(w[i].said, TK_CACHE_WAITED);
        ck_assert_msg(w[i].saw_end, "waiter %d returned before the end", i);
        ck_assert(w[i].hit);
    }
    /* over: the next to miss verifies */
    ck_assert_int_eq(tk_cache_begin(c, key, apr_time_from_sec(10)), TK_CACHE_LEAD);
    tk_cache_end(c, key);
}
END_TEST

/* A verification that never ends holds its waiters only for `wait`. */
START_TEST(waiting_is_bounded)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 8, sizeof(tk_val_t));
    const char *key = tk_key("stuck");
    apr_time_t t0;

    ck_assert_int_eq(tk_cache_begin(c, key, 0), TK_CACHE_LEAD);
    t0 = apr_time_now();
    ck_assert_int_eq(tk_cache_begin(c, key, apr_time_from_msec(50)), TK_CACHE_WAITED);
    ck_assert_int_ge(apr_time_now() - t0, apr_time_from_msec(50));
    tk_cache_end(c, key);
}
END_TEST

/* Past TK_CACHE_FLIGHTS keys at once, begin lets everyone verify alone;
 * a key verified alone is never in flight, so a later leader of the same
 * key is not ended by it. */
START_TEST(flights_full)
{
    tk_cache_t *c = tk_cache_create(tk_tp, 8, sizeof(tk_val_t));
    const char *extra = tk_key("one too many");
    int i;

    for (i = 0; i < TK_CACHE_FLIGHTS; ++i) {
        ck_assert_int_eq(tk_cache_begin(c, tk_key(apr_itoa(tk_tp, i)), 0),
                         TK_CACHE_LEAD);
    }
    ck_assert_int_eq(tk_cache_begin(c, extra, apr_time_from_sec(10)), TK_CACHE_ALONE);
    ck_assert_int_eq(tk_cache_begin(c, extra, apr_time_from_sec(10)), TK_CACHE_ALONE);
    tk_cache_end(c, tk_key("3"));           /* a slot frees */
    ck_assert_int_eq(tk_cache_begin(c, extra, 0), TK_CACHE_LEAD);
    ck_assert_int_eq(tk_cache_begin(c, extra, 0), TK_CACHE_WAITED);
    ck_assert_int_eq(tk_cache_begin(c, tk_key("0"), 0), TK_CACHE_WAITED);
    ck_assert_int_eq(tk_cache_begin(c, "", apr_time_from_sec(10)), TK_CACHE_ALONE);
}
END_TEST

Suite *tk_suite_cache(void)
{
    Suite *s = suite_create("tk_cache");
    TCase *tc = tk_tcase("cache");

    tcase_add_test(tc, create_refuses_no_slots);
    tcase_add_test(tc, hit_and_miss);
    tcase_add_test(tc, empty_cache_misses_empty_key);
    tcase_add_test(tc, expiry);
    tcase_add_test(tc, remove_entry);
    tcase_add_test(tc, collision_replaces);
    tcase_add_test(tc, overlong_key_ignored);
    tcase_add_test(tc, many_keys_small_cache);
    suite_add_tcase(s, tc);

    tc = tk_tcase("threads");
    tcase_add_test(tc, concurrent);
    tcase_add_test(tc, one_verification_at_a_time);
    tcase_add_test(tc, waiting_is_bounded);
    tcase_add_test(tc, flights_full);
    suite_add_tcase(s, tc);
    return s;
}
