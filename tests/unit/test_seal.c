/* test_seal.c: transcripts sealed with AES-256-GCM (tk_seal.c): the round
 * trip, every way a sealed text can be wrong, and the key file. */
#include <string.h>
#include <apr_base64.h>
#include "tk_suites.h"
#include "crypto/tk_seal.h"

#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

static tk_keyring_t *ts_ring(const char *text)
{
    tk_err_t err;
    tk_keyring_t *ring = tk_keyring_parse(tk_tp, text, &err);

    ck_assert_ptr_nonnull(ring);
    return ring;
}

/* s with the byte at i (of its decoded form) flipped. */
static const char *ts_flip(const char *s, int i)
{
    unsigned char buf[512];
    int n = apr_base64_decode_binary(buf, s);
    char *out = apr_palloc(tk_tp, (apr_size_t)apr_base64_encode_len(n));

    ck_assert_int_lt(i, n);
    buf[i] ^= 1;
    apr_base64_encode_binary(out, buf, n);
    return out;
}

START_TEST(round_trip_and_tamper)
{
    tk_keyring_t *a = ts_ring("# keys\nk1 " KEY_A "\n");
    tk_keyring_t *both = ts_ring("k1 " KEY_A "\n\nk2 " KEY_B "\n");
    const char *aad = "00000000-0000-4000-8000-000000000001";
    const char *s = tk_seal(tk_tp, a, aad, "{\"thread\": []}", 14), *again;
    size_t len = 0;

    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(tk_unseal(tk_tp, a, "k1", aad, s, &len), "{\"thread\": []}");
    ck_assert_uint_eq(len, 14);
    again = tk_seal(tk_tp, a, aad, "{\"thread\": []}", 14);
    ck_assert_str_ne(s, again);                     /* a fresh nonce */
    ck_assert_ptr_null(tk_unseal(tk_tp, a, "k1", "another ticket", s, &len));
    ck_assert_ptr_null(tk_unseal(tk_tp, a, "k1", aad, ts_flip(s, 0), &len));
    ck_assert_ptr_null(tk_unseal(tk_tp, a, "k1", aad, ts_flip(s, 15), &len));
    ck_assert_ptr_null(tk_unseal(tk_tp, a, "k1", aad, ts_flip(s, 12 + 14 + 3), &len));
    ck_assert_ptr_null(tk_unseal(tk_tp, a, "k2", aad, s, &len));
    ck_assert_ptr_null(tk_unseal(tk_tp, a, "k1", aad, "AAAA", &len));
    ck_assert_ptr_null(tk_unseal(tk_tp, a, "k1", aad, "", &len));
    /* The ring of two opens what k1 sealed and seals with k2. */
    ck_assert_str_eq(tk_keyring_current(both), "k2");
    ck_assert_ptr_nonnull(tk_unseal(tk_tp, both, "k1", aad, s, &len));
    s = tk_seal(tk_tp, both, aad, "x", 1);
    ck_assert_ptr_nonnull(tk_unseal(tk_tp, both, "k2", aad, s, &len));
    ck_assert_ptr_null(tk_unseal(tk_tp, both, "k1", aad, s, &len));
    ck_assert_ptr_null(tk_unseal(tk_tp, a, "k2", aad, s, &len));
}
END_TEST

START_TEST(key_files)
{
    tk_err_t err;

    ck_assert_int_eq(tk_keyring_has(ts_ring("  k1   " KEY_A "  \r\n"), "k1"), 1);
    ck_assert_ptr_null(tk_keyring_parse(tk_tp, "", &err));
    ck_assert_ptr_null(tk_keyring_parse(tk_tp, "# only a comment\n", &err));
    ck_assert_ptr_null(tk_keyring_parse(tk_tp, "k1\n", &err));
    ck_assert_str_eq(err.message, "line 1: key k1 is not 32 bytes of base64");
    ck_assert_ptr_null(tk_keyring_parse(tk_tp, "k1 AAAA\n", &err));
    ck_assert_ptr_null(tk_keyring_parse(tk_tp, "k1 " KEY_A " extra\n", &err));
    ck_assert_ptr_null(tk_keyring_parse(tk_tp, "k/1 " KEY_A "\n", &err));
    ck_assert_ptr_null(tk_keyring_parse(tk_tp, "k1 " KEY_A "\nk1 " KEY_B "\n", &err));
    ck_assert_str_eq(err.message, "line 2: key k1 is given twice");
    ck_assert_ptr_null(tk_keyring_parse(tk_tp, "k1 " KEY_A "!\n", &err));
}
END_TEST

Suite *tk_suite_seal(void)
{
    Suite *s = suite_create("tk_seal");
    TCase *tc = tk_tcase("seal");

    tcase_add_test(tc, round_trip_and_tamper);
    tcase_add_test(tc, key_files);
    suite_add_tcase(s, tc);
    return s;
}
