/* tk_json.c: pool ownership of jansson values, parsing and diffs.
 *
 * jansson counts references; APR frees by pool.  tk_json_own() joins the
 * two: the pool's cleanup drops the one reference the caller handed over.
 * json_string() and friends return NULL for invalid UTF-8; values that
 * come from clients are always checked by jansson's parser first.
 */
#include <string.h>
#include <apr_strings.h>
#include "core/tk_json.h"

static apr_status_t tk_json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *tk_json_own(apr_pool_t *p, json_t *j)
{
    if (j) {
        apr_pool_cleanup_register(p, j, tk_json_cleanup,
                                  apr_pool_cleanup_null);
    }
    return j;
}

json_t *tk_json_parse_object(apr_pool_t *p, const char *buf, size_t len,
                             tk_err_t *err)
{
    json_error_t jerr;
    json_t *j;

    if (len == 0) {
        tk_err(err, TK_E_INVALID_JSON, NULL, "The request body is empty.");
        return NULL;
    }
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        tk_err(err, TK_E_INVALID_JSON, NULL,
               apr_psprintf(p, "The request body is not valid JSON "
                            "(line %d, column %d: %s).",
                            jerr.line, jerr.column, jerr.text));
        return NULL;
    }
    tk_json_own(p, j);
    if (!json_is_object(j)) {
        tk_err(err, TK_E_INVALID_JSON, NULL,
               "The request body must be a JSON object.");
        return NULL;
    }
    return j;
}

json_t *tk_json_load(apr_pool_t *p, const char *text)
{
    json_error_t jerr;

    if (!text) {
        return NULL;
    }
    return tk_json_own(p, json_loads(text, JSON_DECODE_ANY, &jerr));
}

const char *tk_json_dump(apr_pool_t *p, const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
    const char *copy;

    if (!s) {
        return NULL;
    }
    copy = apr_pstrdup(p, s);
    free(s);
    return copy;
}

json_t *tk_json_diff(const json_t *before, const json_t *after,
                     const char *const *fields)
{
    json_t *b = json_object(), *a = json_object();
    const char *const *f;

    for (f = fields; *f; ++f) {
        json_t *bv = json_object_get(before, *f);
        json_t *av = json_object_get(after, *f);

        if (!bv) {
            bv = json_null();
        }
        if (!av) {
            av = json_null();
        }
        if (!json_equal(bv, av)) {
            json_object_set(b, *f, bv);
            json_object_set(a, *f, av);
        }
    }
    if (json_object_size(a) == 0) {
        json_decref(a);
        json_decref(b);
        return NULL;
    }
    return json_pack("{s:o,s:o}", "before", b, "after", a);
}

const char *tk_json_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}
