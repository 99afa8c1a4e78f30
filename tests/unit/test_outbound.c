/* test_outbound.c: the platforms' send requests, built exactly, and every
 * branch of the verdict on their answers (tk_outbound.c); the answers are
 * those of tests/fixtures/platforms/ *-answer-*.json. */
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "tk_suites.h"
#include "platforms/tk_platform.h"

static tk_http_req_t tk_req;

static int tk_build(tk_platform_t platform, const tk_send_t *in)
{
    memset(&tk_req, 0, sizeof(tk_req));
    return tk_send_request(tk_tp, platform, in, &tk_req);
}

static const char *tk_header(int i)
{
    ck_assert_ptr_nonnull(tk_req.headers);
    ck_assert_int_gt(tk_req.headers->nelts, i);
    return APR_ARRAY_IDX(tk_req.headers, i, const char *);
}

/* The request's body, parsed, equal to the JSON text want. */
static void tk_body_is(const char *want)
{
    json_t *got;

    ck_assert_ptr_nonnull(tk_req.body);
    ck_assert_uint_eq(tk_req.body_len, strlen(tk_req.body));
    got = tk_tj(tk_req.body);
    ck_assert_msg(json_equal(got, tk_tj(want)), "body %s, want %s",
                  tk_req.body, want);
}

START_TEST(bases)
{
    ck_assert_str_eq(tk_send_default_base(TK_PLATFORM_FACEBOOK),
                     "https://graph.facebook.com");
    ck_assert_str_eq(tk_send_default_base(TK_PLATFORM_ZALO), "https://openapi.zalo.me");
    ck_assert_str_eq(tk_send_default_base(TK_PLATFORM_TIKTOK),
                     "https://business-api.tiktok.com");
    ck_assert_str_eq(tk_send_default_base(TK_PLATFORM_DISCORD), "https://discord.com");
    ck_assert_ptr_null(tk_send_default_base(TK_PLATFORM_WEB));
}
END_TEST

START_TEST(request_facebook)
{
    tk_send_t in = { NULL, "104538292481027", "EAAB+x/y&z=1", NULL,
                     "6795214630527301", "On its way \xe2\x80\x94 tomorrow." };

    ck_assert_int_eq(tk_build(TK_PLATFORM_FACEBOOK, &in), 0);
    ck_assert_str_eq(tk_req.method, "POST");
    ck_assert_str_eq(tk_req.url, "https://graph.facebook.com/" TK_FACEBOOK_GRAPH_VERSION
                     "/me/messages?access_token=EAAB%2bx%2fy%26z%3d1");
    ck_assert_int_eq(tk_req.headers->nelts, 1);
    ck_assert_str_eq(tk_header(0), "Content-Type: application/json");
    tk_body_is("{\"recipient\":{\"id\":\"6795214630527301\"},\"messaging_type\":"
               "\"RESPONSE\",\"message\":{\"text\":\"On its way \xe2\x80\x94 tomorrow.\"}}");
    /* the caller's timeouts are left alone */
    ck_assert_int_eq(tk_req.timeout_ms, 0);

    in.base = "http://127.0.0.1:8099/";
    in.version = "v21.0";
    ck_assert_int_eq(tk_build(TK_PLATFORM_FACEBOOK, &in), 0);
    ck_assert_str_eq(tk_req.url, "http://127.0.0.1:8099/v21.0/me/messages?"
                     "access_token=EAAB%2bx%2fy%26z%3d1");
}
END_TEST

START_TEST(request_zalo)
{
    tk_send_t in = { NULL, "3662729599332560487", "zalo-token", NULL,
                     "6142494823558102341", "C\xe1\xba\xa3m \xc6\xa1n" };

    ck_assert_int_eq(tk_build(TK_PLATFORM_ZALO, &in), 0);
    ck_assert_str_eq(tk_req.method, "POST");
    ck_assert_str_eq(tk_req.url, "https://openapi.zalo.me/v3.0/oa/message/cs");
    ck_assert_int_eq(tk_req.headers->nelts, 2);
    ck_assert_str_eq(tk_header(0), "Content-Type: application/json");
    ck_assert_str_eq(tk_header(1), "access_token: zalo-token");
    tk_body_is("{\"recipient\":{\"user_id\":\"6142494823558102341\"},"
               "\"message\":{\"text\":\"C\xe1\xba\xa3m \xc6\xa1n\"}}");
}
END_TEST

