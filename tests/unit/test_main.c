/* test_main.c: the unit test runner and the shared fixtures.
 *
 * One suite per library file; running statements (tk_db.c) needs a live
 * database and is covered by the integration tests instead.  Exit status is non-zero when any test
 * failed.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "tk_suites.h"

apr_pool_t *tk_tp;

void tk_tp_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&tk_tp, NULL), APR_SUCCESS);
}

void tk_tp_teardown(void)
{
    if (tk_tp) {
        apr_pool_destroy(tk_tp);
        tk_tp = NULL;
    }
}

TCase *tk_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, tk_tp_setup, tk_tp_teardown);
    return tc;
}

static apr_status_t tk_tj_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *tk_tj(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    ck_assert_msg(j != NULL, "test JSON does not parse: %s (%s)", text, jerr.text);
    apr_pool_cleanup_register(tk_tp, j, tk_tj_cleanup, apr_pool_cleanup_null);
    return j;
}

char *tk_repeat(const char *unit, size_t n)
{
    size_t ulen = strlen(unit), i;
    char *s = apr_palloc(tk_tp, ulen * n + 1);

    for (i = 0; i < n; ++i) {
        memcpy(s + i * ulen, unit, ulen);
    }
    s[ulen * n] = '\0';
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    if (apr_initialize() != APR_SUCCESS) {
        return EXIT_FAILURE;
    }

    sr = srunner_create(tk_suite_valid());
    srunner_add_suite(sr, tk_suite_id());
    srunner_add_suite(sr, tk_suite_status());
    srunner_add_suite(sr, tk_suite_etag());
    srunner_add_suite(sr, tk_suite_route());
    srunner_add_suite(sr, tk_suite_error());
    srunner_add_suite(sr, tk_suite_json());
    srunner_add_suite(sr, tk_suite_crypto());
    srunner_add_suite(sr, tk_suite_cache());
    srunner_add_suite(sr, tk_suite_db());
    srunner_add_suite(sr, tk_suite_sse_ring());
    srunner_add_suite(sr, tk_suite_sse_event());
    srunner_add_suite(sr, tk_suite_sse_record());
    srunner_add_suite(sr, tk_suite_sse_filter());
    srunner_add_suite(sr, tk_suite_sse_users());
    srunner_add_suite(sr, tk_suite_revlog());
    srunner_add_suite(sr, tk_suite_valid_users());
    srunner_add_suite(sr, tk_suite_sse_cursor());
    srunner_add_suite(sr, tk_suite_signature());
    srunner_add_suite(sr, tk_suite_http());

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
