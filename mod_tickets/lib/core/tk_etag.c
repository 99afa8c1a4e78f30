/* tk_etag.c: "v<version>" entity tags and If-Match / If-None-Match. */
#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "core/tk_etag.h"

const char *tk_etag_make(apr_pool_t *p, long version, int customer_view)
{
    return apr_psprintf(p, "\"v%ld%s\"", version, customer_view ? "-c" : "");
}

/* Parse one entity tag starting at s (after optional W/); returns the
 * version or -1, and advances *end past the tag. */
static long tk_etag_version(const char *s, const char **end)
{
    long v = 0;
    int digits = 0;

    if (strncmp(s, "W/", 2) == 0) {
        s += 2;
    }
    if (s[0] != '"' || s[1] != 'v') {
        *end = strchr(s, ',');
        return -1;
    }
    for (s += 2; apr_isdigit(*s) && digits < 12; ++s, ++digits) {
        v = v * 10 + (*s - '0');
    }
    if (strncmp(s, "-c", 2) == 0) {
        s += 2;
    }
    if (!digits || *s != '"') {
        *end = strchr(s, ',');
        return -1;
    }
    *end = s + 1;
    return v;
}

int tk_etag_matches(const char *header, long version)
{
    const char *s = header, *end;

    if (!s) {
        return 0;
    }
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == ',') {
            ++s;
        }
        if (!*s) {
            break;
        }
        if (*s == '*') {
            return 1;
        }
        if (tk_etag_version(s, &end) == version) {
            return 1;
        }
        if (!end) {
            break;
        }
        s = end;
    }
    return 0;
}

int tk_etag_list_has(const char *header, const char *etag)
{
    const char *s = header;
    size_t n = strlen(etag);

    if (!s) {
        return 0;
    }
    while (*s) {
        const char *end;

        while (*s == ' ' || *s == '\t' || *s == ',') {
            ++s;
        }
        if (*s == '*') {
            return 1;
        }
        if (strncmp(s, "W/", 2) == 0) {
            s += 2;
        }
        if (*s != '"' || !(end = strchr(s + 1, '"'))) {
            break;
        }
        if ((size_t)(end + 1 - s) == n && strncmp(s, etag, n) == 0) {
            return 1;
        }
        s = end + 1;
    }
    return 0;
}
