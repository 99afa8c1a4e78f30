/* test_error.c: error codes, statuses and the error document (tk_error.c). */
#include <string.h>
#include "tk_suites.h"
#include "core/tk_error.h"

/* The documented vocabulary: every code a client can see, its wire name
 * and its HTTP status. */
static const struct {
    tk_ecode_t code;
    const char *name;
    int status;
} tk_expected[] = {
    { TK_E_VALIDATION,             "VALIDATION_ERROR",       400 },
    { TK_E_INVALID_JSON,           "INVALID_JSON",           400 },
    { TK_E_INVALID_QUERY,          "INVALID_QUERY",          400 },
    { TK_E_UNAUTHENTICATED,        "UNAUTHENTICATED",        401 },
    { TK_E_FORBIDDEN,              "FORBIDDEN",              403 },
    { TK_E_NOT_FOUND,              "NOT_FOUND",              404 },
    { TK_E_METHOD_NOT_ALLOWED,     "METHOD_NOT_ALLOWED",     405 },
    { TK_E_INVALID_TRANSITION,     "INVALID_TRANSITION",     409 },
    { TK_E_CONFLICT,               "CONFLICT",               409 },
    { TK_E_PRECONDITION_FAILED,    "PRECONDITION_FAILED",    412 },
    { TK_E_PAYLOAD_TOO_LARGE,      "PAYLOAD_TOO_LARGE",      413 },
    { TK_E_UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", 415 },
    { TK_E_INVALID_SIGNATURE,      "INVALID_SIGNATURE",      401 },
    { TK_E_RATE_LIMITED,           "RATE_LIMITED",           429 },
    { TK_E_DB_UNAVAILABLE,         "DB_UNAVAILABLE",         503 },
    { TK_E_AI_UNAVAILABLE,         "AI_UNAVAILABLE",         503 },
    { TK_E_AI_BUDGET_EXCEEDED,     "AI_BUDGET_EXCEEDED",     429 },
    { TK_E_BAD_REQUEST,            "BAD_REQUEST",            400 },
    { TK_E_INTERNAL,               "INTERNAL",               500 },
};
#define TK_NEXPECTED (sizeof(tk_expected) / sizeof(tk_expected[0]))

START_TEST(every_code_listed)
{
    /* a new code must be added to the table above (and to the docs) */
    ck_assert_int_eq(TK_NEXPECTED, TK_E_COUNT - 1);
}
END_TEST

START_TEST(names_and_statuses)
{
    size_t i, j;

    for (i = 0; i < TK_NEXPECTED; ++i) {
        const char *name = tk_ecode_name(tk_expected[i].code);
        ck_assert_ptr_nonnull(name);
        ck_assert_str_eq(name, tk_expected[i].name);
        ck_assert_int_eq(tk_ecode_status(tk_expected[i].code), tk_expected[i].status);
        ck_assert_uint_eq(strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"), strlen(name));
        for (j = 0; j < i; ++j) {
            ck_assert_str_ne(name, tk_ecode_name(tk_expected[j].code));
        }
    }
}
END_TEST

START_TEST(out_of_range_is_internal)
{
    ck_assert_str_eq(tk_ecode_name(TK_E_NONE), "INTERNAL");
    ck_assert_str_eq(tk_ecode_name(TK_E_COUNT), "INTERNAL");
    ck_assert_str_eq(tk_ecode_name((tk_ecode_t)(TK_E_COUNT + 100)), "INTERNAL");
    ck_assert_str_eq(tk_ecode_name((tk_ecode_t)-1), "INTERNAL");
    ck_assert_int_eq(tk_ecode_status(TK_E_NONE), 500);
    ck_assert_int_eq(tk_ecode_status(TK_E_COUNT), 500);
    ck_assert_int_eq(tk_ecode_status((tk_ecode_t)-1), 500);
}
END_TEST

START_TEST(for_status)
{
    static const struct { int status; tk_ecode_t code; } map[] = {
        { 400, TK_E_BAD_REQUEST }, { 401, TK_E_UNAUTHENTICATED }, { 403, TK_E_FORBIDDEN },
        { 404, TK_E_NOT_FOUND }, { 405, TK_E_METHOD_NOT_ALLOWED }, { 408, TK_E_BAD_REQUEST },
        { 409, TK_E_CONFLICT }, { 411, TK_E_BAD_REQUEST }, { 412, TK_E_PRECONDITION_FAILED },
        { 413, TK_E_PAYLOAD_TOO_LARGE }, { 414, TK_E_BAD_REQUEST },
        { 415, TK_E_UNSUPPORTED_MEDIA_TYPE }, { 429, TK_E_RATE_LIMITED },
        { 500, TK_E_INTERNAL }, { 501, TK_E_METHOD_NOT_ALLOWED },
        { 503, TK_E_DB_UNAVAILABLE }, { 418, TK_E_INTERNAL }, { 502, TK_E_INTERNAL },
        { 0, TK_E_INTERNAL }, { -1, TK_E_INTERNAL }, { 200, TK_E_INTERNAL },
    };
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); ++i) {
        ck_assert_msg(tk_ecode_for_status(map[i].status) == map[i].code,
                      "status %d gave %s", map[i].status,
                      tk_ecode_name(tk_ecode_for_status(map[i].status)));
        ck_assert_ptr_nonnull(tk_status_sentence(map[i].status));
        ck_assert_uint_gt(strlen(tk_status_sentence(map[i].status)), 0);
    }
    ck_assert_str_eq(tk_status_sentence(404), "No such resource.");
    ck_assert_str_eq(tk_status_sentence(418), "An internal error occurred.");
}
END_TEST

