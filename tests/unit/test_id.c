/* test_id.c: uuids, ticket references and counts (tk_id.c). */
#include <string.h>
#include "tk_suites.h"
#include "core/tk_id.h"

START_TEST(uuid_valid)
{
    static const char *const good[] = {
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "00000000-0000-0000-0000-000000000000",
        "ABCDEF01-2345-6789-ABCD-EF0123456789",
        "aBcDeF01-2345-4789-8bcd-ef0123456789",
    };
    static const char *const bad[] = {
        "", "3f2504e0", "3f2504e04f8911d39a0c0305e82c3301",
        "3f2504e0-4f89-11d3-9a0c-0305e82c330",      /* 35 */
        "3f2504e0-4f89-11d3-9a0c-0305e82c33011",    /* 37 */
        "3f2504e0-4f89-11d3-9a0c-0305e82c330g",
        "3f2504e0_4f89-11d3-9a0c-0305e82c3301",
        "3f2504e0-4f8911d3-9a0c-0305e82c33011",
        "3f2504e-04f89-11d3-9a0c-0305e82c3301",
        "{3f2504e0-4f89-11d3-9a0c-0305e82c330}",
        " 3f2504e0-4f89-11d3-9a0c-0305e82c330",
        "3f2504e0-4f89-11d3-9a0c-0305e82c330 ",
        "------------------------------------",
    };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        ck_assert_msg(tk_uuid_valid(good[i]) == 1, "refused %s", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        ck_assert_msg(tk_uuid_valid(bad[i]) == 0, "accepted %s", bad[i]);
    }
    ck_assert_int_eq(tk_uuid_valid(NULL), 0);
}
END_TEST

START_TEST(ref_by_uuid)
{
    const char *u = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
    tk_ticket_ref_t ref = { "x", 99 };

    ck_assert_int_eq(tk_ticket_ref_parse(u, &ref), 0);
    ck_assert_str_eq(ref.uuid, u);
    ck_assert_int_eq(ref.number, 0);
}
END_TEST

START_TEST(ref_by_number_and_key)
{
    static const struct { const char *s; int n; } ok[] = {
        { "42", 42 }, { "1", 1 }, { "0042", 42 }, { "TKT-0042", 42 }, { "tkt-42", 42 },
        { "Tkt-7", 7 }, { "TKT-1", 1 }, { "2147483647", 2147483647 },
        { "TKT-2147483647", 2147483647 },
    };
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); ++i) {
        tk_ticket_ref_t ref = { "x", -1 };
        ck_assert_msg(tk_ticket_ref_parse(ok[i].s, &ref) == 0, "refused %s", ok[i].s);
        ck_assert_ptr_null(ref.uuid);
        ck_assert_int_eq(ref.number, ok[i].n);
    }
}
END_TEST

START_TEST(ref_refusals)
{
    static const char *const bad[] = {
        "", "0", "00", "TKT-0", "TKT-000", "-1", "+1", "TKT--1", "TKT-", "TKT", "TKT42",
        "TKT 42", "TK-42", "TKT-TKT-42", "12a", "a12", "4 2", " 42", "42 ", "4.2", "0x2a",
        "2147483648", "TKT-2147483648", "9999999999", "99999999999", "184467440737095516160",
        "3f2504e0-4f89-11d3-9a0c-0305e82c330", "TKT-3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        tk_ticket_ref_t ref = { "x", 5 };
        ck_assert_msg(tk_ticket_ref_parse(bad[i], &ref) == -1, "accepted \"%s\"", bad[i]);
        ck_assert_ptr_null(ref.uuid);
        ck_assert_int_eq(ref.number, 0);
    }
    {
        tk_ticket_ref_t ref;
        ck_assert_int_eq(tk_ticket_ref_parse(NULL, &ref), -1);
    }
}
END_TEST

START_TEST(parse_uint)
{
    int v = -7;

    ck_assert_int_eq(tk_parse_uint("0", 10, &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(tk_parse_uint("10", 10, &v), 0);
    ck_assert_int_eq(v, 10);
    ck_assert_int_eq(tk_parse_uint("2147483647", 2147483647, &v), 0);
    ck_assert_int_eq(v, 2147483647);

    v = 123;
    ck_assert_int_eq(tk_parse_uint("11", 10, &v), -1);
    ck_assert_int_eq(tk_parse_uint("", 10, &v), -1);
    ck_assert_int_eq(tk_parse_uint(NULL, 10, &v), -1);
    ck_assert_int_eq(tk_parse_uint("-0", 10, &v), -1);
    ck_assert_int_eq(tk_parse_uint("1 ", 10, &v), -1);
    ck_assert_int_eq(tk_parse_uint("2147483648", 2147483647, &v), -1);
    ck_assert_int_eq(tk_parse_uint("9999999999", 2147483647, &v), -1);
    ck_assert_int_eq(tk_parse_uint("12345678901", 2147483647, &v), -1);
    ck_assert_int_eq(v, 123);   /* untouched on failure */
}
END_TEST

Suite *tk_suite_id(void)
{
    Suite *s = suite_create("tk_id");
    TCase *tc = tk_tcase("id");

    tcase_add_test(tc, uuid_valid);
    tcase_add_test(tc, ref_by_uuid);
    tcase_add_test(tc, ref_by_number_and_key);
    tcase_add_test(tc, ref_refusals);
    tcase_add_test(tc, parse_uint);
    suite_add_tcase(s, tc);
    return s;
}