START_TEST(request_tiktok)
{
    tk_send_t in = { NULL, "-000Ab9cD8eF7gH6iJ5kL4mN3oP2qR1sT0uV", "act.tok", NULL,
                     "u5JhpselBAhoPOlnH0tZ9y07kg==", "Yes, in stock." };

    ck_assert_int_eq(tk_build(TK_PLATFORM_TIKTOK, &in), 0);
    ck_assert_str_eq(tk_req.url, "https://business-api.tiktok.com/open_api/v1.3/"
                     "business/message/send/");
    ck_assert_int_eq(tk_req.headers->nelts, 2);
    ck_assert_str_eq(tk_header(0), "Content-Type: application/json");
    ck_assert_str_eq(tk_header(1), "Access-Token: act.tok");
    tk_body_is("{\"business_id\":\"-000Ab9cD8eF7gH6iJ5kL4mN3oP2qR1sT0uV\","
               "\"recipient_type\":\"CONVERSATION\",\"recipient\":"
               "\"u5JhpselBAhoPOlnH0tZ9y07kg==\",\"message_type\":\"TEXT\","
               "\"text\":{\"body\":\"Yes, in stock.\"}}");
    in.account_id = NULL;
    ck_assert_int_eq(tk_build(TK_PLATFORM_TIKTOK, &in), -1);
}
END_TEST

START_TEST(request_discord)
{
    tk_send_t in = { "https://discord.test", "1175638290124750902", "Bot.Tok.En", NULL,
                     "645027906669510667", "Hello @everyone" };

    ck_assert_int_eq(tk_build(TK_PLATFORM_DISCORD, &in), 0);
    ck_assert_str_eq(tk_req.url, "https://discord.test/api/v10/channels/"
                     "645027906669510667/messages");
    ck_assert_int_eq(tk_req.headers->nelts, 2);
    ck_assert_str_eq(tk_header(0), "Content-Type: application/json");
    ck_assert_str_eq(tk_header(1), "Authorization: Bot Bot.Tok.En");
    tk_body_is("{\"content\":\"Hello @everyone\",\"allowed_mentions\":{\"parse\":[]}}");
    /* a recipient is one path segment */
    in.recipient = "../../users/@me";
    ck_assert_int_eq(tk_build(TK_PLATFORM_DISCORD, &in), 0);
    ck_assert_str_eq(tk_req.url, "https://discord.test/api/v10/channels/"
                     "..%2f..%2fusers%2f@me/messages");
}
END_TEST

START_TEST(request_refused)
{
    tk_send_t in = { NULL, "a", "tok", NULL, "r", "text" }, bad;

    ck_assert_int_eq(tk_build(TK_PLATFORM_WEB, &in), -1);
    ck_assert_int_eq(tk_build((tk_platform_t)42, &in), -1);
    ck_assert_int_eq(tk_send_request(tk_tp, TK_PLATFORM_ZALO, NULL, &tk_req), -1);
    bad = in, bad.token = NULL;
    ck_assert_int_eq(tk_build(TK_PLATFORM_ZALO, &bad), -1);
    bad = in, bad.token = "";
    ck_assert_int_eq(tk_build(TK_PLATFORM_ZALO, &bad), -1);
    bad = in, bad.token = "tok\r\nX-Injected: 1";
    ck_assert_int_eq(tk_build(TK_PLATFORM_ZALO, &bad), -1);
    bad = in, bad.recipient = "r\n";
    ck_assert_int_eq(tk_build(TK_PLATFORM_DISCORD, &bad), -1);
    bad = in, bad.recipient = NULL;
    ck_assert_int_eq(tk_build(TK_PLATFORM_FACEBOOK, &bad), -1);
    bad = in, bad.text = NULL;
    ck_assert_int_eq(tk_build(TK_PLATFORM_FACEBOOK, &bad), -1);
    bad = in, bad.text = "\xc3(";
    ck_assert_int_eq(tk_build(TK_PLATFORM_FACEBOOK, &bad), -1);
    /* an empty text is the platform's to refuse */
    bad = in, bad.text = "";
    ck_assert_int_eq(tk_build(TK_PLATFORM_FACEBOOK, &bad), 0);
}
END_TEST

/* ---------------------------------------------------------------------
 * Verdicts
 * ------------------------------------------------------------------- */

#define NOW apr_time_from_sec(1700000000)

static tk_send_outcome_t tk_out;

/* The verdict on an answer of status with body (NULL: none) and a
 * Retry-After (NULL: none). */
