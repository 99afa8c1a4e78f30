/* test_valid.c: request body and query string validation (tk_valid.c). */
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "tk_suites.h"
#include "valid/tk_valid.h"
#include "valid/tk_query.h"
#include "valid/tk_valid_tickets.h"
#include "valid/tk_valid_auth.h"
#include "core/tk_utf8.h"

#define UUID_A "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
#define UUID_B "0B7D6E4A-1C2F-4D3E-8A9B-0C1D2E3F4A5B"

/* expr returns -1 and err holds code and field (NULL: no field). */
#define TK_FAILS(expr, err, ecode, efield) do {                          \
        memset(&(err), 0, sizeof(err));                                 \
        ck_assert_int_eq((expr), -1);                                   \
        ck_assert_int_eq((err).code, (ecode));                          \
        ck_assert_pstr_eq((err).field, (efield));                       \
        ck_assert_ptr_nonnull((err).message);                           \
    } while (0)

/* A valid create body owned by tk_tp, to which tests add or change fields. */
static json_t *tk_ticket_body(void)
{
    return tk_tj("{\"title\": \"Printer on fire\","
                 " \"description\": \"It is on fire.\"}");
}

static void tk_set_str(json_t *o, const char *k, const char *v)
{
    ck_assert_int_eq(json_object_set_new(o, k, json_string(v)), 0);
}

/* ---------------------------------------------------------------------
 * ticket create
 * ------------------------------------------------------------------- */

START_TEST(create_minimal_defaults)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };

    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, tk_ticket_body(), &in, &err), 0);
    ck_assert_str_eq(in.title, "Printer on fire");
    ck_assert_str_eq(in.description, "It is on fire.");
    ck_assert_str_eq(in.priority, "medium");
    ck_assert_str_eq(in.tags_json, "[]");
    ck_assert_ptr_null(in.category);
    ck_assert_ptr_null(in.product_area);
    ck_assert_ptr_null(in.source);
    ck_assert_ptr_null(in.assignee_id);
    ck_assert_ptr_null(in.customer_id);
}
END_TEST

START_TEST(create_all_fields)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_tj("{\"title\": \"T\", \"description\": \"D\","
                      " \"priority\": \"urgent\", \"category\": \"Billing\","
                      " \"productArea\": \"Invoices\", \"source\": \"zalo\","
                      " \"tags\": [\"vip\", \"refund\"],"
                      " \"assigneeId\": \"" UUID_A "\","
                      " \"customerId\": \"" UUID_B "\"}");

    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_str_eq(in.priority, "urgent");
    ck_assert_str_eq(in.category, "Billing");
    ck_assert_str_eq(in.product_area, "Invoices");
    ck_assert_str_eq(in.source, "zalo");
    ck_assert_str_eq(in.tags_json, "[\"vip\",\"refund\"]");
    ck_assert_str_eq(in.assignee_id, UUID_A);
    ck_assert_str_eq(in.customer_id, UUID_B);
}
END_TEST

START_TEST(create_required)
{
    tk_ticket_input_t in;
    tk_err_t err;

    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{\"description\": \"d\"}"),
                                    &in, &err), err, TK_E_VALIDATION, "title");
    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{\"title\": \"t\"}"),
                                    &in, &err), err, TK_E_VALIDATION, "description");
    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{}"), &in, &err),
             err, TK_E_VALIDATION, "title");
    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{\"title\": null, \"description\": \"d\"}"),
                                    &in, &err), err, TK_E_VALIDATION, "title");
    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{\"title\": 7, \"description\": \"d\"}"),
                                    &in, &err), err, TK_E_VALIDATION, "title");
    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{\"title\": \"t\", \"description\": [\"d\"]}"),
                                    &in, &err), err, TK_E_VALIDATION, "description");
}
END_TEST

START_TEST(create_trims)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_tj("{\"title\": \" \\t Hello world \\n\","
                      " \"description\": \"\\n\\n  line one\\nline two  \\n\","
                      " \"category\": \"  Billing \"}");

    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_str_eq(in.title, "Hello world");
    ck_assert_str_eq(in.description, "line one\nline two");
    ck_assert_str_eq(in.category, "Billing");
}
END_TEST

START_TEST(create_blank_refused)
{
    tk_ticket_input_t in;
    tk_err_t err;

    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{\"title\": \"   \", \"description\": \"d\"}"),
                                    &in, &err), err, TK_E_VALIDATION, "title");
    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{\"title\": \"t\", \"description\": \"\"}"),
                                    &in, &err), err, TK_E_VALIDATION, "description");
}
END_TEST

START_TEST(create_blank_label_is_absent)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_ticket_body();

    tk_set_str(b, "category", "   ");
    json_object_set_new(b, "productArea", json_null());
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_ptr_null(in.category);
    ck_assert_ptr_null(in.product_area);
}
END_TEST

/* Lengths are counted in characters: 200 two-byte characters are a valid
 * title of 400 bytes, 201 are not. */
START_TEST(create_title_length_utf8)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_ticket_body();

    tk_set_str(b, "title", tk_repeat("a", TK_TITLE_MAX));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);

    tk_set_str(b, "title", tk_repeat("\xc3\xa9", TK_TITLE_MAX));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_uint_eq(strlen(in.title), 2 * TK_TITLE_MAX);

    /* 199 characters and one four-byte character at the boundary */
    tk_set_str(b, "title", apr_pstrcat(tk_tp, tk_repeat("\xe6\x97\xa5", TK_TITLE_MAX - 1),
                                       "\xf0\x9f\x94\xa5", NULL));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);

    tk_set_str(b, "title", apr_pstrcat(tk_tp, tk_repeat("\xe6\x97\xa5", TK_TITLE_MAX),
                                       "\xf0\x9f\x94\xa5", NULL));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "title");
    ck_assert_ptr_nonnull(strstr(err.message, "200"));

    tk_set_str(b, "title", tk_repeat("a", TK_TITLE_MAX + 1));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "title");

    /* surrounding spaces do not count */
    tk_set_str(b, "title", apr_pstrcat(tk_tp, "   ", tk_repeat("\xc3\xa9", TK_TITLE_MAX),
                                       "   ", NULL));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
}
END_TEST

