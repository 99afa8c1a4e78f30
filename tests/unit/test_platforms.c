/* test_platforms.c: the platforms' names and what their webhooks deliver
 * (tk_inbound.c), on the deliveries of tests/fixtures/platforms/, shaped
 * as each platform's documentation shows them, and on malformed ones. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "tk_suites.h"
#include "platforms/tk_platform.h"

#define FB_PAGE "104538292481027"
#define FB_PSID "6795214630527301"
#define ZA_OA   "3662729599332560487"
#define ZA_USER "6142494823558102341"
#define TT_BIZ  "-000Ab9cD8eF7gH6iJ5kL4mN3oP2qR1sT0uV"
#define TT_CUST "-000Zy1Xw2Vu3Ts4Rq5Po6Nm7Lk8Ji9Hg0Fe"
#define TT_CONV "u5JhpselBAhoPOlnH0tZ9y07kg=="

static apr_array_header_t *tk_msgs;
static int tk_ignored;
static const char *tk_why;

/* tk_inbound_parse on text; its return. */
static int tk_parse(tk_platform_t platform, const char *text)
{
    tk_why = NULL;
    return tk_inbound_parse(tk_tp, platform, text, strlen(text), &tk_msgs,
                            &tk_ignored, &tk_why);
}

static int tk_parse_fixture(tk_platform_t platform, const char *name)
{
    return tk_parse(platform, tk_fixture(apr_pstrcat(tk_tp, "platforms/",
                                                     name, NULL), NULL));
}

static const tk_inbound_t *tk_msg(int i)
{
    ck_assert_int_gt(tk_msgs->nelts, i);
    return &APR_ARRAY_IDX(tk_msgs, i, tk_inbound_t);
}

/* text refused, with a sentence containing part. */
static void tk_refused(tk_platform_t platform, const char *text,
                       const char *part)
{
    ck_assert_msg(tk_parse(platform, text) == -1, "accepted: %s", text);
    ck_assert_ptr_nonnull(tk_why);
    ck_assert_msg(strstr(tk_why, part) != NULL, "\"%s\" lacks \"%s\"",
                  tk_why, part);
    ck_assert_int_eq(tk_msgs->nelts, 0);
    ck_assert_int_eq(tk_ignored, 0);
}

/* text accepted with n messages, its broken items skipped and counted. */
static void tk_skipped(tk_platform_t platform, const char *text, int n)
{
    ck_assert_msg(tk_parse(platform, text) == 0, "refused: %s", text);
    ck_assert_int_eq(tk_msgs->nelts, n);
    ck_assert_int_ge(tk_ignored, 1);
}

/* A Facebook delivery of one messaging item. */
static const char *tk_fb_item(const char *item)
{
    return apr_pstrcat(tk_tp, "{\"object\":\"page\",\"entry\":[{\"id\":\""
                       FB_PAGE "\",\"time\":1,\"messaging\":[", item,
                       "]}]}", NULL);
}

START_TEST(names)
{
    tk_platform_t pl;
    int i;

    for (i = TK_PLATFORM_WEB; i <= TK_PLATFORM_DISCORD; ++i) {
        ck_assert_int_eq(tk_platform_parse(tk_platform_name((tk_platform_t)i),
                                           &pl), 0);
        ck_assert_int_eq(pl, i);
    }
    ck_assert_str_eq(tk_platform_name(TK_PLATFORM_TIKTOK), "tiktok");
    ck_assert_ptr_null(tk_platform_name((tk_platform_t)42));
    ck_assert_int_eq(tk_platform_parse("Facebook", &pl), -1);
    ck_assert_int_eq(tk_platform_parse("", &pl), -1);
    ck_assert_int_eq(tk_platform_parse(NULL, &pl), -1);
}
END_TEST

