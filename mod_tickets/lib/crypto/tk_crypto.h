/* tk_crypto.h: hashing, secrets and constant-time comparison.
 *
 * Secrets (API tokens, session cookies) are random bytes in base64url with
 * a readable prefix; only their SHA-256 is stored.  Comparisons of secrets
 * or their digests are constant-time.
 */
#ifndef TK_CRYPTO_H
#define TK_CRYPTO_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_file_info.h>

#define TK_SHA256_HEX_LEN 64

/* Lower-case hex SHA-256 of data into out (65 bytes with the NUL). */
void tk_sha256_hex(const void *data, size_t len, char out[TK_SHA256_HEX_LEN + 1]);

/* SHA-256 of a stream: begin (the context is freed with p), update as
 * the bytes come, end into lower-case hex.  NULL when no context can be
 * had. */
typedef struct tk_sha256_t tk_sha256_t;
tk_sha256_t *tk_sha256_begin(apr_pool_t *p);
void tk_sha256_update(tk_sha256_t *h, const void *data, size_t len);
void tk_sha256_end(tk_sha256_t *h, char out[TK_SHA256_HEX_LEN + 1]);

/* Decode exactly n bytes of hex (either case) from s into out, which must
 * then end: 0, or -1 for anything else. */
int tk_hex_decode(const char *s, unsigned char *out, size_t n);

/* SHA-256 hex of the concatenation of the NULL-terminated strings. */
const char *tk_sha256_strs(apr_pool_t *p, ...);

/* Whether a file holding secrets (a key file) is its owner's alone:
 * neither its group nor others may read or write it. */
int tk_secret_file_private(apr_fileperms_t protection);

/* prefix + nbytes of randomness in base64url; NULL if no randomness. */
const char *tk_random_secret(apr_pool_t *p, const char *prefix, int nbytes);

/* A random version 4 uuid string; NULL if no randomness. */
const char *tk_random_uuid(apr_pool_t *p);

/* 1 when the strings are equal; time depends only on their lengths. */
int tk_ct_streq(const char *a, const char *b);

/* A secret as it is handed out once and stored ever after. */
#define TK_SECRET_BYTES 32
typedef struct {
    const char *secret;                 /* prefix + 32 random bytes */
    char hash[TK_SHA256_HEX_LEN + 1];   /* its SHA-256: what is stored */
} tk_secret_t;

/* A bcrypt hash of password ("$2y$", cost 10) from p, as
 * apr_password_validate checks it; NULL when there is no randomness. */
const char *tk_password_hash(apr_pool_t *p, const char *password);

/* Mint a secret with prefix and hash it; -1 when there is no randomness. */
int tk_secret_mint(apr_pool_t *p, const char *prefix, tk_secret_t *out);

#endif
