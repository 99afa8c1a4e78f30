/* tk_utf8.c: counting and checking UTF-8 (see tk_utf8.h). */
#include "core/tk_utf8.h"

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

/* The bytes of the well-formed character at u (at most left of them), or
 * 0 when it is ill-formed, cut short or NUL. */
static size_t tk_utf8_char(const unsigned char *u, size_t left)
{
    unsigned int cp;
    size_t n, i;

    if (left == 0 || u[0] == 0) {
        return 0;
    }
    if (u[0] < 0x80) {
        return 1;
    }
    if ((u[0] & 0xE0) == 0xC0) { n = 1; cp = u[0] & 0x1F; }
    else if ((u[0] & 0xF0) == 0xE0) { n = 2; cp = u[0] & 0x0F; }
    else if ((u[0] & 0xF8) == 0xF0) { n = 3; cp = u[0] & 0x07; }
    else {
        return 0;
    }
    if (n >= left) {
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
    return n + 1;
}

int tk_utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;

    while (*u) {
        if ((n = tk_utf8_char(u, 4)) == 0) {
            return 0;
        }
        u += n;
    }
    return 1;
}

size_t tk_utf8_prefix(const char *s, size_t len, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t at = 0, n;

    while (at < len
           && (n = tk_utf8_char(u + at, len - at)) > 0 && at + n <= max) {
        at += n;
    }
    return at;
}
