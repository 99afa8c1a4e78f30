/* test_route.c: path patterns (tk_route.c).
 *
 * The path handed to tk_route_match is httpd's r->uri, already
 * percent-decoded once; captures are returned as they are, so a doubly
 * encoded "%2541" reaches a handler as "%2541" and never as "A".
 */
#include <string.h>
#include "tk_suites.h"
#include "core/tk_route.h"

static int tk_m(const char *pattern, const char *path, const char **params)
{
    return tk_route_match(tk_tp, pattern, path, params);
}

START_TEST(literal)
{
    const char *params[TK_ROUTE_MAX_PARAMS + 1] = { NULL };

    ck_assert_int_eq(tk_m("/api/tickets", "/api/tickets", params), 0);
    ck_assert_int_eq(tk_m("/api/health", "/api/health", params), 0);
    ck_assert_int_eq(tk_m("/", "/", params), 0);
    ck_assert_ptr_null(params[0]);

    ck_assert_int_eq(tk_m("/api/tickets", "/api/ticket", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets", "/api/ticketsx", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets", "/api/Tickets", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets", "/api/messages", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets", "api/tickets", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets", "", params), -1);
    ck_assert_int_eq(tk_m("/", "/api", params), -1);
}
END_TEST

START_TEST(no_prefix_or_trailing_slash)
{
    const char *params[TK_ROUTE_MAX_PARAMS] = { NULL };

    ck_assert_int_eq(tk_m("/api/tickets", "/api/tickets/", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets", "/api/tickets/42", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets", "/api", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets", "/api/", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/42/", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/42/messages", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets/:id/messages", "/api/tickets/42", params), -1);
    ck_assert_int_eq(tk_m("/api/tickets/:id/messages", "/api/tickets//messages", params), -1);
    ck_assert_int_eq(tk_m("/api//tickets", "/api/tickets", params), -1);
}
END_TEST

START_TEST(param_captures)
{
    const char *params[TK_ROUTE_MAX_PARAMS] = { NULL };

    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/TKT-0042", params), 1);
    ck_assert_str_eq(params[0], "TKT-0042");

    ck_assert_int_eq(tk_m("/api/tickets/:id/messages", "/api/tickets/42/messages", params), 1);
    ck_assert_str_eq(params[0], "42");

    ck_assert_int_eq(tk_m("/api/tickets/:id/messages/:mid",
                          "/api/tickets/7/messages/3f2504e0-4f89-11d3-9a0c-0305e82c3301",
                          params), 2);
    ck_assert_str_eq(params[0], "7");
    ck_assert_str_eq(params[1], "3f2504e0-4f89-11d3-9a0c-0305e82c3301");

    ck_assert_int_eq(tk_m("/:a/:b/:c/:d", "/1/22/333/4444", params), 4);
    ck_assert_str_eq(params[0], "1");
    ck_assert_str_eq(params[1], "22");
    ck_assert_str_eq(params[2], "333");
    ck_assert_str_eq(params[3], "4444");

    /* a literal after a capture must still match */
    ck_assert_int_eq(tk_m("/api/tickets/:id/status", "/api/tickets/42/state", params), -1);
}
END_TEST

START_TEST(captures_are_copies)
{
    const char *params[TK_ROUTE_MAX_PARAMS] = { NULL };
    char path[] = "/api/tickets/42";

    ck_assert_int_eq(tk_m("/api/tickets/:id", path, params), 1);
    ck_assert_ptr_ne(params[0], path + strlen("/api/tickets/"));
    path[13] = '9';
    ck_assert_str_eq(params[0], "42");
}
END_TEST

/* r->uri is decoded once by httpd; the router must not decode again. */
START_TEST(captures_not_decoded_again)
{
    const char *params[TK_ROUTE_MAX_PARAMS] = { NULL };

    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/%2541", params), 1);
    ck_assert_str_eq(params[0], "%2541");
    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/%41", params), 1);
    ck_assert_str_eq(params[0], "%41");
    /* what would be a bad escape is just text */
    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/%zz", params), 1);
    ck_assert_str_eq(params[0], "%zz");
    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/a b+c", params), 1);
    ck_assert_str_eq(params[0], "a b+c");
    /* a decoded %2F is a real separator by now: no match for one segment */
    ck_assert_int_eq(tk_m("/api/tickets/:id", "/api/tickets/a/b", params), -1);
    /* literal segments are compared as they are too */
    ck_assert_int_eq(tk_m("/api/tickets", "/api/%74ickets", params), -1);
}
END_TEST

START_TEST(too_many_params)
{
    const char *params[TK_ROUTE_MAX_PARAMS + 1] = { NULL };

    ck_assert_int_eq(TK_ROUTE_MAX_PARAMS, 4);
    ck_assert_int_eq(tk_m("/:a/:b/:c/:d/:e", "/1/2/3/4/5", params), -1);
    ck_assert_ptr_null(params[4]);      /* nothing written past the limit */
    ck_assert_int_eq(tk_m("/x/:a/:b/:c/:d/:e", "/x/1/2/3/4/5", params), -1);
    ck_assert_ptr_null(params[4]);
}
END_TEST

Suite *tk_suite_route(void)
{
    Suite *s = suite_create("tk_route");
    TCase *tc = tk_tcase("route");

    tcase_add_test(tc, literal);
    tcase_add_test(tc, no_prefix_or_trailing_slash);
    tcase_add_test(tc, param_captures);
    tcase_add_test(tc, captures_are_copies);
    tcase_add_test(tc, captures_not_decoded_again);
    tcase_add_test(tc, too_many_params);
    suite_add_tcase(s, tc);
    return s;
}