START_TEST(create_description_and_label_length)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_ticket_body();

    tk_set_str(b, "description", tk_repeat("\xe6\x97\xa5", TK_DESCRIPTION_MAX));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    tk_set_str(b, "description", tk_repeat("\xe6\x97\xa5", TK_DESCRIPTION_MAX + 1));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION,
             "description");

    b = tk_ticket_body();
    tk_set_str(b, "category", tk_repeat("\xc3\xa9", TK_LABEL_MAX));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    tk_set_str(b, "category", tk_repeat("\xc3\xa9", TK_LABEL_MAX + 1));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "category");

    b = tk_ticket_body();
    tk_set_str(b, "productArea", tk_repeat("x", TK_LABEL_MAX + 1));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION,
             "productArea");
}
END_TEST

START_TEST(create_control_characters)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_ticket_body();

    /* multi-line description keeps newlines, tabs and CR */
    tk_set_str(b, "description", "line one\r\n\tline two");
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_str_eq(in.description, "line one\r\n\tline two");

    tk_set_str(b, "description", "bell \x07 here");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION,
             "description");
    tk_set_str(b, "description", "del \x7f here");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION,
             "description");

    /* the title is one line */
    b = tk_ticket_body();
    tk_set_str(b, "title", "two\nlines");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "title");
    tk_set_str(b, "title", "a\ttab");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "title");
    tk_set_str(b, "title", "esc \x1b[31m");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "title");

    b = tk_ticket_body();
    tk_set_str(b, "category", "a\nb");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "category");

    /* an embedded NUL is refused, not silently truncated */
    TK_FAILS(tk_valid_ticket_create(tk_tp, tk_tj("{\"title\": \"ab\\u0000cd\", "
                                                 "\"description\": \"d\"}"),
                                    &in, &err), err, TK_E_VALIDATION, "title");
}
END_TEST

START_TEST(create_enums)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_ticket_body();
    const char *const prios[] = { "low", "medium", "high", "urgent" };
    size_t i;

    for (i = 0; i < sizeof(prios) / sizeof(prios[0]); ++i) {
        tk_set_str(b, "priority", prios[i]);
        ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
        ck_assert_str_eq(in.priority, prios[i]);
    }
    tk_set_str(b, "priority", "extreme");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "priority");
    ck_assert_ptr_nonnull(strstr(err.message, "low, medium, high, urgent"));
    tk_set_str(b, "priority", "HIGH");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "priority");
    json_object_set_new(b, "priority", json_integer(2));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "priority");
    json_object_set_new(b, "priority", json_null());
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "priority");

    b = tk_ticket_body();
    tk_set_str(b, "source", "email");
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_str_eq(in.source, "email");
    tk_set_str(b, "source", "fax");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "source");
    ck_assert_ptr_nonnull(strstr(err.message, "discord"));
}
END_TEST

START_TEST(create_unknown_field)
{
    tk_ticket_input_t in;
    tk_err_t err;
    json_t *b = tk_ticket_body();

    tk_set_str(b, "severity", "high");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "severity");

    /* a misspelt known field, and a field only a PATCH or status call takes */
    b = tk_ticket_body();
    tk_set_str(b, "Title", "x");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "Title");
    b = tk_ticket_body();
    tk_set_str(b, "status", "open");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "status");
}
END_TEST

START_TEST(create_tags_normalized)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_ticket_body();

    json_object_set_new(b, "tags", json_pack("[s,s,s,s]", "vip", "refund", "vip", "VIP"));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_str_eq(in.tags_json, "[\"vip\",\"refund\",\"VIP\"]");

    json_object_set_new(b, "tags", json_array());
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_str_eq(in.tags_json, "[]");

    json_object_set_new(b, "tags", json_null());
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_str_eq(in.tags_json, "[]");

    /* non-ASCII tags are kept as UTF-8 */
    json_object_set_new(b, "tags", json_pack("[s]", "kh\xc3\xa1" "ch"));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_str_eq(in.tags_json, "[\"kh\xc3\xa1" "ch\"]");
}
END_TEST

START_TEST(create_tags_limits)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_ticket_body(), *tags;
    int i;

    tags = json_array();
    for (i = 0; i < TK_TAGS_MAX; ++i) {
        json_array_append_new(tags, json_string(apr_psprintf(tk_tp, "t%d", i)));
    }
    json_object_set_new(b, "tags", tags);
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_int_eq(json_array_size(tk_tj(in.tags_json)), TK_TAGS_MAX);

    json_array_append_new(tags, json_string("one-too-many"));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "tags");

    /* tag length in characters */
    json_object_set_new(b, "tags", json_pack("[s]", tk_repeat("\xc3\xa9", TK_TAG_MAX)));
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    json_object_set_new(b, "tags", json_pack("[s]", tk_repeat("a", TK_TAG_MAX + 1)));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "tags");
}
END_TEST

START_TEST(create_tags_bad)
{
    static const char *const bad[] = {
        "\"vip\"", "{\"a\": 1}", "[\"\"]", "[1]", "[null]", "[[\"a\"]]",
        "[\"a,b\"]", "[\"{x}\"]", "[\"say \\\"hi\\\"\"]", "[\"back\\\\slash\"]",
        "[\" lead\"]", "[\"ok\", \"nul\\u0000\"]", "7", "true"
    };
    tk_ticket_input_t in;
    tk_err_t err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        json_t *b = tk_ticket_body();
        json_object_set(b, "tags", tk_tj(bad[i]));
        memset(&err, 0, sizeof(err));
        ck_assert_msg(tk_valid_ticket_create(tk_tp, b, &in, &err) == -1,
                      "tags %s accepted", bad[i]);
        ck_assert_int_eq(err.code, TK_E_VALIDATION);
        ck_assert_str_eq(err.field, "tags");
    }
}
END_TEST