START_TEST(facebook_text)
{
    const tk_inbound_t *m;

    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_FACEBOOK, "facebook-text.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 1);
    ck_assert_int_eq(tk_ignored, 0);
    m = tk_msg(0);
    ck_assert_str_eq(m->account_id, FB_PAGE);
    ck_assert_str_eq(m->user_id, FB_PSID);
    ck_assert_str_eq(m->thread_id, FB_PSID);
    ck_assert_ptr_null(m->user_name);
    ck_assert_str_eq(m->message_id, "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAj"
                     "SdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P");
    ck_assert_str_eq(m->text, "Hello, my order #1042 has not arrived.");
    ck_assert(m->sent_at_ms == APR_INT64_C(1700000000045));
}
END_TEST

START_TEST(facebook_batch)
{
    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_FACEBOOK, "facebook-batch.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 2);
    /* echo, delivery, read; postback, image alone, reaction; standby */
    ck_assert_int_eq(tk_ignored, 7);
    ck_assert_str_eq(tk_msg(0)->message_id, "m_first");
    ck_assert_str_eq(tk_msg(0)->text, "First question");
    ck_assert_str_eq(tk_msg(1)->message_id, "m_second");
    ck_assert_str_eq(tk_msg(1)->user_id, "7012345678901234");
    ck_assert_str_eq(tk_msg(1)->text,
                     "Second customer, \xc3\xa7" "a marche ? \xf0\x9f\x99\x82");
    ck_assert(tk_msg(1)->sent_at_ms == APR_INT64_C(1700000099007));
}
END_TEST

START_TEST(facebook_skipped)
{
    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_FACEBOOK, "facebook-echo.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 0);
    ck_assert_int_eq(tk_ignored, 1);
    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_FACEBOOK,
                                      "facebook-receipts.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 0);
    ck_assert_int_eq(tk_ignored, 2);
    ck_assert_int_eq(tk_parse(TK_PLATFORM_FACEBOOK,
                              "{\"object\":\"page\",\"entry\":[]}"), 0);
    ck_assert_int_eq(tk_msgs->nelts + tk_ignored, 0);
    /* an entry of another field (feed changes) */
    ck_assert_int_eq(tk_parse(TK_PLATFORM_FACEBOOK,
                              "{\"object\":\"page\",\"entry\":[{\"id\":\"1\","
                              "\"changes\":[{\"field\":\"feed\"}]}]}"), 0);
    ck_assert_int_eq(tk_ignored, 1);
    /* is_echo false is a customer's message; a timestamp may be absent */
    ck_assert_int_eq(tk_parse(TK_PLATFORM_FACEBOOK, tk_fb_item(
        "{\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\":\"2\"},"
        "\"message\":{\"is_echo\":false,\"mid\":\"m\",\"text\":\"\"}}")), 0);
    ck_assert_int_eq(tk_msgs->nelts, 1);
    ck_assert_str_eq(tk_msg(0)->text, "");
    ck_assert(tk_msg(0)->sent_at_ms == 0);
    /* ids written as numbers */
    ck_assert_int_eq(tk_parse(TK_PLATFORM_FACEBOOK, tk_fb_item(
        "{\"sender\":{\"id\":12},\"recipient\":{\"id\":34},"
        "\"message\":{\"mid\":\"m\",\"text\":\"x\"}}")), 0);
    ck_assert_str_eq(tk_msg(0)->user_id, "12");
    ck_assert_str_eq(tk_msg(0)->account_id, "34");
}
END_TEST

