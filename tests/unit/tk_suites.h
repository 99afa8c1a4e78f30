/* tk_suites.h: the Check suites of the library layers (one per tk_*.c and
 * sse_*.c) and the small fixtures they share.
 *
 * Every test runs in its own forked child (CK_FORK), so the per-test pool
 * tk_tp is created by a checked fixture and destroyed after the test.
 */
#ifndef TK_SUITES_H
#define TK_SUITES_H

#include <check.h>
#include <apr_pools.h>
#include <jansson.h>

Suite *tk_suite_valid(void);
Suite *tk_suite_id(void);
Suite *tk_suite_status(void);
Suite *tk_suite_etag(void);
Suite *tk_suite_route(void);
Suite *tk_suite_error(void);
Suite *tk_suite_json(void);
Suite *tk_suite_crypto(void);
Suite *tk_suite_cache(void);
Suite *tk_suite_db(void);
Suite *tk_suite_sse_ring(void);
Suite *tk_suite_sse_event(void);
Suite *tk_suite_sse_record(void);
Suite *tk_suite_sse_filter(void);
Suite *tk_suite_sse_users(void);
Suite *tk_suite_revlog(void);
Suite *tk_suite_valid_users(void);
Suite *tk_suite_signature(void);
Suite *tk_suite_sse_cursor(void);
Suite *tk_suite_http(void);
Suite *tk_suite_platforms(void);
Suite *tk_suite_outbound(void);
Suite *tk_suite_valid_messaging(void);
Suite *tk_suite_valid_faqs(void);
Suite *tk_suite_multipart(void);
Suite *tk_suite_seal(void);
Suite *tk_suite_ratelimit(void);
Suite *tk_suite_stdwebhook(void);
Suite *tk_suite_target(void);
Suite *tk_suite_redact(void);
Suite *tk_suite_llm(void);

/* The pool of the running test. */
extern apr_pool_t *tk_tp;

void tk_tp_setup(void);
void tk_tp_teardown(void);

/* A TCase named name with the tk_tp fixture. */
TCase *tk_tcase(const char *name);

/* Parse JSON text (any value; \u0000 allowed) owned by tk_tp; fails the
 * test if malformed. */
json_t *tk_tj(const char *text);

/* A string of n copies of unit (which may be a multibyte character), in
 * tk_tp. */
char *tk_repeat(const char *unit, size_t n);

/* The bytes of tests/fixtures/<name> (NUL-terminated, *len without the
 * NUL; len may be NULL), read into tk_tp; fails the test if unreadable.
 * TK_FIXTURES_DIR, set by the Makefile, is where the fixtures are. */
const char *tk_fixture(const char *name, apr_size_t *len);

#endif