START_TEST(create_uuid_fields)
{
    tk_ticket_input_t in;
    tk_err_t err = { 0 };
    json_t *b = tk_ticket_body();

    json_object_set_new(b, "assigneeId", json_null());
    json_object_set_new(b, "customerId", json_null());
    ck_assert_int_eq(tk_valid_ticket_create(tk_tp, b, &in, &err), 0);
    ck_assert_ptr_null(in.assignee_id);
    ck_assert_ptr_null(in.customer_id);

    tk_set_str(b, "assigneeId", "not-a-uuid");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "assigneeId");
    tk_set_str(b, "assigneeId", UUID_A "0");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "assigneeId");

    b = tk_ticket_body();
    json_object_set_new(b, "customerId", json_integer(42));
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "customerId");
    tk_set_str(b, "customerId", "");
    TK_FAILS(tk_valid_ticket_create(tk_tp, b, &in, &err), err, TK_E_VALIDATION, "customerId");
}
END_TEST

/* ---------------------------------------------------------------------
 * ticket patch
 * ------------------------------------------------------------------- */

START_TEST(patch_set_flags)
{
    tk_ticket_patch_t in;
    tk_err_t err = { 0 };

    ck_assert_int_eq(tk_valid_ticket_patch(tk_tp, tk_tj("{\"priority\": \"high\"}"),
                                           &in, &err), 0);
    ck_assert_int_eq(in.priority.set, 1);
    ck_assert_str_eq(in.priority.value, "high");
    ck_assert_int_eq(in.title.set, 0);
    ck_assert_int_eq(in.description.set, 0);
    ck_assert_int_eq(in.category.set, 0);
    ck_assert_int_eq(in.product_area.set, 0);
    ck_assert_int_eq(in.tags.set, 0);
    ck_assert_int_eq(in.assignee_id.set, 0);

    ck_assert_int_eq(tk_valid_ticket_patch(tk_tp, tk_tj(
        "{\"title\": \"  New  \", \"description\": \"d\", \"productArea\": \"Mobile\","
        " \"tags\": [\"a\", \"a\", \"b\"], \"assigneeId\": \"" UUID_A "\"}"), &in, &err), 0);
    ck_assert_int_eq(in.title.set, 1);
    ck_assert_str_eq(in.title.value, "New");
    ck_assert_int_eq(in.description.set, 1);
    ck_assert_str_eq(in.product_area.value, "Mobile");
    ck_assert_int_eq(in.tags.set, 1);
    ck_assert_str_eq(in.tags.value, "[\"a\",\"b\"]");
    ck_assert_int_eq(in.assignee_id.set, 1);
    ck_assert_str_eq(in.assignee_id.value, UUID_A);
    ck_assert_int_eq(in.priority.set, 0);
    ck_assert_int_eq(in.category.set, 0);
}
END_TEST

START_TEST(patch_null_clears)
{
    tk_ticket_patch_t in;
    tk_err_t err = { 0 };

    ck_assert_int_eq(tk_valid_ticket_patch(tk_tp, tk_tj(
        "{\"category\": null, \"assigneeId\": null, \"tags\": null}"), &in, &err), 0);
    ck_assert_int_eq(in.category.set, 1);
    ck_assert_ptr_null(in.category.value);
    ck_assert_int_eq(in.assignee_id.set, 1);
    ck_assert_ptr_null(in.assignee_id.value);
    ck_assert_int_eq(in.tags.set, 1);
    ck_assert_str_eq(in.tags.value, "[]");
    ck_assert_int_eq(in.product_area.set, 0);
}
END_TEST

START_TEST(patch_refusals)
{
    tk_ticket_patch_t in;
    tk_err_t err;

    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{}"), &in, &err), err, TK_E_VALIDATION, NULL);
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"title\": null}"), &in, &err),
             err, TK_E_VALIDATION, "title");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"title\": \" \"}"), &in, &err),
             err, TK_E_VALIDATION, "title");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"description\": null}"), &in, &err),
             err, TK_E_VALIDATION, "description");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"priority\": null}"), &in, &err),
             err, TK_E_VALIDATION, "priority");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"priority\": \"asap\"}"), &in, &err),
             err, TK_E_VALIDATION, "priority");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"assigneeId\": \"bob\"}"), &in, &err),
             err, TK_E_VALIDATION, "assigneeId");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"tags\": \"a\"}"), &in, &err),
             err, TK_E_VALIDATION, "tags");
    /* fields that are not patchable here */
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"status\": \"closed\"}"), &in, &err),
             err, TK_E_VALIDATION, "status");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"source\": \"web\"}"), &in, &err),
             err, TK_E_VALIDATION, "source");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj("{\"title\": \"ok\", \"customerId\": null}"),
                                   &in, &err), err, TK_E_VALIDATION, "customerId");
    TK_FAILS(tk_valid_ticket_patch(tk_tp, tk_tj(apr_pstrcat(tk_tp, "{\"title\": \"",
                                   tk_repeat("a", TK_TITLE_MAX + 1), "\"}", NULL)),
                                   &in, &err), err, TK_E_VALIDATION, "title");
}
END_TEST

/* ---------------------------------------------------------------------
 * status, message, login, token
 * ------------------------------------------------------------------- */

