/* tk_signature.c: webhook signatures of the platforms (see tk_signature.h),
 * on libcrypto: HMAC for Facebook and TikTok, EVP's raw Ed25519 keys for
 * Discord, an EVP digest for Zalo.  Every comparison is CRYPTO_memcmp over
 * the decoded bytes, so its time depends on nothing the sender controls
 * but the length we expect anyway. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "crypto/tk_crypto.h"
#include "platforms/tk_signature.h"

#define TK_SHA256_LEN   32
#define TK_ED25519_KEY  32
#define TK_ED25519_SIG  64

int tk_sig_facebook(const char *header, const void *body, apr_size_t len,
                    const char *secret)
{
    static const char prefix[] = "sha256=";
    unsigned char want[TK_SHA256_LEN], got[EVP_MAX_MD_SIZE];
    unsigned int got_len = 0;

    if (!header || !secret || !*secret
        || strncmp(header, prefix, sizeof(prefix) - 1) != 0
        || tk_hex_decode(header + sizeof(prefix) - 1, want, sizeof(want)) != 0
        || !HMAC(EVP_sha256(), secret, (int)strlen(secret),
                 body ? body : "", len, got, &got_len)
        || got_len != sizeof(want)) {
        return 0;
    }
    return CRYPTO_memcmp(want, got, sizeof(want)) == 0;
}

int tk_sig_discord(const char *sig_hex, const char *timestamp,
                   const void *body, apr_size_t len,
                   const char *public_key_hex)
{
    unsigned char key[TK_ED25519_KEY], sig[TK_ED25519_SIG];
    apr_size_t tlen = timestamp ? strlen(timestamp) : 0;
    unsigned char *msg;
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *ctx = NULL;
    int ok = 0;

    if (!timestamp || !*timestamp
        || tk_hex_decode(sig_hex, sig, sizeof(sig)) != 0
        || tk_hex_decode(public_key_hex, key, sizeof(key)) != 0
        || !(msg = OPENSSL_malloc(tlen + len + 1))) {
        return 0;
    }
    memcpy(msg, timestamp, tlen);
    if (len) {
        memcpy(msg + tlen, body, len);
    }
    if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key,
                                            sizeof(key)))
        && (ctx = EVP_MD_CTX_new())
        && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1) {
        ok = EVP_DigestVerify(ctx, sig, sizeof(sig), msg, tlen + len) == 1;
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    OPENSSL_free(msg);
    return ok;
}

/* ---------------------------------------------------------------------
 * Zalo: X-ZEvent-Signature: mac=sha256(appId + body + timeStamp + OAsecretKey)
 *
 * Public descriptions name the same four parts in the same order and
 * differ on the rest: some call it an HMAC, some hash under the app
 * secret instead of the OA secret key, some take the timestamp from a
 * header.  We implement the form of Zalo's OA webhook documentation as
 * the helpdesk integrations that check deliveries read it: a plain
 * SHA-256 (no HMAC) of the application id, the raw body, the body's
 * "timestamp" field as written, and the OA secret key, in that order, as
 * lower-case hex after "mac=".  The bare hex (a proxy may strip the
 * prefix) is taken too: the prefix carries no secret, the digest does.
 * docs/platforms.md says more.
 * ------------------------------------------------------------------- */

int tk_sig_zalo(const char *header, const char *app_id, const void *body,
                apr_size_t len, const char *timestamp,
                const char *oa_secret_key)
{
    static const char prefix[] = "mac=";
    unsigned char want[TK_SHA256_LEN], got[EVP_MAX_MD_SIZE];
    unsigned int got_len = 0;
    EVP_MD_CTX *ctx;
    int ok = 0;

    if (!header || !app_id || !*app_id || !timestamp || !*timestamp
        || !oa_secret_key || !*oa_secret_key) {
        return 0;
    }
    if (strncasecmp(header, prefix, sizeof(prefix) - 1) == 0) {
        header += sizeof(prefix) - 1;
    }
    if (tk_hex_decode(header, want, sizeof(want)) != 0
        || !(ctx = EVP_MD_CTX_new())) {
        return 0;
    }
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
        && EVP_DigestUpdate(ctx, app_id, strlen(app_id)) == 1
        && EVP_DigestUpdate(ctx, body ? body : "", len) == 1
        && EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) == 1
        && EVP_DigestUpdate(ctx, oa_secret_key, strlen(oa_secret_key)) == 1
        && EVP_DigestFinal_ex(ctx, got, &got_len) == 1
        && got_len == sizeof(want)) {
        ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
    }
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* ---------------------------------------------------------------------
 * TikTok: Tiktok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256>
 * ------------------------------------------------------------------- */