START_TEST(facebook_malformed)
{
    const tk_platform_t fb = TK_PLATFORM_FACEBOOK;
    const char *good = "{\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\":\"2\"},"
                       "\"message\":{\"mid\":\"m\",\"text\":\"x\"}}";

    tk_refused(fb, tk_fixture("platforms/facebook-not-page.json", NULL), "page");
    tk_refused(fb, "", "empty");
    tk_refused(fb, "{\"object\":\"page\",", "not valid JSON");
    tk_refused(fb, "[1]", "not a JSON object");
    tk_refused(fb, "{\"object\":\"page\"}", "\"entry\"");
    tk_refused(fb, "{\"object\":\"page\",\"entry\":{}}", "\"entry\"");
    tk_skipped(fb, "{\"object\":\"page\",\"entry\":[1]}", 0);
    tk_skipped(fb, "{\"object\":\"page\",\"entry\":[{\"messaging\":{}}]}", 0);
    tk_skipped(fb, tk_fb_item("7"), 0);
    tk_skipped(fb, tk_fb_item("{\"recipient\":{\"id\":\"2\"},"
                              "\"message\":{\"mid\":\"m\",\"text\":\"x\"}}"), 0);
    tk_skipped(fb, tk_fb_item("{\"sender\":{\"id\":\"1\"},\"recipient\":{},"
                              "\"message\":{\"mid\":\"m\",\"text\":\"x\"}}"), 0);
    tk_skipped(fb, tk_fb_item("{\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\""
                              ":\"2\"},\"message\":{\"text\":\"x\"}}"), 0);
    tk_skipped(fb, tk_fb_item("{\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\""
                              ":\"2\"},\"message\":{\"mid\":\"m\",\"text\":5}}"), 0);
    /* the good item first, a broken one after: the good one is kept */
    tk_skipped(fb, tk_fb_item(apr_pstrcat(tk_tp, good, ",{\"sender\":{\"id\":\"\"},"
                              "\"recipient\":{\"id\":\"2\"},\"message\":{\"mid\":"
                              "\"m\",\"text\":\"x\"}}", NULL)), 1);
    ck_assert_str_eq(tk_msg(0)->user_id, "1");
    /* duplicate keys */
    tk_refused(fb, tk_fb_item("{\"sender\":{\"id\":\"1\",\"id\":\"9\"},\"recipient\""
                              ":{\"id\":\"2\"},\"message\":{\"mid\":\"m\",\"text\":"
                              "\"x\"}}"), "not valid JSON");
    /* a NUL in a string, and bytes that are not UTF-8 */
    tk_refused(fb, tk_fb_item("{\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\":"
                              "\"2\"},\"message\":{\"mid\":\"m\",\"text\":\"a\\u0000"
                              "b\"}}"), "not valid JSON");
    tk_refused(fb, tk_fb_item("{\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\":"
                              "\"2\"},\"message\":{\"mid\":\"m\",\"text\":\"\xc3(\"}}"),
               "not valid JSON");
    ck_assert_int_eq(tk_parse(fb, tk_fb_item(good)), 0);
}
END_TEST

START_TEST(bounds)
{
    const tk_platform_t fb = TK_PLATFORM_FACEBOOK;
    const char *id128 = tk_repeat("7", 128), *id129 = tk_repeat("7", 129);
    const char *text_max = tk_repeat("\xc3\xa9", 32 * 1024);  /* 64 KiB */

    ck_assert_int_eq(tk_parse(fb, tk_fb_item(apr_pstrcat(tk_tp,
        "{\"sender\":{\"id\":\"", id128, "\"},\"recipient\":{\"id\":\"2\"},"
        "\"message\":{\"mid\":\"m\",\"text\":\"", text_max, "\"}}", NULL))), 0);
    ck_assert_str_eq(tk_msg(0)->user_id, id128);
    ck_assert_uint_eq(strlen(tk_msg(0)->text), 64 * 1024);
    tk_skipped(fb, tk_fb_item(apr_pstrcat(tk_tp,
        "{\"sender\":{\"id\":\"", id129, "\"},\"recipient\":{\"id\":\"2\"},"
        "\"message\":{\"mid\":\"m\",\"text\":\"x\"}}", NULL)), 0);
    tk_skipped(fb, tk_fb_item(apr_pstrcat(tk_tp,
        "{\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\":\"2\"},"
        "\"message\":{\"mid\":\"m\",\"text\":\"", text_max, "x\"}}", NULL)), 0);
    tk_skipped(fb, tk_fb_item("{\"sender\":{\"id\":\"\"},\"recipient\":{\"id\":\"2\"},"
                              "\"message\":{\"mid\":\"m\",\"text\":\"x\"}}"), 0);
    tk_skipped(fb, tk_fb_item("{\"sender\":{\"id\":\"a\\nb\"},\"recipient\":{\"id\":"
                              "\"2\"},\"message\":{\"mid\":\"m\",\"text\":\"x\"}}"), 0);
    /* a text may hold line breaks */
    ck_assert_int_eq(tk_parse(fb, tk_fb_item("{\"sender\":{\"id\":\"1\"},\"recipient"
        "\":{\"id\":\"2\"},\"message\":{\"mid\":\"m\",\"text\":\"a\\nb\"}}")), 0);
    ck_assert_str_eq(tk_msg(0)->text, "a\nb");
}
END_TEST