START_TEST(status_body)
{
    static const char *const ok[] = { "open", "in_progress", "waiting", "resolved", "closed" };
    const char *status = NULL;
    tk_err_t err;
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); ++i) {
        json_t *b = json_pack("{s:s}", "status", ok[i]);
        ck_assert_int_eq(tk_valid_status(b, &status, &err), 0);
        ck_assert_str_eq(status, ok[i]);
        json_decref(b);
    }
    TK_FAILS(tk_valid_status(tk_tj("{}"), &status, &err), err, TK_E_VALIDATION, "status");
    TK_FAILS(tk_valid_status(tk_tj("{\"status\": \"done\"}"), &status, &err),
             err, TK_E_VALIDATION, "status");
    TK_FAILS(tk_valid_status(tk_tj("{\"status\": \"Open\"}"), &status, &err),
             err, TK_E_VALIDATION, "status");
    TK_FAILS(tk_valid_status(tk_tj("{\"status\": null}"), &status, &err),
             err, TK_E_VALIDATION, "status");
    TK_FAILS(tk_valid_status(tk_tj("{\"status\": 1}"), &status, &err),
             err, TK_E_VALIDATION, "status");
    TK_FAILS(tk_valid_status(tk_tj("{\"status\": \"open\", \"note\": \"x\"}"), &status, &err),
             err, TK_E_VALIDATION, "note");
}
END_TEST

START_TEST(message_content)
{
    const char *text = NULL;
    int internal = -1;
    tk_err_t err;

    ck_assert_int_eq(tk_valid_message(tk_tj("{\"content\": \"Hello\"}"), &text, &internal, &err), 0);
    ck_assert_str_eq(text, "Hello");
    ck_assert_int_eq(internal, 0);
    ck_assert_int_eq(tk_valid_message(tk_tj("{\"content\": \"x\", \"internal\": true}"),
                                      &text, &internal, &err), 0);
    ck_assert_int_eq(internal, 1);
    ck_assert_int_eq(tk_valid_message(tk_tj("{\"content\": \"x\", \"internal\": false}"),
                                      &text, &internal, &err), 0);
    ck_assert_int_eq(internal, 0);

    TK_FAILS(tk_valid_message(tk_tj("{\"content\": \"x\", \"internal\": \"true\"}"),
                              &text, &internal, &err), err, TK_E_VALIDATION, "internal");
    TK_FAILS(tk_valid_message(tk_tj("{\"content\": \"x\", \"internal\": 1}"),
                              &text, &internal, &err), err, TK_E_VALIDATION, "internal");
    TK_FAILS(tk_valid_message(tk_tj("{\"content\": \"x\", \"internal\": null}"),
                              &text, &internal, &err), err, TK_E_VALIDATION, "internal");
    TK_FAILS(tk_valid_message(tk_tj("{}"), &text, &internal, &err),
             err, TK_E_VALIDATION, "content");
    TK_FAILS(tk_valid_message(tk_tj("{\"content\": \"\"}"), &text, &internal, &err),
             err, TK_E_VALIDATION, "content");
    TK_FAILS(tk_valid_message(tk_tj("{\"content\": \" \\r\\n\\t \"}"), &text, &internal, &err),
             err, TK_E_VALIDATION, "content");
    TK_FAILS(tk_valid_message(tk_tj("{\"content\": 5}"), &text, &internal, &err),
             err, TK_E_VALIDATION, "content");
    TK_FAILS(tk_valid_message(tk_tj("{\"content\": \"a\\u0000b\"}"), &text, &internal, &err),
             err, TK_E_VALIDATION, "content");
    TK_FAILS(tk_valid_message(tk_tj("{\"body\": \"x\"}"), &text, &internal, &err),
             err, TK_E_VALIDATION, "body");
    TK_FAILS(tk_valid_message(tk_tj("{\"content\": \"x\", \"private\": true}"),
                              &text, &internal, &err), err, TK_E_VALIDATION, "private");
}
END_TEST

START_TEST(message_length)
{
    const char *text = NULL;
    int internal;
    tk_err_t err;
    json_t *b = json_object();

    json_object_set_new(b, "content", json_string(tk_repeat("\xe6\x97\xa5", TK_MESSAGE_MAX)));
    ck_assert_int_eq(tk_valid_message(b, &text, &internal, &err), 0);
    json_object_set_new(b, "content", json_string(tk_repeat("a", TK_MESSAGE_MAX + 1)));
    TK_FAILS(tk_valid_message(b, &text, &internal, &err), err, TK_E_VALIDATION, "content");
    json_decref(b);
}
END_TEST

START_TEST(login_body)
{
    const char *email = NULL, *password = NULL;
    tk_err_t err;

    ck_assert_int_eq(tk_valid_login(tk_tj("{\"email\": \"a@example.com\", \"password\": \"pw\"}"),
                                    &email, &password, &err), 0);
    ck_assert_str_eq(email, "a@example.com");
    ck_assert_str_eq(password, "pw");

    TK_FAILS(tk_valid_login(tk_tj("{\"password\": \"pw\"}"), &email, &password, &err),
             err, TK_E_VALIDATION, "email");
    TK_FAILS(tk_valid_login(tk_tj("{\"email\": \"\", \"password\": \"pw\"}"),
                            &email, &password, &err), err, TK_E_VALIDATION, "email");
    TK_FAILS(tk_valid_login(tk_tj("{\"email\": 1, \"password\": \"pw\"}"),
                            &email, &password, &err), err, TK_E_VALIDATION, "email");
    TK_FAILS(tk_valid_login(tk_tj("{\"email\": \"a@b\"}"), &email, &password, &err),
             err, TK_E_VALIDATION, "password");
    TK_FAILS(tk_valid_login(tk_tj("{\"email\": \"a@b\", \"password\": \"\"}"),
                            &email, &password, &err), err, TK_E_VALIDATION, "password");
    TK_FAILS(tk_valid_login(tk_tj("{\"email\": \"a@b\", \"password\": \"p\", \"remember\": true}"),
                            &email, &password, &err), err, TK_E_VALIDATION, "remember");
    TK_FAILS(tk_valid_login(tk_tj(apr_pstrcat(tk_tp, "{\"email\": \"", tk_repeat("a", 255),
                                              "\", \"password\": \"p\"}", NULL)),
                            &email, &password, &err), err, TK_E_VALIDATION, "email");
}
END_TEST

