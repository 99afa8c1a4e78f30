/* test_json.c: pool-owned jansson values, body parsing, dumps and diffs
 * (tk_json.c). */
#include <string.h>
#include "tk_suites.h"
#include "core/tk_json.h"

START_TEST(own_releases_on_destroy)
{
    apr_pool_t *sub;
    json_t *j = json_object();

    ck_assert_int_eq(apr_pool_create(&sub, tk_tp), APR_SUCCESS);
    json_incref(j);                             /* the test's own reference */
    ck_assert_ptr_eq(tk_json_own(sub, j), j);
    ck_assert_int_eq(j->refcount, 2);
    apr_pool_destroy(sub);
    ck_assert_int_eq(j->refcount, 1);           /* the pool's one was dropped */
    json_decref(j);
}
END_TEST

START_TEST(own_releases_on_clear)
{
    apr_pool_t *sub;
    json_t *j = json_string("x");

    ck_assert_int_eq(apr_pool_create(&sub, tk_tp), APR_SUCCESS);
    json_incref(j);
    tk_json_own(sub, j);
    apr_pool_clear(sub);
    ck_assert_int_eq(j->refcount, 1);
    /* a cleared pool owns nothing any more: destroying it drops nothing */
    apr_pool_destroy(sub);
    ck_assert_int_eq(j->refcount, 1);
    json_decref(j);
}
END_TEST

START_TEST(own_parent_destroy)
{
    apr_pool_t *sub;
    json_t *j = json_array();

    ck_assert_int_eq(apr_pool_create(&sub, tk_tp), APR_SUCCESS);
    json_incref(j);
    tk_json_own(sub, j);
    apr_pool_destroy(tk_tp);                    /* the parent takes sub with it */
    tk_tp = NULL;
    ck_assert_int_eq(j->refcount, 1);
    json_decref(j);
}
END_TEST

START_TEST(own_null)
{
    ck_assert_ptr_null(tk_json_own(tk_tp, NULL));
}
END_TEST

static json_t *tk_parse(const char *s, tk_err_t *err)
{
    return tk_json_parse_object(tk_tp, s, strlen(s), err);
}

START_TEST(parse_object_ok)
{
    tk_err_t err = { 0 };
    apr_pool_t *sub;
    json_t *j;
    const char *buf = "{\"a\": 1, \"b\": [true, null]}trailing";

    j = tk_json_parse_object(tk_tp, buf, strlen("{\"a\": 1, \"b\": [true, null]}"), &err);
    ck_assert_ptr_nonnull(j);
    ck_assert(json_is_object(j));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "a")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(j, "b")), 2);

    /* the result belongs to the pool */
    ck_assert_int_eq(apr_pool_create(&sub, tk_tp), APR_SUCCESS);
    j = tk_json_parse_object(sub, "{}", 2, &err);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(j->refcount, 1);
    json_incref(j);
    apr_pool_destroy(sub);
    ck_assert_int_eq(j->refcount, 1);
    json_decref(j);
}
END_TEST

START_TEST(parse_object_errors)
{
    static const char *const bad[] = {
        "{", "}", "{\"a\":}", "{\"a\" 1}", "{'a': 1}", "{\"a\": 1,}", "nul",
        "{\"a\": 1} {\"b\": 2}", "{\"a\": 1} x", "[1, 2]", "[]", "\"text\"", "42", "true",
        "null", " ", "\xef\xbb\xbf{}", "{\"a\": \"\xff\"}",
        "{\"a\": 1, \"a\": 2}", "{\"a\": {\"b\": 1, \"b\": 1}}",
    };
    tk_err_t err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(tk_parse(bad[i], &err) == NULL, "accepted %s", bad[i]);
        ck_assert_int_eq(err.code, TK_E_INVALID_JSON);
        ck_assert_ptr_null(err.field);
        ck_assert_ptr_nonnull(err.message);
    }

    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(tk_json_parse_object(tk_tp, "", 0, &err));
    ck_assert_int_eq(err.code, TK_E_INVALID_JSON);
    ck_assert_ptr_nonnull(strstr(err.message, "empty"));

    /* len is honoured: the object is cut short */
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(tk_json_parse_object(tk_tp, "{\"a\": 1}", 5, &err));
    ck_assert_int_eq(err.code, TK_E_INVALID_JSON);

    /* an embedded NUL byte is not JSON */
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(tk_json_parse_object(tk_tp, "{}\0", 3, &err));
    ck_assert_int_eq(err.code, TK_E_INVALID_JSON);
}
END_TEST

START_TEST(parse_object_messages)
{
    tk_err_t err = { 0 };

    ck_assert_ptr_null(tk_parse("[1]", &err));
    ck_assert_ptr_nonnull(strstr(err.message, "object"));
    ck_assert_ptr_null(tk_parse("{\"a\": 1,\n \"a\": 2}", &err));
    ck_assert_ptr_nonnull(strstr(err.message, "line 2"));
}
END_TEST

START_TEST(load)
{
    json_t *j;

    ck_assert_ptr_null(tk_json_load(tk_tp, NULL));
    ck_assert_ptr_null(tk_json_load(tk_tp, "{bad"));
    ck_assert_ptr_null(tk_json_load(tk_tp, ""));
    j = tk_json_load(tk_tp, "42");
    ck_assert(json_is_integer(j));
    ck_assert_int_eq(json_integer_value(j), 42);
    j = tk_json_load(tk_tp, "[\"a\"]");
    ck_assert(json_is_array(j));
    ck_assert_int_eq(j->refcount, 1);
}
END_TEST