static tk_send_verdict_t tk_judge(tk_platform_t platform, int status,
                                  const char *body, const char *retry_after)
{
    tk_http_resp_t resp;

    memset(&resp, 0, sizeof(resp));
    resp.status = status;
    resp.headers = apr_table_make(tk_tp, 2);
    if (retry_after) {
        apr_table_set(resp.headers, "Retry-After", retry_after);
    }
    resp.body = body ? body : "";
    resp.body_len = body ? strlen(body) : 0;
    tk_send_judge(tk_tp, platform, APR_SUCCESS, &resp, NOW, &tk_out);
    return tk_out.verdict;
}

static tk_send_verdict_t tk_judge_fixture(tk_platform_t platform, int status,
                                          const char *name)
{
    return tk_judge(platform, status,
                    tk_fixture(apr_pstrcat(tk_tp, "platforms/", name, NULL), NULL),
                    NULL);
}

static void tk_error_has(const char *part)
{
    ck_assert_ptr_nonnull(tk_out.error);
    ck_assert_msg(strstr(tk_out.error, part) != NULL, "\"%s\" lacks \"%s\"",
                  tk_out.error, part);
}

START_TEST(judge_transport)
{
    static const apr_status_t again[] = { APR_TIMEUP, APR_ECONNREFUSED,
                                          APR_EHOSTUNREACH, APR_EGENERAL,
                                          APR_ENOSPC, APR_EOF };
    tk_http_resp_t resp;
    unsigned i;

    memset(&resp, 0, sizeof(resp));
    resp.error = "The connection timed out.";
    for (i = 0; i < sizeof(again) / sizeof(again[0]); ++i) {
        tk_send_judge(tk_tp, TK_PLATFORM_ZALO, again[i], &resp, NOW, &tk_out);
        ck_assert_int_eq(tk_out.verdict, TK_SEND_RETRY);
        ck_assert_str_eq(tk_out.error, "The connection timed out.");
        ck_assert(tk_out.retry_after == -1);
        ck_assert_ptr_null(tk_out.message_id);
    }
    tk_send_judge(tk_tp, TK_PLATFORM_ZALO, APR_EINVAL, &resp, NOW, &tk_out);
    ck_assert_int_eq(tk_out.verdict, TK_SEND_FAILED);
    tk_send_judge(tk_tp, TK_PLATFORM_ZALO, APR_TIMEUP, NULL, NOW, &tk_out);
    ck_assert_int_eq(tk_out.verdict, TK_SEND_RETRY);
    ck_assert_ptr_nonnull(tk_out.error);
    /* an answer without a status */
    ck_assert_int_eq(tk_judge(TK_PLATFORM_ZALO, 0, NULL, NULL), TK_SEND_RETRY);
    /* the web platform sends nothing */
    tk_send_judge(tk_tp, TK_PLATFORM_WEB, APR_SUCCESS, &resp, NOW, &tk_out);
    ck_assert_int_eq(tk_out.verdict, TK_SEND_FAILED);
    tk_error_has("web");
}
END_TEST

