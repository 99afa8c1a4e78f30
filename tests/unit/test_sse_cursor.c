/* test_sse_cursor.c: a stream's position and its verdict on each event
 * (sse_cursor.c): skip what was sent already, send what the viewer may see
 * and asked for, end on a revocation, and tell the client only positions
 * of its own organization. */
#include <string.h>
#include "tk_suites.h"
#include "sse_cursor.h"

#define ACME   "00000000-0000-4000-8000-0000000000a1"
#define GLOBEX "00000000-0000-4000-8000-0000000000b1"
#define ADMIN  "00000000-0000-4000-8000-00000000a001"

static sse_record_t tc_event(const char *org, const char *type, const char *data)
{
    sse_record_t r;

    memset(&r, 0, sizeof(r));
    r.org = org;
    r.type = type;
    r.ticket = "";
    r.conversation = "";
    r.audience[0] = r.audience[1] = "";
    r.data = data;
    r.data_len = data ? strlen(data) : 0;
    return r;
}

static sse_cursor_t tc_cursor(void)
{
    sse_cursor_t c;

    memset(&c, 0, sizeof(c));
    c.viewer.org = ACME;
    c.viewer.user = ADMIN;
    c.viewer.role = "admin";
    c.credential = "t:0123456789abcdef";
    return c;
}

START_TEST(verdicts)
{
    sse_cursor_t c = tc_cursor();
    sse_record_t mine = tc_event(ACME, "ticket_created", "{}");
    sse_record_t theirs = tc_event(GLOBEX, "ticket_created", "{}");
    sse_record_t revoke = tc_event(ACME, SSE_REVOKED_TYPE,
                                   "{\"credential\":\"t:0123456789abcdef\"}");
    sse_record_t other_revoke = tc_event(ACME, SSE_REVOKED_TYPE,
                                         "{\"credential\":\"t:ffffffffffffffff\"}");
    sse_record_t user_revoke = tc_event(ACME, SSE_REVOKED_TYPE,
                                        "{\"user\":\"" ADMIN "\"}");
    const uint64_t p1[2] = { 10, 1 }, p2[2] = { 10, 2 }, p3[2] = { 11, 3 },
                   p4[2] = { 12, 4 }, p5[2] = { 12, 5 };

    ck_assert_int_eq(sse_cursor_judge(&c, p1, &mine), SSE_SEND);
    ck_assert_int_eq(sse_cursor_judge(&c, p1, &mine), SSE_SKIP);     /* seen */
    ck_assert_int_eq(sse_cursor_judge(&c, p2, &theirs), SSE_SKIP);
    ck_assert(c.pos[1] == 2 && c.own[1] == 1);  /* passed, not ours */
    ck_assert_int_eq(sse_cursor_judge(&c, p3, &other_revoke), SSE_SKIP);
    ck_assert_int_eq(sse_cursor_judge(&c, p4, NULL), SSE_SKIP);      /* no event */
    ck_assert_int_eq(sse_cursor_judge(&c, p5, &revoke), SSE_END);
    c = tc_cursor();
    ck_assert_int_eq(sse_cursor_judge(&c, p1, &user_revoke), SSE_END);
    /* an event of the log without its data (another organization's) */
    c = tc_cursor();
    mine.data = NULL;
    ck_assert_int_eq(sse_cursor_judge(&c, p1, &mine), SSE_SKIP);
    ck_assert(c.own[1] == 1);
}
END_TEST

START_TEST(tells_only_own_positions)
{
    sse_cursor_t c = tc_cursor();
    sse_record_t mine = tc_event(ACME, "ticket_deleted", "{}");
    sse_record_t theirs = tc_event(GLOBEX, "ticket_created", "{}");
    const uint64_t p1[2] = { 20, 7 }, p2[2] = { 21, 8 };
    apr_size_t len;

    c.filter.types = 1;                 /* asked for the first type only */
    ck_assert_str_eq(sse_cursor_tell(&c, tk_tp, &len), "");
    ck_assert_int_eq(sse_cursor_judge(&c, p1, &mine), SSE_SKIP);  /* filtered */
    ck_assert_int_eq(sse_cursor_judge(&c, p2, &theirs), SSE_SKIP);
    ck_assert_str_eq(sse_cursor_tell(&c, tk_tp, &len), "id: 20-7\n\n");
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(sse_cursor_tell(&c, tk_tp, &len), "");       /* told */
    ck_assert_ptr_null(sse_cursor_untold(&c));
    sse_cursor_sent(&c, p1);
    ck_assert_ptr_null(sse_cursor_untold(&c));
}
END_TEST

Suite *tk_suite_sse_cursor(void)
{
    Suite *s = suite_create("sse_cursor");
    TCase *tc = tk_tcase("cursor");

    tcase_add_test(tc, verdicts);
    tcase_add_test(tc, tells_only_own_positions);
    suite_add_tcase(s, tc);
    return s;
}
