/* test_sse_event.c: the text/event-stream encoder (sse_event.c): exact
 * bytes of every block, data split into lines, refusals, and the snprintf
 * contract of the buffer functions. */
#include <string.h>
#include "tk_suites.h"
#include "sse_event.h"

/* Encode into a roomy buffer and compare the whole output. */
#define CK_BLOCK(call, expect)                                              \
    do {                                                                    \
        char b_[512];                                                       \
        apr_ssize_t n_;                                                     \
        char *buf = b_;                                                     \
        apr_size_t bufsize = sizeof(b_);                                    \
        memset(b_, 'X', sizeof(b_));                                        \
        n_ = (call);                                                        \
        ck_assert_int_eq(n_, (apr_ssize_t)strlen(expect));                  \
        ck_assert_str_eq(b_, (expect));                                     \
        (void)buf; (void)bufsize;                                           \
    } while (0)

START_TEST(event_full)
{
    const char *json = "{\"id\":\"t1\",\"subject\":\"Printer\"}";

    CK_BLOCK(sse_event_encode(buf, bufsize, 42, "ticket_created", json,
                              strlen(json)),
             "id: 42\nevent: ticket_created\n"
             "data: {\"id\":\"t1\",\"subject\":\"Printer\"}\n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, UINT64_MAX, "x", "1", 1),
             "id: 18446744073709551615\nevent: x\ndata: 1\n\n");
}
END_TEST

START_TEST(event_optional_fields)
{
    /* id 0: no id line; no type: the client fires "message" */
    CK_BLOCK(sse_event_encode(buf, bufsize, 0, "reset", "{}", 2),
             "event: reset\ndata: {}\n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, 7, NULL, "{}", 2),
             "id: 7\ndata: {}\n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, 7, "", "{}", 2),
             "id: 7\ndata: {}\n\n");
    /* empty data still makes one (empty) data line, so the event fires */
    CK_BLOCK(sse_event_encode(buf, bufsize, 1, "e", NULL, 0),
             "id: 1\nevent: e\ndata: \n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, 1, "e", "", 0),
             "id: 1\nevent: e\ndata: \n\n");
}
END_TEST

