/* tk_valid_customers.h: bodies and query strings of /api/customers.
 *
 *   POST  {"name", "email"?, "phone"?, "avatarUrl"?, "notes"?, "tags"?,
 *          "userId"?}
 *   PATCH the same fields, each optional (null clears all but name)
 *   POST  /:id/merge {"from": id}
 *   GET   ?q=&tag=&platform=&channelId=&createdFrom=&createdTo=&sort=
 *          &limit=&offset=
 *
 * Each returns 0, or -1 with *err naming the field.
 */
#ifndef TK_VALID_CUSTOMERS_H
#define TK_VALID_CUSTOMERS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "core/tk_error.h"
#include "valid/tk_valid.h"

#define TK_CUSTOMER_NAME_MAX    200
#define TK_PHONE_MAX            32
#define TK_URL_MAX              2000
#define TK_NOTES_MAX            10000

typedef struct {
    tk_opt_t name, email, phone, avatar_url, notes, tags, user_id;
} tk_customer_input_t;

typedef struct {
    const char *q, *tag, *platform, *channel_id;
    const char *created_from, *created_to, *sort;
    int limit, offset;
} tk_customer_filter_t;

/* create: name required; the others set when given. */
int tk_valid_customer(apr_pool_t *p, const json_t *body, int create,
                      tk_customer_input_t *in, tk_err_t *err);
int tk_valid_customer_merge(const json_t *body, const char **from,
                            tk_err_t *err);
int tk_customer_filter_parse(apr_pool_t *p, const apr_table_t *q,
                             int def_limit, int max_limit,
                             tk_customer_filter_t *f, tk_err_t *err);

/* 1 when s is an absolute http or https URL without spaces or control
 * characters. */
int tk_http_url_valid(const char *s);

#endif