START_TEST(zalo_text)
{
    const tk_inbound_t *m;

    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_ZALO, "zalo-user_send_text.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 1);
    ck_assert_int_eq(tk_ignored, 0);
    m = tk_msg(0);
    ck_assert_str_eq(m->account_id, ZA_OA);
    ck_assert_str_eq(m->user_id, ZA_USER);
    ck_assert_str_eq(m->thread_id, ZA_USER);
    ck_assert_str_eq(m->message_id, "cb31dff1c39642cc1b83");
    ck_assert_str_eq(m->text, "Xin ch\xc3\xa0o, t\xc3\xb4i c\xe1\xba\xa7n h\xe1\xbb\x97 "
                     "tr\xe1\xbb\xa3 \xc4\x91\xc6\xa1n h\xc3\xa0ng");
    ck_assert(m->sent_at_ms == APR_INT64_C(1700000000000));
}
END_TEST

START_TEST(zalo_others)
{
    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_ZALO, "zalo-follow.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 0);
    ck_assert_int_eq(tk_ignored, 1);
    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_ZALO, "zalo-user_send_image.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 0);
    ck_assert_int_eq(tk_ignored, 1);
    /* a number for a timestamp, or none */
    ck_assert_int_eq(tk_parse(TK_PLATFORM_ZALO, "{\"event_name\":\"user_send_text\","
        "\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\":\"2\"},\"message\":"
        "{\"text\":\"t\",\"msg_id\":\"m\"},\"timestamp\":1700000000001}"), 0);
    ck_assert(tk_msg(0)->sent_at_ms == APR_INT64_C(1700000000001));
    ck_assert_int_eq(tk_parse(TK_PLATFORM_ZALO, "{\"event_name\":\"user_send_text\","
        "\"sender\":{\"id\":\"1\"},\"recipient\":{\"id\":\"2\"},\"message\":"
        "{\"text\":\"t\",\"msg_id\":\"m\"}}"), 0);
    ck_assert(tk_msg(0)->sent_at_ms == 0);
}
END_TEST

START_TEST(zalo_malformed)
{
    const tk_platform_t za = TK_PLATFORM_ZALO;

    tk_refused(za, "{\"sender\":{\"id\":\"1\"}}", "\"event_name\"");
    tk_refused(za, "{\"event_name\":3}", "\"event_name\"");
    tk_refused(za, "{\"event_name\":\"user_send_text\",\"sender\":{\"id\":\"1\"},"
                   "\"recipient\":{\"id\":\"2\"},\"message\":{\"text\":\"t\"}}",
               "\"message.msg_id\"");
    tk_refused(za, "{\"event_name\":\"user_send_text\",\"sender\":{\"id\":\"1\"},"
                   "\"recipient\":{\"id\":\"2\"},\"message\":{\"msg_id\":\"m\"}}",
               "\"message.text\"");
    tk_refused(za, "{\"event_name\":\"user_send_text\",\"recipient\":{\"id\":\"2\"},"
                   "\"message\":{\"text\":\"t\",\"msg_id\":\"m\"}}", "\"sender.id\"");
    tk_refused(za, "{\"event_name\":\"user_send_text\",\"sender\":{\"id\":\"1\"},"
                   "\"recipient\":{\"id\":\"2\"},\"message\":{\"text\":\"t\","
                   "\"msg_id\":\"m\"},\"timestamp\":\"17e3\"}", "\"timestamp\"");
    tk_refused(za, "{\"event_name\":\"user_send_text\",\"sender\":{\"id\":\"1\"},"
                   "\"recipient\":{\"id\":\"2\"},\"message\":{\"text\":\"t\","
                   "\"msg_id\":\"m\"},\"timestamp\":1.5}", "\"timestamp\"");
}
END_TEST

