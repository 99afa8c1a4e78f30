/* test_redact.c: what redaction (tk_redact.c) takes out of text bound for
 * a language model, and what it must leave. */
#include <string.h>
#include "tk_suites.h"
#include "llm/tk_redact.h"

static const char *red(const char *s)
{
    return tk_redact(tk_tp, s, strlen(s), NULL, NULL);
}

#define ck_red(in, out) ck_assert_str_eq(red(in), (out))

START_TEST(emails)
{
    ck_red("mail john.doe+tag@example.co.uk now",
           "mail [EMAIL_REDACTED] now");
    ck_red("<a@b.io>, x_y%z@sub-d.example.org.",
           "<[EMAIL_REDACTED]>, [EMAIL_REDACTED].");
    ck_red("12345@numbers.com", "[EMAIL_REDACTED]");
    /* not addresses */
    ck_red("user@localhost", "user@localhost");
    ck_red("a@b.c", "a@b.c");
    ck_red("@handle and x@ and @x.com", "@handle and x@ and @x.com");
    ck_red("version 1.2@3", "version 1.2@3");
}
END_TEST

START_TEST(tokens)
{
    ck_red("key sk_live_4eC39HqLyjWDarjtT1zdp7dc.",
           "key [TOKEN_REDACTED].");
    ck_red("pk_test_abcdefghijklmnopqrstuvwxyz", "[TOKEN_REDACTED]");
    ck_red("api_ABCDEFGHIJKLMNOPQRST secret_0123456789abcdefghij "
           "token_zzzzzzzzzzzzzzzzzzzz",
           "[TOKEN_REDACTED] [TOKEN_REDACTED] [TOKEN_REDACTED]");
    ck_red("SK_LIVE_ABCDEFGHIJKLMNOPQRSTU", "[TOKEN_REDACTED]");
    ck_red("ghp_16C7e42F292c6912E7710c838347Ae178B4a and "
           "glpat-xxxxxxxxxxxxxxxxxxxx and github_pat_11ABCDEFG0123456789_abc",
           "[TOKEN_REDACTED] and [TOKEN_REDACTED] and [TOKEN_REDACTED]");
    ck_red("sk-proj-abc123def456ghi789jkl", "[TOKEN_REDACTED]");
    ck_red("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
           "Authorization: [TOKEN_REDACTED]");
    ck_red("bearer   abcd1234efgh", "[TOKEN_REDACTED]");
    /* too short, no word start, or just words */
    ck_red("env.secret_0123456789abcdefghij and x+ghp_16C7e42F292c6912E7710c838347Ae178B4a",
           "env.[TOKEN_REDACTED] and x+[TOKEN_REDACTED]");
    ck_red("sk_short_one", "sk_short_one");
    ck_red("task_abcdefghijklmnopqrstuvwxyz", "task_abcdefghijklmnopqrstuvwxyz");
    ck_red("the sk-learn-machine-learning-library", "the sk-learn-machine-learning-library");
    ck_red("Bearer of bad news", "Bearer of bad news");
    ck_red("Bearer", "Bearer");
}
END_TEST

START_TEST(cards)
{
    ck_red("card 4111 1111 1111 1111, exp 12/29",
           "card [CARD_REDACTED], exp 12/29");
    ck_red("4111-1111-1111-1111", "[CARD_REDACTED]");
    ck_red("5555555555554444", "[CARD_REDACTED]");
    ck_red("amex 378282246310005.", "amex [CARD_REDACTED].");
    /* an order number is not a card */
    ck_red("order 4111 1111 1111 1112", "order 4111 1111 1111 1112");
    ck_red("order 1234567890123456", "order 1234567890123456");
    ck_red("ref 41111111111111111111", "ref 41111111111111111111");
    ck_red("x4111111111111111", "x4111111111111111");
    ck_assert(tk_luhn_ok("79927398713", 11));
    ck_assert(!tk_luhn_ok("79927398710", 11));
    ck_assert(!tk_luhn_ok("", 0));
    ck_assert(!tk_luhn_ok("12a4", 4));
}
END_TEST

START_TEST(ibans)
{
    ck_red("pay to DE89 3704 0044 0532 0130 00 please",
           "pay to [IBAN_REDACTED] please");
    ck_red("GB82WEST12345698765432", "[IBAN_REDACTED]");
    ck_red("FR1420041010050500013M02606.", "[IBAN_REDACTED].");
    ck_red("DE89 3704 0044 0532 0130 00 IS mine", "[IBAN_REDACTED] IS mine");
    /* a failing check digit */
    ck_red("DE88 3704 0044 0532 0130 00", "DE88 3704 0044 0532 0130 00");
    ck_red("GB82WEST12345698765433", "GB82WEST12345698765433");
    ck_assert(tk_iban_ok("GB82WEST12345698765432", 22));
    ck_assert(!tk_iban_ok("GB82WEST1234", 12));
    ck_assert(!tk_iban_ok("gb82WEST12345698765432", 22));
}
END_TEST

