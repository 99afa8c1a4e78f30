/* test_valid_faqs.c: what may be sent to /api/faqs and to a ticket's
 * articles (tk_valid_faqs.c), and the search query every search reads
 * (tk_query_search). */
#include <string.h>
#include "tk_suites.h"
#include "valid/tk_valid_faqs.h"
#include "valid/tk_query.h"

#define TF_FAILS(call, err, ecode, efield) do {                         \
        ck_assert_int_eq((call), -1);                                   \
        ck_assert_int_eq((err).code, (ecode));                          \
        if (efield) ck_assert_str_eq((err).field, (efield));            \
        else ck_assert_ptr_null((err).field);                           \
    } while (0)

START_TEST(faq_bodies)
{
    tk_faq_input_t in;
    tk_err_t err;

    ck_assert_int_eq(tk_valid_faq(tk_tp, tk_tj(
        "{\"title\": \" Reset \", \"body\": \"a\\nb\", \"tags\": [\"x\"], "
        "\"category\": \"Account\", \"status\": \"published\"}"), 1, &in,
        &err), 0);
    ck_assert_str_eq(in.title.value, "Reset");
    ck_assert_str_eq(in.body.value, "a\nb");
    ck_assert_str_eq(in.tags.value, "[\"x\"]");
    ck_assert_str_eq(in.status.value, "published");
    ck_assert_int_eq(tk_valid_faq(tk_tp, tk_tj("{\"title\": \"T\", \"body\": "
                                               "\"B\"}"), 1, &in, &err), 0);
    ck_assert_int_eq(in.status.set, 0);
    ck_assert_int_eq(in.tags.set, 0);
    ck_assert_int_eq(tk_valid_faq(tk_tp, tk_tj("{\"category\": null}"), 0, &in,
                                  &err), 0);
    ck_assert_int_eq(in.category.set, 1);
    ck_assert_ptr_null(in.category.value);
    ck_assert_int_eq(in.title.set, 0);
    TF_FAILS(tk_valid_faq(tk_tp, tk_tj("{\"body\": \"B\"}"), 1, &in, &err), err,
             TK_E_VALIDATION, "title");
    TF_FAILS(tk_valid_faq(tk_tp, tk_tj("{\"title\": \"T\"}"), 1, &in, &err), err,
             TK_E_VALIDATION, "body");
    TF_FAILS(tk_valid_faq(tk_tp, tk_tj("{\"title\": null}"), 0, &in, &err), err,
             TK_E_VALIDATION, "title");
    TF_FAILS(tk_valid_faq(tk_tp, tk_tj("{\"title\": \"a\\nb\", \"body\": \"B\"}"),
                          1, &in, &err), err, TK_E_VALIDATION, "title");
    TF_FAILS(tk_valid_faq(tk_tp, tk_tj("{\"status\": \"live\"}"), 0, &in, &err),
             err, TK_E_VALIDATION, "status");
    TF_FAILS(tk_valid_faq(tk_tp, tk_tj("{}"), 0, &in, &err), err,
             TK_E_VALIDATION, NULL);
    TF_FAILS(tk_valid_faq(tk_tp, tk_tj("{\"title\": \"T\", \"body\": \"B\", "
                                       "\"views\": 3}"), 1, &in, &err), err,
             TK_E_VALIDATION, "views");
}
END_TEST

START_TEST(faq_queries_and_links)
{
    tk_faq_filter_t f;
    const char *s;
    int limit, offset;
    tk_err_t err;

    ck_assert_int_eq(tk_faq_filter_parse(tk_tp, tk_query_parse(tk_tp,
        "status=draft&tag=x&limit=500", &err), 1, 20, 100, &f, &err), 0);
    ck_assert_str_eq(f.status, "draft");
    ck_assert_int_eq(f.limit, 100);
    TF_FAILS(tk_faq_filter_parse(tk_tp, tk_query_parse(tk_tp, "status=draft",
                                                        &err), 0, 20, 100, &f,
                                 &err), err, TK_E_INVALID_QUERY, "status");
    ck_assert_int_eq(tk_valid_article_link(tk_tj(
        "{\"articleId\": \"00000000-0000-4000-8000-000000000001\"}"), &s, &err), 0);
    TF_FAILS(tk_valid_article_link(tk_tj("{}"), &s, &err), err,
             TK_E_VALIDATION, "articleId");
    TF_FAILS(tk_valid_article_link(tk_tj("{\"articleId\": 5}"), &s, &err), err,
             TK_E_VALIDATION, "articleId");
    TF_FAILS(tk_valid_article_link(tk_tj("{\"articleId\": null}"), &s, &err),
             err, TK_E_VALIDATION, "articleId");
    TF_FAILS(tk_valid_article_link(tk_tj(
        "{\"articleId\": \"00000000-0000-4000-8000-000000000001\", \"x\": 1}"),
        &s, &err), err, TK_E_VALIDATION, "x");
    ck_assert_int_eq(tk_query_search(tk_query_parse(tk_tp, "query=reset+password"
                                                    "&offset=5", &err),
                                     20, 100, &s, &limit, &offset, &err), 0);
    ck_assert_str_eq(s, "reset password");
    ck_assert_int_eq(offset, 5);
    TF_FAILS(tk_query_search(tk_query_parse(tk_tp, "limit=5", &err), 20, 100,
                             &s, &limit, &offset, &err), err,
             TK_E_INVALID_QUERY, "query");
    ck_assert_str_eq(err.message, "Query parameter is required");
    TF_FAILS(tk_query_search(tk_query_parse(tk_tp, "query=x&sort=a", &err), 20,
                             100, &s, &limit, &offset, &err), err,
             TK_E_INVALID_QUERY, "sort");
}
END_TEST

Suite *tk_suite_valid_faqs(void)
{
    Suite *s = suite_create("tk_valid_faqs");
    TCase *tc = tk_tcase("faqs");

    tcase_add_test(tc, faq_bodies);
    tcase_add_test(tc, faq_queries_and_links);
    suite_add_tcase(s, tc);
    return s;
}
