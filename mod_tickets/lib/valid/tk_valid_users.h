/* tk_valid_users.h: bodies and query strings of /api/users.
 *
 *   POST  {"email", "name", "role", "password"?}   (no password: the
 *         account signs in through another AuthType, or once an admin
 *         sets one)
 *   PATCH {"name"?, "role"?, "disabled"?, "password"?}
 *   GET   ?role=&q=&limit=&offset=
 *
 * Each returns 0, or -1 with *err naming the field.
 */
#ifndef TK_VALID_USERS_H
#define TK_VALID_USERS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "core/tk_error.h"
#include "valid/tk_valid.h"

#define TK_EMAIL_MAX        254
#define TK_PASSWORD_MIN     8
#define TK_PASSWORD_MAX     1024

typedef struct {
    const char *email;
    const char *name;
    const char *role;
    const char *password;       /* NULL: none */
} tk_user_input_t;

typedef struct {
    tk_opt_t name, role, password;
    int disabled;               /* -1: unchanged, 0 or 1 */
} tk_user_patch_t;

typedef struct {
    const char *role;
    const char *q;
    int limit, offset;
} tk_user_filter_t;

int tk_valid_user_create(apr_pool_t *p, const json_t *body,
                         tk_user_input_t *in, tk_err_t *err);
int tk_valid_user_patch(apr_pool_t *p, const json_t *body,
                        tk_user_patch_t *in, tk_err_t *err);
int tk_user_filter_parse(apr_pool_t *p, const apr_table_t *q, int def_limit,
                         int max_limit, tk_user_filter_t *f, tk_err_t *err);

/* 1 when s looks like an email address: one '@' with text on both sides,
 * a dot in the domain, no spaces or control characters. */
int tk_email_valid(const char *s);

#endif