/* The longest t we read: 19 digits hold any apr_int64_t. */
#define TK_TIKTOK_T_MAX 19

/* Find t and s in header: 0 with t (digits, NUL-terminated into t_buf)
 * and s (pointing at its 64 hex digits, s_len bytes), or -1. */
static int tk_tiktok_split(const char *header, char *t_buf, const char **s,
                           apr_size_t *s_len)
{
    const char *el = header;
    int have_t = 0, have_s = 0;

    while (*el) {
        const char *end = strchr(el, ','), *eq;
        apr_size_t n;

        if (!end) {
            end = el + strlen(el);
        }
        while (el < end && *el == ' ') {
            ++el;
        }
        n = (apr_size_t)(end - el);
        while (n && el[n - 1] == ' ') {
            --n;
        }
        eq = memchr(el, '=', n);
        if (eq == el + 1 && el[0] == 't') {
            apr_size_t tn = n - 2, i;

            if (have_t++ || tn == 0 || tn > TK_TIKTOK_T_MAX) {
                return -1;
            }
            for (i = 0; i < tn; ++i) {
                if (el[2 + i] < '0' || el[2 + i] > '9') {
                    return -1;
                }
            }
            memcpy(t_buf, el + 2, tn);
            t_buf[tn] = '\0';
        }
        else if (eq == el + 1 && el[0] == 's') {
            if (have_s++) {
                return -1;
            }
            *s = el + 2;
            *s_len = n - 2;
        }
        el = *end ? end + 1 : end;
    }
    return have_t == 1 && have_s == 1 ? 0 : -1;
}

tk_sig_result_t tk_sig_tiktok(const char *header, const void *body,
                              apr_size_t len, const char *client_secret,
                              apr_int64_t now_seconds,
                              apr_int64_t tolerance_seconds)
{
    char t_buf[TK_TIKTOK_T_MAX + 1], s_hex[2 * TK_SHA256_LEN + 1];
    unsigned char want[TK_SHA256_LEN], got[EVP_MAX_MD_SIZE];
    unsigned int got_len = 0;
    const char *s = NULL;
    apr_size_t s_len = 0, tlen;
    unsigned char *msg;
    apr_uint64_t skew;
    apr_int64_t t;
    int good;

    if (!header || !client_secret || !*client_secret
        || tk_tiktok_split(header, t_buf, &s, &s_len) != 0
        || s_len != sizeof(s_hex) - 1) {
        return TK_SIG_BAD;
    }
    memcpy(s_hex, s, s_len);
    s_hex[s_len] = '\0';
    if (tk_hex_decode(s_hex, want, sizeof(want)) != 0) {
        return TK_SIG_BAD;
    }
    tlen = strlen(t_buf);
    if (!(msg = OPENSSL_malloc(tlen + 1 + len + 1))) {
        return TK_SIG_BAD;
    }
    memcpy(msg, t_buf, tlen);
    msg[tlen] = '.';
    if (len) {
        memcpy(msg + tlen + 1, body, len);
    }
    good = HMAC(EVP_sha256(), client_secret, (int)strlen(client_secret),
                msg, tlen + 1 + len, got, &got_len) != NULL
           && got_len == sizeof(want)
           && CRYPTO_memcmp(want, got, sizeof(want)) == 0;
    OPENSSL_free(msg);
    if (!good) {
        return TK_SIG_BAD;
    }
    /* 19 digits may still exceed APR_INT64_MAX: such a t is no time. */
    errno = 0;
    t = apr_strtoi64(t_buf, NULL, 10);
    if (errno == ERANGE) {
        return TK_SIG_STALE;
    }
    if (tolerance_seconds < 0) {
        tolerance_seconds = 0;
    }
    /* t >= 0, so |t - now| fits in 64 unsigned bits whatever now is. */
    skew = t >= now_seconds ? (apr_uint64_t)t - (apr_uint64_t)now_seconds
                            : (apr_uint64_t)now_seconds - (apr_uint64_t)t;
    return skew <= (apr_uint64_t)tolerance_seconds ? TK_SIG_OK : TK_SIG_STALE;
}