START_TEST(zalo_timestamp)
{
    apr_size_t len;
    const char *body = tk_fixture("platforms/zalo-user_send_text.json", &len);

    ck_assert_str_eq(tk_inbound_zalo_timestamp(tk_tp, body, len), "1700000000000");
#define TS(text) tk_inbound_zalo_timestamp(tk_tp, text, strlen(text))
    ck_assert_str_eq(TS("{\"timestamp\":1700000000000}"), "1700000000000");
    ck_assert_str_eq(TS("{\"timestamp\":\"0042\"}"), "0042");
    ck_assert_ptr_null(TS("{\"timestamp\":\"\"}"));
    ck_assert_ptr_null(TS("{\"timestamp\":1.5}"));
    ck_assert_ptr_null(TS("{\"timestamp\":null}"));
    ck_assert_ptr_null(TS("{\"timestamp\":{}}"));
    ck_assert_ptr_null(TS("{\"time\":\"1\"}"));
    ck_assert_ptr_null(TS("{\"timestamp\":\"1\",\"timestamp\":\"2\"}"));
    ck_assert_ptr_null(TS("{\"timestamp\":\"123456789012345678901234567890123\"}"));
    ck_assert_ptr_null(TS("[\"timestamp\"]"));
    ck_assert_ptr_null(TS("not json"));
    ck_assert_ptr_null(tk_inbound_zalo_timestamp(tk_tp, "", 0));
#undef TS
}
END_TEST

START_TEST(tiktok_text)
{
    const tk_inbound_t *m;

    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_TIKTOK,
                                      "tiktok-im_receive_msg.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 1);
    ck_assert_int_eq(tk_ignored, 0);
    m = tk_msg(0);
    ck_assert_str_eq(m->account_id, TT_BIZ);
    ck_assert_str_eq(m->user_id, TT_CUST);
    ck_assert_str_eq(m->thread_id, TT_CONV);
    ck_assert_str_eq(m->user_name, "sunny_day_42");
    ck_assert_str_eq(m->message_id, "u5Buqc6lAghuOelnHUZV88DK2A==");
    ck_assert_str_eq(m->text, "Is the blue one in stock?");
    ck_assert(m->sent_at_ms == APR_INT64_C(1700000000123));
}
END_TEST

/* A TikTok im_receive_msg around content (a JSON text, quoted here). */
static const char *tk_tt(const char *envelope_extra, const char *content)
{
    json_t *c = json_string(content);
    char *quoted;
    const char *body;

    ck_assert_ptr_nonnull(c);
    quoted = json_dumps(c, JSON_ENCODE_ANY);
    json_decref(c);
    ck_assert_ptr_nonnull(quoted);
    body = apr_pstrcat(tk_tp, "{\"event\":\"im_receive_msg\"", envelope_extra,
                       ",\"content\":", quoted, "}", NULL);
    free(quoted);
    return body;
}

