/* tk_route.c: segment-by-segment matching of paths to route patterns. */
#include <string.h>
#include <apr_strings.h>
#include "core/tk_route.h"

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
            v = apr_pstrmemdup(p, path, slen);
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
