/* test_db.c: how database failures are read (tk_db_classify_error) and the
 * helpers that need no server.  Running statements is covered by the
 * integration tests against a real PostgreSQL. */
#include <string.h>
#include "tk_suites.h"
#include "db/tk_db.h"

static tk_db_t tk_failed(const char *error)
{
    tk_db_t db;

    memset(&db, 0, sizeof(db));
    db.error = error;
    tk_db_classify_error(&db);
    return db;
}

START_TEST(missing_statement_is_stale)
{
    tk_db_t db = tk_failed("ERROR:  prepared statement \"ticket_get\" does not exist");

    ck_assert_int_eq(db.stale, 1);
    ck_assert_int_eq(db.lost, 0);
}
END_TEST

START_TEST(broken_connection_is_lost)
{
    static const char *const lost[] = {
        "server closed the connection unexpectedly\n\tThis probably means ...",
        "FATAL:  terminating connection due to administrator command",
        "no connection to the server",
        "could not receive data from server: Connection reset by peer",
    };
    size_t i;

    for (i = 0; i < sizeof(lost) / sizeof(lost[0]); ++i) {
        tk_db_t db = tk_failed(lost[i]);
        ck_assert_msg(db.lost == 1 && db.stale == 1, "%s", lost[i]);
    }
}
END_TEST

START_TEST(ordinary_errors_are_neither)
{
    static const char *const plain[] = {
        "ERROR:  duplicate key value violates unique constraint \"users_email\"",
        "ERROR:  invalid input syntax for type uuid: \"x\"",
        "ERROR:  relation \"nope\" does not exist",
        "",
    };
    size_t i;

    for (i = 0; i < sizeof(plain) / sizeof(plain[0]); ++i) {
        tk_db_t db = tk_failed(plain[i]);
        ck_assert_msg(db.lost == 0 && db.stale == 0, "%s", plain[i]);
    }
    {
        tk_db_t db = tk_failed(NULL);
        ck_assert_int_eq(db.stale, 0);
    }
}
END_TEST

START_TEST(rows_get_bounds)
{
    const char *cells[] = { "a", NULL, "c", "d" };
    tk_rows_t rows = { 2, 2, cells };

    ck_assert_str_eq(tk_rows_get(&rows, 0, 0), "a");
    ck_assert_ptr_null(tk_rows_get(&rows, 0, 1));
    ck_assert_str_eq(tk_rows_get(&rows, 1, 1), "d");
    ck_assert_ptr_null(tk_rows_get(&rows, 2, 0));
    ck_assert_ptr_null(tk_rows_get(&rows, 0, 2));
    ck_assert_ptr_null(tk_rows_get(&rows, -1, 0));
    ck_assert_ptr_null(tk_rows_get(NULL, 0, 0));
}
END_TEST

START_TEST(rows_true_is_t_only)
{
    const char *cells[] = { "t", "f", NULL, "true" };
    tk_rows_t rows = { 1, 4, cells };

    ck_assert_int_eq(tk_rows_true(&rows, 0, 0), 1);
    ck_assert_int_eq(tk_rows_true(&rows, 0, 1), 0);
    ck_assert_int_eq(tk_rows_true(&rows, 0, 2), 0);
    ck_assert_int_eq(tk_rows_true(&rows, 0, 3), 0);
    ck_assert_int_eq(tk_rows_true(&rows, 0, 9), 0);
}
END_TEST

START_TEST(nargs_counts_arguments)
{
    ck_assert_int_eq(TK_NARGS("a"), 1);
    ck_assert_int_eq(TK_NARGS("a", NULL, "c"), 3);
}
END_TEST

Suite *tk_suite_db(void)
{
    Suite *s = suite_create("tk_db");
    TCase *tc = tk_tcase("db");

    tcase_add_test(tc, missing_statement_is_stale);
    tcase_add_test(tc, broken_connection_is_lost);
    tcase_add_test(tc, ordinary_errors_are_neither);
    tcase_add_test(tc, rows_get_bounds);
    tcase_add_test(tc, rows_true_is_t_only);
    tcase_add_test(tc, nargs_counts_arguments);
    suite_add_tcase(s, tc);
    return s;
}
