/* tk_header.h: credentials as request headers carry them.
 *
 * Strict parsers for "Authorization: Basic", "Authorization: Bearer" and
 * the Cookie header: a header is taken whole or refused, never decoded in
 * part.
 */
#ifndef TK_HEADER_H
#define TK_HEADER_H

#include <apr_pools.h>

/* Split "Basic <base64(user:pass)>".  0 on success, -1 if malformed. */
int tk_basic_parse(apr_pool_t *p, const char *header, const char **user,
                   const char **pass);

/* The token of "Bearer <token>"; NULL if not a bearer header. */
const char *tk_bearer_parse(apr_pool_t *p, const char *header);

/* The value of cookie name in a Cookie header, or NULL. */
const char *tk_cookie_get(apr_pool_t *p, const char *header, const char *name);

#endif
