/* test_sse_event.c: the text/event-stream encoder (sse_event.c): exact
 * bytes of every block, data split into lines, refusals, and the snprintf
 * contract of the buffer functions. */
#include <string.h>
#include "tk_suites.h"
#include "sse_event.h"

/* Ids used below: {xid, n} */
static const uint64_t id42[2] = { 4711, 42 };
static const uint64_t idmax[2] = { UINT64_MAX, UINT64_MAX };
static const uint64_t id7[2] = { 1, 7 };
static const uint64_t id3[2] = { 2, 3 };
static const uint64_t id1[2] = { 0, 1 };

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

    CK_BLOCK(sse_event_encode(buf, bufsize, id42, "ticket_created", json,
                              strlen(json)),
             "id: 4711-42\nevent: ticket_created\n"
             "data: {\"id\":\"t1\",\"subject\":\"Printer\"}\n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, idmax, "x", "1", 1),
             "id: 18446744073709551615-18446744073709551615\nevent: x\ndata: 1\n\n");
}
END_TEST

START_TEST(event_optional_fields)
{
    /* no id: no id line; no type: the client fires "message" */
    CK_BLOCK(sse_event_encode(buf, bufsize, NULL, "reset", "{}", 2),
             "event: reset\ndata: {}\n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, id7, NULL, "{}", 2),
             "id: 1-7\ndata: {}\n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, id7, "", "{}", 2),
             "id: 1-7\ndata: {}\n\n");
    /* empty data still makes one (empty) data line, so the event fires */
    CK_BLOCK(sse_event_encode(buf, bufsize, id1, "e", NULL, 0),
             "id: 0-1\nevent: e\ndata: \n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, id1, "e", "", 0),
             "id: 0-1\nevent: e\ndata: \n\n");
}
END_TEST