START_TEST(token_body)
{
    const char *name = NULL, *user = NULL;
    int days = -1;
    tk_err_t err;

    ck_assert_int_eq(tk_valid_token_create(tk_tj("{\"name\": \"CI\"}"),
                                           &name, &user, &days, &err), 0);
    ck_assert_str_eq(name, "CI");
    ck_assert_ptr_null(user);
    ck_assert_int_eq(days, 0);

    ck_assert_int_eq(tk_valid_token_create(tk_tj("{\"name\": \"CI\", \"userId\": \"" UUID_A "\","
                                                 " \"expiresInDays\": 3650}"),
                                           &name, &user, &days, &err), 0);
    ck_assert_str_eq(user, UUID_A);
    ck_assert_int_eq(days, 3650);
    ck_assert_int_eq(tk_valid_token_create(tk_tj("{\"name\": \"CI\", \"expiresInDays\": null}"),
                                           &name, &user, &days, &err), 0);
    ck_assert_int_eq(days, 0);

    TK_FAILS(tk_valid_token_create(tk_tj("{}"), &name, &user, &days, &err),
             err, TK_E_VALIDATION, "name");
    TK_FAILS(tk_valid_token_create(tk_tj("{\"name\": \"\"}"), &name, &user, &days, &err),
             err, TK_E_VALIDATION, "name");
    TK_FAILS(tk_valid_token_create(tk_tj(apr_pstrcat(tk_tp, "{\"name\": \"",
                                   tk_repeat("a", TK_LABEL_MAX + 1), "\"}", NULL)),
                                   &name, &user, &days, &err), err, TK_E_VALIDATION, "name");
    ck_assert_int_eq(tk_valid_token_create(tk_tj(apr_pstrcat(tk_tp, "{\"name\": \"",
                                           tk_repeat("\xc3\xa9", TK_LABEL_MAX), "\"}", NULL)),
                                           &name, &user, &days, &err), 0);
    TK_FAILS(tk_valid_token_create(tk_tj("{\"name\": \"CI\", \"userId\": \"me\"}"),
                                   &name, &user, &days, &err), err, TK_E_VALIDATION, "userId");
    TK_FAILS(tk_valid_token_create(tk_tj("{\"name\": \"CI\", \"expiresInDays\": 0}"),
                                   &name, &user, &days, &err), err, TK_E_VALIDATION,
             "expiresInDays");
    TK_FAILS(tk_valid_token_create(tk_tj("{\"name\": \"CI\", \"expiresInDays\": 3651}"),
                                   &name, &user, &days, &err), err, TK_E_VALIDATION,
             "expiresInDays");
    TK_FAILS(tk_valid_token_create(tk_tj("{\"name\": \"CI\", \"expiresInDays\": \"30\"}"),
                                   &name, &user, &days, &err), err, TK_E_VALIDATION,
             "expiresInDays");
    TK_FAILS(tk_valid_token_create(tk_tj("{\"name\": \"CI\", \"expiresInDays\": 1.5}"),
                                   &name, &user, &days, &err), err, TK_E_VALIDATION,
             "expiresInDays");
    TK_FAILS(tk_valid_token_create(tk_tj("{\"name\": \"CI\", \"scope\": \"all\"}"),
                                   &name, &user, &days, &err), err, TK_E_VALIDATION, "scope");
}
END_TEST

/* ---------------------------------------------------------------------
 * dates
 * ------------------------------------------------------------------- */

START_TEST(iso8601)
{
    static const char *const good[] = {
        "2024-01-15", "2024-12-31", "2024-01-15T10:20:30", "2024-01-15T10:20:30Z",
        "2024-01-15 10:20:30Z", "2024-01-15T10:20:30.1Z", "2024-01-15T10:20:30.123456789Z",
        "2024-01-15T10:20:30+07:00", "2024-01-15T10:20:30-05:30",
        "2024-01-15T00:00:00.5+00:00", "2016-12-31T23:59:60Z",
        "2024-01-15T10:20:30+14:00", "2024-01-15T10:20:30-12:00",
        "2024-01-15T10:20:30+05:45"
    };
    static const char *const bad[] = {
        "", "2024", "2024-1-15", "2024-01-5", "24-01-15", "2024/01/15", "20240115",
        "2024-00-10", "2024-13-01", "2024-01-00", "2024-01-32", "2024-01-15x",
        "2024-01-15T", "2024-01-15T10:20", "2024-01-15T10:20Z", "2024-01-15T1:20:30Z",
        "2024-01-15T24:00:00Z", "2024-01-15T10:60:00Z", "2024-01-15T10:20:61Z",
        "2024-01-15T10:20:30.Z", "2024-01-15T10:20:30.1234567890Z",
        "2024-01-15T10:20:30+0700", "2024-01-15T10:20:30+07", "2024-01-15T10:20:30+07:00x",
        "2024-01-15T10:20:30ZZ", "2024-01-15T10:20:30z", "2024-01-15t10:20:30Z",
        " 2024-01-15", "2024-01-15 ", "yesterday", "2024-01-15T10:20:30 Z",
        /* offsets no zone has: PostgreSQL refuses some of them */
        "2024-01-01T00:00:00+16:00", "2024-01-01T00:00:00+99:99",
        "2024-01-01T00:00:00+14:01", "2024-01-01T00:00:00+14:60",
        "2024-01-01T00:00:00-12:01", "2024-01-01T00:00:00-25:00",
        "2024-01-01T00:00:00+07:60"
    };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        ck_assert_msg(tk_iso8601_valid(good[i]) == 1, "refused \"%s\"", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        ck_assert_msg(tk_iso8601_valid(bad[i]) == 0, "accepted \"%s\"", bad[i]);
    }
    ck_assert_int_eq(tk_iso8601_valid(NULL), 0);
}
END_TEST

START_TEST(utf8_len)
{
    ck_assert_uint_eq(tk_utf8_len(""), 0);
    ck_assert_uint_eq(tk_utf8_len("abc"), 3);
    ck_assert_uint_eq(tk_utf8_len("\xc3\xa9t\xc3\xa9"), 3);
    ck_assert_uint_eq(tk_utf8_len("\xe6\x97\xa5\xe6\x9c\xac"), 2);
    ck_assert_uint_eq(tk_utf8_len("\xf0\x9f\x94\xa5!"), 2);
}
END_TEST

