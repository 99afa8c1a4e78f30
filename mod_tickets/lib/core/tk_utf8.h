/* tk_utf8.h: UTF-8 as clients send it.
 *
 * Lengths in the API are characters, not bytes, and PostgreSQL refuses
 * text that is not well-formed UTF-8, so every string from outside is
 * checked here before it goes anywhere.
 */
#ifndef TK_UTF8_H
#define TK_UTF8_H

#include <stddef.h>

/* Number of UTF-8 characters in s. */
size_t tk_utf8_len(const char *s);

/* 1 when s is well-formed UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF); PostgreSQL refuses anything else. */
int tk_utf8_valid(const char *s);

/* Bytes of the longest well-formed prefix of the len bytes at s that
 * holds no NUL and at most max bytes: where a snippet of outside text
 * (an answer's body) can be cut and still be stored. */
size_t tk_utf8_prefix(const char *s, size_t len, size_t max);

#endif
