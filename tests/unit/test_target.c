/* test_target.c: webhook URLs parsed strictly and their addresses classed
 * (tk_target.c), the validator of /api/webhooks bodies
 * (tk_valid_subscriptions.c), and snippets of outside text cut where they
 * stay well-formed UTF-8 (tk_utf8_prefix). */
#include <string.h>
#include <arpa/inet.h>
#include "tk_suites.h"
#include "http/tk_target.h"
#include "core/tk_utf8.h"
#include "valid/tk_valid_subscriptions.h"

static tk_addr_class_t tk_class_of(const char *text)
{
    unsigned char a[16];

    if (inet_pton(AF_INET, text, a) == 1) {
        return tk_addr_class(APR_INET, a);
    }
    ck_assert_int_eq(inet_pton(AF_INET6, text, a), 1);
    return tk_addr_class(APR_INET6, a);
}

START_TEST(urls_that_parse)
{
    tk_target_t t;
    const char *why = NULL;

    ck_assert_int_eq(tk_target_parse(tk_tp, "https://Hooks.Example.COM/in?x=1",
                                     &t, &why), 0);
    ck_assert(t.https && !t.literal && t.port == 443);
    ck_assert_str_eq(t.host, "hooks.example.com");
    ck_assert_int_eq(tk_target_parse(tk_tp, "http://127.0.0.1:8081/h", &t, &why), 0);
    ck_assert(!t.https && t.literal && t.port == 8081);
    ck_assert_int_eq(tk_target_parse(tk_tp, "https://[2001:db8::1]:8443/", &t, &why), 0);
    ck_assert(t.literal && t.port == 8443);
    ck_assert_str_eq(t.host, "2001:db8::1");
    ck_assert_int_eq(tk_target_parse(tk_tp, "https://a-b.example.org./", &t, &why), 0);
    ck_assert_int_eq(tk_target_parse(tk_tp, "https://x1.2b/", &t, &why), 0);
}
END_TEST

START_TEST(urls_that_do_not)
{
    static const char *const bad[] = {
        "", "example.com/x", "ftp://example.com/", "file:///etc/passwd",
        "gopher://example.com/", "https://", "https:///x",
        "https://user:pw@example.com/", "https://user@example.com/",
        "https://example.com/#f", "https://example.com:0/",
        "https://example.com:65536/", "https://example.com:99999/",
        "https://example.com:8a/", "https://example.com:/",
        "https://exa mple.com/", "https://example.com/\x01",
        "https://ex\xc3\xa4mple.com/", "https://127.1/", "https://2130706433/",
        "https://0x7f.0.0.1/", "https://-a.example.com/", "https://a-.example.com/",
        "https://a..example.com/", "https://a_b.example.com/", "https://[::1/",
        "https://[zz::1]/", NULL
    };
    char longer[2100];
    tk_target_t t;
    const char *why;
    int i;

    for (i = 0; bad[i]; ++i) {
        why = NULL;
        ck_assert_msg(tk_target_parse(tk_tp, bad[i], &t, &why) == -1, "%s", bad[i]);
        ck_assert_ptr_nonnull(why);
    }
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    memcpy(longer, "https://", 8);
    ck_assert_int_eq(tk_target_parse(tk_tp, longer, &t, &why), -1);
    ck_assert_int_eq(tk_target_parse(tk_tp, NULL, &t, &why), -1);
}
END_TEST

START_TEST(where_a_url_goes_for_the_log)
{
    ck_assert_str_eq(tk_target_where(tk_tp, "https://h.example.com/hook?t=s3cr"),
                     "h.example.com:443");
    ck_assert_str_eq(tk_target_where(tk_tp, "http://[::1]:8099/x"), "[::1]:8099");
    ck_assert_str_eq(tk_target_where(tk_tp, "ftp://x/"), "an unparsable URL");
}
END_TEST

