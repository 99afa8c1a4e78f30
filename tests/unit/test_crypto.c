/* test_crypto.c: hashing, secrets and credential parsing (tk_crypto.c). */
#include <string.h>
#include "tk_suites.h"
#include "crypto/tk_crypto.h"
#include "core/tk_header.h"
#include "core/tk_id.h"

#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_448   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define MSG_448   "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

START_TEST(sha256_vectors)
{
    char out[TK_SHA256_HEX_LEN + 1];

    memset(out, 'X', sizeof(out));
    tk_sha256_hex("", 0, out);
    ck_assert_str_eq(out, SHA_EMPTY);
    tk_sha256_hex("abc", 3, out);
    ck_assert_str_eq(out, SHA_ABC);
    tk_sha256_hex(MSG_448, strlen(MSG_448), out);
    ck_assert_str_eq(out, SHA_448);
    /* length, not NUL, ends the data */
    tk_sha256_hex("abcdef", 3, out);
    ck_assert_str_eq(out, SHA_ABC);
    ck_assert_uint_eq(strlen(out), TK_SHA256_HEX_LEN);
}
END_TEST

START_TEST(sha256_strs)
{
    char whole[TK_SHA256_HEX_LEN + 1];
    const char *h;

    ck_assert_str_eq(tk_sha256_strs(tk_tp, "abc", (const char *)NULL), SHA_ABC);
    ck_assert_str_eq(tk_sha256_strs(tk_tp, "a", "b", "c", (const char *)NULL), SHA_ABC);
    ck_assert_str_eq(tk_sha256_strs(tk_tp, "ab", "", "c", (const char *)NULL), SHA_ABC);
    ck_assert_str_eq(tk_sha256_strs(tk_tp, (const char *)NULL), SHA_EMPTY);
    ck_assert_str_eq(tk_sha256_strs(tk_tp, "abcdbcdecdefdefg", "efghfghighijhijkijkl",
                                    "jklmklmnlmnomnopnopq", (const char *)NULL), SHA_448);

    h = tk_sha256_strs(tk_tp, "session:", "tk_abc", ":", "42", (const char *)NULL);
    tk_sha256_hex("session:tk_abc:42", strlen("session:tk_abc:42"), whole);
    ck_assert_str_eq(h, whole);
    /* the split does not matter, the order does */
    ck_assert_str_ne(h, tk_sha256_strs(tk_tp, "42", ":", "tk_abc", "session:",
                                       (const char *)NULL));
}
END_TEST

