/* tk_seal.c: AES-256-GCM sealing of transcripts (see tk_seal.h), on
 * libcrypto's EVP interface.  Each cipher context lives for one call and
 * is freed on every path; key bytes stay in the ring's pool. */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_base64.h>
#include <apr_tables.h>
#include "crypto/tk_seal.h"

typedef struct {
    const char *id;
    unsigned char key[TK_SEAL_KEY_BYTES];
} tk_key_t;

struct tk_keyring_t {
    apr_array_header_t *keys;       /* of tk_key_t, the current one last */
};

static int tk_key_id_valid(const char *s, size_t n)
{
    size_t i;

    if (n < 1 || n > TK_SEAL_ID_MAX) {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        if (!apr_isalnum(s[i]) && s[i] != '_' && s[i] != '-') {
            return 0;
        }
    }
    return 1;
}

static const tk_key_t *tk_key_find(const tk_keyring_t *ring, const char *id)
{
    int i;

    for (i = 0; id && i < ring->keys->nelts; ++i) {
        const tk_key_t *k = &APR_ARRAY_IDX(ring->keys, i, tk_key_t);

        if (strcmp(k->id, id) == 0) {
            return k;
        }
    }
    return NULL;
}

/* One line "<id> <base64>" into the ring. */
static int tk_key_line(apr_pool_t *p, tk_keyring_t *ring, char *line,
                       int lineno, tk_err_t *err)
{
    char *id = line + strspn(line, " \t"), *b64, *end;
    size_t idlen = strcspn(id, " \t");
    unsigned char *buf;
    tk_key_t *k;
    int n;

    if (!*id || *id == '#') {
        return 0;
    }
    b64 = id + idlen;
    b64 += strspn(b64, " \t");
    end = b64 + strcspn(b64, " \t\r");
    if (*end && end[strspn(end, " \t\r")]) {
        return tk_err(err, TK_E_VALIDATION, NULL, apr_psprintf(p, "line %d: "
                      "a key line is \"<id> <base64 key>\"", lineno));
    }
    *end = '\0';
    id[idlen] = '\0';
    if (!tk_key_id_valid(id, idlen)) {
        return tk_err(err, TK_E_VALIDATION, NULL, apr_psprintf(p, "line %d: "
                      "a key id is 1 to 32 letters, digits, '_' or '-'",
                      lineno));
    }
    buf = apr_palloc(p, (apr_size_t)apr_base64_decode_len(b64) + 1);
    n = apr_base64_decode_binary(buf, b64);
    if (!*b64 || n != TK_SEAL_KEY_BYTES
        || strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789+/=") != strlen(b64)) {
        return tk_err(err, TK_E_VALIDATION, NULL, apr_psprintf(p, "line %d: "
                      "key %s is not 32 bytes of base64", lineno, id));
    }
    if (tk_key_find(ring, id)) {
        return tk_err(err, TK_E_VALIDATION, NULL, apr_psprintf(p, "line %d: "
                      "key %s is given twice", lineno, id));
    }
    k = apr_array_push(ring->keys);
    k->id = apr_pstrdup(p, id);
    memcpy(k->key, buf, TK_SEAL_KEY_BYTES);
    OPENSSL_cleanse(buf, (size_t)n);
    return 0;
}

tk_keyring_t *tk_keyring_parse(apr_pool_t *p, const char *text,
                               tk_err_t *err)
{
    tk_keyring_t *ring = apr_pcalloc(p, sizeof(*ring));
    char *copy = apr_pstrdup(p, text), *line, *next;
    int lineno = 0;

    ring->keys = apr_array_make(p, 2, sizeof(tk_key_t));
    for (line = copy; line; line = next) {
        if ((next = strchr(line, '\n'))) {
            *next++ = '\0';
        }
        if (tk_key_line(p, ring, line, ++lineno, err)) {
            return NULL;
        }
    }
    if (ring->keys->nelts == 0) {
        tk_err(err, TK_E_VALIDATION, NULL, "the file holds no key");
        return NULL;
    }
    return ring;
}

const char *tk_keyring_current(const tk_keyring_t *ring)
{
    return APR_ARRAY_IDX(ring->keys, ring->keys->nelts - 1, tk_key_t).id;
}

int tk_keyring_count(const tk_keyring_t *ring)
{
    return ring->keys->nelts;
}

const char *tk_keyring_id(const tk_keyring_t *ring, int i)
{
    return APR_ARRAY_IDX(ring->keys, i, tk_key_t).id;
}

int tk_keyring_has(const tk_keyring_t *ring, const char *id)
{
    return tk_key_find(ring, id) != NULL;
}

/* encrypt: in -> out (same length), and tag (written when encrypting,
 * checked when not).  1 on success. */
static int tk_gcm(int encrypt, const unsigned char *key,
                  const unsigned char *nonce, const char *aad,
                  const unsigned char *in, int len, unsigned char *out,
                  unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok, n = 0, fin = 0;

    ok = ctx
        && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt)
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                               TK_SEAL_NONCE_BYTES, NULL)
        && EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, encrypt)
        && EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad,
                            (int)strlen(aad))
        && EVP_CipherUpdate(ctx, out, &n, in, len)
        && (encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                                           TK_SEAL_TAG_BYTES, tag))
        && EVP_CipherFinal_ex(ctx, out + n, &fin)
        && (!encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                            TK_SEAL_TAG_BYTES, tag));
    EVP_CIPHER_CTX_free(ctx);
    return ok && n + fin == len;
}

const char *tk_seal(apr_pool_t *p, const tk_keyring_t *ring, const char *aad,
                    const char *plain, size_t len)
{
    const tk_key_t *k = tk_key_find(ring, tk_keyring_current(ring));
    size_t total = TK_SEAL_NONCE_BYTES + len + TK_SEAL_TAG_BYTES;
    unsigned char *buf;
    char *out;

    if (len > (size_t)1 << 30) {
        return NULL;
    }
    buf = apr_palloc(p, total);
    if (RAND_bytes(buf, TK_SEAL_NONCE_BYTES) != 1
        || !tk_gcm(1, k->key, buf, aad, (const unsigned char *)plain,
                   (int)len, buf + TK_SEAL_NONCE_BYTES,
                   buf + TK_SEAL_NONCE_BYTES + len)) {
        return NULL;
    }
    out = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)total));
    apr_base64_encode_binary(out, buf, (int)total);
    return out;
}

const char *tk_unseal(apr_pool_t *p, const tk_keyring_t *ring,
                      const char *id, const char *aad, const char *sealed,
                      size_t *len)
{
    const tk_key_t *k = tk_key_find(ring, id);
    unsigned char *buf;
    char *plain;
    int n;
    size_t clen;

    if (!k || !sealed) {
        return NULL;
    }
    buf = apr_palloc(p, (apr_size_t)apr_base64_decode_len(sealed) + 1);
    n = apr_base64_decode_binary(buf, sealed);
    if (n < TK_SEAL_NONCE_BYTES + TK_SEAL_TAG_BYTES) {
        return NULL;
    }
    clen = (size_t)n - TK_SEAL_NONCE_BYTES - TK_SEAL_TAG_BYTES;
    plain = apr_palloc(p, clen + 1);
    if (!tk_gcm(0, k->key, buf, aad, buf + TK_SEAL_NONCE_BYTES, (int)clen,
                (unsigned char *)plain, buf + TK_SEAL_NONCE_BYTES + clen)) {
        return NULL;
    }
    plain[clen] = '\0';
    *len = clen;
    return plain;
}
