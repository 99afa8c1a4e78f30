/* tk_crypto.c: SHA-256, random secrets, constant-time compare, and the
 * Authorization / Cookie header parsers. */
#include <string.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <apr_strings.h>
#include <apr_base64.h>
#include <apr_lib.h>
#include "tk_crypto.h"
#include "tk_valid.h"

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

int tk_basic_parse(apr_pool_t *p, const char *header, const char **user,
                   const char **pass)
{
    char *decoded, *colon;
    size_t n, pad;
    int len;

    if (!header || strncasecmp(header, "Basic ", 6) != 0) {
        return -1;
    }
    header += 6;
    while (*header == ' ') {
        ++header;
    }
    if (!*header || strlen(header) > 4096) {
        return -1;
    }
    /* apr_base64_decode stops at the first byte outside the alphabet and
     * decodes what came before; refuse such a header whole. */
    n = strspn(header, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789+/");
    pad = strspn(header + n, "=");
    if (n == 0 || pad > 2 || header[n + pad] != '\0') {
        return -1;
    }
    decoded = apr_palloc(p, apr_base64_decode_len(header) + 1);
    len = apr_base64_decode(decoded, header);
    if (len <= 0) {
        return -1;
    }
    decoded[len] = '\0';
    if ((int)strlen(decoded) != len) {
        return -1;          /* embedded NUL */
    }
    colon = strchr(decoded, ':');
    if (!colon || colon == decoded) {
        return -1;
    }
    *colon = '\0';
    if (!tk_utf8_valid(decoded) || !tk_utf8_valid(colon + 1)) {
        return -1;
    }
    *user = decoded;
    *pass = colon + 1;
    return 0;
}

const char *tk_bearer_parse(apr_pool_t *p, const char *header)
{
    const char *t, *e;

    if (!header || strncasecmp(header, "Bearer ", 7) != 0) {
        return NULL;
    }
    t = header + 7;
    while (*t == ' ') {
        ++t;
    }
    for (e = t; *e && *e != ' '; ++e) {
        if (!apr_isgraph(*e)) {
            return NULL;
        }
    }
    if (e == t || *e) {
        return NULL;
    }
    return apr_pstrmemdup(p, t, (apr_size_t)(e - t));
}

const char *tk_cookie_get(apr_pool_t *p, const char *header, const char *name)
{
    size_t nlen = strlen(name);
    const char *s = header;

    while (s && *s) {
        const char *end;

        while (*s == ' ' || *s == ';') {
            ++s;
        }
        end = strchr(s, ';');
        if (strncmp(s, name, nlen) == 0 && s[nlen] == '=') {
            const char *v = s + nlen + 1;
            size_t vlen = end ? (size_t)(end - v) : strlen(v);
            while (vlen && v[vlen - 1] == ' ') {
                --vlen;
            }
            return apr_pstrmemdup(p, v, vlen);
        }
        s = end;
    }
    return NULL;
}