START_TEST(judge_facebook)
{
    const tk_platform_t fb = TK_PLATFORM_FACEBOOK;

    ck_assert_int_eq(tk_judge_fixture(fb, 200, "facebook-answer-sent.json"), TK_SEND_SENT);
    ck_assert_str_eq(tk_out.message_id, "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_sent");
    ck_assert_ptr_null(tk_out.error);
    /* 2xx without an id: taken, id unknown */
    ck_assert_int_eq(tk_judge(fb, 200, "{\"recipient_id\":\"1\"}", NULL), TK_SEND_SENT);
    ck_assert_ptr_null(tk_out.message_id);
    ck_assert_int_eq(tk_judge(fb, 200, "<html>", NULL), TK_SEND_SENT);
    ck_assert_int_eq(tk_judge_fixture(fb, 400, "facebook-answer-190.json"),
                     TK_SEND_FAILED);
    tk_error_has("Facebook answered HTTP 400, code 190: Error validating access token");
    ck_assert_int_eq(tk_judge_fixture(fb, 400, "facebook-answer-10.json"),
                     TK_SEND_FAILED);
    tk_error_has("outside of allowed window");
    ck_assert_int_eq(tk_judge_fixture(fb, 400, "facebook-answer-4.json"), TK_SEND_RETRY);
    tk_error_has("(#4) Application request limit reached");
    ck_assert_int_eq(tk_judge(fb, 403, "{\"error\":{\"code\":613}}", NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(fb, 400, "{\"error\":{\"code\":80006}}", NULL),
                     TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(fb, 400, "{\"error\":{\"code\":1}}", NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(fb, 400, "{\"error\":{\"code\":2}}", NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(fb, 400, "{\"error\":{\"code\":17}}", NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(fb, 400, "{\"error\":{\"code\":341}}", NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(fb, 400, "{\"error\":{\"code\":999,\"is_transient\":true}}",
                              NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(fb, 400, "{\"error\":{\"code\":100}}", NULL), TK_SEND_FAILED);
    tk_error_has("Facebook answered HTTP 400, code 100.");
    /* an error document at 200 is still an error */
    ck_assert_int_eq(tk_judge(fb, 200, "{\"error\":{\"code\":100,\"message\":\"No\"}}",
                              NULL), TK_SEND_FAILED);
    ck_assert_int_eq(tk_judge(fb, 400, "not json", NULL), TK_SEND_FAILED);
    ck_assert_str_eq(tk_out.error, "Facebook answered HTTP 400.");
    ck_assert_int_eq(tk_judge(fb, 503, NULL, NULL), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == -1);
}
END_TEST

START_TEST(judge_statuses)
{
    const tk_platform_t za = TK_PLATFORM_ZALO;
    char date[APR_RFC822_DATE_LEN];

    ck_assert_int_eq(tk_judge(za, 429, NULL, "7"), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == 7);
    tk_error_has("Zalo answered HTTP 429.");
    ck_assert_int_eq(tk_judge(za, 503, NULL, "  120 "), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == 120);
    ck_assert_int_eq(apr_rfc822_date(date, NOW + apr_time_from_sec(30)), APR_SUCCESS);
    ck_assert_int_eq(tk_judge(za, 503, NULL, date), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == 30);
    ck_assert_int_eq(apr_rfc822_date(date, NOW - apr_time_from_sec(30)), APR_SUCCESS);
    ck_assert_int_eq(tk_judge(za, 503, NULL, date), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == 0);
    ck_assert_int_eq(tk_judge(za, 503, NULL, "soon"), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == -1);
    ck_assert_int_eq(tk_judge(za, 503, NULL, "5s"), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == -1);
    ck_assert_int_eq(tk_judge(za, 503, NULL, "99999999999"), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == -1);
    ck_assert_int_eq(tk_judge(za, 503, NULL, ""), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == -1);
    ck_assert_int_eq(tk_judge(za, 408, NULL, NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(za, 500, NULL, NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(za, 599, NULL, NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(za, 404, NULL, NULL), TK_SEND_FAILED);
    tk_error_has("Zalo answered HTTP 404.");
    ck_assert_int_eq(tk_judge(za, 401, "{\"error\":-216,\"message\":\"Access token is "
                              "invalid\"}", NULL), TK_SEND_FAILED);
    tk_error_has("Access token is invalid");
    ck_assert_int_eq(tk_judge(za, 301, NULL, NULL), TK_SEND_FAILED);
    ck_assert_int_eq(tk_judge(za, 101, NULL, NULL), TK_SEND_FAILED);
    ck_assert_int_eq(tk_judge(za, 600, NULL, NULL), TK_SEND_RETRY);
}
END_TEST

START_TEST(judge_zalo)
{
    const tk_platform_t za = TK_PLATFORM_ZALO;

    ck_assert_int_eq(tk_judge_fixture(za, 200, "zalo-answer-sent.json"), TK_SEND_SENT);
    ck_assert_str_eq(tk_out.message_id, "a8bda6f2b5e0d9f20e49");
    ck_assert_int_eq(tk_judge_fixture(za, 200, "zalo-answer-216.json"), TK_SEND_FAILED);
    ck_assert_str_eq(tk_out.error,
                     "Zalo answered HTTP 200, code -216: Access token is invalid");
    ck_assert_int_eq(tk_judge(za, 200, "{\"error\":0}", NULL), TK_SEND_SENT);
    ck_assert_ptr_null(tk_out.message_id);
    ck_assert_int_eq(tk_judge(za, 200, "{\"error\":-32}", NULL), TK_SEND_FAILED);
    ck_assert_str_eq(tk_out.error, "Zalo answered HTTP 200, code -32.");
}
END_TEST

START_TEST(judge_tiktok)
{
    const tk_platform_t tt = TK_PLATFORM_TIKTOK;

    ck_assert_int_eq(tk_judge_fixture(tt, 200, "tiktok-answer-sent.json"), TK_SEND_SENT);
    ck_assert_str_eq(tk_out.message_id, "u5Bsent01AghuOelnHUZV88DK2A==");
    ck_assert_int_eq(tk_judge_fixture(tt, 200, "tiktok-answer-40100.json"),
                     TK_SEND_RETRY);
    tk_error_has("code 40100: Too many requests");
    ck_assert_int_eq(tk_judge_fixture(tt, 200, "tiktok-answer-40002.json"),
                     TK_SEND_FAILED);
    tk_error_has("48-hour");
    ck_assert_int_eq(tk_judge(tt, 200, "{\"code\":50000,\"message\":\"System error\"}",
                              NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(tt, 200, "{\"code\":50002}", NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(tt, 200, "{\"code\":40064}", NULL), TK_SEND_RETRY);
    ck_assert_int_eq(tk_judge(tt, 200, "{\"code\":40105}", NULL), TK_SEND_FAILED);
    ck_assert_int_eq(tk_judge(tt, 200, "{\"code\":60000}", NULL), TK_SEND_FAILED);
}
END_TEST

START_TEST(judge_discord)
{
    const tk_platform_t dc = TK_PLATFORM_DISCORD;
    const char *ra = tk_fixture("platforms/discord-answer-429.json", NULL);

    ck_assert_int_eq(tk_judge_fixture(dc, 200, "discord-answer-sent.json"), TK_SEND_SENT);
    ck_assert_str_eq(tk_out.message_id, "1175650012345678901");
    ck_assert_int_eq(tk_judge(dc, 429, ra, NULL), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == 1.337);
    tk_error_has("You are being rate limited.");
    /* both: the longer wait */
    ck_assert_int_eq(tk_judge(dc, 429, ra, "2"), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == 2);
    ck_assert_int_eq(tk_judge(dc, 429, "{\"retry_after\":9.5}", "2"), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == 9.5);
    ck_assert_int_eq(tk_judge(dc, 429, "{\"retry_after\":-1}", NULL), TK_SEND_RETRY);
    ck_assert(tk_out.retry_after == -1);
    ck_assert_int_eq(tk_judge_fixture(dc, 403, "discord-answer-50001.json"),
                     TK_SEND_FAILED);
    ck_assert_str_eq(tk_out.error, "Discord answered HTTP 403, code 50001: Missing Access");
    ck_assert_int_eq(tk_judge(dc, 204, NULL, NULL), TK_SEND_SENT);
    ck_assert_ptr_null(tk_out.message_id);
}
END_TEST

START_TEST(judge_messages)
{
    const tk_platform_t fb = TK_PLATFORM_FACEBOOK;
    const char *token = "EAAGm0PX4ZCpsBAKZCZBZCZAxyz0123456789abcdefABCDEF";
    const char *long_msg = tk_repeat("\xc3\xa9 ", 400);

    /* a token echoed back is not repeated */
    ck_assert_int_eq(tk_judge(fb, 400, apr_pstrcat(tk_tp, "{\"error\":{\"code\":190,"
                              "\"message\":\"Malformed access token ", token,
                              "\"}}", NULL), NULL), TK_SEND_FAILED);
    ck_assert_str_eq(tk_out.error, "Facebook answered HTTP 400, code 190: Malformed "
                     "access token [redacted]");
    /* control characters are blanked; short words and ids stay */
    ck_assert_int_eq(tk_judge(fb, 400, "{\"error\":{\"code\":100,\"message\":\"a\\nb\\t"
                              "c 6795214630527301\"}}", NULL), TK_SEND_FAILED);
    ck_assert_str_eq(tk_out.error, "Facebook answered HTTP 400, code 100: a b c "
                     "6795214630527301");
    /* a long message is cut at a character */
    ck_assert_int_eq(tk_judge(fb, 400, apr_pstrcat(tk_tp, "{\"error\":{\"code\":100,"
                              "\"message\":\"", long_msg, "\"}}", NULL), NULL),
                     TK_SEND_FAILED);
    ck_assert_uint_le(strlen(tk_out.error), 300 + 64);
    ck_assert_str_eq(tk_out.error + strlen(tk_out.error) - 3, "\xc3\xa9 ");
}
END_TEST

Suite *tk_suite_outbound(void)
{
    Suite *s = suite_create("tk_outbound");
    TCase *tc = tk_tcase("outbound");

    tcase_add_test(tc, bases);
    tcase_add_test(tc, request_facebook);
    tcase_add_test(tc, request_zalo);
    tcase_add_test(tc, request_tiktok);
    tcase_add_test(tc, request_discord);
    tcase_add_test(tc, request_refused);
    tcase_add_test(tc, judge_transport);
    tcase_add_test(tc, judge_facebook);
    tcase_add_test(tc, judge_statuses);
    tcase_add_test(tc, judge_zalo);
    tcase_add_test(tc, judge_tiktok);
    tcase_add_test(tc, judge_discord);
    tcase_add_test(tc, judge_messages);
    suite_add_tcase(s, tc);
    return s;
}
