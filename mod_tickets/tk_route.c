/* tk_route.c: segment-by-segment matching of paths to route patterns. */
#include <string.h>
#include <apr_strings.h>
#include "tk_route.h"

static int tk_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Copy and percent-decode [s, s+len); NULL on a bad escape or a NUL. */
static const char *tk_segment_decode(apr_pool_t *p, const char *s, size_t len)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    size_t i;

    for (i = 0; i < len; ++i) {
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= len) {
                return NULL;
            }
            hi = tk_hexval(s[i + 1]);
            lo = tk_hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
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

int tk_route_match(apr_pool_t *p, const char *pattern, const char *path,
                   const char **params)
{
    int n = 0;

    while (*pattern && *path) {
        const char *pe = strchr(pattern + 1, '/');
        const char *se = strchr(path + 1, '/');
        size_t plen, slen;

        if (*pattern != '/' || *path != '/') {
            return -1;
        }
        pattern++;
        path++;
        plen = pe ? (size_t)(pe - pattern) : strlen(pattern);
        slen = se ? (size_t)(se - path) : strlen(path);
        if (plen && pattern[0] == ':') {
            const char *v;
            if (slen == 0 || n >= TK_ROUTE_MAX_PARAMS) {
                return -1;
            }
            v = tk_segment_decode(p, path, slen);
            if (!v) {
                return -1;
            }
            params[n++] = v;
        }
        else if (plen != slen || strncmp(pattern, path, plen) != 0) {
            return -1;
        }
        pattern += plen;
        path += slen;
    }
    return (*pattern || *path) ? -1 : n;
}
