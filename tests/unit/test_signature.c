/* test_signature.c: the platforms' webhook signatures (tk_signature.c)
 * against published vectors: HMAC-SHA256 of RFC 4231's test case 2, and
 * Ed25519 of RFC 8032 section 7.1's test 2. */
#include <string.h>
#include <apr_strings.h>
#include "tk_suites.h"
#include "crypto/tk_crypto.h"
#include "platforms/tk_signature.h"

/* RFC 4231, test case 2: key "Jefe". */
static const char fb_body[] = "what do ya want for nothing?";
static const char fb_sig[] = "sha256=5bdcc146bf60754e6a042426089575c7"
                             "5a003f089d2739839dec58b964ec3843";

/* RFC 8032, 7.1 test 2: the one-byte message 0x72 ("r"), here split as
 * Discord signs it: timestamp "r", empty body. */
static const char dc_key[] = "3d4017c3e843895a92b70aa74d1b7ebc"
                             "9c982ccf2ec4968cc0cd55f12af4660c";
static const char dc_sig[] = "92a009a9f0d4cab8720e820b5f642540"
                             "a2b27b5416503f8fb3762223ebdb69da"
                             "085ac1e43e15996e458f3613d0f11d8c"
                             "387b2eaeb4302aeeb00d291612bb0c00";

START_TEST(facebook_good)
{
    char upper[sizeof(fb_sig)];
    apr_size_t i;

    ck_assert_int_eq(tk_sig_facebook(fb_sig, fb_body, strlen(fb_body), "Jefe"), 1);
    memcpy(upper, fb_sig, sizeof(upper));
    for (i = 7; upper[i]; ++i) {
        if (upper[i] >= 'a' && upper[i] <= 'f') {
            upper[i] = (char)(upper[i] - 'a' + 'A');
        }
    }
    ck_assert_int_eq(tk_sig_facebook(upper, fb_body, strlen(fb_body), "Jefe"), 1);
}
END_TEST

START_TEST(facebook_bad)
{
    apr_size_t n = strlen(fb_body);
    char flipped[sizeof(fb_sig)];

    ck_assert_int_eq(tk_sig_facebook(fb_sig, fb_body, n, "jefe"), 0);
    ck_assert_int_eq(tk_sig_facebook(fb_sig, fb_body, n - 1, "Jefe"), 0);
    ck_assert_int_eq(tk_sig_facebook(fb_sig, fb_body, n, ""), 0);
    ck_assert_int_eq(tk_sig_facebook(fb_sig, fb_body, n, NULL), 0);
    ck_assert_int_eq(tk_sig_facebook(NULL, fb_body, n, "Jefe"), 0);
    ck_assert_int_eq(tk_sig_facebook(fb_sig + 7, fb_body, n, "Jefe"), 0);
    ck_assert_int_eq(tk_sig_facebook("sha1=5bdcc146", fb_body, n, "Jefe"), 0);
    ck_assert_int_eq(tk_sig_facebook("sha256=", fb_body, n, "Jefe"), 0);
    memcpy(flipped, fb_sig, sizeof(flipped));
    flipped[sizeof(flipped) - 2] = '2';
    ck_assert_int_eq(tk_sig_facebook(flipped, fb_body, n, "Jefe"), 0);
    /* trailing text after the 64 digits */
    ck_assert_int_eq(tk_sig_facebook(apr_pstrcat(tk_tp, fb_sig, "0", NULL), fb_body,
                                     n, "Jefe"), 0);
}
END_TEST

START_TEST(discord_good)
{
    ck_assert_int_eq(tk_sig_discord(dc_sig, "r", "", 0, dc_key), 1);
    ck_assert_int_eq(tk_sig_discord(dc_sig, "r", NULL, 0, dc_key), 1);
}
END_TEST

START_TEST(discord_bad)
{
    char flipped[sizeof(dc_sig)];

    ck_assert_int_eq(tk_sig_discord(dc_sig, "r", "x", 1, dc_key), 0);
    ck_assert_int_eq(tk_sig_discord(dc_sig, "s", "", 0, dc_key), 0);
    ck_assert_int_eq(tk_sig_discord(dc_sig, "", "r", 1, dc_key), 0);
    ck_assert_int_eq(tk_sig_discord(dc_sig, NULL, "r", 1, dc_key), 0);
    ck_assert_int_eq(tk_sig_discord(NULL, "r", "", 0, dc_key), 0);
    ck_assert_int_eq(tk_sig_discord(dc_sig, "r", "", 0, NULL), 0);
    ck_assert_int_eq(tk_sig_discord(dc_sig, "r", "", 0, "3d40"), 0);
    memcpy(flipped, dc_sig, sizeof(flipped));
    flipped[0] = '8';
    ck_assert_int_eq(tk_sig_discord(flipped, "r", "", 0, dc_key), 0);
    ck_assert_int_eq(tk_sig_discord(apr_pstrndup(tk_tp, dc_sig, 126), "r", "", 0,
                                    dc_key), 0);
}
END_TEST

START_TEST(hex_decode)
{
    unsigned char out[2];

    ck_assert_int_eq(tk_hex_decode("0aFf", out, 2), 0);
    ck_assert_int_eq(out[0], 0x0a);
    ck_assert_int_eq(out[1], 0xff);
    ck_assert_int_eq(tk_hex_decode("0aF", out, 2), -1);
    ck_assert_int_eq(tk_hex_decode("0aFf0", out, 2), -1);
    ck_assert_int_eq(tk_hex_decode("0g00", out, 2), -1);
    ck_assert_int_eq(tk_hex_decode(NULL, out, 2), -1);
}
END_TEST

Suite *tk_suite_signature(void)
{
    Suite *s = suite_create("tk_signature");
    TCase *tc = tk_tcase("signature");

    tcase_add_test(tc, facebook_good);
    tcase_add_test(tc, facebook_bad);
    tcase_add_test(tc, discord_good);
    tcase_add_test(tc, discord_bad);
    tcase_add_test(tc, hex_decode);
    suite_add_tcase(s, tc);
    return s;
}
