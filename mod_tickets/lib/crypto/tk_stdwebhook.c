/* tk_stdwebhook.c: Standard Webhooks' secrets, signatures and retry
 * schedule (see tk_stdwebhook.h), on libcrypto's HMAC. */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <apr_strings.h>
#include <apr_base64.h>
#include "crypto/tk_stdwebhook.h"

const char *tk_whsec_mint(apr_pool_t *p)
{
    unsigned char key[TK_WHSEC_BYTES];
    char *b64 = apr_palloc(p, (apr_size_t)apr_base64_encode_len(TK_WHSEC_BYTES));

    if (RAND_bytes(key, sizeof(key)) != 1) {
        return NULL;
    }
    apr_base64_encode_binary(b64, key, TK_WHSEC_BYTES);
    OPENSSL_cleanse(key, sizeof(key));
    return apr_pstrcat(p, TK_WHSEC_PREFIX, b64, NULL);
}

int tk_whsec_key(const char *secret, unsigned char *key)
{
    static const char b64chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    unsigned char buf[2 * TK_WHSEC_MAX_BYTES];
    const char *b64;
    size_t n;
    int len;

    if (!secret || strncmp(secret, TK_WHSEC_PREFIX, 6) != 0) {
        return -1;
    }
    b64 = secret + 6;
    n = strlen(b64);
    if (n == 0 || n > 4 * ((TK_WHSEC_MAX_BYTES + 2) / 3) || n % 4 != 0
        || strspn(b64, b64chars) != n) {
        return -1;
    }
    len = apr_base64_decode_binary(buf, b64);
    if (len < TK_WHSEC_MIN_BYTES || len > TK_WHSEC_MAX_BYTES) {
        return -1;
    }
    memcpy(key, buf, (size_t)len);
    OPENSSL_cleanse(buf, sizeof(buf));
    return len;
}

/* "v1," and the signature of one secret, or NULL. */
static const char *tk_sign_one(apr_pool_t *p, const char *secret,
                               const char *content, size_t clen)
{
    unsigned char key[TK_WHSEC_MAX_BYTES], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    int klen = tk_whsec_key(secret, key);
    char *b64;

    if (klen < 0 || !HMAC(EVP_sha256(), key, klen,
                          (const unsigned char *)content, clen, mac, &maclen)) {
        return NULL;
    }
    OPENSSL_cleanse(key, sizeof(key));
    b64 = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)maclen));
    apr_base64_encode_binary(b64, mac, (int)maclen);
    return apr_pstrcat(p, "v1,", b64, NULL);
}

const char *tk_stdwebhook_sign(apr_pool_t *p, const char *const *secrets,
                               const char *id, int64_t timestamp,
                               const char *body, size_t len)
{
    const char *head = apr_psprintf(p, "%s.%" APR_INT64_T_FMT ".", id,
                                    (apr_int64_t)timestamp);
    size_t hlen = strlen(head);
    char *content = apr_palloc(p, hlen + len);
    const char *out = NULL, *one;

    memcpy(content, head, hlen);
    memcpy(content + hlen, body, len);
    for (; secrets && *secrets; ++secrets) {
        if (!(one = tk_sign_one(p, *secrets, content, hlen + len))) {
            return NULL;
        }
        out = out ? apr_pstrcat(p, out, " ", one, NULL) : one;
    }
    return out;
}

double tk_stdwebhook_delay(int attempt, uint64_t random)
{
    static const double schedule[] = {
        5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400
    };
    double spread;

    if (attempt < 1 || attempt > (int)(sizeof(schedule) / sizeof(schedule[0]))) {
        return -1;
    }
    /* A factor from 0.8 to 1.2. */
    spread = 0.8 + 0.4 * (double)(random >> 11) / (double)(UINT64_C(1) << 53);
    return schedule[attempt - 1] * spread;
}
