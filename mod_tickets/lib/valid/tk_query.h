/* tk_query.h: query strings.
 *
 * The query string is decoded once into a table (tk_query_parse) and each
 * endpoint then says which parameters it takes and reads them with the
 * readers below, which fill *err (INVALID_QUERY, naming the parameter)
 * and return -1 on a bad value, 0 otherwise.
 */
#ifndef TK_QUERY_H
#define TK_QUERY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/tk_error.h"

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

/* A comma list whose every item is in list; *out NULL when absent. */
int tk_query_enum_list(apr_pool_t *p, const apr_table_t *q,
                       const char *name, const char *const *list,
                       const char **out, tk_err_t *err);

/* An ISO 8601 date or date-time (tk_iso8601_valid). */
int tk_query_date(const apr_table_t *q, const char *name,
                  const char **out, tk_err_t *err);

/* A non-empty value of at most max characters. */
int tk_query_label(const apr_table_t *q, const char *name, size_t max,
                   const char **out, tk_err_t *err);

/* A uuid; *out NULL when absent.  what names it in the message ("a
 * customer id"). */
int tk_query_uuid(const apr_table_t *q, const char *name, const char *what,
                  const char **out, tk_err_t *err);

/* One of list (NULL-terminated); *out def when absent. */
int tk_query_enum(apr_pool_t *p, const apr_table_t *q, const char *name,
                  const char *const *list, const char *def,
                  const char **out, tk_err_t *err);

/* A search: ?query= (required, at most 500 characters) with limit and
 * offset and nothing else; "Query parameter is required" without it. */
int tk_query_search(const apr_table_t *q, int def_limit, int max_limit,
                    const char **query, int *limit, int *offset,
                    tk_err_t *err);

#endif
