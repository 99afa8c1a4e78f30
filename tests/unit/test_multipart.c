/* test_multipart.c: the streaming multipart/form-data parser
 * (tk_multipart.c) and the upload it feeds (tk_upload.c): well-formed
 * bodies split at every byte, the limits, and the checks of a file's
 * name, type and content. */
#include <string.h>
#include "tk_suites.h"
#include "files/tk_multipart.h"
#include "files/tk_upload.h"

#define TYPES "txt,log,png,jpg,jpeg,json"

/* What the sink got. */
typedef struct {
    char buf[4096];
    size_t len;
} tm_sink_t;

static int tm_sink(void *baton, const char *data, size_t len)
{
    tm_sink_t *s = baton;

    ck_assert_uint_le(s->len + len, sizeof(s->buf));
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    return 0;
}

/* Feed body in pieces of at most step bytes (0: the first split bytes,
 * then the rest); the upload's error code, TK_E_NONE when accepted. */
static tk_ecode_t tm_feed(const char *body, size_t len, size_t split,
                          apr_int64_t max, tm_sink_t *sink,
                          const tk_upload_result_t **res)
{
    tk_upload_t *u;
    tk_multipart_t *m;
    tk_err_t err = { TK_E_NONE, NULL, NULL };

    memset(sink, 0, sizeof(*sink));
    u = tk_upload_create(tk_tp, max, TYPES, tm_sink, sink);
    m = tk_multipart_create(tk_tp, "XyZ", &tk_upload_parts, u);
    if (tk_multipart_feed(m, body, split, &err)
        || tk_multipart_feed(m, body + split, len - split, &err)
        || tk_multipart_finish(m, &err) || tk_upload_finish(u, &err)) {
        ck_assert_ptr_nonnull(err.message);
        return err.code;
    }
    *res = tk_upload_result(u);
    return TK_E_NONE;
}

static const char good[] =
    "preamble\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"messageId\"\r\n\r\n"
    "00000000-0000-4000-8000-000000000001\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"C:\\\\x\\\\notes.txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "line one\r\n--XyNot yet\r\n-\r\r\n--X\r\n--Xy\r\nend"
    "\r\n--XyZ--\r\nepilogue";

START_TEST(split_at_every_byte)
{
    static const char content[] = "line one\r\n--XyNot yet\r\n-\r\r\n--X\r\n--Xy\r\nend";
    size_t len = sizeof(good) - 1, i;
    const tk_upload_result_t *res;
    tm_sink_t sink;

    for (i = 0; i <= len; ++i) {
        ck_assert_int_eq(tm_feed(good, len, i, 100, &sink, &res), TK_E_NONE);
        ck_assert_uint_eq(sink.len, sizeof(content) - 1);
        ck_assert(memcmp(sink.buf, content, sink.len) == 0);
        ck_assert_str_eq(res->filename, "notes.txt");
        ck_assert_str_eq(res->message_id, "00000000-0000-4000-8000-000000000001");
        ck_assert_int_eq(res->size, (apr_int64_t)sizeof(content) - 1);
    }
}
END_TEST

static tk_ecode_t tm_body(const char *body, apr_int64_t max)
{
    const tk_upload_result_t *res;
    tm_sink_t sink;

    return tm_feed(body, strlen(body), 0, max, &sink, &res);
}

#define PART(name, extra) \
    "--XyZ\r\nContent-Disposition: form-data; name=\"" name "\"" extra "\r\n\r\n"

START_TEST(malformed_bodies)
{
    char big[TK_MULTIPART_HEADERS_MAX + 200];

    ck_assert_int_eq(tm_body("", 100), TK_E_VALIDATION);
    ck_assert_int_eq(tm_body("--XyZ\r\n", 100), TK_E_VALIDATION);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.txt\"") "abc", 100),
                     TK_E_VALIDATION);                  /* never closed */
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.txt\"") "a\r\n"
                             PART("file", "; filename=\"b.txt\"") "b\r\n--XyZ--", 100),
                     TK_E_VALIDATION);                  /* two files */
    ck_assert_int_eq(tm_body(PART("other", "") "x\r\n--XyZ--", 100),
                     TK_E_VALIDATION);
    ck_assert_int_eq(tm_body(PART("messageId", "") "x\r\n--XyZ--", 100),
                     TK_E_VALIDATION);
    ck_assert_int_eq(tm_body(PART("file", "") "x\r\n--XyZ--", 100),
                     TK_E_VALIDATION);                  /* no filename */
    ck_assert_int_eq(tm_body("--XyZ\r\n\r\nx\r\n--XyZ--", 100), TK_E_VALIDATION);
    ck_assert_int_eq(tm_body("--XyZ\r\nContent-Disposition: attachment; "
                             "name=\"file\"\r\n\r\nx\r\n--XyZ--", 100),
                     TK_E_VALIDATION);
    ck_assert_int_eq(tm_body("--XyZx\r\n", 100), TK_E_VALIDATION);
    ck_assert_int_eq(tm_body(PART("messageId", "") "x\r\n--XyZ--", 100),
                     TK_E_VALIDATION);
    memset(big, 'a', sizeof(big));
    memcpy(big, "--XyZ\r\nX-Pad: ", 14);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(tm_body(big, 100), TK_E_VALIDATION);
}
END_TEST

