/* tk_query.c: query strings (see tk_query.h). */
#include <string.h>
#include <apr_strings.h>
#include "valid/tk_query.h"
#include "valid/tk_valid.h"
#include "core/tk_status.h"
#include "core/tk_id.h"
#include "core/tk_utf8.h"

static int tk_hexdigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode [s, s+len) of a query component; NULL on a bad escape or NUL. */
static char *tk_form_decode(apr_pool_t *p, const char *s, size_t len)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    size_t i;

    for (i = 0; i < len; ++i) {
        if (s[i] == '+') {
            *o++ = ' ';
        }
        else if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= len) {
                return NULL;
            }
            hi = tk_hexdigit(s[i + 1]);
            lo = tk_hexdigit(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi | lo) == 0) {
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        }
        else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

apr_table_t *tk_query_parse(apr_pool_t *p, const char *args, tk_err_t *err)
{
    apr_table_t *t = apr_table_make(p, 8);
    const char *s = args;

    while (s && *s) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        char *name, *value;

        if (len) {
            name = tk_form_decode(p, s, eq ? (size_t)(eq - s) : len);
            value = eq ? tk_form_decode(p, eq + 1, len - (size_t)(eq - s) - 1)
                       : apr_pstrdup(p, "");
            if (!name || !value) {
                tk_err(err, TK_E_INVALID_QUERY, NULL,
                       "The query string has a malformed percent escape.");
                return NULL;
            }
            if (!tk_utf8_valid(name) || !tk_utf8_valid(value)) {
                tk_err(err, TK_E_INVALID_QUERY, NULL,
                       "The query string is not valid UTF-8.");
                return NULL;
            }
            if (!*name) {
                tk_err(err, TK_E_INVALID_QUERY, NULL,
                       "The query string has a parameter without a name.");
                return NULL;
            }
            if (apr_table_get(t, name)) {
                tk_err(err, TK_E_INVALID_QUERY, name,
                       "This query parameter is given more than once.");
                return NULL;
            }
            apr_table_setn(t, name, value);
        }
        s = amp ? amp + 1 : NULL;
    }
    return t;
}

typedef struct {
    const char *const *allowed;
    const char *bad;
} tk_only_ctx_t;

static int tk_only_cb(void *data, const char *key, const char *value)
{
    tk_only_ctx_t *ctx = data;

    (void)value;
    if (!tk_enum_valid(ctx->allowed, key)) {
        ctx->bad = key;
        return 0;
    }
    return 1;
}

int tk_query_only(const apr_table_t *q, const char *const *allowed,
                  tk_err_t *err)
{
    tk_only_ctx_t ctx = { allowed, NULL };

    apr_table_do(tk_only_cb, &ctx, q, NULL);
    if (ctx.bad) {
        return tk_err(err, TK_E_INVALID_QUERY, ctx.bad,
                      "This query parameter is not known here.");
    }
    return 0;
}

int tk_query_page(const apr_table_t *q, int def_limit, int max_limit,
                  int *limit, int *offset, tk_err_t *err)
{
    const char *l = apr_table_get(q, "limit");
    const char *o = apr_table_get(q, "offset");

    *limit = def_limit;
    *offset = 0;
    if (l) {
        if (tk_parse_uint(l, 2147483647, limit) != 0 || *limit == 0) {
            return tk_err(err, TK_E_INVALID_QUERY, "limit",
                          "The limit must be a positive whole number.");
        }
        if (*limit > max_limit) {
            *limit = max_limit;
        }
    }
    if (o && tk_parse_uint(o, 2147483647, offset) != 0) {
        return tk_err(err, TK_E_INVALID_QUERY, "offset",
                      "The offset must be a whole number of zero or more.");
    }
    return 0;
}

/* A comma list whose every item is in list; NULL (absent) stays NULL. */
int tk_query_enum_list(apr_pool_t *p, const apr_table_t *q,
                       const char *name, const char *const *list,
                       const char **out, tk_err_t *err)
{
    const char *v = apr_table_get(q, name);
    char *copy, *item, *state;

    *out = NULL;
    if (!v) {
        return 0;
    }
    copy = apr_pstrdup(p, v);
    for (item = apr_strtok(copy, ",", &state); item;
         item = apr_strtok(NULL, ",", &state)) {
        if (!tk_enum_valid(list, item)) {
            return tk_err(err, TK_E_INVALID_QUERY, name,
                          apr_psprintf(p, "Unknown value \"%s\"; use one or more "
                                       "of: %s, separated by commas.",
                                       item, tk_enum_list(p, list)));
        }
    }
    if (!*v || *v == ',' || v[strlen(v) - 1] == ',' || strstr(v, ",,")) {
        return tk_err(err, TK_E_INVALID_QUERY, name,
                      "This query parameter must not be empty or have empty items.");
    }
    *out = v;
    return 0;
}

int tk_query_date(const apr_table_t *q, const char *name,
                  const char **out, tk_err_t *err)
{
    *out = apr_table_get(q, name);
    if (*out && !tk_iso8601_valid(*out)) {
        return tk_err(err, TK_E_INVALID_QUERY, name,
                      "This must be an ISO 8601 date or date-time.");
    }
    return 0;
}

int tk_query_label(const apr_table_t *q, const char *name, size_t max,
                   const char **out, tk_err_t *err)
{
    *out = apr_table_get(q, name);
    if (*out && (!**out || tk_utf8_len(*out) > max)) {
        return tk_err(err, TK_E_INVALID_QUERY, name,
                      "This query parameter is empty or too long.");
    }
    return 0;
}

int tk_query_uuid(const apr_table_t *q, const char *name, const char *what,
                  const char **out, tk_err_t *err)
{
    const char *v = apr_table_get(q, name);

    *out = NULL;
    if (v && !tk_uuid_valid(v)) {
        return tk_err(err, TK_E_INVALID_QUERY, name,
                      apr_pstrcat(apr_table_elts(q)->pool, "This must be ",
                                  what, ".", NULL));
    }
    *out = v;
    return 0;
}

int tk_query_enum(apr_pool_t *p, const apr_table_t *q, const char *name,
                  const char *const *list, const char *def,
                  const char **out, tk_err_t *err)
{
    const char *v = apr_table_get(q, name);

    *out = def;
    if (!v) {
        return 0;
    }
    if (!tk_enum_valid(list, v)) {
        return tk_err(err, TK_E_INVALID_QUERY, name,
                      apr_psprintf(p, "This must be one of: %s.",
                                   tk_enum_list(p, list)));
    }
    *out = v;
    return 0;
}

int tk_query_search(const apr_table_t *q, int def_limit, int max_limit,
                    const char **query, int *limit, int *offset,
                    tk_err_t *err)
{
    static const char *const params[] = { "query", "limit", "offset", NULL };

    if (tk_query_only(q, params, err)) {
        return -1;
    }
    *query = apr_table_get(q, "query");
    if (!*query || !**query) {
        return tk_err(err, TK_E_INVALID_QUERY, "query",
                      "Query parameter is required");
    }
    if (tk_utf8_len(*query) > 500) {
        return tk_err(err, TK_E_INVALID_QUERY, "query",
                      "The query must be at most 500 characters.");
    }
    return tk_query_page(q, def_limit, max_limit, limit, offset, err);
}
