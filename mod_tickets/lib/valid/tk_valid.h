/* tk_valid.h: the readers that body validators are built from.
 *
 * Each reader takes a parsed JSON object and one field name, checks the
 * field's presence, type, length (in characters) and vocabulary, and
 * produces a plain C value for the SQL layer, or fills *err naming the
 * field.  Validators refuse fields they do not know first
 * (tk_only_fields), so a misspelt field is an error rather than silently
 * ignored.  The validators of each resource are in tk_valid_<resource>.h;
 * query strings are in tk_query.h.
 *
 * Every function returns 0 on success and -1 with *err set.
 */
#ifndef TK_VALID_H
#define TK_VALID_H

#include <apr_pools.h>
#include <jansson.h>
#include "core/tk_error.h"

#define TK_LABEL_MAX        100     /* names, categories, product areas */

/* An optional field of a PATCH: set when present; value NULL for JSON null. */
typedef struct {
    int set;
    const char *value;
} tk_opt_t;

/* Refuse any field of body not in allowed (NULL-terminated). */
int tk_only_fields(const json_t *body, const char *const *allowed,
                   tk_err_t *err);

/* Trimmed string of 1..max characters; *out NULL when absent (or null
 * and nullable; "" also clears a nullable optional field).  Control
 * characters other than newline and tab are refused; single-line fields
 * refuse those too. */
int tk_read_string(apr_pool_t *p, const json_t *body, const char *field,
                   int required, int nullable, int multiline,
                   size_t max, const char **out, tk_err_t *err);

/* The same into a tk_opt_t, set when the field is present (or required);
 * nullable: null (or "") clears it, else a value is required once it is
 * present. */
int tk_read_opt_string(apr_pool_t *p, const json_t *body, const char *field,
                       int required, int nullable, int multiline,
                       size_t max, tk_opt_t *out, tk_err_t *err);

/* One of the NULL-terminated list. */
int tk_read_enum(apr_pool_t *p, const json_t *body, const char *field,
                 const char *const *list, int required,
                 const char **out, tk_err_t *err);

/* A uuid or null (*out NULL). */
int tk_read_uuid(const json_t *body, const char *field,
                 const char **out, tk_err_t *err);

/* A body that is exactly {field: uuid}; missing is the message when the
 * uuid is absent or null. */
int tk_read_only_uuid(const json_t *body, const char *field,
                      const char *missing, const char **out, tk_err_t *err);

/* true or false; *out untouched when absent. */
int tk_read_bool(const json_t *body, const char *field, int *out,
                 tk_err_t *err);

/* Tags: an array of up to TK_TAGS_MAX distinct non-empty strings; *out
 * is the normalized JSON array text ("[]" for null), NULL when absent. */
#define TK_TAG_MAX          50
#define TK_TAGS_MAX         20
int tk_read_tags(apr_pool_t *p, const json_t *body, const char **out,
                 tk_err_t *err);

/* "a, b, c" of a NULL-terminated vocabulary. */
const char *tk_enum_list(apr_pool_t *p, const char *const *list);

/* The error for a value outside list. */
int tk_enum_error(apr_pool_t *p, const char *field,
                  const char *const *list, tk_err_t *err);

/* 1 when s is an ISO 8601 date (YYYY-MM-DD) or date-time with optional
 * fraction and zone (Z, or an offset from -12:00 to +14:00). */
int tk_iso8601_valid(const char *s);

#endif
