/* test_valid_users.c: what an admin may send to /api/users
 * (tk_valid_users.c). */
#include <string.h>
#include "tk_suites.h"
#include "valid/tk_valid_users.h"
#include "valid/tk_query.h"

#define TU_FAILS(call, err, ecode, efield) do {                         \
        ck_assert_int_eq((call), -1);                                   \
        ck_assert_int_eq((err).code, (ecode));                          \
        if (efield) ck_assert_str_eq((err).field, (efield));            \
        else ck_assert_ptr_null((err).field);                           \
    } while (0)

START_TEST(user_create_body)
{
    tk_user_input_t in;
    tk_err_t err;

    ck_assert_int_eq(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \" ann@example.org \", \"name\": \"Ann\", \"role\": \"agent\","
        " \"password\": \"long enough\"}"), &in, &err), 0);
    ck_assert_str_eq(in.email, "ann@example.org");
    ck_assert_str_eq(in.name, "Ann");
    ck_assert_str_eq(in.role, "agent");
    ck_assert_str_eq(in.password, "long enough");
    ck_assert_int_eq(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \"sso@example.org\", \"name\": \"S\", \"role\": \"viewer\"}"),
        &in, &err), 0);
    ck_assert_ptr_null(in.password);

    TU_FAILS(tk_valid_user_create(tk_tp, tk_tj("{\"name\": \"A\", \"role\": \"agent\"}"),
                                  &in, &err), err, TK_E_VALIDATION, "email");
    TU_FAILS(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \"no-at-sign\", \"name\": \"A\", \"role\": \"agent\"}"),
        &in, &err), err, TK_E_VALIDATION, "email");
    TU_FAILS(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \"a b@example.org\", \"name\": \"A\", \"role\": \"agent\"}"),
        &in, &err), err, TK_E_VALIDATION, "email");
    TU_FAILS(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \"a@example.org\", \"name\": \"A\", \"role\": \"root\"}"),
        &in, &err), err, TK_E_VALIDATION, "role");
    TU_FAILS(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \"a@example.org\", \"name\": \"\", \"role\": \"agent\"}"),
        &in, &err), err, TK_E_VALIDATION, "name");
    TU_FAILS(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \"a@example.org\", \"name\": \"A\", \"role\": \"agent\","
        " \"password\": \"short\"}"), &in, &err), err, TK_E_VALIDATION, "password");
    TU_FAILS(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \"a@example.org\", \"name\": \"A\", \"role\": \"agent\","
        " \"password\": 12345678}"), &in, &err), err, TK_E_VALIDATION, "password");
    TU_FAILS(tk_valid_user_create(tk_tp, tk_tj(
        "{\"email\": \"a@example.org\", \"name\": \"A\", \"role\": \"agent\","
        " \"admin\": true}"), &in, &err), err, TK_E_VALIDATION, "admin");
}
END_TEST

START_TEST(user_patch_body)
{
    tk_user_patch_t in;
    tk_err_t err;

    ck_assert_int_eq(tk_valid_user_patch(tk_tp, tk_tj("{\"disabled\": true}"), &in, &err), 0);
    ck_assert_int_eq(in.disabled, 1);
    ck_assert(!in.role.set && !in.name.set && !in.password.set);
    ck_assert_int_eq(tk_valid_user_patch(tk_tp, tk_tj("{\"role\": \"viewer\"}"), &in, &err), 0);
    ck_assert_int_eq(in.disabled, -1);
    ck_assert(in.role.set);
    ck_assert_str_eq(in.role.value, "viewer");
    ck_assert_int_eq(tk_valid_user_patch(tk_tp, tk_tj("{\"password\": null}"), &in, &err), 0);
    ck_assert(in.password.set && !in.password.value);

    TU_FAILS(tk_valid_user_patch(tk_tp, tk_tj("{}"), &in, &err), err, TK_E_VALIDATION, NULL);
    TU_FAILS(tk_valid_user_patch(tk_tp, tk_tj("{\"disabled\": \"yes\"}"), &in, &err),
             err, TK_E_VALIDATION, "disabled");
    TU_FAILS(tk_valid_user_patch(tk_tp, tk_tj("{\"role\": null}"), &in, &err),
             err, TK_E_VALIDATION, "role");
    TU_FAILS(tk_valid_user_patch(tk_tp, tk_tj("{\"email\": \"x@example.org\"}"), &in, &err),
             err, TK_E_VALIDATION, "email");
}
END_TEST

START_TEST(user_list_query)
{
    tk_user_filter_t f;
    tk_err_t err;

    ck_assert_int_eq(tk_user_filter_parse(tk_tp, tk_query_parse(tk_tp, "role=admin&q=ann",
                                                                 &err), 20, 100, &f, &err), 0);
    ck_assert_str_eq(f.role, "admin");
    ck_assert_str_eq(f.q, "ann");
    ck_assert_int_eq(f.limit, 20);
    TU_FAILS(tk_user_filter_parse(tk_tp, tk_query_parse(tk_tp, "role=boss", &err), 20, 100,
                                  &f, &err), err, TK_E_INVALID_QUERY, "role");
    TU_FAILS(tk_user_filter_parse(tk_tp, tk_query_parse(tk_tp, "sort=name", &err), 20, 100,
                                  &f, &err), err, TK_E_INVALID_QUERY, "sort");
    TU_FAILS(tk_user_filter_parse(tk_tp, tk_query_parse(tk_tp, "limit=0", &err), 20, 100,
                                  &f, &err), err, TK_E_INVALID_QUERY, "limit");
}
END_TEST

START_TEST(emails)
{
    ck_assert(tk_email_valid("a@b.c"));
    ck_assert(tk_email_valid("first.last+tag@example.co.uk"));
    ck_assert(!tk_email_valid("@b.c"));
    ck_assert(!tk_email_valid("a@"));
    ck_assert(!tk_email_valid("a@b"));
    ck_assert(!tk_email_valid("a@@b.c"));
    ck_assert(!tk_email_valid("a@.b"));
    ck_assert(!tk_email_valid("a@b.c."));
    ck_assert(!tk_email_valid("a\t@b.c"));
}
END_TEST

Suite *tk_suite_valid_users(void)
{
    Suite *s = suite_create("tk_valid_users");
    TCase *tc = tk_tcase("users");

    tcase_add_test(tc, user_create_body);
    tcase_add_test(tc, user_patch_body);
    tcase_add_test(tc, user_list_query);
    tcase_add_test(tc, emails);
    suite_add_tcase(s, tc);
    return s;
}
