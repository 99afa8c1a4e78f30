/* tk_valid.h: validation of request bodies and query strings.
 *
 * Each validator takes parsed input, checks every field's presence, type,
 * length (in characters) and vocabulary, and produces plain C values for
 * the SQL layer.  The first problem found is reported with the field it
 * concerns; unknown fields are refused, so a misspelt field is an error
 * rather than silently ignored.
 */
#ifndef TK_VALID_H
#define TK_VALID_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "tk_error.h"

#define TK_TITLE_MAX        200
#define TK_DESCRIPTION_MAX  20000
#define TK_LABEL_MAX        100     /* category, productArea */
#define TK_TAG_MAX          50
#define TK_TAGS_MAX         20
#define TK_MESSAGE_MAX      20000

/* An optional field of a PATCH: set when present; value NULL for JSON null. */
typedef struct {
    int set;
    const char *value;
} tk_opt_t;

typedef struct {
    const char *title;
    const char *description;
    const char *priority;       /* default "medium" */
    const char *category;       /* NULL when absent */
    const char *product_area;
    const char *source;         /* NULL: caller picks the default */
    const char *tags_json;      /* JSON array text, "[]" when absent */
    const char *assignee_id;
    const char *customer_id;
} tk_ticket_input_t;

typedef struct {
    tk_opt_t title, description, priority, category, product_area, tags,
             assignee_id;
} tk_ticket_patch_t;

int tk_valid_ticket_create(apr_pool_t *p, const json_t *body,
                           tk_ticket_input_t *in, tk_err_t *err);
int tk_valid_ticket_patch(apr_pool_t *p, const json_t *body,
                          tk_ticket_patch_t *in, tk_err_t *err);
int tk_valid_status(const json_t *body, const char **status, tk_err_t *err);
int tk_valid_message(const json_t *body, const char **text, int *internal,
                     tk_err_t *err);
int tk_valid_login(const json_t *body, const char **email,
                   const char **password, tk_err_t *err);
int tk_valid_token_create(const json_t *body, const char **name,
                          const char **user_id, int *days, tk_err_t *err);

/* Number of UTF-8 characters in s. */
size_t tk_utf8_len(const char *s);

/* 1 when s is well-formed UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF); PostgreSQL refuses anything else. */
int tk_utf8_valid(const char *s);

/* 1 when s is an ISO 8601 date (YYYY-MM-DD) or date-time with optional
 * fraction and zone (Z or +hh:mm). */
int tk_iso8601_valid(const char *s);

/* ---- query strings -------------------------------------------------- */

/* Decode application/x-www-form-urlencoded args into a table.  A bad %
 * escape, a name or value that is not UTF-8, an empty name or a repeated
 * name is INVALID_QUERY. */
apr_table_t *tk_query_parse(apr_pool_t *p, const char *args, tk_err_t *err);

/* Refuse any parameter not in allowed (NULL-terminated). */
int tk_query_only(const apr_table_t *q, const char *const *allowed,
                  tk_err_t *err);

/* limit/offset: digits only; limit above max is lowered to max. */
int tk_query_page(const apr_table_t *q, int def_limit, int max_limit,
                  int *limit, int *offset, tk_err_t *err);

typedef struct {
    const char *statuses;       /* comma lists, checked against vocabularies */
    const char *priorities;
    const char *sources;
    const char *product_area;
    const char *category;
    const char *assignee_id;
    int unassigned;             /* assigneeId=none */
    const char *customer_id;
    const char *tag;
    const char *created_from;
    const char *created_to;
    const char *q;
    const char *sort;
    int limit;
    int offset;
} tk_ticket_filter_t;

int tk_ticket_filter_parse(apr_pool_t *p, const apr_table_t *q,
                           int def_limit, int max_limit,
                           tk_ticket_filter_t *f, tk_err_t *err);

#endif
