/* tk_json.h: jansson values owned by APR pools.
 *
 * A json_t handed to tk_json_own() is released (json_decref) when the pool
 * is cleared, so request code never frees JSON by hand and never leaks it
 * on an early return.  Children added with json_object_set_new() belong to
 * their owned parent.  Also: parsing request bodies with a clear error,
 * compact serialization into pool memory, and the before/after diff that
 * audit events and change notifications carry.
 */
#ifndef TK_JSON_H
#define TK_JSON_H

#include <apr_pools.h>
#include <jansson.h>
#include "core/tk_error.h"

/* Register j (a reference the caller owns) with pool p; returns j. */
json_t *tk_json_own(apr_pool_t *p, json_t *j);

/* Parse a request body that must be one JSON object.  Returns an owned
 * object, or NULL with *err set (INVALID_JSON). */
json_t *tk_json_parse_object(apr_pool_t *p, const char *buf, size_t len,
                             tk_err_t *err);

/* Parse JSON text produced by PostgreSQL; owned; NULL if malformed. */
json_t *tk_json_load(apr_pool_t *p, const char *text);

/* The string at key of object o; NULL when o is no object or the value
 * no string. */
const char *tk_json_str(const json_t *o, const char *key);

/* Compact serialization in pool memory. */
const char *tk_json_dump(apr_pool_t *p, const json_t *j);

/* Compare the named fields of two objects.  Returns a new reference to
 * {"before": {...}, "after": {...}} holding only the fields whose values
 * differ, or NULL when none does. */
json_t *tk_json_diff(const json_t *before, const json_t *after,
                     const char *const *fields);

#endif
