/* tk_valid.c: checks of request bodies and query strings (see tk_valid.h).
 *
 * Built from a few field readers (string, enum, uuid, tags) that each know
 * how to say what is wrong with one field.  Every validator first refuses
 * fields it does not know.
 */
#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "tk_valid.h"
#include "tk_status.h"
#include "tk_id.h"

/* ---------------------------------------------------------------------
 * Field readers
 * ------------------------------------------------------------------- */

size_t tk_utf8_len(const char *s)
{
    size_t n = 0;

    for (; *s; ++s) {
        if (((unsigned char)*s & 0xC0) != 0x80) {
            ++n;
        }
    }
    return n;
}

int tk_utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        unsigned int cp;
        int n, i;

        if (u[0] < 0x80) {
            ++u;
            continue;
        }
        if ((u[0] & 0xE0) == 0xC0) { n = 1; cp = u[0] & 0x1F; }
        else if ((u[0] & 0xF0) == 0xE0) { n = 2; cp = u[0] & 0x0F; }
        else if ((u[0] & 0xF8) == 0xF0) { n = 3; cp = u[0] & 0x07; }
        else {
            return 0;
        }
        for (i = 1; i <= n; ++i) {
            if ((u[i] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (u[i] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800)
            || (n == 3 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        u += n + 1;
    }
    return 1;
}

static int tk_only_fields(const json_t *body, const char *const *allowed,
                          tk_err_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)body, key, v) {
        if (!tk_enum_valid(allowed, key)) {
            return tk_err(err, TK_E_VALIDATION, key,
                          "This field is not accepted here.");
        }
    }
    return 0;
}

/* Trimmed string of min..max characters; *out NULL when absent (or null
 * and nullable).  Control characters other than newline and tab are
 * refused; single-line fields refuse those too. */
static int tk_read_string(apr_pool_t *p, const json_t *body, const char *field,
                          int required, int nullable, int multiline,
                          size_t max, const char **out, tk_err_t *err)
{
    json_t *v = json_object_get(body, field);
    const char *s, *e, *c;
    size_t len;

    *out = NULL;
    if (!v || (json_is_null(v) && nullable)) {
        if (required) {
            return tk_err(err, TK_E_VALIDATION, field, "This field is required.");
        }
        return 0;
    }
    if (!json_is_string(v)) {
        return tk_err(err, TK_E_VALIDATION, field, "This field must be a string.");
    }
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        return tk_err(err, TK_E_VALIDATION, field,
                      "This field must not contain NUL characters.");
    }
    while (apr_isspace(*s)) {
        ++s;
    }
    e = s + strlen(s);
    while (e > s && apr_isspace(e[-1])) {
        --e;
    }
    for (c = s; c < e; ++c) {
        unsigned char ch = (unsigned char)*c;
        if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\t' || ch == '\r')))
            || ch == 0x7f) {
            return tk_err(err, TK_E_VALIDATION, field,
                          "This field contains control characters.");
        }
    }
    s = apr_pstrmemdup(p, s, (apr_size_t)(e - s));
    len = tk_utf8_len(s);
    if (len == 0) {
        if (nullable && !required) {
            return 0;          /* "" clears an optional label */
        }
        return tk_err(err, TK_E_VALIDATION, field, "This field must not be empty.");
    }
    if (len > max) {
        return tk_err(err, TK_E_VALIDATION, field,
                      apr_psprintf(p, "This field must be at most %lu characters.",
                                   (unsigned long)max));
    }
    *out = s;
    return 0;
}

/* "a, b, c" of a NULL-terminated vocabulary. */
static const char *tk_enum_list(apr_pool_t *p, const char *const *list)
{
    const char *s = *list;

    while (*++list) {
        s = apr_pstrcat(p, s, ", ", *list, NULL);
    }
    return s;
}

