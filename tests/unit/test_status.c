/* test_status.c: the lifecycle table, customer rules and roles
 * (tk_status.c).  The expected matrix is written out here from the table
 * in tk_status.h, independently of the code's own table. */
#include <string.h>
#include "tk_suites.h"
#include "core/tk_status.h"

#define NS 5
static const char *const st[NS] = { "open", "in_progress", "waiting", "resolved", "closed" };

/* allowed[from][to] */
static const int allowed[NS][NS] = {
    /*                 open ip  wait res  closed */
    /* open */        { 0,   1,  1,   1,   1 },
    /* in_progress */ { 1,   0,  1,   1,   1 },
    /* waiting */     { 0,   1,  0,   1,   1 },
    /* resolved */    { 1,   0,  0,   0,   1 },
    /* closed */      { 1,   0,  0,   0,   0 },
};

/* customer[from][to]: close (from anywhere allowed) or reopen. */
static const int customer[NS][NS] = {
    /*                 open ip  wait res  closed */
    /* open */        { 0,   0,  0,   0,   1 },
    /* in_progress */ { 0,   0,  0,   0,   1 },
    /* waiting */     { 0,   0,  0,   0,   1 },
    /* resolved */    { 1,   0,  0,   0,   1 },
    /* closed */      { 1,   0,  0,   0,   0 },
};

START_TEST(vocabularies)
{
    static const char *const prios[] = { "low", "medium", "high", "urgent" };
    static const char *const sources[] = { "web", "api", "call", "chat", "email",
                                           "facebook", "zalo", "tiktok", "discord" };
    static const char *const roles[] = { "admin", "agent", "viewer", "customer" };
    size_t i;

    for (i = 0; i < NS; ++i) {
        ck_assert_str_eq(tk_statuses[i], st[i]);
    }
    ck_assert_ptr_null(tk_statuses[NS]);
    for (i = 0; i < 4; ++i) {
        ck_assert_str_eq(tk_priorities[i], prios[i]);
        ck_assert_str_eq(tk_roles[i], roles[i]);
    }
    ck_assert_ptr_null(tk_priorities[4]);
    ck_assert_ptr_null(tk_roles[4]);
    for (i = 0; i < 9; ++i) {
        ck_assert_str_eq(tk_sources[i], sources[i]);
    }
    ck_assert_ptr_null(tk_sources[9]);
}
END_TEST

START_TEST(enum_valid)
{
    ck_assert_int_eq(tk_enum_valid(tk_statuses, "open"), 1);
    ck_assert_int_eq(tk_enum_valid(tk_statuses, "closed"), 1);
    ck_assert_int_eq(tk_enum_valid(tk_statuses, "Open"), 0);
    ck_assert_int_eq(tk_enum_valid(tk_statuses, "ope"), 0);
    ck_assert_int_eq(tk_enum_valid(tk_statuses, "open "), 0);
    ck_assert_int_eq(tk_enum_valid(tk_statuses, ""), 0);
    ck_assert_int_eq(tk_enum_valid(tk_statuses, NULL), 0);
    ck_assert_int_eq(tk_enum_valid(tk_priorities, "open"), 0);
}
END_TEST

START_TEST(transition_matrix)
{
    int f, t;

    for (f = 0; f < NS; ++f) {
        for (t = 0; t < NS; ++t) {
            ck_assert_msg(tk_status_can_move(st[f], st[t]) == allowed[f][t],
                          "%s -> %s: expected %d", st[f], st[t], allowed[f][t]);
        }
    }
}
END_TEST

START_TEST(transition_unknown)
{
    int i;

    for (i = 0; i < NS; ++i) {
        ck_assert_int_eq(tk_status_can_move(st[i], "bogus"), 0);
        ck_assert_int_eq(tk_status_can_move("bogus", st[i]), 0);
        ck_assert_int_eq(tk_status_can_move(st[i], NULL), 0);
        ck_assert_int_eq(tk_status_can_move(NULL, st[i]), 0);
        ck_assert_int_eq(tk_status_customer_may(st[i], "bogus"), 0);
    }
    ck_assert_int_eq(tk_status_can_move("OPEN", "closed"), 0);
    ck_assert_int_eq(tk_status_can_move("", "open"), 0);
}
END_TEST

START_TEST(customer_matrix)
{
    int f, t;

    for (f = 0; f < NS; ++f) {
        for (t = 0; t < NS; ++t) {
            ck_assert_msg(tk_status_customer_may(st[f], st[t]) == customer[f][t],
                          "customer %s -> %s: expected %d", st[f], st[t], customer[f][t]);
            /* a customer never gets a move the lifecycle refuses */
            if (!allowed[f][t]) {
                ck_assert_int_eq(tk_status_customer_may(st[f], st[t]), 0);
            }
        }
    }
}
END_TEST

START_TEST(roles)
{
    ck_assert_int_eq(tk_role_is_staff("admin"), 1);
    ck_assert_int_eq(tk_role_is_staff("agent"), 1);
    ck_assert_int_eq(tk_role_is_staff("viewer"), 1);
    ck_assert_int_eq(tk_role_is_staff("customer"), 0);
    ck_assert_int_eq(tk_role_is_staff("Admin"), 0);
    ck_assert_int_eq(tk_role_is_staff("adminx"), 0);
    ck_assert_int_eq(tk_role_is_staff(""), 0);
    ck_assert_int_eq(tk_role_is_staff(NULL), 0);

    ck_assert_int_eq(tk_role_can_write("admin"), 1);
    ck_assert_int_eq(tk_role_can_write("agent"), 1);
    ck_assert_int_eq(tk_role_can_write("viewer"), 0);
    ck_assert_int_eq(tk_role_can_write("customer"), 0);
    ck_assert_int_eq(tk_role_can_write("AGENT"), 0);
    ck_assert_int_eq(tk_role_can_write(""), 0);
    ck_assert_int_eq(tk_role_can_write(NULL), 0);
}
END_TEST

Suite *tk_suite_status(void)
{
    Suite *s = suite_create("tk_status");
    TCase *tc = tk_tcase("status");

    tcase_add_test(tc, vocabularies);
    tcase_add_test(tc, enum_valid);
    tcase_add_test(tc, transition_matrix);
    tcase_add_test(tc, transition_unknown);
    tcase_add_test(tc, customer_matrix);
    tcase_add_test(tc, roles);
    suite_add_tcase(s, tc);
    return s;
}