START_TEST(event_multiline_data)
{
    CK_BLOCK(sse_event_encode(buf, bufsize, 3, "m", "a\nb", 3),
             "id: 3\nevent: m\ndata: a\ndata: b\n\n");
    /* CRLF is one break; lone CR and LF are one each */
    CK_BLOCK(sse_event_encode(buf, bufsize, 3, "m", "a\r\nb\rc\nd", 8),
             "id: 3\nevent: m\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    /* LF CR is two breaks: an empty line between */
    CK_BLOCK(sse_event_encode(buf, bufsize, 3, "m", "a\n\rb", 4),
             "id: 3\nevent: m\ndata: a\ndata: \ndata: b\n\n");
    /* leading, trailing and only breaks keep their empty lines, so the
     * client's join gives the payload back (with "\n" breaks) */
    CK_BLOCK(sse_event_encode(buf, bufsize, 3, "m", "\nx\n", 3),
             "id: 3\nevent: m\ndata: \ndata: x\ndata: \n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, 3, "m", "\r\n", 2),
             "id: 3\nevent: m\ndata: \ndata: \n\n");
    /* a line of its own that looks like a field stays data */
    CK_BLOCK(sse_event_encode(buf, bufsize, 3, "m", "x\nid: 9\n: c", 11),
             "id: 3\nevent: m\ndata: x\ndata: id: 9\ndata: : c\n\n");
}
END_TEST

START_TEST(event_data_by_length)
{
    /* the length rules, not a NUL: bytes after len are not sent, and an
     * embedded NUL is sent as it is */
    char out[64];
    const char data[] = { 'a', '\0', 'b' };
    const char want[] = "id: 1\nevent: m\ndata: a\0b\n\n";
    apr_ssize_t n;

    CK_BLOCK(sse_event_encode(buf, bufsize, 1, "m", "abcdef", 3),
             "id: 1\nevent: m\ndata: abc\n\n");
    n = sse_event_encode(out, sizeof(out), 1, "m", data, 3);
    ck_assert_int_eq(n, (apr_ssize_t)sizeof(want) - 1);
    ck_assert_int_eq(memcmp(out, want, sizeof(want)), 0);   /* and the NUL */
}
END_TEST

START_TEST(event_refused)
{
    char out[64];

    ck_assert_int_eq(sse_event_encode(out, sizeof(out), 1, "a\nb", "{}", 2), -1);
    ck_assert_int_eq(sse_event_encode(out, sizeof(out), 1, "a\rb", "{}", 2), -1);
    ck_assert_int_eq(sse_event_encode(out, sizeof(out), 1, "m", NULL, 3), -1);
    ck_assert_int_eq(sse_event_encode(NULL, 10, 1, "m", "{}", 2), -1);
}
END_TEST

START_TEST(other_blocks)
{
    CK_BLOCK(sse_event_retry(buf, bufsize, 3000), "retry: 3000\n\n");
    CK_BLOCK(sse_event_retry(buf, bufsize, 0), "retry: 0\n\n");
    CK_BLOCK(sse_event_id(buf, bufsize, 12345), "id: 12345\n\n");
    CK_BLOCK(sse_event_id(buf, bufsize, 0), "id: 0\n\n");
    CK_BLOCK(sse_event_comment(buf, bufsize, "ping"), SSE_EVENT_PING);
    CK_BLOCK(sse_event_comment(buf, bufsize, "ping"), ": ping\n\n");
    CK_BLOCK(sse_event_comment(buf, bufsize, ""), ":\n\n");
    CK_BLOCK(sse_event_comment(buf, bufsize, NULL), ":\n\n");
    ck_assert_int_eq(sse_event_retry(NULL, 0, -1), -1);
    ck_assert_int_eq(sse_event_comment(NULL, 0, "two\nlines"), -1);
    ck_assert_int_eq(sse_event_comment(NULL, 0, "cr\r"), -1);
}
END_TEST

/* snprintf's contract: the length always, the text only when it fits. */
START_TEST(buffer_contract)
{
    char out[32];
    const char *want = "id: 5\nevent: e\ndata: {}\n\n";   /* 25 bytes */
    apr_ssize_t len = (apr_ssize_t)strlen(want);

    ck_assert_int_eq(sse_event_encode(NULL, 0, 5, "e", "{}", 2), len);
    memset(out, 'X', sizeof(out));
    ck_assert_int_eq(sse_event_encode(out, (apr_size_t)len, 5, "e", "{}", 2), len);
    ck_assert_int_eq(out[0], 'X');          /* no room for the NUL: untouched */
    ck_assert_int_eq(sse_event_encode(out, (apr_size_t)len + 1, 5, "e", "{}", 2), len);
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(out[len + 1], 'X');    /* nothing past the NUL */
    ck_assert_int_eq(sse_event_retry(out, 3, 10), 11);
}
END_TEST

START_TEST(pool_versions)
{
    apr_size_t len = 0;
    const char *s;

    s = sse_event_pencode(tk_tp, 9, "ticket_deleted", "{\"id\":\"t9\"}", 11, &len);
    ck_assert_str_eq(s, "id: 9\nevent: ticket_deleted\ndata: {\"id\":\"t9\"}\n\n");
    ck_assert_uint_eq(len, strlen(s));
    s = sse_event_pencode(tk_tp, 9, "a\nb", "{}", 2, &len);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(sse_event_pretry(tk_tp, 2500, &len), "retry: 2500\n\n");
    ck_assert_uint_eq(len, 13);
    ck_assert_str_eq(sse_event_pid(tk_tp, 77, NULL), "id: 77\n\n");
    ck_assert_str_eq(sse_event_pcomment(tk_tp, "ping", &len), SSE_EVENT_PING);
    ck_assert_uint_eq(len, 8);
    ck_assert_ptr_null(sse_event_pretry(tk_tp, -5, &len));
}
END_TEST

/* Large payloads with many lines: the length and the bytes agree. */
START_TEST(many_lines)
{
    char *data = tk_repeat("ab\n", 1000);
    apr_size_t len = 0;
    const char *s = sse_event_pencode(tk_tp, 1, "m", data, strlen(data), &len);

    /* "id: 1\n" + "event: m\n" + 1001 data lines ("data: ab\n" x 1000 and
     * a last empty "data: \n") + "\n" */
    ck_assert_uint_eq(len, 6 + 9 + 1000 * 9 + 7 + 1);
    ck_assert_uint_eq(strlen(s), len);
    ck_assert_int_eq(strncmp(s + len - 17, "data: ab\ndata: \n\n", 17), 0);
}
END_TEST

Suite *tk_suite_sse_event(void)
{
    Suite *s = suite_create("sse_event");
    TCase *tc = tk_tcase("encode");

    tcase_add_test(tc, event_full);
    tcase_add_test(tc, event_optional_fields);
    tcase_add_test(tc, event_multiline_data);
    tcase_add_test(tc, event_data_by_length);
    tcase_add_test(tc, event_refused);
    tcase_add_test(tc, other_blocks);
    tcase_add_test(tc, buffer_contract);
    tcase_add_test(tc, pool_versions);
    tcase_add_test(tc, many_lines);
    suite_add_tcase(s, tc);
    return s;
}
