/* test_valid_messaging.c: what may be sent to /api/customers,
 * /api/channels and /api/conversations (tk_valid_customers.c,
 * tk_valid_channels.c, tk_valid_conversations.c). */
#include <string.h>
#include "tk_suites.h"
#include "valid/tk_valid_customers.h"
#include "valid/tk_valid_channels.h"
#include "valid/tk_valid_conversations.h"
#include "valid/tk_query.h"

#define TM_FAILS(call, err, ecode, efield) do {                         \
        ck_assert_int_eq((call), -1);                                   \
        ck_assert_int_eq((err).code, (ecode));                          \
        if (efield) ck_assert_str_eq((err).field, (efield));            \
        else ck_assert_ptr_null((err).field);                           \
    } while (0)

static const char fb_secrets[] =
    "\"secrets\": {\"appSecret\": \"s3cr3t-value\", \"verifyToken\": \"v\"}";

START_TEST(customer_bodies)
{
    tk_customer_input_t in;
    tk_err_t err;

    ck_assert_int_eq(tk_valid_customer(tk_tp, tk_tj(
        "{\"name\": \" Ann \", \"email\": \"ann@example.org\", \"phone\": "
        "\"+84 (90) 123-4567\", \"tags\": [\"vip\"], \"avatarUrl\": "
        "\"https://x.test/a.png\", \"notes\": \"line\\nline\"}"), 1, &in, &err), 0);
    ck_assert_str_eq(in.name.value, "Ann");
    ck_assert_str_eq(in.tags.value, "[\"vip\"]");
    ck_assert_int_eq(in.user_id.set, 0);
    ck_assert_int_eq(tk_valid_customer(tk_tp, tk_tj("{\"phone\": null}"), 0, &in,
                                       &err), 0);
    ck_assert_int_eq(in.phone.set, 1);
    ck_assert_ptr_null(in.phone.value);
    ck_assert_int_eq(in.name.set, 0);
    TM_FAILS(tk_valid_customer(tk_tp, tk_tj("{}"), 1, &in, &err), err,
             TK_E_VALIDATION, "name");
    TM_FAILS(tk_valid_customer(tk_tp, tk_tj("{}"), 0, &in, &err), err,
             TK_E_VALIDATION, NULL);
    TM_FAILS(tk_valid_customer(tk_tp, tk_tj("{\"name\": \"A\", \"phone\": \"12a\"}"),
                               1, &in, &err), err, TK_E_VALIDATION, "phone");
    TM_FAILS(tk_valid_customer(tk_tp, tk_tj("{\"name\": \"A\", \"avatarUrl\": "
                                            "\"http://\"}"), 1, &in, &err),
             err, TK_E_VALIDATION, "avatarUrl");
    TM_FAILS(tk_valid_customer(tk_tp, tk_tj("{\"name\": \"A\", \"email\": \"x\"}"),
                               1, &in, &err), err, TK_E_VALIDATION, "email");
    TM_FAILS(tk_valid_customer(tk_tp, tk_tj("{\"name\": \"A\\u0001\"}"), 1, &in,
                               &err), err, TK_E_VALIDATION, "name");
}
END_TEST

START_TEST(customer_queries)
{
    tk_customer_filter_t f;
    tk_err_t err;

    ck_assert_int_eq(tk_customer_filter_parse(tk_tp, tk_query_parse(tk_tp,
        "q=ann&platform=zalo&sort=name&limit=500", &err), 20, 100, &f, &err), 0);
    ck_assert_str_eq(f.platform, "zalo");
    ck_assert_str_eq(f.sort, "name");
    ck_assert_int_eq(f.limit, 100);
    ck_assert_int_eq(tk_customer_filter_parse(tk_tp, tk_query_parse(tk_tp, "",
        &err), 20, 100, &f, &err), 0);
    ck_assert_str_eq(f.sort, "-createdAt");
    TM_FAILS(tk_customer_filter_parse(tk_tp, tk_query_parse(tk_tp,
        "channelId=12", &err), 20, 100, &f, &err), err, TK_E_INVALID_QUERY,
        "channelId");
    TM_FAILS(tk_customer_filter_parse(tk_tp, tk_query_parse(tk_tp,
        "platform=icq", &err), 20, 100, &f, &err), err, TK_E_INVALID_QUERY,
        "platform");
}
END_TEST