START_TEST(tiktok_others)
{
    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_TIKTOK, "tiktok-image.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 0);
    ck_assert_int_eq(tk_ignored, 1);
    ck_assert_int_eq(tk_parse_fixture(TK_PLATFORM_TIKTOK, "tiktok-im_send_msg.json"), 0);
    ck_assert_int_eq(tk_msgs->nelts, 0);
    ck_assert_int_eq(tk_ignored, 1);
    /* no user_openid: to_user.id; no timestamp: create_time; no name */
    ck_assert_int_eq(tk_parse(TK_PLATFORM_TIKTOK, tk_tt(",\"create_time\":1700000009",
        "{\"conversation_id\":\"c\",\"message_id\":\"m\",\"type\":\"text\","
        "\"text\":{\"body\":\"hi\"},\"from_user\":{\"id\":\"u\"},"
        "\"to_user\":{\"id\":\"b\"}}")), 0);
    ck_assert_str_eq(tk_msg(0)->account_id, "b");
    ck_assert_ptr_null(tk_msg(0)->user_name);
    ck_assert(tk_msg(0)->sent_at_ms == APR_INT64_C(1700000009000));
    /* content already an object */
    ck_assert_int_eq(tk_parse(TK_PLATFORM_TIKTOK, "{\"event\":\"im_receive_msg\","
        "\"user_openid\":\"b\",\"content\":{\"conversation_id\":\"c\",\"message_id\":"
        "\"m\",\"type\":\"text\",\"text\":{\"body\":\"hi\"},\"from_user\":{\"id\":\"u\"}}}"),
        0);
    ck_assert_str_eq(tk_msg(0)->account_id, "b");
}
END_TEST

START_TEST(tiktok_malformed)
{
    const tk_platform_t tt = TK_PLATFORM_TIKTOK;
    const char *full = "{\"conversation_id\":\"c\",\"message_id\":\"m\",\"type\":"
                       "\"text\",\"text\":{\"body\":\"hi\"},\"from_user\":{\"id\":\"u\"}";

    tk_refused(tt, "{\"content\":\"{}\"}", "\"event\"");
    tk_refused(tt, "{\"event\":\"im_receive_msg\"}", "\"content\"");
    tk_refused(tt, "{\"event\":\"im_receive_msg\",\"content\":7}", "\"content\"");
    tk_refused(tt, "{\"event\":\"im_receive_msg\",\"content\":\"{\\\"type\\\":\"}",
               "not valid JSON");
    tk_refused(tt, "{\"event\":\"im_receive_msg\",\"content\":\"[1]\"}",
               "not a JSON object");
    tk_refused(tt, tk_tt(",\"user_openid\":\"b\"", "{\"conversation_id\":\"c\"}"),
               "\"type\"");
    tk_refused(tt, tk_tt(",\"user_openid\":\"b\"",
                         "{\"message_id\":\"m\",\"type\":\"text\",\"text\":{\"body\":"
                         "\"hi\"},\"from_user\":{\"id\":\"u\"}}"), "\"conversation_id\"");
    tk_refused(tt, tk_tt(",\"user_openid\":\"b\"",
                         "{\"conversation_id\":\"c\",\"message_id\":\"m\",\"type\":"
                         "\"text\",\"text\":\"hi\",\"from_user\":{\"id\":\"u\"}}"),
               "\"text.body\"");
    tk_refused(tt, tk_tt("", apr_pstrcat(tk_tp, full, "}", NULL)), "names no account");
    tk_refused(tt, tk_tt(",\"user_openid\":\"\"", apr_pstrcat(tk_tp, full, "}", NULL)),
               "\"user_openid\"");
    tk_refused(tt, tk_tt("", apr_pstrcat(tk_tp, full, ",\"to_user\":{\"id\":7.5}}",
                                          NULL)), "\"to_user.id\"");
    ck_assert_int_eq(tk_parse(tt, tk_tt(",\"user_openid\":\"b\"",
                                        apr_pstrcat(tk_tp, full, "}", NULL))), 0);
}
END_TEST