/* ---------------------------------------------------------------------
 * query strings
 * ------------------------------------------------------------------- */

START_TEST(query_parse_decodes)
{
    tk_err_t err = { 0 };
    apr_table_t *t = tk_query_parse(tk_tp, "a=1&b=two+words&c=%41%62%2B&d&e=&f=x%3Dy=z"
                                    "&g%20h=%E6%97%A5&%69=lower", &err);

    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 8);
    ck_assert_str_eq(apr_table_get(t, "a"), "1");
    ck_assert_str_eq(apr_table_get(t, "b"), "two words");
    ck_assert_str_eq(apr_table_get(t, "c"), "Ab+");
    ck_assert_str_eq(apr_table_get(t, "d"), "");
    ck_assert_str_eq(apr_table_get(t, "e"), "");
    ck_assert_str_eq(apr_table_get(t, "f"), "x=y=z");
    ck_assert_str_eq(apr_table_get(t, "g h"), "\xe6\x97\xa5");
    ck_assert_str_eq(apr_table_get(t, "i"), "lower");
}
END_TEST

START_TEST(query_parse_empty)
{
    tk_err_t err = { 0 };
    apr_table_t *t;

    t = tk_query_parse(tk_tp, NULL, &err);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    t = tk_query_parse(tk_tp, "", &err);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    t = tk_query_parse(tk_tp, "&&a=1&&", &err);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 1);
    ck_assert_str_eq(apr_table_get(t, "a"), "1");
}
END_TEST

START_TEST(query_parse_refusals)
{
    static const char *const bad[] = {
        "a=%", "a=%4", "a=%zz", "a=%4g", "a=%g4", "a=1%", "%=1", "%4=1",
        "a=%00", "a=x%00y", "%00=1", "q=100%25%", "=x", "=", "a=1&=2"
    };
    tk_err_t err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(tk_query_parse(tk_tp, bad[i], &err) == NULL, "accepted %s", bad[i]);
        ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
        ck_assert_ptr_nonnull(err.message);
    }
}
END_TEST

START_TEST(query_parse_repeated)
{
    tk_err_t err = { 0 };

    ck_assert_ptr_null(tk_query_parse(tk_tp, "status=open&status=closed", &err));
    ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
    ck_assert_pstr_eq(err.field, "status");

    /* the same name once encoded and once not */
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(tk_query_parse(tk_tp, "limit=1&%6cimit=2", &err));
    ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
    ck_assert_pstr_eq(err.field, "limit");

    /* a flag without a value given twice */
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(tk_query_parse(tk_tp, "x&x", &err));
    ck_assert_pstr_eq(err.field, "x");
}
END_TEST

START_TEST(query_only)
{
    static const char *const allowed[] = { "limit", "offset", NULL };
    tk_err_t err = { 0 };
    apr_table_t *t;

    t = tk_query_parse(tk_tp, "limit=5&offset=0", &err);
    ck_assert_int_eq(tk_query_only(t, allowed, &err), 0);
    t = tk_query_parse(tk_tp, "", &err);
    ck_assert_int_eq(tk_query_only(t, allowed, &err), 0);

    t = tk_query_parse(tk_tp, "limit=5&sort=-number", &err);
    TK_FAILS(tk_query_only(t, allowed, &err), err, TK_E_INVALID_QUERY, "sort");
    t = tk_query_parse(tk_tp, "LIMIT=5", &err);
    TK_FAILS(tk_query_only(t, allowed, &err), err, TK_E_INVALID_QUERY, "LIMIT");
}
END_TEST

static apr_table_t *tk_q(const char *args)
{
    tk_err_t err = { 0 };
    apr_table_t *t = tk_query_parse(tk_tp, args, &err);

    ck_assert_msg(t != NULL, "query \"%s\" does not parse", args);
    return t;
}

START_TEST(query_page)
{
    static const char *const bad_limit[] = {
        "limit=0", "limit=-1", "limit=abc", "limit=", "limit=1.5", "limit=+5",
        "limit=%205", "limit=5x", "limit=2147483648", "limit=99999999999",
        "limit=4294967301"
    };
    static const char *const bad_offset[] = {
        "offset=-1", "offset=", "offset=x", "offset=2147483648", "offset=1e3"
    };
    int limit = -1, offset = -1;
    tk_err_t err;
    size_t i;

    ck_assert_int_eq(tk_query_page(tk_q(""), 25, 100, &limit, &offset, &err), 0);
    ck_assert_int_eq(limit, 25);
    ck_assert_int_eq(offset, 0);
    ck_assert_int_eq(tk_query_page(tk_q("limit=50&offset=200"), 25, 100, &limit, &offset,
                                   &err), 0);
    ck_assert_int_eq(limit, 50);
    ck_assert_int_eq(offset, 200);
    ck_assert_int_eq(tk_query_page(tk_q("limit=1"), 25, 100, &limit, &offset, &err), 0);
    ck_assert_int_eq(limit, 1);
    ck_assert_int_eq(tk_query_page(tk_q("limit=100"), 25, 100, &limit, &offset, &err), 0);
    ck_assert_int_eq(limit, 100);
    ck_assert_int_eq(tk_query_page(tk_q("limit=101"), 25, 100, &limit, &offset, &err), 0);
    ck_assert_int_eq(limit, 100);
    ck_assert_int_eq(tk_query_page(tk_q("limit=2147483647&offset=0"), 25, 100, &limit,
                                   &offset, &err), 0);
    ck_assert_int_eq(limit, 100);
    ck_assert_int_eq(offset, 0);
    ck_assert_int_eq(tk_query_page(tk_q("offset=2147483647"), 25, 100, &limit, &offset,
                                   &err), 0);
    ck_assert_int_eq(offset, 2147483647);

    for (i = 0; i < sizeof(bad_limit) / sizeof(bad_limit[0]); ++i) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(tk_query_page(tk_q(bad_limit[i]), 25, 100, &limit, &offset, &err) == -1,
                      "accepted %s", bad_limit[i]);
        ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
        ck_assert_pstr_eq(err.field, "limit");
    }
    for (i = 0; i < sizeof(bad_offset) / sizeof(bad_offset[0]); ++i) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(tk_query_page(tk_q(bad_offset[i]), 25, 100, &limit, &offset, &err) == -1,
                      "accepted %s", bad_offset[i]);
        ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
        ck_assert_pstr_eq(err.field, "offset");
    }
}
END_TEST