START_TEST(channel_bodies)
{
    tk_channel_input_t in;
    tk_err_t err;
    const char *s;
    char body[512];

    snprintf(body, sizeof(body), "{\"platform\": \"facebook\", \"name\": \"P\", "
             "\"accountId\": \"1\", \"apiBase\": \"http://127.0.0.1:9//\", %s}",
             fb_secrets);
    ck_assert_int_eq(tk_valid_channel_create(tk_tp, tk_tj(body), &in, &err), 0);
    ck_assert_str_eq(in.api_base.value, "http://127.0.0.1:9");
    ck_assert_ptr_nonnull(strstr(in.secrets, "s3cr3t-value"));
    ck_assert_int_eq(tk_valid_channel_create(tk_tp, tk_tj(
        "{\"platform\": \"web\", \"name\": \"W\", \"accountId\": \"acme\"}"), &in,
        &err), 0);
    ck_assert_str_eq(in.secrets, "{}");
    /* Errors name the field, never the secret's value. */
    TM_FAILS(tk_valid_channel_create(tk_tp, tk_tj(
        "{\"platform\": \"facebook\", \"name\": \"P\", \"accountId\": \"1\", "
        "\"secrets\": {\"appSecret\": \"s3cr3t-value\", \"pin\": \"1\"}}"), &in,
        &err), err, TK_E_VALIDATION, "pin");
    ck_assert_ptr_null(strstr(err.message, "s3cr3t"));
    TM_FAILS(tk_valid_channel_create(tk_tp, tk_tj(
        "{\"platform\": \"facebook\", \"name\": \"P\", \"accountId\": \"1\", "
        "\"secrets\": {\"appSecret\": \"s3cr3t-value\"}}"), &in, &err), err,
        TK_E_VALIDATION, "verifyToken");
    TM_FAILS(tk_valid_channel_create(tk_tp, tk_tj(
        "{\"platform\": \"discord\", \"name\": \"D\", \"accountId\": \"1\", "
        "\"secrets\": {\"publicKey\": \"abcd\"}}"), &in, &err), err,
        TK_E_VALIDATION, "publicKey");
    TM_FAILS(tk_valid_channel_create(tk_tp, tk_tj(
        "{\"platform\": \"zalo\", \"name\": \"Z\", \"accountId\": \"1\", "
        "\"secrets\": {\"oaSecretKey\": \"k\"}}"), &in, &err), err,
        TK_E_VALIDATION, "settings");
    TM_FAILS(tk_valid_channel_create(tk_tp, tk_tj(
        "{\"platform\": \"tiktok\", \"name\": \"T\", \"accountId\": \"1\", "
        "\"apiBase\": \"http://x/?a=1\", \"secrets\": {\"clientSecret\": \"c\"}}"),
        &in, &err), err, TK_E_VALIDATION, "apiBase");
    TM_FAILS(tk_valid_channel_patch(tk_tp, tk_tj("{\"apiBase\": "
                                                 "\"http://graph.example\"}"),
                                    "facebook", &in, &err), err,
             TK_E_VALIDATION, "apiBase");
    ck_assert_int_eq(tk_valid_channel_patch(tk_tp, tk_tj("{\"apiBase\": "
                                                         "\"http://localhost:8\"}"),
                                            "facebook", &in, &err), 0);
    ck_assert_int_eq(tk_valid_channel_patch(tk_tp, tk_tj("{\"apiBase\": "
                                                         "\"https://graph.example\"}"),
                                            "facebook", &in, &err), 0);
    TM_FAILS(tk_valid_channel_patch(tk_tp, tk_tj("{\"apiBase\": "
                                                 "\"http://127.0.0.1.evil\"}"),
                                    "facebook", &in, &err), err,
             TK_E_VALIDATION, "apiBase");
    /* a key of small order matches any signature */
    TM_FAILS(tk_valid_channel_secrets(tk_tp, tk_tj(
        "{\"publicKey\": \"0100000000000000000000000000000000000000000000000000"
        "000000000000\"}"), "discord", &s, &err), err, TK_E_VALIDATION,
        "publicKey");
    ck_assert_int_eq(tk_valid_channel_secrets(tk_tp, tk_tj(
        "{\"publicKey\": \"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55"
        "f12af4660c\"}"), "discord", &s, &err), 0);
    TM_FAILS(tk_valid_channel_patch(tk_tp, tk_tj("{\"secrets\": {}}"), "tiktok",
                                    &in, &err), err, TK_E_VALIDATION, "secrets");
    TM_FAILS(tk_valid_channel_patch(tk_tp, tk_tj("{\"settings\": "
                                                 "{\"graphVersion\": \"19\"}}"),
                                    "facebook", &in, &err), err,
             TK_E_VALIDATION, "settings");
    ck_assert_int_eq(tk_valid_channel_patch(tk_tp, tk_tj("{\"name\": \"N\"}"),
                                            "tiktok", &in, &err), 0);
}
END_TEST

