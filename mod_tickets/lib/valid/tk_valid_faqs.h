/* tk_valid_faqs.h: bodies and query strings of /api/faqs and of a
 * ticket's linked articles.
 *
 *   POST  {"title", "body", "category"?, "tags"?, "status"?}
 *   PATCH the same fields, each optional (category null clears it)
 *   GET   ?status=&category=&tag=&limit=&offset=
 *   POST  /api/tickets/:id/articles {"articleId"}
 *
 * Each returns 0, or -1 with *err naming the field.
 */
#ifndef TK_VALID_FAQS_H
#define TK_VALID_FAQS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "core/tk_error.h"
#include "valid/tk_valid.h"

#define TK_FAQ_TITLE_MAX    200
#define TK_FAQ_BODY_MAX     20000

typedef struct {
    tk_opt_t title, body, category, tags, status;
} tk_faq_input_t;

typedef struct {
    const char *status, *category, *tag;
    int limit, offset;
} tk_faq_filter_t;

extern const char *const tk_faq_statuses[];

/* create: title and body required, status draft unless given. */
int tk_valid_faq(apr_pool_t *p, const json_t *body, int create,
                 tk_faq_input_t *in, tk_err_t *err);
/* staff 0: the status filter is refused (customers see published only). */
int tk_faq_filter_parse(apr_pool_t *p, const apr_table_t *q, int staff,
                        int def_limit, int max_limit, tk_faq_filter_t *f,
                        tk_err_t *err);
int tk_valid_article_link(const json_t *body, const char **article_id,
                          tk_err_t *err);

#endif