START_TEST(other_platforms)
{
    tk_refused(TK_PLATFORM_WEB, "{}", "no webhook");
    tk_refused(TK_PLATFORM_DISCORD, "{}", "no webhook");
}
END_TEST

/* ---------------------------------------------------------------------
 * Discord
 * ------------------------------------------------------------------- */

static tk_discord_t tk_dc;

static int tk_dparse(const char *text)
{
    tk_why = NULL;
    return tk_discord_parse(tk_tp, text, strlen(text), &tk_dc, &tk_why);
}

static void tk_drefused(const char *text, const char *part)
{
    ck_assert_msg(tk_dparse(text) == -1, "accepted: %s", text);
    ck_assert_msg(tk_why && strstr(tk_why, part), "\"%s\" lacks \"%s\"",
                  tk_why ? tk_why : "(null)", part);
}

START_TEST(discord_ping)
{
    ck_assert_int_eq(tk_dparse(tk_fixture("platforms/discord-ping.json", NULL)), 0);
    ck_assert_int_eq(tk_dc.type, TK_DISCORD_PING);
    ck_assert_str_eq(tk_dc.id, "1175640012847302656");
    ck_assert_str_eq(tk_dc.application_id, "1175638290124750902");
    ck_assert_ptr_null(tk_dc.command);
    ck_assert_ptr_null(tk_dc.user_id);
    ck_assert_int_eq(tk_dparse("{\"id\":\"1\",\"application_id\":\"2\",\"type\":1}"), 0);
    ck_assert_int_eq(tk_dc.type, TK_DISCORD_PING);
}
END_TEST

START_TEST(discord_guild)
{
    ck_assert_int_eq(tk_dparse(tk_fixture("platforms/discord-command-guild.json",
                                          NULL)), 0);
    ck_assert_int_eq(tk_dc.type, TK_DISCORD_COMMAND);
    ck_assert_str_eq(tk_dc.id, "1175641098745217034");
    ck_assert_str_eq(tk_dc.guild_id, "290926798626357999");
    ck_assert_str_eq(tk_dc.channel_id, "645027906669510667");
    ck_assert_str_eq(tk_dc.command, "ticket");
    ck_assert_str_eq(tk_dc.subcommand, "open");
    ck_assert_str_eq(tk_dc.subject, "Cannot log in");
    ck_assert_str_eq(tk_dc.description,
                     "Since this morning the app says my password is wrong.");
    ck_assert_str_eq(tk_dc.user_id, "53908232506183680");
    ck_assert_str_eq(tk_dc.username, "mason");
    ck_assert_str_eq(tk_dc.global_name, "Mason");
}
END_TEST

START_TEST(discord_dm)
{
    ck_assert_int_eq(tk_dparse(tk_fixture("platforms/discord-command-dm.json",
                                          NULL)), 0);
    ck_assert_int_eq(tk_dc.type, TK_DISCORD_COMMAND);
    ck_assert_ptr_null(tk_dc.guild_id);
    ck_assert_str_eq(tk_dc.channel_id, "1175641700000000000");
    ck_assert_str_eq(tk_dc.subject, "Refund");
    ck_assert_ptr_null(tk_dc.description);
    ck_assert_str_eq(tk_dc.user_id, "80351110224678912");
    ck_assert_str_eq(tk_dc.username, "nelly");
    ck_assert_ptr_null(tk_dc.global_name);
}
END_TEST

START_TEST(discord_other)
{
    ck_assert_int_eq(tk_dparse(tk_fixture("platforms/discord-component.json",
                                          NULL)), 0);
    ck_assert_int_eq(tk_dc.type, TK_DISCORD_OTHER);
    ck_assert_str_eq(tk_dc.id, "1175642000000000000");
    /* a command without a subcommand */
    ck_assert_int_eq(tk_dparse("{\"id\":\"1\",\"application_id\":\"2\",\"type\":2,"
                               "\"channel_id\":\"3\",\"data\":{\"name\":\"help\"},"
                               "\"user\":{\"id\":\"4\",\"username\":\"u\"}}"), 0);
    ck_assert_str_eq(tk_dc.command, "help");
    ck_assert_ptr_null(tk_dc.subcommand);
    ck_assert_ptr_null(tk_dc.subject);
    ck_assert_ptr_null(tk_dc.guild_id);
}
END_TEST