static void tk_assert_b64url(const char *s, size_t len)
{
    ck_assert_uint_eq(strlen(s), len);
    ck_assert_uint_eq(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789-_"), len);
}

START_TEST(random_secret)
{
    const char *a = tk_random_secret(tk_tp, "tk_", 32);
    const char *b = tk_random_secret(tk_tp, "tk_", 32);
    const char *c;
    int i, seen_url = 0;

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(strncmp(a, "tk_", 3), 0);
    tk_assert_b64url(a + 3, 43);        /* 32 bytes: 43 characters, no padding */
    tk_assert_b64url(b + 3, 43);
    ck_assert_str_ne(a, b);

    tk_assert_b64url(tk_random_secret(tk_tp, "", 1), 2);
    tk_assert_b64url(tk_random_secret(tk_tp, "", 2), 3);
    tk_assert_b64url(tk_random_secret(tk_tp, "", 3), 4);
    c = tk_random_secret(tk_tp, "sess_", 64);
    ck_assert_int_eq(strncmp(c, "sess_", 5), 0);
    tk_assert_b64url(c + 5, 86);

    ck_assert_ptr_null(tk_random_secret(tk_tp, "tk_", 0));
    ck_assert_ptr_null(tk_random_secret(tk_tp, "tk_", -1));
    ck_assert_ptr_null(tk_random_secret(tk_tp, "tk_", 65));

    /* the URL-safe alphabet is really used ('-' or '_' shows up soon) */
    for (i = 0; i < 200 && !seen_url; ++i) {
        const char *s = tk_random_secret(tk_tp, "", 48);
        seen_url = strpbrk(s, "-_") != NULL;
    }
    ck_assert_int_eq(seen_url, 1);
}
END_TEST

START_TEST(random_uuid)
{
    const char *a = tk_random_uuid(tk_tp), *b = tk_random_uuid(tk_tp);
    int i;

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(tk_uuid_valid(a), 1);
    ck_assert_str_ne(a, b);
    for (i = 0; i < 100; ++i) {
        const char *u = tk_random_uuid(tk_tp);
        ck_assert_int_eq(tk_uuid_valid(u), 1);
        ck_assert_uint_eq(strspn(u, "0123456789abcdef-"), 36);     /* lower case */
        ck_assert_int_eq(u[14], '4');                               /* version 4 */
        ck_assert_ptr_nonnull(strchr("89ab", u[19]));               /* RFC 4122 variant */
    }
}
END_TEST

START_TEST(ct_streq)
{
    ck_assert_int_eq(tk_ct_streq("", ""), 1);
    ck_assert_int_eq(tk_ct_streq("abc", "abc"), 1);
    ck_assert_int_eq(tk_ct_streq(SHA_ABC, SHA_ABC), 1);
    ck_assert_int_eq(tk_ct_streq("abc", "abd"), 0);
    ck_assert_int_eq(tk_ct_streq("abc", "Abc"), 0);
    ck_assert_int_eq(tk_ct_streq("abc", "abcd"), 0);
    ck_assert_int_eq(tk_ct_streq("abcd", "abc"), 0);
    ck_assert_int_eq(tk_ct_streq("", "a"), 0);
    ck_assert_int_eq(tk_ct_streq("a", ""), 0);
    /* a difference only in the high bit */
    ck_assert_int_eq(tk_ct_streq("a\x80", "a\x01"), 0);
}
END_TEST

START_TEST(basic_good)
{
    const char *user = NULL, *pass = NULL;

    ck_assert_int_eq(tk_basic_parse(tk_tp, "Basic dXNlcjpwYXNz", &user, &pass), 0);
    ck_assert_str_eq(user, "user");
    ck_assert_str_eq(pass, "pass");
    ck_assert_int_eq(tk_basic_parse(tk_tp, "basic dXNlcjpwYXNz", &user, &pass), 0);
    ck_assert_int_eq(tk_basic_parse(tk_tp, "BASIC   dXNlcjpwYXNz", &user, &pass), 0);
    ck_assert_str_eq(user, "user");
    /* only the first colon splits */
    ck_assert_int_eq(tk_basic_parse(tk_tp, "Basic dXNlcjpwYTpzcw==", &user, &pass), 0);
    ck_assert_str_eq(user, "user");
    ck_assert_str_eq(pass, "pa:ss");
    /* an empty password is the verifier's business */
    ck_assert_int_eq(tk_basic_parse(tk_tp, "Basic dXNlcjo=", &user, &pass), 0);
    ck_assert_str_eq(user, "user");
    ck_assert_str_eq(pass, "");
    ck_assert_int_eq(tk_basic_parse(tk_tp, "Basic YTpi", &user, &pass), 0);
    ck_assert_str_eq(user, "a");
    ck_assert_str_eq(pass, "b");
}
END_TEST

START_TEST(basic_bad)
{
    static const char *const bad[] = {
        "Basic dXNlcnBhc3M=",           /* "userpass": no colon */
        "Basic OnBhc3M=",               /* ":pass": empty user */
        "Basic dXMAZXI6cGFzcw==",       /* "us\0er:pass": embedded NUL */
        "Basic ****",                   /* not base64 at all */
        "Basic !dXNlcjpwYXNz",
        "Basic YTpi!junk",              /* base64 then garbage */
        "Basic YTpi dXNlcjpwYXNz",
        "Basic YT.pi",
        "Basic ",
        "Basic    ",
        "Basic",
        "BasicdXNlcjpwYXNz",
        "Bearer dXNlcjpwYXNz",
        "Digest username=\"user\"",
        " Basic dXNlcjpwYXNz",
        "",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        const char *user = NULL, *pass = NULL;
        ck_assert_msg(tk_basic_parse(tk_tp, bad[i], &user, &pass) == -1,
                      "accepted \"%s\" as %s:%s", bad[i], user ? user : "", pass ? pass : "");
    }
    {
        const char *user, *pass;
        ck_assert_int_eq(tk_basic_parse(tk_tp, NULL, &user, &pass), -1);
    }
}
END_TEST

START_TEST(bearer)
{
    ck_assert_str_eq(tk_bearer_parse(tk_tp, "Bearer tk_abc.DEF-123_x~+/="), "tk_abc.DEF-123_x~+/=");
    ck_assert_str_eq(tk_bearer_parse(tk_tp, "bearer abc"), "abc");
    ck_assert_str_eq(tk_bearer_parse(tk_tp, "BEARER   abc"), "abc");

    ck_assert_ptr_null(tk_bearer_parse(tk_tp, NULL));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, ""));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer"));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer "));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer    "));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer a b"));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer abc "));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer\tabc"));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer ab\tc"));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer ab\x01" "c"));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearer ab\xc3\xa9"));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Bearerabc"));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Basic dXNlcjpwYXNz"));
    ck_assert_ptr_null(tk_bearer_parse(tk_tp, "Token abc"));
}
END_TEST

