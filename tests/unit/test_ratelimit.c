/* test_ratelimit.c: GCRA on the shared table (tk_ratelimit.c) with a
 * clock the test moves: n at once then one per interval, exact
 * Retry-After and Reset, keys apart, a full table. */
#include <string.h>
#include "tk_suites.h"
#include "core/tk_ratelimit.h"

#define NOW APR_INT64_C(1800000000000)

START_TEST(allows_n_then_refuses)
{
    apr_uint64_t table[64];
    tk_rl_limit_t l;
    tk_rl_result_t r;
    apr_uint64_t h;
    int i;

    memset(table, 0, sizeof(table));
    ck_assert_int_eq(tk_rl_parse("10/60", &l), 0);
    h = tk_rl_hash("u:alice", &l);
    for (i = 0; i < 10; ++i) {
        tk_rl_take(table, 64, h, &l, NOW, 1, &r);
        ck_assert_int_eq(r.allowed, 1);
        ck_assert_int_eq(r.limit, 10);
        ck_assert_int_eq(r.remaining, 9 - i);
    }
    ck_assert_int_eq(r.reset, 60);
    tk_rl_take(table, 64, h, &l, NOW, 1, &r);
    ck_assert_int_eq(r.allowed, 0);
    ck_assert_int_eq(r.remaining, 0);
    ck_assert_int_eq(r.retry_after, 6);         /* one interval: 60/10 */
    /* Looking costs nothing; 6 s later one more is let through. */
    tk_rl_take(table, 64, h, &l, NOW + 5999, 0, &r);
    ck_assert_int_eq(r.allowed, 0);
    ck_assert_int_eq(r.retry_after, 1);
    tk_rl_take(table, 64, h, &l, NOW + 6000, 1, &r);
    ck_assert_int_eq(r.allowed, 1);
    ck_assert_int_eq(r.remaining, 0);
    /* After a whole period all ten are back. */
    tk_rl_take(table, 64, h, &l, NOW + 66000, 1, &r);
    ck_assert_int_eq(r.allowed, 1);
    ck_assert_int_eq(r.remaining, 9);
}
END_TEST

START_TEST(keys_and_limits_apart)
{
    apr_uint64_t table[64];
    tk_rl_limit_t a, b;
    tk_rl_result_t r;

    memset(table, 0, sizeof(table));
    tk_rl_parse("1/60", &a);
    tk_rl_parse("2/60", &b);
    tk_rl_take(table, 64, tk_rl_hash("u:1", &a), &a, NOW, 1, &r);
    ck_assert_int_eq(r.allowed, 1);
    tk_rl_take(table, 64, tk_rl_hash("u:1", &a), &a, NOW, 1, &r);
    ck_assert_int_eq(r.allowed, 0);
    ck_assert_int_eq(r.retry_after, 60);
    tk_rl_take(table, 64, tk_rl_hash("u:2", &a), &a, NOW, 1, &r);
    ck_assert_int_eq(r.allowed, 1);
    tk_rl_take(table, 64, tk_rl_hash("u:1", &b), &b, NOW, 1, &r);
    ck_assert_int_eq(r.allowed, 1);
    ck_assert_int_ne(tk_rl_hash("u:1", &a), tk_rl_hash("u:1", &b));
}
END_TEST

START_TEST(charges_and_a_full_table)
{
    apr_uint64_t table[8];
    tk_rl_limit_t l;
    tk_rl_result_t r;
    char key[32];
    int i;

    memset(table, 0, sizeof(table));
    tk_rl_parse("3/60", &l);
    for (i = 0; i < 5; ++i) {
        tk_rl_charge(table, 8, tk_rl_hash("login:a", &l), &l, NOW);
    }
    tk_rl_take(table, 8, tk_rl_hash("login:a", &l), &l, NOW, 0, &r);
    ck_assert_int_eq(r.allowed, 0);
    ck_assert_int_eq(r.retry_after, 60);        /* capped at two periods */
    /* Eight slots, many keys: each newcomer still gets an answer. */
    for (i = 0; i < 100; ++i) {
        snprintf(key, sizeof(key), "a:10.0.0.%d", i);
        tk_rl_take(table, 8, tk_rl_hash(key, &l), &l, NOW, 1, &r);
        ck_assert_int_eq(r.allowed, 1);
    }
    ck_assert_int_eq(tk_rl_parse("0/60", &l), -1);
    ck_assert_int_eq(tk_rl_parse("10", &l), -1);
    ck_assert_int_eq(tk_rl_parse("10/0", &l), -1);
    ck_assert_int_eq(tk_rl_parse("10/60s", &l), -1);
}
END_TEST

START_TEST(refunds)
{
    apr_uint64_t table[8];
    tk_rl_limit_t l;
    tk_rl_result_t r;
    apr_uint64_t h;
    int i;

    memset(table, 0, sizeof(table));
    tk_rl_parse("3/60", &l);
    h = tk_rl_hash("acct:a", &l);
    /* Counted up front and given back: the right passwords cost nothing. */
    for (i = 0; i < 10; ++i) {
        tk_rl_take(table, 8, h, &l, NOW, 1, &r);
        ck_assert_int_eq(r.allowed, 1);
        tk_rl_refund(table, 8, h, &l, NOW);
    }
    tk_rl_take(table, 8, h, &l, NOW, 0, &r);
    ck_assert_int_eq(r.remaining, 2);
    /* Three kept, the fourth refused; one given back lets one more in. */
    for (i = 0; i < 3; ++i) {
        tk_rl_take(table, 8, h, &l, NOW, 1, &r);
    }
    tk_rl_take(table, 8, h, &l, NOW, 1, &r);
    ck_assert_int_eq(r.allowed, 0);
    tk_rl_refund(table, 8, h, &l, NOW);
    tk_rl_take(table, 8, h, &l, NOW, 1, &r);
    ck_assert_int_eq(r.allowed, 1);
    /* An unknown key, or one at rest: nothing happens. */
    tk_rl_refund(table, 8, tk_rl_hash("acct:b", &l), &l, NOW);
    tk_rl_take(table, 8, tk_rl_hash("acct:b", &l), &l, NOW, 0, &r);
    ck_assert_int_eq(r.remaining, 2);
    tk_rl_refund(table, 8, h, &l, NOW + 3600 * 1000);
    tk_rl_take(table, 8, h, &l, NOW + 3600 * 1000, 0, &r);
    ck_assert_int_eq(r.remaining, 2);
}
END_TEST

Suite *tk_suite_ratelimit(void)
{
    Suite *s = suite_create("tk_ratelimit");
    TCase *tc = tk_tcase("ratelimit");

    tcase_add_test(tc, allows_n_then_refuses);
    tcase_add_test(tc, keys_and_limits_apart);
    tcase_add_test(tc, charges_and_a_full_table);
    tcase_add_test(tc, refunds);
    suite_add_tcase(s, tc);
    return s;
}