static int tk_enum_error(apr_pool_t *p, const char *field,
                         const char *const *list, tk_err_t *err)
{
    return tk_err(err, TK_E_VALIDATION, field,
                  apr_psprintf(p, "This field must be one of: %s.",
                               tk_enum_list(p, list)));
}

static int tk_read_enum(apr_pool_t *p, const json_t *body, const char *field,
                        const char *const *list, int required,
                        const char **out, tk_err_t *err)
{
    json_t *v = json_object_get(body, field);

    *out = NULL;
    if (!v) {
        return required ? tk_err(err, TK_E_VALIDATION, field,
                                 "This field is required.") : 0;
    }
    if (!json_is_string(v) || !tk_enum_valid(list, json_string_value(v))) {
        return tk_enum_error(p, field, list, err);
    }
    *out = json_string_value(v);
    return 0;
}

static int tk_read_uuid(const json_t *body, const char *field,
                        const char **out, tk_err_t *err)
{
    json_t *v = json_object_get(body, field);

    *out = NULL;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v) || !tk_uuid_valid(json_string_value(v))) {
        return tk_err(err, TK_E_VALIDATION, field,
                      "This field must be a uuid or null.");
    }
    *out = json_string_value(v);
    return 0;
}

/* Tags: an array of up to TK_TAGS_MAX distinct non-empty strings; out is
 * the normalized JSON array text. */
static int tk_read_tags(apr_pool_t *p, const json_t *body, const char **out,
                        tk_err_t *err)
{
    json_t *v = json_object_get(body, "tags"), *norm, *t;
    size_t i, j;
    char *text;

    *out = NULL;
    if (!v) {
        return 0;
    }
    if (json_is_null(v)) {
        *out = "[]";
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > TK_TAGS_MAX) {
        return tk_err(err, TK_E_VALIDATION, "tags",
                      apr_psprintf(p, "This field must be an array of at most "
                                   "%d strings.", TK_TAGS_MAX));
    }
    norm = json_array();
    json_array_foreach(v, i, t) {
        const char *s = json_is_string(t) ? json_string_value(t) : NULL;
        size_t len = s ? tk_utf8_len(s) : 0;
        int dup = 0;

        if (!s || len == 0 || len > TK_TAG_MAX
            || strlen(s) != json_string_length(t)
            || strpbrk(s, ",{}\"\\") || apr_isspace(*s)) {
            json_decref(norm);
            return tk_err(err, TK_E_VALIDATION, "tags",
                          apr_psprintf(p, "Each tag must be a string of 1 to %d "
                                       "characters without commas, braces, "
                                       "quotes or leading spaces.", TK_TAG_MAX));
        }
        for (j = 0; j < json_array_size(norm); ++j) {
            if (strcmp(json_string_value(json_array_get(norm, j)), s) == 0) {
                dup = 1;
            }
        }
        if (!dup) {
            json_array_append(norm, t);
        }
    }
    text = json_dumps(norm, JSON_COMPACT);
    *out = apr_pstrdup(p, text ? text : "[]");
    free(text);
    json_decref(norm);
    return 0;
}

/* ---------------------------------------------------------------------
 * Bodies
 * ------------------------------------------------------------------- */

static const char *const tk_create_fields[] = {
    "title", "description", "priority", "category", "productArea", "source",
    "tags", "assigneeId", "customerId", NULL
};

int tk_valid_ticket_create(apr_pool_t *p, const json_t *body,
                           tk_ticket_input_t *in, tk_err_t *err)
{
    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, tk_create_fields, err)
        || tk_read_string(p, body, "title", 1, 0, 0, TK_TITLE_MAX, &in->title, err)
        || tk_read_string(p, body, "description", 1, 0, 1, TK_DESCRIPTION_MAX,
                          &in->description, err)
        || tk_read_enum(p, body, "priority", tk_priorities, 0, &in->priority, err)
        || tk_read_string(p, body, "category", 0, 1, 0, TK_LABEL_MAX,
                          &in->category, err)
        || tk_read_string(p, body, "productArea", 0, 1, 0, TK_LABEL_MAX,
                          &in->product_area, err)
        || tk_read_enum(p, body, "source", tk_sources, 0, &in->source, err)
        || tk_read_tags(p, body, &in->tags_json, err)
        || tk_read_uuid(body, "assigneeId", &in->assignee_id, err)
        || tk_read_uuid(body, "customerId", &in->customer_id, err)) {
        return -1;
    }
    if (!in->priority) {
        in->priority = "medium";
    }
    if (!in->tags_json) {
        in->tags_json = "[]";
    }
    return 0;
}