START_TEST(cookie)
{
    const char *h = "theme=dark; tk_session=s3cr3t; lang=vi";

    ck_assert_str_eq(tk_cookie_get(tk_tp, h, "tk_session"), "s3cr3t");
    ck_assert_str_eq(tk_cookie_get(tk_tp, h, "theme"), "dark");
    ck_assert_str_eq(tk_cookie_get(tk_tp, h, "lang"), "vi");
    ck_assert_ptr_null(tk_cookie_get(tk_tp, h, "tk"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, h, "session"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, h, "s3cr3t"));

    ck_assert_str_eq(tk_cookie_get(tk_tp, "tk_session=abc", "tk_session"), "abc");
    ck_assert_str_eq(tk_cookie_get(tk_tp, "a=1;tk_session=abc;b=2", "tk_session"), "abc");
    ck_assert_str_eq(tk_cookie_get(tk_tp, "a=1;   tk_session=abc  ;b=2", "tk_session"), "abc");
    ck_assert_str_eq(tk_cookie_get(tk_tp, "tk_session=abc; ", "tk_session"), "abc");
    ck_assert_str_eq(tk_cookie_get(tk_tp, "tk_session=", "tk_session"), "");
    ck_assert_str_eq(tk_cookie_get(tk_tp, "tk_session=a=b", "tk_session"), "a=b");
    /* the first of two wins */
    ck_assert_str_eq(tk_cookie_get(tk_tp, "tk_session=one; tk_session=two", "tk_session"),
                     "one");

    ck_assert_ptr_null(tk_cookie_get(tk_tp, NULL, "tk_session"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, "", "tk_session"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, "; ;", "tk_session"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, "tk_session", "tk_session"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, "TK_SESSION=abc", "tk_session"));
}
END_TEST

/* A cookie whose name merely ends or starts with ours is someone else's. */
START_TEST(cookie_prefix_names)
{
    ck_assert_ptr_null(tk_cookie_get(tk_tp, "xtk_session=evil", "tk_session"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, "tk_session_old=evil", "tk_session"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, "a=tk_session=evil", "tk_session"));
    ck_assert_ptr_null(tk_cookie_get(tk_tp, "a=x tk_session=evil", "tk_session"));
    ck_assert_str_eq(tk_cookie_get(tk_tp, "xtk_session=evil; tk_session=good", "tk_session"),
                     "good");
    ck_assert_str_eq(tk_cookie_get(tk_tp, "tk_session_old=evil; tk_session=good",
                                   "tk_session"), "good");
    ck_assert_str_eq(tk_cookie_get(tk_tp, "tk_session=good; xtk_session=evil", "tk_session"),
                     "good");
}
END_TEST

START_TEST(basic_not_utf8)
{
    const char *user, *pass;

    /* base64("\xff@x:pw") and base64("a:\xc3") */
    ck_assert_int_eq(tk_basic_parse(tk_tp, "Basic /0B4OnB3", &user, &pass), -1);
    ck_assert_int_eq(tk_basic_parse(tk_tp, "Basic YTrD", &user, &pass), -1);
    /* base64("\xc3\xa9@x:pw") is fine */
    ck_assert_int_eq(tk_basic_parse(tk_tp, "Basic w6lAeDpwdw==", &user, &pass), 0);
    ck_assert_str_eq(user, "\xc3\xa9@x");
}
END_TEST

Suite *tk_suite_crypto(void)
{
    Suite *s = suite_create("tk_crypto");
    TCase *tc;

    tc = tk_tcase("hash");
    tcase_add_test(tc, sha256_vectors);
    tcase_add_test(tc, basic_not_utf8);
    tcase_add_test(tc, sha256_strs);
    tcase_add_test(tc, ct_streq);
    suite_add_tcase(s, tc);

    tc = tk_tcase("random");
    tcase_add_test(tc, random_secret);
    tcase_add_test(tc, random_uuid);
    suite_add_tcase(s, tc);

    tc = tk_tcase("headers");
    tcase_add_test(tc, basic_good);
    tcase_add_test(tc, basic_bad);
    tcase_add_test(tc, bearer);
    tcase_add_test(tc, cookie);
    tcase_add_test(tc, cookie_prefix_names);
    suite_add_tcase(s, tc);
    return s;
}