START_TEST(filter_defaults)
{
    tk_ticket_filter_t f;
    tk_err_t err = { 0 };

    ck_assert_int_eq(tk_ticket_filter_parse(tk_tp, tk_q(""), 25, 100, &f, &err), 0);
    ck_assert_str_eq(f.sort, "-createdAt");
    ck_assert_int_eq(f.limit, 25);
    ck_assert_int_eq(f.offset, 0);
    ck_assert_int_eq(f.unassigned, 0);
    ck_assert_ptr_null(f.statuses);
    ck_assert_ptr_null(f.priorities);
    ck_assert_ptr_null(f.sources);
    ck_assert_ptr_null(f.assignee_id);
    ck_assert_ptr_null(f.customer_id);
    ck_assert_ptr_null(f.q);
}
END_TEST

START_TEST(filter_values)
{
    tk_ticket_filter_t f;
    tk_err_t err = { 0 };

    ck_assert_int_eq(tk_ticket_filter_parse(tk_tp, tk_q(
        "status=open%2Cwaiting&priority=high,urgent&source=zalo,web&productArea=Mobile+app"
        "&category=Billing&assigneeId=" UUID_A "&customerId=" UUID_B "&tag=vip"
        "&createdFrom=2024-01-01&createdTo=2024-02-01T00:00:00Z&q=printer+fire"
        "&sort=priority&limit=500&offset=10"), 25, 100, &f, &err), 0);
    ck_assert_str_eq(f.statuses, "open,waiting");
    ck_assert_str_eq(f.priorities, "high,urgent");
    ck_assert_str_eq(f.sources, "zalo,web");
    ck_assert_str_eq(f.product_area, "Mobile app");
    ck_assert_str_eq(f.category, "Billing");
    ck_assert_str_eq(f.assignee_id, UUID_A);
    ck_assert_int_eq(f.unassigned, 0);
    ck_assert_str_eq(f.customer_id, UUID_B);
    ck_assert_str_eq(f.tag, "vip");
    ck_assert_str_eq(f.created_from, "2024-01-01");
    ck_assert_str_eq(f.created_to, "2024-02-01T00:00:00Z");
    ck_assert_str_eq(f.q, "printer fire");
    ck_assert_str_eq(f.sort, "priority");
    ck_assert_int_eq(f.limit, 100);
    ck_assert_int_eq(f.offset, 10);
}
END_TEST

START_TEST(filter_empty_list_items)
{
    static const char *const bad[] = {
        "status=,", "status=open,", "status=,open", "priority=low,,high", "source="
    };
    tk_ticket_filter_t f;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        tk_err_t err = { 0 };
        ck_assert_msg(tk_ticket_filter_parse(tk_tp, tk_q(bad[i]), 25, 100, &f, &err) == -1,
                      "%s accepted", bad[i]);
        ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
        ck_assert_ptr_nonnull(err.field);
    }
}
END_TEST

START_TEST(filter_unassigned)
{
    tk_ticket_filter_t f;
    tk_err_t err = { 0 };

    ck_assert_int_eq(tk_ticket_filter_parse(tk_tp, tk_q("assigneeId=none"), 25, 100, &f,
                                            &err), 0);
    ck_assert_int_eq(f.unassigned, 1);
    ck_assert_ptr_null(f.assignee_id);
}
END_TEST

START_TEST(filter_sorts)
{
    static const char *const ok[] = {
        "createdAt", "-createdAt", "updatedAt", "-updatedAt", "number", "-number",
        "priority", "-priority"
    };
    static const char *const bad[] = { "title", "-title", "+number", "--number",
                                       "createdat", "created_at", "" };
    tk_ticket_filter_t f;
    tk_err_t err;
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); ++i) {
        ck_assert_int_eq(tk_ticket_filter_parse(tk_tp, tk_q(apr_pstrcat(tk_tp, "sort=",
                                                ok[i], NULL)), 25, 100, &f, &err), 0);
        ck_assert_str_eq(f.sort, ok[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(tk_ticket_filter_parse(tk_tp, tk_q(apr_pstrcat(tk_tp, "sort=", bad[i],
                                             NULL)), 25, 100, &f, &err) == -1,
                      "sort=%s accepted", bad[i]);
        ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
        ck_assert_pstr_eq(err.field, "sort");
    }
}
END_TEST

START_TEST(filter_refusals)
{
    static const struct { const char *args, *field; } bad[] = {
        { "status=open,bogus", "status" },
        { "status=Open", "status" },
        { "status=", "status" },
        { "priority=critical", "priority" },
        { "source=fax", "source" },
        { "assigneeId=nobody", "assigneeId" },
        { "assigneeId=", "assigneeId" },
        { "assigneeId=NONE", "assigneeId" },
        { "customerId=42", "customerId" },
        { "customerId=none", "customerId" },
        { "createdFrom=yesterday", "createdFrom" },
        { "createdTo=2024-02-30T25:00:00Z", "createdTo" },
        { "category=", "category" },
        { "tag=", "tag" },
        { "limit=0", "limit" },
        { "offset=-5", "offset" },
        { "page=2", "page" },
        { "Status=open", "Status" },
    };
    tk_ticket_filter_t f;
    tk_err_t err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(tk_ticket_filter_parse(tk_tp, tk_q(bad[i].args), 25, 100, &f, &err) == -1,
                      "%s accepted", bad[i].args);
        ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
        ck_assert_msg(err.field && strcmp(err.field, bad[i].field) == 0,
                      "%s blamed %s", bad[i].args, err.field ? err.field : "(none)");
    }
}
END_TEST