START_TEST(event_multiline_data)
{
    CK_BLOCK(sse_event_encode(buf, bufsize, id3, "m", "a\nb", 3),
             "id: 2-3\nevent: m\ndata: a\ndata: b\n\n");
    /* CRLF is one break; lone CR and LF are one each */
    CK_BLOCK(sse_event_encode(buf, bufsize, id3, "m", "a\r\nb\rc\nd", 8),
             "id: 2-3\nevent: m\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    /* LF CR is two breaks: an empty line between */
    CK_BLOCK(sse_event_encode(buf, bufsize, id3, "m", "a\n\rb", 4),
             "id: 2-3\nevent: m\ndata: a\ndata: \ndata: b\n\n");
    /* leading, trailing and only breaks keep their empty lines, so the
     * client's join gives the payload back (with "\n" breaks) */
    CK_BLOCK(sse_event_encode(buf, bufsize, id3, "m", "\nx\n", 3),
             "id: 2-3\nevent: m\ndata: \ndata: x\ndata: \n\n");
    CK_BLOCK(sse_event_encode(buf, bufsize, id3, "m", "\r\n", 2),
             "id: 2-3\nevent: m\ndata: \ndata: \n\n");
    /* a line of its own that looks like a field stays data */
    CK_BLOCK(sse_event_encode(buf, bufsize, id3, "m", "x\nid: 9\n: c", 11),
             "id: 2-3\nevent: m\ndata: x\ndata: id: 9\ndata: : c\n\n");
}
END_TEST

START_TEST(event_data_by_length)
{
    /* the length rules, not a NUL: bytes after len are not sent, and an
     * embedded NUL is sent as it is */
    char out[64];
    const char data[] = { 'a', '\0', 'b' };
    const char want[] = "id: 0-1\nevent: m\ndata: a\0b\n\n";
    apr_ssize_t n;

    CK_BLOCK(sse_event_encode(buf, bufsize, id1, "m", "abcdef", 3),
             "id: 0-1\nevent: m\ndata: abc\n\n");
    n = sse_event_encode(out, sizeof(out), id1, "m", data, 3);
    ck_assert_int_eq(n, (apr_ssize_t)sizeof(want) - 1);
    ck_assert_int_eq(memcmp(out, want, sizeof(want)), 0);   /* and the NUL */
}
END_TEST

START_TEST(event_refused)
{
    char out[64];

    ck_assert_int_eq(sse_event_encode(out, sizeof(out), id1, "a\nb", "{}", 2), -1);
    ck_assert_int_eq(sse_event_encode(out, sizeof(out), id1, "a\rb", "{}", 2), -1);
    ck_assert_int_eq(sse_event_encode(out, sizeof(out), id1, "m", NULL, 3), -1);
    ck_assert_int_eq(sse_event_encode(NULL, 10, id1, "m", "{}", 2), -1);
}
END_TEST

START_TEST(other_blocks)
{
    CK_BLOCK(sse_event_retry(buf, bufsize, 3000), "retry: 3000\n\n");
    CK_BLOCK(sse_event_retry(buf, bufsize, 0), "retry: 0\n\n");
    CK_BLOCK(sse_event_id(buf, bufsize, id42), "id: 4711-42\n\n");
    CK_BLOCK(sse_event_id(buf, bufsize, id1), "id: 0-1\n\n");
    ck_assert_int_eq(sse_event_id(NULL, 0, NULL), -1);
    CK_BLOCK(sse_event_comment(buf, bufsize, "ping"), SSE_EVENT_PING);
    CK_BLOCK(sse_event_comment(buf, bufsize, "ping"), ": ping\n\n");
    CK_BLOCK(sse_event_comment(buf, bufsize, ""), ":\n\n");
    CK_BLOCK(sse_event_comment(buf, bufsize, NULL), ":\n\n");
    ck_assert_int_eq(sse_event_retry(NULL, 0, -1), -1);
    ck_assert_int_eq(sse_event_comment(NULL, 0, "two\nlines"), -1);
    ck_assert_int_eq(sse_event_comment(NULL, 0, "cr\r"), -1);
}
END_TEST

START_TEST(ids_parse)
{
    static const char *const bad[] = {
        "", "-", "1", "1-", "-1", "1--2", "1-2-3", "+1-2", "1-+2", " 1-2",
        "1-2 ", "1- 2", "a-1", "1-b", "0x1-2", "18446744073709551616-1",
        "1-18446744073709551616", "000000000000000000001-1", "1.5-2", NULL
    };
    uint64_t id[2];
    char text[SSE_EVENT_ID_MAX + 8];
    int i;

    ck_assert_int_eq(sse_event_parse_id("4711-42", id), 0);
    ck_assert(id[0] == 4711 && id[1] == 42);
    ck_assert_int_eq(sse_event_parse_id("0-0", id), 0);
    ck_assert(id[0] == 0 && id[1] == 0);
    /* each part fits a signed 64-bit number, as the log's columns do */
    ck_assert_int_eq(sse_event_parse_id("9223372036854775807-9223372036854775807", id), 0);
    ck_assert(id[0] == SSE_EVENT_PART_MAX && id[1] == SSE_EVENT_PART_MAX);
    ck_assert_int_eq(sse_event_parse_id("1-9223372036854775808", id), -1);
    ck_assert_int_eq(sse_event_parse_id("9223372036854775808-1", id), -1);
    ck_assert_int_eq(sse_event_parse_id("1-18446744073709551615", id), -1);
    ck_assert_int_eq(sse_event_parse_id("00012-0009", id), 0);
    ck_assert(id[0] == 12 && id[1] == 9);
    for (i = 0; bad[i]; ++i) {
        ck_assert_msg(sse_event_parse_id(bad[i], id) == -1, "accepted %s", bad[i]);
    }
    ck_assert_int_eq(sse_event_parse_id(NULL, id), -1);
    /* the longest id fits SSE_EVENT_ID_MAX with its NUL */
    ck_assert_int_eq(sse_event_id(text, sizeof(text), idmax),
                     (apr_ssize_t)(4 + SSE_EVENT_ID_MAX - 1 + 2));
}
END_TEST

/* snprintf's contract: the length always, the text only when it fits. */
START_TEST(reset_and_start_blocks)
{
    apr_pool_t *p;
    const uint64_t id[2] = { 12, 34 };
    apr_size_t len;
    const char *t;

    apr_pool_create(&p, NULL);
    t = sse_event_preset(p, "lapped", &len);
    ck_assert_str_eq(t, "id:\nevent: reset\ndata: {\"reason\":\"lapped\"}\n\n");
    ck_assert_uint_eq(len, strlen(t));
    t = sse_event_pstart(p, 3000, id, &len);
    ck_assert_str_eq(t, "retry: 3000\nid: 12-34\n\n");
    ck_assert_uint_eq(len, strlen(t));
    ck_assert_str_eq(sse_event_pstart(p, 3000, NULL, NULL), "retry: 3000\n\n");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(buffer_contract)
{
    char out[32];
    const char *want = "id: 0-1\nevent: e\ndata: {}\n\n";   /* 27 bytes */
    apr_ssize_t len = (apr_ssize_t)strlen(want);

    ck_assert_int_eq(sse_event_encode(NULL, 0, id1, "e", "{}", 2), len);
    memset(out, 'X', sizeof(out));
    ck_assert_int_eq(sse_event_encode(out, (apr_size_t)len, id1, "e", "{}", 2), len);
    ck_assert_int_eq(out[0], 'X');          /* no room for the NUL: untouched */
    ck_assert_int_eq(sse_event_encode(out, (apr_size_t)len + 1, id1, "e", "{}", 2), len);
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(out[len + 1], 'X');    /* nothing past the NUL */
    ck_assert_int_eq(sse_event_retry(out, 3, 10), 11);
}
END_TEST

START_TEST(pool_versions)
{
    apr_size_t len = 0;
    const char *s;

    s = sse_event_pencode(tk_tp, id42, "ticket_deleted", "{\"id\":\"t9\"}", 11, &len);
    ck_assert_str_eq(s, "id: 4711-42\nevent: ticket_deleted\ndata: {\"id\":\"t9\"}\n\n");
    ck_assert_uint_eq(len, strlen(s));
    s = sse_event_pencode(tk_tp, id42, "a\nb", "{}", 2, &len);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(sse_event_pretry(tk_tp, 2500, &len), "retry: 2500\n\n");
    ck_assert_uint_eq(len, 13);
    ck_assert_str_eq(sse_event_pid(tk_tp, id7, NULL), "id: 1-7\n\n");
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
    const char *s = sse_event_pencode(tk_tp, id1, "m", data, strlen(data), &len);

    /* "id: 0-1\n" + "event: m\n" + 1001 data lines ("data: ab\n" x 1000 and
     * a last empty "data: \n") + "\n" */
    ck_assert_uint_eq(len, 8 + 9 + 1000 * 9 + 7 + 1);
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
    tcase_add_test(tc, ids_parse);
    tcase_add_test(tc, buffer_contract);
    tcase_add_test(tc, reset_and_start_blocks);
    tcase_add_test(tc, pool_versions);
    tcase_add_test(tc, many_lines);
    suite_add_tcase(s, tc);
    return s;
}