START_TEST(address_classes)
{
    ck_assert_int_eq(tk_class_of("8.8.8.8"), TK_ADDR_PUBLIC);
    ck_assert_int_eq(tk_class_of("2606:4700::1111"), TK_ADDR_PUBLIC);
    ck_assert_int_eq(tk_class_of("127.0.0.1"), TK_ADDR_LOOPBACK);
    ck_assert_int_eq(tk_class_of("127.255.0.9"), TK_ADDR_LOOPBACK);
    ck_assert_int_eq(tk_class_of("::1"), TK_ADDR_LOOPBACK);
    ck_assert_int_eq(tk_class_of("::ffff:127.0.0.1"), TK_ADDR_LOOPBACK);
    ck_assert_int_eq(tk_class_of("10.0.0.1"), TK_ADDR_PRIVATE);
    ck_assert_int_eq(tk_class_of("172.16.0.1"), TK_ADDR_PRIVATE);
    ck_assert_int_eq(tk_class_of("172.31.255.255"), TK_ADDR_PRIVATE);
    ck_assert_int_eq(tk_class_of("172.32.0.1"), TK_ADDR_PUBLIC);
    ck_assert_int_eq(tk_class_of("192.168.1.1"), TK_ADDR_PRIVATE);
    ck_assert_int_eq(tk_class_of("100.64.0.1"), TK_ADDR_PRIVATE);
    ck_assert_int_eq(tk_class_of("100.128.0.1"), TK_ADDR_PUBLIC);
    ck_assert_int_eq(tk_class_of("fd00::1"), TK_ADDR_PRIVATE);
    ck_assert_int_eq(tk_class_of("::ffff:10.1.1.1"), TK_ADDR_PRIVATE);
    ck_assert_int_eq(tk_class_of("169.254.169.254"), TK_ADDR_LINK_LOCAL);
    ck_assert_int_eq(tk_class_of("fe80::1"), TK_ADDR_LINK_LOCAL);
    ck_assert_int_eq(tk_class_of("0.0.0.0"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("::"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("224.0.0.1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("255.255.255.255"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("240.0.0.1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("192.0.2.1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("198.18.0.1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("2001:db8::1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("64:ff9b::7f00:1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("ff02::1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("::127.0.0.1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("2002:7f00:1::"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("::ffff:0:7f00:1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("::ffff:0:a00:1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("3fff::1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("3fff:fff::1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("3ffe::1"), TK_ADDR_PUBLIC);
    ck_assert_int_eq(tk_class_of("3fff:1000::1"), TK_ADDR_PUBLIC);
    ck_assert_int_eq(tk_class_of("5f00::1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("2001:2::1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("2001:2:1::1"), TK_ADDR_PUBLIC);
    ck_assert_int_eq(tk_class_of("2001:2f::1"), TK_ADDR_RESERVED);
    ck_assert_int_eq(tk_class_of("2001:30::1"), TK_ADDR_PUBLIC);
    ck_assert_int_eq(tk_class_of("2606:4700::1111"), TK_ADDR_PUBLIC);
    ck_assert_str_eq(tk_addr_class_name(TK_ADDR_LINK_LOCAL), "link-local");
}
END_TEST

START_TEST(what_is_allowed)
{
    tk_target_t https = { 1, "h", 443, 0 }, http = { 0, "h", 80, 0 };
    const char *why;

    ck_assert_int_eq(tk_target_allowed(&https, TK_ADDR_PUBLIC, 0, &why), 0);
    ck_assert_int_eq(tk_target_allowed(&http, TK_ADDR_PUBLIC, 0, &why), -1);
    ck_assert_int_eq(tk_target_allowed(&http, TK_ADDR_PUBLIC, 1, &why), -1);
    ck_assert_int_eq(tk_target_allowed(&https, TK_ADDR_LOOPBACK, 0, &why), -1);
    ck_assert_int_eq(tk_target_allowed(&http, TK_ADDR_LOOPBACK, 1, &why), 0);
    ck_assert_int_eq(tk_target_allowed(&https, TK_ADDR_PRIVATE, 0, &why), -1);
    ck_assert_int_eq(tk_target_allowed(&https, TK_ADDR_LINK_LOCAL, 1, &why), -1);
    ck_assert_ptr_nonnull(strstr(why, "link-local"));
    ck_assert_int_eq(tk_target_allowed(&http, TK_ADDR_LINK_LOCAL, 1, &why), -1);
    ck_assert_int_eq(tk_target_allowed(&https, TK_ADDR_RESERVED, 1, &why), -1);
    ck_assert_ptr_nonnull(strstr(why, "reserved"));
}
END_TEST

START_TEST(subscription_bodies)
{
    tk_webhook_input_t in;
    tk_err_t err;
    json_t *b;

    b = json_pack("{s:s, s:[s,s]}", "url", "https://h.example.com/x",
                  "events", "ticket_created", "UPDATED");
    ck_assert_int_eq(tk_valid_webhook(tk_tp, b, 1, &in, &err), 0);
    ck_assert_str_eq(in.events, "ticket_created,UPDATED");
    ck_assert_int_eq(in.enabled, 1);
    json_decref(b);
    b = json_pack("{s:b}", "enabled", 0);
    ck_assert_int_eq(tk_valid_webhook(tk_tp, b, 0, &in, &err), 0);
    ck_assert(in.enabled == 0 && !in.url && !in.events);
    json_decref(b);
    b = json_pack("{s:s}", "url", "https://h.example.com/x");
    ck_assert_int_eq(tk_valid_webhook(tk_tp, b, 1, &in, &err), -1);
    ck_assert_str_eq(err.field, "events");
    json_decref(b);
    b = json_pack("{s:s, s:[s], s:s}", "url", "https://h.example.com/x",
                  "events", "*", "secret", "whsec_x");
    ck_assert_int_eq(tk_valid_webhook(tk_tp, b, 1, &in, &err), -1);
    json_decref(b);
    b = json_pack("{s:s#, s:[s]}", "url", "https://h\0x", (size_t)10, "events", "*");
    ck_assert_int_eq(tk_valid_webhook(tk_tp, b, 1, &in, &err), -1);
    ck_assert_str_eq(err.field, "url");
    json_decref(b);
    b = json_object();
    ck_assert_int_eq(tk_valid_webhook(tk_tp, b, 0, &in, &err), -1);
    json_decref(b);
}
END_TEST

START_TEST(utf8_prefixes)
{
    static const char text[] = "ab\xc3\xa4" "c";        /* a b a-umlaut c */

    ck_assert_uint_eq(tk_utf8_prefix(text, 5, 100), 5);
    ck_assert_uint_eq(tk_utf8_prefix(text, 5, 3), 2);    /* not half of it */
    ck_assert_uint_eq(tk_utf8_prefix(text, 3, 100), 2);  /* cut short */
    ck_assert_uint_eq(tk_utf8_prefix("ab\xff" "cd", 5, 100), 2);
    ck_assert_uint_eq(tk_utf8_prefix("ab\0cd", 5, 100), 2);
    ck_assert_uint_eq(tk_utf8_prefix("\xed\xa0\x80", 3, 100), 0); /* surrogate */
    ck_assert_uint_eq(tk_utf8_prefix("\xf0\x9f\x98\x80!", 5, 100), 5);
    ck_assert_uint_eq(tk_utf8_prefix("", 0, 100), 0);
    ck_assert(tk_utf8_valid("ab\xc3\xa4"));
    ck_assert(!tk_utf8_valid("ab\xc3"));
}
END_TEST

Suite *tk_suite_target(void)
{
    Suite *s = suite_create("tk_target");
    TCase *tc = tk_tcase("target");

    tcase_add_test(tc, urls_that_parse);
    tcase_add_test(tc, urls_that_do_not);
    tcase_add_test(tc, where_a_url_goes_for_the_log);
    tcase_add_test(tc, address_classes);
    tcase_add_test(tc, what_is_allowed);
    tcase_add_test(tc, subscription_bodies);
    tcase_add_test(tc, utf8_prefixes);
    suite_add_tcase(s, tc);
    return s;
}