START_TEST(limits_and_types)
{
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.txt\"") "12345\r\n--XyZ--", 5),
                     TK_E_NONE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.txt\"") "123456\r\n--XyZ--", 5),
                     TK_E_PAYLOAD_TOO_LARGE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.exe\"") "MZ\r\n--XyZ--", 100),
                     TK_E_UNSUPPORTED_MEDIA_TYPE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"noext\"") "x\r\n--XyZ--", 100),
                     TK_E_UNSUPPORTED_MEDIA_TYPE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.jpg\"")
                             "\x89PNG\r\n\x1a\n....\r\n--XyZ--", 100),
                     TK_E_UNSUPPORTED_MEDIA_TYPE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.PNG\"")
                             "\x89PNG\r\n\x1a\n....\r\n--XyZ--", 100), TK_E_NONE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.jpeg\"")
                             "\xff\xd8\xff\xe0..\r\n--XyZ--", 100), TK_E_NONE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.txt\"")
                             "bad \xc0\xaf utf-8\r\n--XyZ--", 100),
                     TK_E_UNSUPPORTED_MEDIA_TYPE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.txt\"")
                             "cut \xe2\x82\r\n--XyZ--", 100),
                     TK_E_UNSUPPORTED_MEDIA_TYPE);
    ck_assert_int_eq(tm_body(PART("file", "; filename=\"a.txt\"")
                             "\r\n--XyZ--", 100), TK_E_VALIDATION);     /* empty */
    ck_assert_int_eq(tm_body(PART("file", "; filename*=UTF-8''%C3%A9t%C3%A9.txt")
                             "\xc3\xa9t\xc3\xa9\r\n--XyZ--", 100), TK_E_NONE);
    ck_assert_int_eq(tm_body(PART("file", "; filename*=latin1''x.txt")
                             "x\r\n--XyZ--", 100), TK_E_VALIDATION);
}
END_TEST

START_TEST(names_and_headers)
{
    tk_err_t err;

    ck_assert_str_eq(tk_filename_clean(tk_tp, "../../etc/passwd.txt"), "passwd.txt");
    ck_assert_str_eq(tk_filename_clean(tk_tp, "C:\\Users\\a\\b.png"), "b.png");
    ck_assert_str_eq(tk_filename_clean(tk_tp, " .hidden.log. "), "hidden.log");
    ck_assert_str_eq(tk_filename_clean(tk_tp, "a\x01\tb.txt"), "ab.txt");
    ck_assert_ptr_null(tk_filename_clean(tk_tp, "dir/"));
    ck_assert_ptr_null(tk_filename_clean(tk_tp, ".."));
    ck_assert_ptr_null(tk_filename_clean(tk_tp, "bad\xff.txt"));
    ck_assert_str_eq(tk_content_disposition(tk_tp, "r\xc3\xa9sum\xc3\xa9 \"1\".txt"),
                     "attachment; filename=\"r__sum__ _1_.txt\"; "
                     "filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.txt");
    ck_assert_int_eq(tk_filetypes_valid("txt, png"), 1);
    ck_assert_int_eq(tk_filetypes_valid("txt exe"), 0);
    ck_assert_int_eq(tk_filetypes_valid(" , "), 0);
    ck_assert_str_eq(tk_multipart_boundary(tk_tp, "multipart/form-data; "
                                           "boundary=\"a b'c\"", &err), "a b'c");
    ck_assert_str_eq(tk_multipart_boundary(tk_tp, "Multipart/Form-Data;"
                                           "charset=x; boundary=abc", &err), "abc");
    ck_assert_ptr_null(tk_multipart_boundary(tk_tp, "multipart/form-data", &err));
    ck_assert_int_eq(err.code, TK_E_VALIDATION);
    ck_assert_ptr_null(tk_multipart_boundary(tk_tp, "text/plain", &err));
    ck_assert_int_eq(err.code, TK_E_UNSUPPORTED_MEDIA_TYPE);
    ck_assert_ptr_null(tk_multipart_boundary(tk_tp, "multipart/form-data; boundary="
        "12345678901234567890123456789012345678901234567890123456789012345678901",
        &err));
}
END_TEST

Suite *tk_suite_multipart(void)
{
    Suite *s = suite_create("tk_multipart");
    TCase *tc = tk_tcase("multipart");

    tcase_add_test(tc, split_at_every_byte);
    tcase_add_test(tc, malformed_bodies);
    tcase_add_test(tc, limits_and_types);
    tcase_add_test(tc, names_and_headers);
    suite_add_tcase(s, tc);
    return s;
}
