/* tk_valid_auth.h: bodies of POST /api/auth/login and POST /api/tokens.
 * Each returns 0, or -1 with *err naming the field. */
#ifndef TK_VALID_AUTH_H
#define TK_VALID_AUTH_H

#include <jansson.h>
#include "core/tk_error.h"

int tk_valid_login(const json_t *body, const char **email,
                   const char **password, tk_err_t *err);
int tk_valid_token_create(const json_t *body, const char **name,
                          const char **user_id, int *days, tk_err_t *err);

#endif