START_TEST(dump)
{
    json_t *j = tk_tj("{\"b\": [1, 2, {\"c\": null}], \"a\": \"x y\", \"u\": \"\xc3\xa9\","
                      " \"t\": true}");

    ck_assert_str_eq(tk_json_dump(tk_tp, j),
                     "{\"b\":[1,2,{\"c\":null}],\"a\":\"x y\",\"u\":\"\xc3\xa9\",\"t\":true}");
    ck_assert_str_eq(tk_json_dump(tk_tp, tk_tj("\"quote\\\" and \\\\\"")),
                     "\"quote\\\" and \\\\\"");
    ck_assert_str_eq(tk_json_dump(tk_tp, tk_tj("null")), "null");
    ck_assert_str_eq(tk_json_dump(tk_tp, tk_tj("{}")), "{}");
    ck_assert_str_eq(tk_json_dump(tk_tp, tk_tj("[]")), "[]");
    ck_assert_str_eq(tk_json_dump(tk_tp, tk_tj("-17")), "-17");
}
END_TEST

static const char *const tk_fields[] = { "title", "priority", "tags", "category", NULL };

START_TEST(diff_no_change)
{
    json_t *b = tk_tj("{\"title\": \"a\", \"priority\": \"low\", \"tags\": [\"x\"]}");
    json_t *a = tk_tj("{\"tags\": [\"x\"], \"priority\": \"low\", \"title\": \"a\","
                      " \"updatedAt\": \"2024-01-01\"}");

    ck_assert_ptr_null(tk_json_diff(b, a, tk_fields));
    ck_assert_ptr_null(tk_json_diff(b, b, tk_fields));
    ck_assert_ptr_null(tk_json_diff(tk_tj("{}"), tk_tj("{}"), tk_fields));
}
END_TEST

START_TEST(diff_changed_only)
{
    json_t *b = tk_tj("{\"title\": \"a\", \"priority\": \"low\", \"tags\": [\"x\"],"
                      " \"description\": \"old\"}");
    json_t *a = tk_tj("{\"title\": \"b\", \"priority\": \"low\", \"tags\": [\"x\", \"y\"],"
                      " \"description\": \"new\"}");
    json_t *d = tk_json_diff(b, a, tk_fields);

    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->refcount, 1);
    ck_assert_str_eq(tk_json_dump(tk_tp, d),
                     "{\"before\":{\"title\":\"a\",\"tags\":[\"x\"]},"
                     "\"after\":{\"title\":\"b\",\"tags\":[\"x\",\"y\"]}}");
    json_decref(d);
    /* the inputs are not changed */
    ck_assert_str_eq(json_string_value(json_object_get(b, "title")), "a");
    ck_assert_int_eq(json_object_size(a), 4);
}
END_TEST

/* A field that is absent counts as null. */
START_TEST(diff_missing_vs_null)
{
    json_t *d;

    ck_assert_ptr_null(tk_json_diff(tk_tj("{}"), tk_tj("{\"category\": null}"), tk_fields));
    ck_assert_ptr_null(tk_json_diff(tk_tj("{\"category\": null}"), tk_tj("{}"), tk_fields));

    d = tk_json_diff(tk_tj("{}"), tk_tj("{\"category\": \"Billing\"}"), tk_fields);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(tk_json_dump(tk_tp, d),
                     "{\"before\":{\"category\":null},\"after\":{\"category\":\"Billing\"}}");
    json_decref(d);

    d = tk_json_diff(tk_tj("{\"category\": \"Billing\"}"), tk_tj("{}"), tk_fields);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(tk_json_dump(tk_tp, d),
                     "{\"before\":{\"category\":\"Billing\"},\"after\":{\"category\":null}}");
    json_decref(d);

    /* a changed type is a change */
    d = tk_json_diff(tk_tj("{\"priority\": \"1\"}"), tk_tj("{\"priority\": 1}"), tk_fields);
    ck_assert_ptr_nonnull(d);
    json_decref(d);
}
END_TEST

START_TEST(diff_refcounts)
{
    json_t *b = tk_tj("{\"tags\": [\"x\"]}");
    json_t *a = tk_tj("{\"tags\": [\"y\"]}");
    json_t *bt = json_object_get(b, "tags"), *d;

    ck_assert_int_eq(bt->refcount, 1);
    d = tk_json_diff(b, a, tk_fields);
    ck_assert_int_eq(bt->refcount, 2);          /* shared with the diff */
    json_decref(d);
    ck_assert_int_eq(bt->refcount, 1);
}
END_TEST

Suite *tk_suite_json(void)
{
    Suite *s = suite_create("tk_json");
    TCase *tc;

    tc = tk_tcase("own");
    tcase_add_test(tc, own_releases_on_destroy);
    tcase_add_test(tc, own_releases_on_clear);
    tcase_add_test(tc, own_parent_destroy);
    tcase_add_test(tc, own_null);
    suite_add_tcase(s, tc);

    tc = tk_tcase("parse");
    tcase_add_test(tc, parse_object_ok);
    tcase_add_test(tc, parse_object_errors);
    tcase_add_test(tc, parse_object_messages);
    tcase_add_test(tc, load);
    tcase_add_test(tc, dump);
    suite_add_tcase(s, tc);

    tc = tk_tcase("diff");
    tcase_add_test(tc, diff_no_change);
    tcase_add_test(tc, diff_changed_only);
    tcase_add_test(tc, diff_missing_vs_null);
    tcase_add_test(tc, diff_refcounts);
    suite_add_tcase(s, tc);
    return s;
}
