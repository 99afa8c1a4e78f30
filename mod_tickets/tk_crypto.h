/* tk_crypto.h: hashing, secrets and credential parsing.
 *
 * Secrets (API tokens, session cookies) are random bytes in base64url with
 * a readable prefix; only their SHA-256 is stored.  Comparisons of secrets
 * or their digests are constant-time.  Also the parsers for the
 * Authorization and Cookie headers.
 */
#ifndef TK_CRYPTO_H
#define TK_CRYPTO_H

#include <stddef.h>
#include <apr_pools.h>

#define TK_SHA256_HEX_LEN 64

/* Lower-case hex SHA-256 of data into out (65 bytes with the NUL). */
void tk_sha256_hex(const void *data, size_t len, char out[TK_SHA256_HEX_LEN + 1]);

/* SHA-256 hex of the concatenation of the NULL-terminated strings. */
const char *tk_sha256_strs(apr_pool_t *p, ...);

/* prefix + nbytes of randomness in base64url; NULL if no randomness. */
const char *tk_random_secret(apr_pool_t *p, const char *prefix, int nbytes);

/* A random version 4 uuid string; NULL if no randomness. */
const char *tk_random_uuid(apr_pool_t *p);

/* 1 when the strings are equal; time depends only on their lengths. */
int tk_ct_streq(const char *a, const char *b);

/* Split "Basic <base64(user:pass)>".  0 on success, -1 if malformed. */
int tk_basic_parse(apr_pool_t *p, const char *header, const char **user,
                   const char **pass);

/* The token of "Bearer <token>"; NULL if not a bearer header. */
const char *tk_bearer_parse(apr_pool_t *p, const char *header);

/* The value of cookie name in a Cookie header, or NULL. */
const char *tk_cookie_get(apr_pool_t *p, const char *header, const char *name);

#endif
