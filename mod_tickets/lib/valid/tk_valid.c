/* tk_valid.c: the field readers every body validator is built from, and
 * ISO 8601 dates (see tk_valid.h).
 *
 * Each reader knows how to say what is wrong with one field, and names
 * it; validators of each resource (tk_valid_<resource>.c) combine them,
 * after refusing fields they do not know.
 */
#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "valid/tk_valid.h"
#include "core/tk_status.h"
#include "core/tk_id.h"
#include "core/tk_utf8.h"

/* ---------------------------------------------------------------------
 * Field readers
 * ------------------------------------------------------------------- */

int tk_only_fields(const json_t *body, const char *const *allowed,
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
int tk_read_string(apr_pool_t *p, const json_t *body, const char *field,
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
const char *tk_enum_list(apr_pool_t *p, const char *const *list)
{
    const char *s = *list;

    while (*++list) {
        s = apr_pstrcat(p, s, ", ", *list, NULL);
    }
    return s;
}

int tk_enum_error(apr_pool_t *p, const char *field,
                  const char *const *list, tk_err_t *err)
{
    return tk_err(err, TK_E_VALIDATION, field,
                  apr_psprintf(p, "This field must be one of: %s.",
                               tk_enum_list(p, list)));
}

int tk_read_enum(apr_pool_t *p, const json_t *body, const char *field,
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

int tk_read_uuid(const json_t *body, const char *field,
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

int tk_read_opt_string(apr_pool_t *p, const json_t *body, const char *field,
                       int required, int nullable, int multiline,
                       size_t max, tk_opt_t *out, tk_err_t *err)
{
    out->set = required || json_object_get(body, field) != NULL;
    return out->set ? tk_read_string(p, body, field, !nullable, nullable,
                                     multiline, max, &out->value, err)
                    : 0;
}

int tk_read_only_uuid(const json_t *body, const char *field,
                      const char *missing, const char **out, tk_err_t *err)
{
    const char *const fields[] = { field, NULL };

    if (tk_only_fields(body, fields, err)
        || tk_read_uuid(body, field, out, err)) {
        return -1;
    }
    return *out ? 0 : tk_err(err, TK_E_VALIDATION, field, missing);
}

int tk_read_bool(const json_t *body, const char *field, int *out,
                 tk_err_t *err)
{
    json_t *v = json_object_get(body, field);

    if (!v) {
        return 0;
    }
    if (!json_is_boolean(v)) {
        return tk_err(err, TK_E_VALIDATION, field,
                      "This field must be true or false.");
    }
    *out = json_is_true(v);
    return 0;
}

/* Tags: an array of up to TK_TAGS_MAX distinct non-empty strings; out is
 * the normalized JSON array text. */
int tk_read_tags(apr_pool_t *p, const json_t *body, const char **out,
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

/* "+hh:mm" or "-hh:mm": the offsets zones use, -12:00 to +14:00. */
static int tk_zone_valid(const char *s)
{
    int minutes;

    if (!tk_digits(s + 1, 2) || s[3] != ':' || !tk_digits(s + 4, 2)
        || s[6] != '\0' || (s[4] - '0') > 5) {
        return 0;
    }
    minutes = ((s[1] - '0') * 10 + (s[2] - '0')) * 60
              + (s[4] - '0') * 10 + (s[5] - '0');
    return minutes <= (*s == '+' ? 14 * 60 : 12 * 60);
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
        return tk_zone_valid(s);
    }
    return *s == '\0';
}
