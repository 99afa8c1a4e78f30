/* tk_crypto.c: SHA-256, random secrets and uuids, constant-time compare
 * (see tk_crypto.h). */
#include <string.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <apr_strings.h>
#include <apr_base64.h>
#include <apr_md5.h>
#include "crypto/tk_crypto.h"

static const char tk_hex[] = "0123456789abcdef";

static void tk_hex_encode(const unsigned char *in, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; ++i) {
        out[2 * i] = tk_hex[in[i] >> 4];
        out[2 * i + 1] = tk_hex[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

void tk_sha256_hex(const void *data, size_t len, char out[TK_SHA256_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    tk_hex_encode(md, mdlen, out);
}

const char *tk_sha256_strs(apr_pool_t *p, ...)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *out = apr_palloc(p, TK_SHA256_HEX_LEN + 1);
    const char *s;
    va_list ap;

    if (!ctx) {
        return NULL;
    }
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        EVP_DigestUpdate(ctx, s, strlen(s));
    }
    va_end(ap);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    tk_hex_encode(md, mdlen, out);
    return out;
}

const char *tk_random_secret(apr_pool_t *p, const char *prefix, int nbytes)
{
    unsigned char buf[64];
    char *b64, *c;
    size_t plen = strlen(prefix);

    if (nbytes <= 0 || nbytes > (int)sizeof(buf) || RAND_bytes(buf, nbytes) != 1) {
        return NULL;
    }
    b64 = apr_palloc(p, plen + apr_base64_encode_len(nbytes));
    memcpy(b64, prefix, plen);
    apr_base64_encode(b64 + plen, (const char *)buf, nbytes);
    for (c = b64 + plen; *c; ++c) {
        if (*c == '+') *c = '-';
        else if (*c == '/') *c = '_';
        else if (*c == '=') { *c = '\0'; break; }
    }
    return b64;
}

const char *tk_random_uuid(apr_pool_t *p)
{
    unsigned char b[16];
    char hex[33];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        return NULL;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    tk_hex_encode(b, sizeof(b), hex);
    return apr_psprintf(p, "%.8s-%.4s-%.4s-%.4s-%.12s",
                        hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

int tk_ct_streq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i;
    unsigned char diff = (unsigned char)(la != lb);

    for (i = 0; i < la && i < lb; ++i) {
        diff |= (unsigned char)(a[i] ^ b[i]);
    }
    return diff == 0;
}

int tk_secret_mint(apr_pool_t *p, const char *prefix, tk_secret_t *out)
{
    out->secret = tk_random_secret(p, prefix, TK_SECRET_BYTES);
    if (!out->secret) {
        return -1;
    }
    tk_sha256_hex(out->secret, strlen(out->secret), out->hash);
    return 0;
}

const char *tk_password_hash(apr_pool_t *p, const char *password)
{
    unsigned char salt[16];
    char *out = apr_palloc(p, 64);

    if (RAND_bytes(salt, sizeof(salt)) != 1
        || apr_bcrypt_encode(password, 10, salt, sizeof(salt), out, 64)
           != APR_SUCCESS) {
        return NULL;
    }
    return out;
}

static int tk_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

struct tk_sha256_t {
    EVP_MD_CTX *ctx;
};

static apr_status_t tk_sha256_free(void *data)
{
    tk_sha256_t *h = data;

    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    return APR_SUCCESS;
}

tk_sha256_t *tk_sha256_begin(apr_pool_t *p)
{
    tk_sha256_t *h = apr_pcalloc(p, sizeof(*h));

    if (!(h->ctx = EVP_MD_CTX_new())) {
        return NULL;
    }
    apr_pool_cleanup_register(p, h, tk_sha256_free, apr_pool_cleanup_null);
    if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        return NULL;
    }
    return h;
}

void tk_sha256_update(tk_sha256_t *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void tk_sha256_end(tk_sha256_t *h, char out[TK_SHA256_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_DigestFinal_ex(h->ctx, md, &mdlen);
    tk_hex_encode(md, mdlen, out);
}

int tk_hex_decode(const char *s, unsigned char *out, size_t n)
{
    size_t i;

    if (!s) {
        return -1;
    }
    for (i = 0; i < n; ++i) {
        int hi = tk_hex_digit(s[2 * i]), lo;

        if (hi < 0 || (lo = tk_hex_digit(s[2 * i + 1])) < 0) {
            return -1;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return s[2 * n] == '\0' ? 0 : -1;
}

int tk_secret_file_private(apr_fileperms_t protection)
{
    return !(protection & (APR_FPROT_GREAD | APR_FPROT_WREAD | APR_FPROT_GWRITE
                           | APR_FPROT_WWRITE));
}
