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
