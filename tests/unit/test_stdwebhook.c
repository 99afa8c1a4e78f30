/* test_stdwebhook.c: Standard Webhooks' signatures against the standard's
 * published test vector, several secrets, malformed secrets, and the
 * retry schedule (tk_stdwebhook.c). */
#include <string.h>
#include "tk_suites.h"
#include "crypto/tk_stdwebhook.h"

START_TEST(published_vector_and_rotation)
{
    static const char *const one[] = {
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL
    };
    const char *two[3], *sig, *fresh;
    static const char body[] = "{\"test\": 2432232314}";
    unsigned char key[TK_WHSEC_MAX_BYTES];

    sig = tk_stdwebhook_sign(tk_tp, one, "msg_p5jXN8AQM9LWM0D4loKWxJek",
                             1614265330, body, strlen(body));
    ck_assert_str_eq(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    fresh = tk_whsec_mint(tk_tp);
    ck_assert_int_eq(tk_whsec_key(fresh, key), TK_WHSEC_BYTES);
    two[0] = fresh;
    two[1] = one[0];
    two[2] = NULL;
    sig = tk_stdwebhook_sign(tk_tp, two, "msg_p5jXN8AQM9LWM0D4loKWxJek",
                             1614265330, body, strlen(body));
    ck_assert_ptr_nonnull(strstr(sig, " v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    ck_assert_int_eq(strncmp(sig, "v1,", 3), 0);
    /* Another timestamp, another body: another signature. */
    ck_assert_str_ne(tk_stdwebhook_sign(tk_tp, one, "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                        1614265331, body, strlen(body)),
                     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}
END_TEST

START_TEST(malformed_secrets)
{
    unsigned char key[TK_WHSEC_MAX_BYTES];
    static const char *const bad[] = { "whsec_AAAA", NULL };

    ck_assert_int_eq(tk_whsec_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key), -1);
    ck_assert_int_eq(tk_whsec_key("whsec_", key), -1);
    ck_assert_int_eq(tk_whsec_key("whsec_AAAA", key), -1);          /* 3 bytes */
    ck_assert_int_eq(tk_whsec_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", key), -1);
    ck_assert_int_eq(tk_whsec_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key), 24);
    ck_assert_ptr_null(tk_stdwebhook_sign(tk_tp, bad, "m", 1, "x", 1));
    ck_assert_ptr_null(tk_stdwebhook_sign(tk_tp, NULL, "m", 1, "x", 1));
}
END_TEST

START_TEST(schedule)
{
    ck_assert(tk_stdwebhook_delay(1, 0) >= 4.0 && tk_stdwebhook_delay(1, 0) <= 4.01);
    ck_assert(tk_stdwebhook_delay(1, UINT64_MAX) <= 6.0);
    ck_assert(tk_stdwebhook_delay(2, UINT64_MAX / 2) > 290 && tk_stdwebhook_delay(2, UINT64_MAX / 2) < 310);
    ck_assert(tk_stdwebhook_delay(9, UINT64_MAX / 2) > 86000);
    ck_assert(tk_stdwebhook_delay(10, 0) < 0);
    ck_assert(tk_stdwebhook_delay(0, 0) < 0);
}
END_TEST

Suite *tk_suite_stdwebhook(void)
{
    Suite *s = suite_create("tk_stdwebhook");
    TCase *tc = tk_tcase("stdwebhook");

    tcase_add_test(tc, published_vector_and_rotation);
    tcase_add_test(tc, malformed_secrets);
    tcase_add_test(tc, schedule);
    suite_add_tcase(s, tc);
    return s;
}