START_TEST(conversation_bodies)
{
    tk_conversation_patch_t in;
    tk_conversation_filter_t f;
    const char *s;
    tk_err_t err;
    char big[2100];

    ck_assert_int_eq(tk_valid_conversation_patch(tk_tp, tk_tj(
        "{\"status\": \"resolved\", \"assigneeId\": null, \"read\": true}"), &in,
        &err), 0);
    ck_assert_str_eq(in.status, "resolved");
    ck_assert_int_eq(in.assignee_id.set, 1);
    ck_assert_int_eq(in.read, 1);
    TM_FAILS(tk_valid_conversation_patch(tk_tp, tk_tj("{\"read\": false}"), &in,
                                         &err), err, TK_E_VALIDATION, "read");
    TM_FAILS(tk_valid_conversation_patch(tk_tp, tk_tj("{\"mode\": \"bot\"}"), &in,
                                         &err), err, TK_E_VALIDATION, "mode");
    ck_assert_int_eq(tk_valid_reply(tk_tp, tk_tj("{\"content\": \" hi \"}"), &s,
                                    &err), 0);
    ck_assert_str_eq(s, "hi");
    memset(big, 'x', sizeof(big));
    memcpy(big, "{\"content\": \"", 13);
    memcpy(big + 13 + 2001, "\"}", 3);
    TM_FAILS(tk_valid_reply(tk_tp, tk_tj(big), &s, &err), err, TK_E_VALIDATION,
             "content");
    ck_assert_int_eq(tk_conversation_filter_parse(tk_tp, tk_query_parse(tk_tp,
        "status=open,closed&assigneeId=none", &err), 20, 100, &f, &err), 0);
    ck_assert_int_eq(f.unassigned, 1);
    ck_assert_ptr_null(f.assignee_id);
    TM_FAILS(tk_conversation_filter_parse(tk_tp, tk_query_parse(tk_tp,
        "status=gone", &err), 20, 100, &f, &err), err, TK_E_INVALID_QUERY,
        "status");
}
END_TEST

Suite *tk_suite_valid_messaging(void)
{
    Suite *s = suite_create("tk_valid_messaging");
    TCase *tc = tk_tcase("messaging");

    tcase_add_test(tc, customer_bodies);
    tcase_add_test(tc, customer_queries);
    tcase_add_test(tc, channel_bodies);
    tcase_add_test(tc, conversation_bodies);
    suite_add_tcase(s, tc);
    return s;
}