/* Each code's own status has a sentence of its own: only INTERNAL (and
 * statuses httpd does not produce) fall back to "an internal error". */
START_TEST(default_sentences)
{
    const char *internal = tk_status_sentence(500);
    size_t i;

    for (i = 0; i < TK_NEXPECTED; ++i) {
        const char *s = tk_status_sentence(tk_expected[i].status);
        if (tk_expected[i].code == TK_E_INTERNAL) {
            continue;
        }
        ck_assert_msg(strcmp(s, internal) != 0, "%s (%d) has no sentence of its own",
                      tk_expected[i].name, tk_expected[i].status);
    }
}
END_TEST

START_TEST(err_fills)
{
    tk_err_t err = { TK_E_NONE, NULL, NULL };

    ck_assert_int_eq(tk_err(&err, TK_E_NOT_FOUND, "id", "No such ticket."), -1);
    ck_assert_int_eq(err.code, TK_E_NOT_FOUND);
    ck_assert_str_eq(err.field, "id");
    ck_assert_str_eq(err.message, "No such ticket.");
    ck_assert_int_eq(tk_err(&err, TK_E_FORBIDDEN, NULL, NULL), -1);
    ck_assert_int_eq(err.code, TK_E_FORBIDDEN);
    ck_assert_ptr_null(err.field);
    ck_assert_ptr_null(err.message);
}
END_TEST

START_TEST(document_with_field)
{
    tk_err_t err;
    json_t *doc, *e;

    tk_err(&err, TK_E_VALIDATION, "title", "This field is required.");
    doc = tk_err_json(&err, "req-1");
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(json_object_size(doc), 1);
    e = json_object_get(doc, "error");
    ck_assert(json_is_object(e));
    ck_assert_int_eq(json_object_size(e), 4);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "VALIDATION_ERROR");
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
                     "This field is required.");
    ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "title");
    ck_assert_str_eq(json_string_value(json_object_get(e, "requestId")), "req-1");
    ck_assert_int_eq(doc->refcount, 1);
    json_decref(doc);
}
END_TEST

START_TEST(document_without_field)
{
    tk_err_t err;
    json_t *doc, *e;

    tk_err(&err, TK_E_PRECONDITION_FAILED, NULL, "The ticket was changed.");
    doc = tk_err_json(&err, "abc");
    e = json_object_get(doc, "error");
    ck_assert_int_eq(json_object_size(e), 3);
    ck_assert_ptr_null(json_object_get(e, "field"));
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "PRECONDITION_FAILED");
    ck_assert_str_eq(json_string_value(json_object_get(e, "requestId")), "abc");
    json_decref(doc);

    /* no request id: the member is there, as null */
    doc = tk_err_json(&err, NULL);
    e = json_object_get(doc, "error");
    ck_assert_int_eq(json_object_size(e), 3);
    ck_assert(json_is_null(json_object_get(e, "requestId")));
    json_decref(doc);
}
END_TEST

START_TEST(document_default_message)
{
    tk_err_t err;
    json_t *doc;
    size_t i;

    tk_err(&err, TK_E_NOT_FOUND, NULL, NULL);
    doc = tk_err_json(&err, "r");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "error"),
                                                       "message")), "No such resource.");
    json_decref(doc);

    for (i = 0; i < TK_NEXPECTED; ++i) {
        json_t *m;
        tk_err(&err, tk_expected[i].code, NULL, NULL);
        doc = tk_err_json(&err, "r");
        m = json_object_get(json_object_get(doc, "error"), "message");
        ck_assert(json_is_string(m));
        ck_assert_uint_gt(json_string_length(m), 0);
        ck_assert_str_eq(json_string_value(m), tk_status_sentence(tk_expected[i].status));
        json_decref(doc);
    }
}
END_TEST

START_TEST(document_unknown_code)
{
    tk_err_t err = { TK_E_NONE, NULL, NULL };
    json_t *doc = tk_err_json(&err, "r");

    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "error"),
                                                       "code")), "INTERNAL");
    json_decref(doc);
}
END_TEST

START_TEST(message_not_utf8_falls_back)
{
    tk_err_t err = { TK_E_INVALID_QUERY, "\xff", "Unknown value \"\xff\"." };
    json_t *doc = tk_err_json(&err, "rid");
    json_t *inner = json_object_get(doc, "error");

    ck_assert_str_eq(json_string_value(json_object_get(inner, "message")),
                     tk_status_sentence(400));
    ck_assert_str_eq(json_string_value(json_object_get(inner, "field")), "?");
    ck_assert_str_eq(json_string_value(json_object_get(inner, "code")), "INVALID_QUERY");
    json_decref(doc);
}
END_TEST

Suite *tk_suite_error(void)
{
    Suite *s = suite_create("tk_error");
    TCase *tc = tk_tcase("error");

    tcase_add_test(tc, every_code_listed);
    tcase_add_test(tc, message_not_utf8_falls_back);
    tcase_add_test(tc, names_and_statuses);
    tcase_add_test(tc, out_of_range_is_internal);
    tcase_add_test(tc, for_status);
    tcase_add_test(tc, default_sentences);
    tcase_add_test(tc, err_fills);
    tcase_add_test(tc, document_with_field);
    tcase_add_test(tc, document_without_field);
    tcase_add_test(tc, document_default_message);
    tcase_add_test(tc, document_unknown_code);
    suite_add_tcase(s, tc);
    return s;
}
