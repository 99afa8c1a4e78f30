/* test_signature.c: the platforms' webhook signatures (tk_signature.c)
 * against published vectors: HMAC-SHA256 of RFC 4231's test case 2,
 * Ed25519 of RFC 8032 section 7.1's test 2, SHA-256 of FIPS 180-2's
 * "abc"; and Zalo's and TikTok's over the fixture deliveries, with digests
 * computed by sha256sum and openssl dgst -hmac. */
#include <string.h>
#include <apr_strings.h>
#include "tk_suites.h"
#include "crypto/tk_crypto.h"
#include "platforms/tk_signature.h"
#include "platforms/tk_platform.h"

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

/* FIPS 180-2 B.1: SHA-256("abc"), here split as Zalo signs it. */
static const char abc_sha[] = "ba7816bf8f01cfea414140de5dae2223"
                              "b00361a396177a9cb410ff61f20015ad";

/* tests/fixtures/platforms/zalo-user_send_text.json, app id
 * 1824031587206738122, its timestamp, OA secret key zalo-oa-secret-Qw8rT2yU:
 * { printf %s APP; cat BODY; printf %s TS KEY; } | sha256sum */
#define ZA_APP "1824031587206738122"
#define ZA_TS  "1700000000000"
#define ZA_KEY "zalo-oa-secret-Qw8rT2yU"
static const char za_sha[] = "387f71b08f73f3a33aa7cd04aad68430"
                             "9631371a840a248430c860ca9898b8d8";

START_TEST(zalo_good)
{
    apr_size_t n;
    const char *body = tk_fixture("platforms/zalo-user_send_text.json", &n);

    ck_assert_int_eq(tk_sig_zalo(apr_pstrcat(tk_tp, "mac=", abc_sha, NULL), "a", "",
                                 0, "b", "c"), 1);
    ck_assert_int_eq(tk_sig_zalo(apr_pstrcat(tk_tp, "mac=", abc_sha, NULL), "a", NULL,
                                 0, "b", "c"), 1);
    ck_assert_int_eq(tk_sig_zalo(apr_pstrcat(tk_tp, "mac=", za_sha, NULL), ZA_APP, body,
                                 n, ZA_TS, ZA_KEY), 1);
    /* the bare digest, and either case of prefix and hex */
    ck_assert_int_eq(tk_sig_zalo(za_sha, ZA_APP, body, n, ZA_TS, ZA_KEY), 1);
    ck_assert_int_eq(tk_sig_zalo(apr_pstrcat(tk_tp, "MAC=",
                                             "387F71B08F73F3A33AA7CD04AAD68430"
                                             "9631371A840A248430C860CA9898B8D8", NULL),
                                 ZA_APP, body, n, ZA_TS, ZA_KEY), 1);
    /* the timestamp as tk_inbound_zalo_timestamp reads it */
    ck_assert_int_eq(tk_sig_zalo(za_sha, ZA_APP, body, n,
                                 tk_inbound_zalo_timestamp(tk_tp, body, n), ZA_KEY), 1);
}
END_TEST

START_TEST(zalo_bad)
{
    apr_size_t n;
    const char *body = tk_fixture("platforms/zalo-user_send_text.json", &n);
    const char *mac = apr_pstrcat(tk_tp, "mac=", za_sha, NULL);
    char *flipped = apr_pstrdup(tk_tp, mac);

    ck_assert_int_eq(tk_sig_zalo(mac, ZA_APP, body, n - 1, ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, "1824031587206738123", body, n, ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, ZA_APP, body, n, "1700000000001", ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, ZA_APP, body, n, ZA_TS, "zalo-oa-secret-Qw8rT2yV"), 0);
    /* missing pieces */
    ck_assert_int_eq(tk_sig_zalo(NULL, ZA_APP, body, n, ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, NULL, body, n, ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, "", body, n, ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, ZA_APP, body, n, NULL, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, ZA_APP, body, n, "", ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, ZA_APP, body, n, ZA_TS, NULL), 0);
    ck_assert_int_eq(tk_sig_zalo(mac, ZA_APP, body, n, ZA_TS, ""), 0);
    /* malformed headers */
    ck_assert_int_eq(tk_sig_zalo("", ZA_APP, body, n, ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo("mac=", ZA_APP, body, n, ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(apr_pstrcat(tk_tp, "sha256=", za_sha, NULL), ZA_APP,
                                 body, n, ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(apr_pstrcat(tk_tp, mac, "0", NULL), ZA_APP, body, n,
                                 ZA_TS, ZA_KEY), 0);
    ck_assert_int_eq(tk_sig_zalo(apr_pstrndup(tk_tp, mac, strlen(mac) - 2), ZA_APP,
                                 body, n, ZA_TS, ZA_KEY), 0);
    flipped[4] = '4';
    ck_assert_int_eq(tk_sig_zalo(flipped, ZA_APP, body, n, ZA_TS, ZA_KEY), 0);
    /* an HMAC under the key (another reading of Zalo's form) is not it */
    ck_assert_int_eq(tk_sig_zalo(abc_sha, "a", "", 0, "b", "d"), 0);
}
END_TEST

/* tests/fixtures/platforms/tiktok-im_receive_msg.json signed at t =
 * 1700000005 under tiktok-client-secret-5e1f:
 * { printf 1700000005.; cat BODY; } | openssl dgst -sha256 -hmac SECRET */
#define TT_SECRET "tiktok-client-secret-5e1f"
#define TT_T      APR_INT64_C(1700000005)
static const char tt_mac[] = "21113e3864636aee51236701edebdc9e"
                             "0871e4dcd285f6d84d1ce86442062886";

static tk_sig_result_t tk_tt_sig(const char *header, apr_int64_t now,
                                 apr_int64_t tolerance)
{
    apr_size_t n;
    const char *body = tk_fixture("platforms/tiktok-im_receive_msg.json", &n);

    return tk_sig_tiktok(header, body, n, TT_SECRET, now, tolerance);
}

START_TEST(tiktok_good)
{
    const char *h = apr_pstrcat(tk_tp, "t=1700000005,s=", tt_mac, NULL);

    ck_assert_int_eq(tk_tt_sig(h, TT_T, 300), TK_SIG_OK);
    /* the edges of the tolerance, both ways */
    ck_assert_int_eq(tk_tt_sig(h, TT_T + 300, 300), TK_SIG_OK);
    ck_assert_int_eq(tk_tt_sig(h, TT_T - 300, 300), TK_SIG_OK);
    ck_assert_int_eq(tk_tt_sig(h, TT_T, 0), TK_SIG_OK);
    ck_assert_int_eq(tk_tt_sig(h, TT_T, -5), TK_SIG_OK);
    /* s before t, spaces around elements, elements of another scheme */
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "s=", tt_mac, ", t=1700000005", NULL),
                               TT_T, 300), TK_SIG_OK);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, " t=1700000005 , v2=abc , s=",
                                           tt_mac, " ", NULL), TT_T, 300), TK_SIG_OK);
}
END_TEST