START_TEST(discord_malformed)
{
#define DC_HEAD "{\"id\":\"1\",\"application_id\":\"2\",\"type\":2,"
    tk_drefused("", "empty");
    tk_drefused("{\"id\":\"1\",\"application_id\":\"2\"}", "\"type\"");
    tk_drefused("{\"id\":\"1\",\"application_id\":\"2\",\"type\":\"1\"}", "\"type\"");
    tk_drefused("{\"application_id\":\"2\",\"type\":1}", "\"id\"");
    tk_drefused("{\"id\":\"1\",\"type\":1}", "\"application_id\"");
    tk_drefused(DC_HEAD "\"channel_id\":\"3\",\"data\":{\"name\":\"ticket\"}}",
                "\"member.user\"");
    tk_drefused(DC_HEAD "\"data\":{\"name\":\"ticket\"},\"user\":{\"id\":\"4\","
                "\"username\":\"u\"}}", "\"channel_id\"");
    tk_drefused(DC_HEAD "\"channel_id\":\"3\",\"user\":{\"id\":\"4\",\"username\":"
                "\"u\"}}", "The command");
    tk_drefused(DC_HEAD "\"channel_id\":\"3\",\"data\":{\"name\":\"ticket\"},"
                "\"user\":{\"id\":\"4\"}}", "\"username\"");
    tk_drefused(DC_HEAD "\"channel_id\":\"3\",\"guild_id\":5.5,\"data\":{\"name\":"
                "\"ticket\"},\"user\":{\"id\":\"4\",\"username\":\"u\"}}", "\"guild_id\"");
    tk_drefused(DC_HEAD "\"channel_id\":\"3\",\"data\":{\"name\":\"ticket\","
                "\"options\":[{\"type\":1,\"name\":\"open\",\"options\":[{\"name\":"
                "\"subject\",\"value\":5}]}]},\"user\":{\"id\":\"4\",\"username\":"
                "\"u\"}}", "\"subject\"");
    /* guild_id null is a direct message */
    ck_assert_int_eq(tk_dparse(DC_HEAD "\"channel_id\":\"3\",\"guild_id\":null,"
                               "\"data\":{\"name\":\"ticket\"},\"user\":{\"id\":\"4\","
                               "\"username\":\"u\"}}"), 0);
    ck_assert_ptr_null(tk_dc.guild_id);
#undef DC_HEAD
}
END_TEST

Suite *tk_suite_platforms(void)
{
    Suite *s = suite_create("tk_platforms");
    TCase *tc = tk_tcase("inbound");

    tcase_add_test(tc, names);
    tcase_add_test(tc, facebook_text);
    tcase_add_test(tc, facebook_batch);
    tcase_add_test(tc, facebook_skipped);
    tcase_add_test(tc, facebook_malformed);
    tcase_add_test(tc, bounds);
    tcase_add_test(tc, zalo_text);
    tcase_add_test(tc, zalo_others);
    tcase_add_test(tc, zalo_malformed);
    tcase_add_test(tc, zalo_timestamp);
    tcase_add_test(tc, tiktok_text);
    tcase_add_test(tc, tiktok_others);
    tcase_add_test(tc, tiktok_malformed);
    tcase_add_test(tc, other_platforms);
    tcase_add_test(tc, discord_ping);
    tcase_add_test(tc, discord_guild);
    tcase_add_test(tc, discord_dm);
    tcase_add_test(tc, discord_other);
    tcase_add_test(tc, discord_malformed);
    suite_add_tcase(s, tc);
    return s;
}