static const char *const tk_patch_fields[] = {
    "title", "description", "priority", "category", "productArea", "tags",
    "assigneeId", NULL
};

int tk_valid_ticket_patch(apr_pool_t *p, const json_t *body,
                          tk_ticket_patch_t *in, tk_err_t *err)
{
    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, tk_patch_fields, err)) {
        return -1;
    }
    if (json_object_size(body) == 0) {
        return tk_err(err, TK_E_VALIDATION, NULL,
                      "Give at least one field to change.");
    }
    in->title.set = json_object_get(body, "title") != NULL;
    in->description.set = json_object_get(body, "description") != NULL;
    in->priority.set = json_object_get(body, "priority") != NULL;
    in->category.set = json_object_get(body, "category") != NULL;
    in->product_area.set = json_object_get(body, "productArea") != NULL;
    in->tags.set = json_object_get(body, "tags") != NULL;
    in->assignee_id.set = json_object_get(body, "assigneeId") != NULL;
    if ((in->title.set && tk_read_string(p, body, "title", 1, 0, 0,
                                         TK_TITLE_MAX, &in->title.value, err))
        || (in->description.set
            && tk_read_string(p, body, "description", 1, 0, 1,
                              TK_DESCRIPTION_MAX, &in->description.value, err))
        || (in->priority.set && tk_read_enum(p, body, "priority", tk_priorities,
                                             1, &in->priority.value, err))
        || tk_read_string(p, body, "category", 0, 1, 0, TK_LABEL_MAX,
                          &in->category.value, err)
        || tk_read_string(p, body, "productArea", 0, 1, 0, TK_LABEL_MAX,
                          &in->product_area.value, err)
        || tk_read_tags(p, body, &in->tags.value, err)
        || tk_read_uuid(body, "assigneeId", &in->assignee_id.value, err)) {
        return -1;
    }
    return 0;
}

int tk_valid_status(const json_t *body, const char **status, tk_err_t *err)
{
    static const char *const fields[] = { "status", NULL };
    json_t *v;

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    v = json_object_get(body, "status");
    if (!v) {
        return tk_err(err, TK_E_VALIDATION, "status", "This field is required.");
    }
    if (!json_is_string(v) || !tk_enum_valid(tk_statuses, json_string_value(v))) {
        return tk_err(err, TK_E_VALIDATION, "status",
                      "This field must be one of: open, in_progress, waiting, "
                      "resolved, closed.");
    }
    *status = json_string_value(v);
    return 0;
}

int tk_valid_message(const json_t *body, const char **text, int *internal,
                     tk_err_t *err)
{
    static const char *const fields[] = { "body", "internal", NULL };
    json_t *v;
    const char *s;
    size_t len;

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    v = json_object_get(body, "body");
    if (!v) {
        return tk_err(err, TK_E_VALIDATION, "body", "This field is required.");
    }
    if (!json_is_string(v)) {
        return tk_err(err, TK_E_VALIDATION, "body", "This field must be a string.");
    }
    s = json_string_value(v);
    len = tk_utf8_len(s);
    if (strlen(s) != json_string_length(v)) {
        return tk_err(err, TK_E_VALIDATION, "body",
                      "This field must not contain NUL characters.");
    }
    if (strspn(s, " \t\r\n") == strlen(s)) {
        return tk_err(err, TK_E_VALIDATION, "body", "This field must not be empty.");
    }
    if (len > TK_MESSAGE_MAX) {
        return tk_err(err, TK_E_VALIDATION, "body",
                      "This field must be at most 20000 characters.");
    }
    *text = s;
    v = json_object_get(body, "internal");
    *internal = 0;
    if (v) {
        if (!json_is_boolean(v)) {
            return tk_err(err, TK_E_VALIDATION, "internal",
                          "This field must be true or false.");
        }
        *internal = json_is_true(v);
    }
    return 0;
}