START_TEST(tiktok_stale)
{
    const char *h = apr_pstrcat(tk_tp, "t=1700000005,s=", tt_mac, NULL);

    ck_assert_int_eq(tk_tt_sig(h, TT_T + 301, 300), TK_SIG_STALE);
    ck_assert_int_eq(tk_tt_sig(h, TT_T - 301, 300), TK_SIG_STALE);    /* future t */
    ck_assert_int_eq(tk_tt_sig(h, TT_T + 1, 0), TK_SIG_STALE);
    ck_assert_int_eq(tk_tt_sig(h, TT_T - 1, -1), TK_SIG_STALE);
    ck_assert_int_eq(tk_tt_sig(h, 0, 300), TK_SIG_STALE);
    ck_assert_int_eq(tk_tt_sig(h, APR_INT64_MIN, APR_INT64_MAX), TK_SIG_STALE);
    ck_assert_int_eq(tk_tt_sig(h, APR_INT64_MAX, 300), TK_SIG_STALE);
}
END_TEST

START_TEST(tiktok_bad)
{
    apr_size_t n;
    const char *body = tk_fixture("platforms/tiktok-im_receive_msg.json", &n);
    const char *h = apr_pstrcat(tk_tp, "t=1700000005,s=", tt_mac, NULL);
    char *flipped = apr_pstrdup(tk_tp, h);

    /* another t than the one signed: bad, not stale */
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "t=1700000006,s=", tt_mac, NULL),
                               TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "t=01700000005,s=", tt_mac, NULL),
                               TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_sig_tiktok(h, body, n - 1, TT_SECRET, TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_sig_tiktok(h, body, n, "tiktok-client-secret-5e1e", TT_T, 300),
                     TK_SIG_BAD);
    ck_assert_int_eq(tk_sig_tiktok(h, body, n, "", TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_sig_tiktok(h, body, n, NULL, TT_T, 300), TK_SIG_BAD);
    flipped[strlen(flipped) - 1] = '7';
    ck_assert_int_eq(tk_tt_sig(flipped, TT_T, 300), TK_SIG_BAD);
    /* missing or doubled pieces, malformed values */
    ck_assert_int_eq(tk_tt_sig(NULL, TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig("", TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "s=", tt_mac, NULL), TT_T, 300),
                     TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig("t=1700000005", TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig("t=1700000005,s=", TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "t=,s=", tt_mac, NULL), TT_T, 300),
                     TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "t=-5,s=", tt_mac, NULL), TT_T, 300),
                     TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "t=17e8,s=", tt_mac, NULL), TT_T, 300),
                     TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "t=12345678901234567890,s=", tt_mac,
                                           NULL), TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, h, ",t=1700000005", NULL), TT_T, 300),
                     TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, h, ",s=", tt_mac, NULL), TT_T, 300),
                     TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, h, "0", NULL), TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrndup(tk_tp, h, strlen(h) - 1), TT_T, 300),
                     TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "T=1700000005,S=", tt_mac, NULL),
                               TT_T, 300), TK_SIG_BAD);
    ck_assert_int_eq(tk_tt_sig(apr_pstrcat(tk_tp, "t=1700000005;s=", tt_mac, NULL),
                               TT_T, 300), TK_SIG_BAD);
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
    tcase_add_test(tc, zalo_good);
    tcase_add_test(tc, zalo_bad);
    tcase_add_test(tc, tiktok_good);
    tcase_add_test(tc, tiktok_stale);
    tcase_add_test(tc, tiktok_bad);
    suite_add_tcase(s, tc);
    return s;
}
