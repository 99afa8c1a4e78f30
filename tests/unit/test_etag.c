/* test_etag.c: entity tags and If-Match / If-None-Match (tk_etag.c).
 *
 * If-Match (tk_etag_matches) compares the version, so either view's tag of
 * the current version matches; If-None-Match (tk_etag_list_has) compares
 * whole tags, so the staff and customer views never validate each other.
 */
#include "tk_suites.h"
#include "core/tk_etag.h"

START_TEST(make)
{
    ck_assert_str_eq(tk_etag_make(tk_tp, 42, 0), "\"v42\"");
    ck_assert_str_eq(tk_etag_make(tk_tp, 42, 1), "\"v42-c\"");
    ck_assert_str_eq(tk_etag_make(tk_tp, 0, 0), "\"v0\"");
    ck_assert_str_eq(tk_etag_make(tk_tp, 1234567890123L, 0), "\"v1234567890123\"");
}
END_TEST

START_TEST(made_tags_match)
{
    long v;

    for (v = 0; v < 2000; v += 7) {
        ck_assert_int_eq(tk_etag_matches(tk_etag_make(tk_tp, v, 0), v), 1);
        ck_assert_int_eq(tk_etag_matches(tk_etag_make(tk_tp, v, 1), v), 1);
        ck_assert_int_eq(tk_etag_matches(tk_etag_make(tk_tp, v, 0), v + 1), 0);
        ck_assert_int_eq(tk_etag_matches(tk_etag_make(tk_tp, v, 1), v + 1), 0);
    }
}
END_TEST

START_TEST(matches)
{
    ck_assert_int_eq(tk_etag_matches("\"v42\"", 42), 1);
    ck_assert_int_eq(tk_etag_matches("\"v42-c\"", 42), 1);
    ck_assert_int_eq(tk_etag_matches("W/\"v42\"", 42), 1);
    ck_assert_int_eq(tk_etag_matches("W/\"v42-c\"", 42), 1);
    ck_assert_int_eq(tk_etag_matches("*", 42), 1);
    ck_assert_int_eq(tk_etag_matches("*", 0), 1);
    ck_assert_int_eq(tk_etag_matches("\"v1\", \"v42\"", 42), 1);
    ck_assert_int_eq(tk_etag_matches("\"v1\",\"v42-c\",\"v3\"", 42), 1);
    ck_assert_int_eq(tk_etag_matches("  \t\"v42\"  ", 42), 1);
    ck_assert_int_eq(tk_etag_matches("\"v1\", W/\"v42\"", 42), 1);
    ck_assert_int_eq(tk_etag_matches("\"v007\"", 7), 1);
    ck_assert_int_eq(tk_etag_matches("\"v123456789012\"", 123456789012L), 1);
    /* garbage before a good tag in a list is skipped */
    ck_assert_int_eq(tk_etag_matches("garbage, \"v42\"", 42), 1);
    ck_assert_int_eq(tk_etag_matches("\"x9\", \"v42\"", 42), 1);
}
END_TEST

START_TEST(no_match)
{
    static const char *const bad[] = {
        "", ",", " , ", "\"v41\"", "\"v43\"", "\"v4\"", "\"v420\"", "\"v042x\"",
        "\"v1\", \"v2\", \"v3\"", "v42", "\"42\"", "\"V42\"", "\"v\"", "\"v-c\"", "\"v42",
        "\"v42-d\"", "\"v42-cc\"", "\"v42c\"", "w/\"v42\"", "W/v42", "W/", "\"x42\"",
        "garbage", "\"v42 \"", "\"v+42\"", "\"v-42\"", "'v42'",
        "\"v4200000000000000000042\"",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        ck_assert_msg(tk_etag_matches(bad[i], 42) == 0, "%s matched v42", bad[i]);
    }
    ck_assert_int_eq(tk_etag_matches(NULL, 42), 0);
    ck_assert_int_eq(tk_etag_matches("\"v0\"", 42), 0);
    ck_assert_int_eq(tk_etag_matches("\"v42\"", 0), 0);
}
END_TEST

START_TEST(list_has)
{
    const char *staff = tk_etag_make(tk_tp, 3, 0), *cust = tk_etag_make(tk_tp, 3, 1);

    ck_assert_int_eq(tk_etag_list_has("\"v3\"", staff), 1);
    ck_assert_int_eq(tk_etag_list_has("W/\"v3\"", staff), 1);
    ck_assert_int_eq(tk_etag_list_has("\"v3-c\"", cust), 1);
    ck_assert_int_eq(tk_etag_list_has("*", staff), 1);
    ck_assert_int_eq(tk_etag_list_has("\"v1\", \"v3\"", staff), 1);
    ck_assert_int_eq(tk_etag_list_has("\"v1\",W/\"v3-c\"", cust), 1);
    ck_assert_int_eq(tk_etag_list_has(" \t\"v3\" ", staff), 1);

    /* the other view of the same version is another representation */
    ck_assert_int_eq(tk_etag_list_has("\"v3-c\"", staff), 0);
    ck_assert_int_eq(tk_etag_list_has("\"v3\"", cust), 0);
    ck_assert_int_eq(tk_etag_list_has("\"v33\"", staff), 0);
    ck_assert_int_eq(tk_etag_list_has("\"v\"", staff), 0);
    ck_assert_int_eq(tk_etag_list_has("\"v1\", \"v2\"", staff), 0);
    ck_assert_int_eq(tk_etag_list_has("v3", staff), 0);
    ck_assert_int_eq(tk_etag_list_has("\"v3", staff), 0);
    ck_assert_int_eq(tk_etag_list_has("w/\"v3\"", staff), 0);
    ck_assert_int_eq(tk_etag_list_has("", staff), 0);
    ck_assert_int_eq(tk_etag_list_has(" , ", staff), 0);
    ck_assert_int_eq(tk_etag_list_has(NULL, staff), 0);
}
END_TEST

Suite *tk_suite_etag(void)
{
    Suite *s = suite_create("tk_etag");
    TCase *tc = tk_tcase("etag");

    tcase_add_test(tc, make);
    tcase_add_test(tc, made_tags_match);
    tcase_add_test(tc, matches);
    tcase_add_test(tc, no_match);
    tcase_add_test(tc, list_has);
    suite_add_tcase(s, tc);
    return s;
}
