/* tk_header.c: the Authorization and Cookie header parsers (see
 * tk_header.h). */
#include <string.h>
#include <apr_strings.h>
#include <apr_base64.h>
#include <apr_lib.h>
#include "core/tk_header.h"
#include "core/tk_utf8.h"

int tk_basic_parse(apr_pool_t *p, const char *header, const char **user,
                   const char **pass)
{
    char *decoded, *colon;
    size_t n, pad;
    int len;

    if (!header || strncasecmp(header, "Basic ", 6) != 0) {
        return -1;
    }
    header += 6;
    while (*header == ' ') {
        ++header;
    }
    if (!*header || strlen(header) > 4096) {
        return -1;
    }
    /* apr_base64_decode stops at the first byte outside the alphabet and
     * decodes what came before; refuse such a header whole. */
    n = strspn(header, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789+/");
    pad = strspn(header + n, "=");
    if (n == 0 || pad > 2 || header[n + pad] != '\0') {
        return -1;
    }
    decoded = apr_palloc(p, apr_base64_decode_len(header) + 1);
    len = apr_base64_decode(decoded, header);
    if (len <= 0) {
        return -1;
    }
    decoded[len] = '\0';
    if ((int)strlen(decoded) != len) {
        return -1;          /* embedded NUL */
    }
    colon = strchr(decoded, ':');
    if (!colon || colon == decoded) {
        return -1;
    }
    *colon = '\0';
    if (!tk_utf8_valid(decoded) || !tk_utf8_valid(colon + 1)) {
        return -1;
    }
    *user = decoded;
    *pass = colon + 1;
    return 0;
}

const char *tk_bearer_parse(apr_pool_t *p, const char *header)
{
    const char *t, *e;

    if (!header || strncasecmp(header, "Bearer ", 7) != 0) {
        return NULL;
    }
    t = header + 7;
    while (*t == ' ') {
        ++t;
    }
    for (e = t; *e && *e != ' '; ++e) {
        if (!apr_isgraph(*e)) {
            return NULL;
        }
    }
    if (e == t || *e) {
        return NULL;
    }
    return apr_pstrmemdup(p, t, (apr_size_t)(e - t));
}

const char *tk_cookie_get(apr_pool_t *p, const char *header, const char *name)
{
    size_t nlen = strlen(name);
    const char *s = header;

    while (s && *s) {
        const char *end;

        while (*s == ' ' || *s == ';') {
            ++s;
        }
        end = strchr(s, ';');
        if (strncmp(s, name, nlen) == 0 && s[nlen] == '=') {
            const char *v = s + nlen + 1;
            size_t vlen = end ? (size_t)(end - v) : strlen(v);
            while (vlen && v[vlen - 1] == ' ') {
                --vlen;
            }
            return apr_pstrmemdup(p, v, vlen);
        }
        s = end;
    }
    return NULL;
}