START_TEST(phones)
{
    ck_red("call +84 912 345 678 today", "call [PHONE_REDACTED] today");
    ck_red("+1 (555) 123-4567", "[PHONE_REDACTED]");
    ck_red("+442071838750", "[PHONE_REDACTED]");
    ck_red("(555) 123-4567", "[PHONE_REDACTED]");
    ck_red("555-123-4567 or 555.123.4567", "[PHONE_REDACTED] or [PHONE_REDACTED]");
    ck_red("0912 345 678", "[PHONE_REDACTED]");
    ck_red("call 555-1234 now", "call [PHONE_REDACTED] now");
    ck_red("020 7183 8750 1234", "[PHONE_REDACTED]");
    ck_red("on 04.12.2026 or 2026.12.04", "on 04.12.2026 or 2026.12.04");
    ck_red("4.12.2026, 12-4-2026, 1999-2005, 1 000 000 and 12.345.678",
           "4.12.2026, 12-4-2026, 1999-2005, 1 000 000 and 12.345.678");
    ck_red("ERR_API_GATEWAY_TIMEOUT_UPSTREAM_NODE", "ERR_API_GATEWAY_TIMEOUT_UPSTREAM_NODE");
    /* not phones: bare runs, dates, addresses, short numbers, versions */
    ck_red("order 0912345678", "order 0912345678");
    ck_red("on 2026-12-04 at 10:30", "on 2026-12-04 at 10:30");
    ck_red("host 192.168.100.200", "host 192.168.100.200");
    ck_red("+12 3456", "+12 3456");
    ck_red("v1.2.3 and 3.14159", "v1.2.3 and 3.14159");
    ck_red("12 345 items", "12 345 items");
}
END_TEST

START_TEST(mixed_and_edges)
{
    tk_redact_counts_t c = { 0, 0, 0, 0, 0 };
    const char *in = "From ann@x.org: my card 4242424242424242 and key "
                     "sk_live_aaaaaaaaaaaaaaaaaaaaaaaa, phone +84 912 345 678";
    size_t n;
    const char *out = tk_redact(tk_tp, in, strlen(in), &n, &c);

    ck_assert_str_eq(out, "From [EMAIL_REDACTED]: my card [CARD_REDACTED] and "
                          "key [TOKEN_REDACTED], phone [PHONE_REDACTED]");
    ck_assert_uint_eq(n, strlen(out));
    ck_assert_int_eq(c.emails, 1);
    ck_assert_int_eq(c.cards, 1);
    ck_assert_int_eq(c.tokens, 1);
    ck_assert_int_eq(c.phones, 1);
    ck_assert_int_eq(c.ibans, 0);
    ck_red("", "");
    ck_red("plain text, nothing to hide.", "plain text, nothing to hide.");
    ck_red("Tiếng Việt: an@ví.dụ và anh@example.vn",
           "Tiếng Việt: an@ví.dụ và [EMAIL_REDACTED]");
    /* bytes after a NUL are redacted too */
    out = tk_redact(tk_tp, "a\0b@c.de", 8, &n, NULL);
    ck_assert_uint_eq(n, 2 + strlen("[EMAIL_REDACTED]"));
    ck_assert_str_eq(out + 2, "[EMAIL_REDACTED]");
}
END_TEST

START_TEST(json_values)
{
    json_t *j = json_pack("{s:s, s:[s, {s:s}], s:i, s:s}",
                          "email", "bob@example.com",
                          "thread", "reach me at +1 555 123 4567",
                          "body", "token_abcdefghijklmnopqrstuvwxyz",
                          "n", 4, "bob@example.com", "key stays");
    tk_redact_counts_t c = { 0, 0, 0, 0, 0 };

    ck_assert_int_eq(tk_redact_json(tk_tp, j, &c), 0);
    ck_assert_str_eq(json_string_value(json_object_get(j, "email")),
                     "[EMAIL_REDACTED]");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "thread"), 0)),
                     "reach me at [PHONE_REDACTED]");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(j, "thread"), 1), "body")),
                     "[TOKEN_REDACTED]");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 4);
    ck_assert_str_eq(json_string_value(json_object_get(j, "bob@example.com")),
                     "key stays");
    ck_assert_int_eq(c.emails + c.phones + c.tokens, 3);
    json_decref(j);
}
END_TEST

Suite *tk_suite_redact(void)
{
    Suite *s = suite_create("tk_redact");
    TCase *tc = tk_tcase("redact");

    tcase_add_test(tc, emails);
    tcase_add_test(tc, tokens);
    tcase_add_test(tc, cards);
    tcase_add_test(tc, ibans);
    tcase_add_test(tc, phones);
    tcase_add_test(tc, mixed_and_edges);
    tcase_add_test(tc, json_values);
    suite_add_tcase(s, tc);
    return s;
}
