/* tk_signature.c: webhook signatures of the platforms (see tk_signature.h),
 * on libcrypto: HMAC for Facebook, EVP's raw Ed25519 keys for Discord. */
#include <string.h>
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