START_TEST(filter_unknown_value_named)
{
    tk_ticket_filter_t f;
    tk_err_t err = { 0 };

    ck_assert_int_eq(tk_ticket_filter_parse(tk_tp, tk_q("status=open,pending"), 25, 100, &f,
                                            &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "\"pending\""));
    ck_assert_ptr_nonnull(strstr(err.message, "in_progress"));
}
END_TEST

START_TEST(filter_label_length)
{
    tk_ticket_filter_t f;
    tk_err_t err = { 0 };

    ck_assert_int_eq(tk_ticket_filter_parse(tk_tp, tk_q(apr_pstrcat(tk_tp, "tag=",
                     tk_repeat("%C3%A9", TK_TAG_MAX), NULL)), 25, 100, &f, &err), 0);
    ck_assert_int_eq(tk_ticket_filter_parse(tk_tp, tk_q(apr_pstrcat(tk_tp, "tag=",
                     tk_repeat("a", TK_TAG_MAX + 1), NULL)), 25, 100, &f, &err), -1);
    ck_assert_pstr_eq(err.field, "tag");
    ck_assert_int_eq(tk_ticket_filter_parse(tk_tp, tk_q(apr_pstrcat(tk_tp, "q=",
                     tk_repeat("a", 501), NULL)), 25, 100, &f, &err), -1);
    ck_assert_pstr_eq(err.field, "q");
}
END_TEST

START_TEST(utf8_validity)
{
    static const char *const good[] = {
        "", "plain", "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"
    };
    static const char *const bad[] = {
        "\xff", "\xc3", "\xc0\xaf" /* overlong */, "\xe0\x80\xaf", "\xed\xa0\x80" /* surrogate */,
        "\xf4\x90\x80\x80" /* above U+10FFFF */, "a\x80" "b", "\xe2\x82"
    };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        ck_assert_msg(tk_utf8_valid(good[i]), "good #%zu refused", i);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        ck_assert_msg(!tk_utf8_valid(bad[i]), "bad #%zu accepted", i);
    }
}
END_TEST

START_TEST(query_not_utf8)
{
    static const char *const bad[] = { "tag=%FF", "q=%C3", "%FF=1", "category=a%ED%A0%80" };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        tk_err_t err = { 0 };
        ck_assert_ptr_null(tk_query_parse(tk_tp, bad[i], &err));
        ck_assert_int_eq(err.code, TK_E_INVALID_QUERY);
        ck_assert_ptr_nonnull(err.message);
    }
}
END_TEST

START_TEST(dates_per_month)
{
    ck_assert(tk_iso8601_valid("2024-02-29"));
    ck_assert(!tk_iso8601_valid("2023-02-29"));
    ck_assert(!tk_iso8601_valid("2024-02-30"));
    ck_assert(tk_iso8601_valid("2000-02-29"));
    ck_assert(!tk_iso8601_valid("1900-02-29"));
    ck_assert(!tk_iso8601_valid("2024-04-31"));
    ck_assert(tk_iso8601_valid("2024-12-31T23:59:59Z"));
    ck_assert(!tk_iso8601_valid("0000-01-01"));
}
END_TEST

Suite *tk_suite_valid(void)
{
    Suite *s = suite_create("tk_valid");
    TCase *tc;

    tc = tk_tcase("ticket_create");
    tcase_add_test(tc, create_minimal_defaults);
    tcase_add_test(tc, create_all_fields);
    tcase_add_test(tc, create_required);
    tcase_add_test(tc, create_trims);
    tcase_add_test(tc, create_blank_refused);
    tcase_add_test(tc, create_blank_label_is_absent);
    tcase_add_test(tc, create_title_length_utf8);
    tcase_add_test(tc, create_description_and_label_length);
    tcase_add_test(tc, create_control_characters);
    tcase_add_test(tc, create_enums);
    tcase_add_test(tc, create_unknown_field);
    tcase_add_test(tc, create_tags_normalized);
    tcase_add_test(tc, create_tags_limits);
    tcase_add_test(tc, create_tags_bad);
    tcase_add_test(tc, create_uuid_fields);
    suite_add_tcase(s, tc);

    tc = tk_tcase("ticket_patch");
    tcase_add_test(tc, patch_set_flags);
    tcase_add_test(tc, patch_null_clears);
    tcase_add_test(tc, patch_refusals);
    suite_add_tcase(s, tc);

    tc = tk_tcase("bodies");
    tcase_add_test(tc, status_body);
    tcase_add_test(tc, message_content);
    tcase_add_test(tc, message_length);
    tcase_add_test(tc, login_body);
    tcase_add_test(tc, token_body);
    suite_add_tcase(s, tc);

    tc = tk_tcase("text");
    tcase_add_test(tc, iso8601);
    tcase_add_test(tc, utf8_len);
    suite_add_tcase(s, tc);

    tc = tk_tcase("query");
    tcase_add_test(tc, query_parse_decodes);
    tcase_add_test(tc, query_parse_empty);
    tcase_add_test(tc, query_parse_refusals);
    tcase_add_test(tc, query_parse_repeated);
    tcase_add_test(tc, query_only);
    tcase_add_test(tc, query_page);
    tcase_add_test(tc, filter_defaults);
    tcase_add_test(tc, filter_values);
    tcase_add_test(tc, filter_empty_list_items);
    tcase_add_test(tc, utf8_validity);
    tcase_add_test(tc, query_not_utf8);
    tcase_add_test(tc, dates_per_month);
    tcase_add_test(tc, filter_unassigned);
    tcase_add_test(tc, filter_sorts);
    tcase_add_test(tc, filter_refusals);
    tcase_add_test(tc, filter_unknown_value_named);
    tcase_add_test(tc, filter_label_length);
    suite_add_tcase(s, tc);

    return s;
}