int tk_valid_login(const json_t *body, const char **email,
                   const char **password, tk_err_t *err)
{
    static const char *const fields[] = { "email", "password", NULL };
    json_t *e, *pw;

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    e = json_object_get(body, "email");
    pw = json_object_get(body, "password");
    if (!e || !json_is_string(e) || json_string_length(e) == 0
        || json_string_length(e) > 254) {
        return tk_err(err, TK_E_VALIDATION, "email",
                      "An email address is required.");
    }
    if (!pw || !json_is_string(pw) || json_string_length(pw) == 0
        || json_string_length(pw) > 1024) {
        return tk_err(err, TK_E_VALIDATION, "password", "A password is required.");
    }
    *email = json_string_value(e);
    *password = json_string_value(pw);
    return 0;
}

int tk_valid_token_create(const json_t *body, const char **name,
                          const char **user_id, int *days, tk_err_t *err)
{
    static const char *const fields[] = { "name", "userId", "expiresInDays", NULL };
    json_t *v;

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    v = json_object_get(body, "name");
    if (!v || !json_is_string(v) || json_string_length(v) == 0
        || tk_utf8_len(json_string_value(v)) > TK_LABEL_MAX) {
        return tk_err(err, TK_E_VALIDATION, "name",
                      "A name of 1 to 100 characters is required.");
    }
    *name = json_string_value(v);
    if (tk_read_uuid(body, "userId", user_id, err)) {
        return -1;
    }
    v = json_object_get(body, "expiresInDays");
    *days = 0;
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1
            || json_integer_value(v) > 3650) {
            return tk_err(err, TK_E_VALIDATION, "expiresInDays",
                          "This field must be a whole number of days from 1 to 3650.");
        }
        *days = (int)json_integer_value(v);
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Dates
 * ------------------------------------------------------------------- */

static int tk_digits(const char *s, int n)
{
    int i;

    for (i = 0; i < n; ++i) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
    }
    return 1;
}

static int tk_days_in_month(int year, int month)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return days[month - 1] + (month == 2 && leap);
}

int tk_iso8601_valid(const char *s)
{
    int year, month, day, hour, minute, second;

    if (!s || !tk_digits(s, 4) || s[4] != '-' || !tk_digits(s + 5, 2)
        || s[7] != '-' || !tk_digits(s + 8, 2)) {
        return 0;
    }
    year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
           + (s[3] - '0');
    month = (s[5] - '0') * 10 + (s[6] - '0');
    day = (s[8] - '0') * 10 + (s[9] - '0');
    if (year < 1 || month < 1 || month > 12 || day < 1
        || day > tk_days_in_month(year, month)) {
        return 0;
    }
    s += 10;
    if (!*s) {
        return 1;
    }
    if ((*s != 'T' && *s != ' ') || !tk_digits(s + 1, 2) || s[3] != ':'
        || !tk_digits(s + 4, 2) || s[6] != ':' || !tk_digits(s + 7, 2)) {
        return 0;
    }
    hour = (s[1] - '0') * 10 + (s[2] - '0');
    minute = (s[4] - '0') * 10 + (s[5] - '0');
    second = (s[7] - '0') * 10 + (s[8] - '0');
    if (hour > 23 || minute > 59 || second > 60) {
        return 0;
    }
    s += 9;
    if (*s == '.') {
        int n = 0;
        for (++s; apr_isdigit(*s); ++s) {
            ++n;
        }
        if (n == 0 || n > 9) {
            return 0;
        }
    }
    if (*s == 'Z') {
        return s[1] == '\0';
    }
    if (*s == '+' || *s == '-') {
        return tk_digits(s + 1, 2) && s[3] == ':' && tk_digits(s + 4, 2)
               && s[6] == '\0';
    }
    return *s == '\0';
}

