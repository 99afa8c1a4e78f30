/* test_main.c: the unit test runner and the shared fixtures.
 *
 * One suite per library file; running statements (tk_db.c) needs a live
 * database and is covered by the integration tests instead.  Exit status is non-zero when any test
 * failed.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
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

#ifndef TK_FIXTURES_DIR
#define TK_FIXTURES_DIR "tests/fixtures"
#endif

const char *tk_fixture(const char *name, apr_size_t *len)
{
    const char *path = apr_pstrcat(tk_tp, TK_FIXTURES_DIR, "/", name, NULL);
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf;

    ck_assert_msg(apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                                APR_OS_DEFAULT, tk_tp) == APR_SUCCESS,
                  "cannot open the fixture %s", path);
    ck_assert_int_eq(apr_file_info_get(&fi, APR_FINFO_SIZE, f), APR_SUCCESS);
    n = (apr_size_t)fi.size;
    buf = apr_palloc(tk_tp, n + 1);
    ck_assert_int_eq(apr_file_read_full(f, buf, n, NULL), APR_SUCCESS);
    apr_file_close(f);
    buf[n] = '\0';
    if (len) {
        *len = n;
    }
    return buf;
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
    srunner_add_suite(sr, tk_suite_platforms());
    srunner_add_suite(sr, tk_suite_outbound());
    srunner_add_suite(sr, tk_suite_valid_messaging());
    srunner_add_suite(sr, tk_suite_valid_faqs());
    srunner_add_suite(sr, tk_suite_multipart());
    srunner_add_suite(sr, tk_suite_seal());
    srunner_add_suite(sr, tk_suite_ratelimit());
    srunner_add_suite(sr, tk_suite_stdwebhook());
    srunner_add_suite(sr, tk_suite_target());
    srunner_add_suite(sr, tk_suite_redact());
    srunner_add_suite(sr, tk_suite_llm());

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