/* ---------------------------------------------------------------------
 * Query strings
 * ------------------------------------------------------------------- */

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
static int tk_query_enum_list(apr_pool_t *p, const apr_table_t *q,
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

static const char *const tk_filter_params[] = {
    "status", "priority", "productArea", "category", "assigneeId",
    "customerId", "source", "tag", "createdFrom", "createdTo", "q", "sort",
    "limit", "offset", NULL
};

static const char *const tk_sorts[] = {
    "createdAt", "-createdAt", "updatedAt", "-updatedAt", "number", "-number",
    "priority", "-priority", NULL
};

static int tk_query_date(const apr_table_t *q, const char *name,
                         const char **out, tk_err_t *err)
{
    *out = apr_table_get(q, name);
    if (*out && !tk_iso8601_valid(*out)) {
        return tk_err(err, TK_E_INVALID_QUERY, name,
                      "This must be an ISO 8601 date or date-time.");
    }
    return 0;
}

static int tk_query_label(const apr_table_t *q, const char *name, size_t max,
                          const char **out, tk_err_t *err)
{
    *out = apr_table_get(q, name);
    if (*out && (!**out || tk_utf8_len(*out) > max)) {
        return tk_err(err, TK_E_INVALID_QUERY, name,
                      "This query parameter is empty or too long.");
    }
    return 0;
}

int tk_ticket_filter_parse(apr_pool_t *p, const apr_table_t *q,
                           int def_limit, int max_limit,
                           tk_ticket_filter_t *f, tk_err_t *err)
{
    const char *v;

    memset(f, 0, sizeof(*f));
    if (tk_query_only(q, tk_filter_params, err)
        || tk_query_enum_list(p, q, "status", tk_statuses, &f->statuses, err)
        || tk_query_enum_list(p, q, "priority", tk_priorities, &f->priorities, err)
        || tk_query_enum_list(p, q, "source", tk_sources, &f->sources, err)
        || tk_query_label(q, "productArea", TK_LABEL_MAX, &f->product_area, err)
        || tk_query_label(q, "category", TK_LABEL_MAX, &f->category, err)
        || tk_query_label(q, "tag", TK_TAG_MAX, &f->tag, err)
        || tk_query_label(q, "q", 500, &f->q, err)
        || tk_query_date(q, "createdFrom", &f->created_from, err)
        || tk_query_date(q, "createdTo", &f->created_to, err)
        || tk_query_page(q, def_limit, max_limit, &f->limit, &f->offset, err)) {
        return -1;
    }
    v = apr_table_get(q, "assigneeId");
    if (v && strcmp(v, "none") == 0) {
        f->unassigned = 1;
    }
    else if (v && !tk_uuid_valid(v)) {
        return tk_err(err, TK_E_INVALID_QUERY, "assigneeId",
                      "This must be a user id or \"none\".");
    }
    else {
        f->assignee_id = v;
    }
    v = apr_table_get(q, "customerId");
    if (v && !tk_uuid_valid(v)) {
        return tk_err(err, TK_E_INVALID_QUERY, "customerId",
                      "This must be a customer id.");
    }
    f->customer_id = v;
    v = apr_table_get(q, "sort");
    if (v && !tk_enum_valid(tk_sorts, v)) {
        return tk_err(err, TK_E_INVALID_QUERY, "sort",
                      apr_psprintf(p, "Sort by one of: %s.", tk_enum_list(p, tk_sorts)));
    }
    f->sort = v ? v : "-createdAt";
    return 0;
}
