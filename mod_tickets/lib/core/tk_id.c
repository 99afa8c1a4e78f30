/* tk_id.c: strict parsers for uuids, ticket references and counts. */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "core/tk_id.h"

int tk_uuid_valid(const char *s)
{
    int i;

    if (!s || strlen(s) != 36) {
        return 0;
    }
    for (i = 0; i < 36; ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }
        }
        else if (!apr_isxdigit(s[i])) {
            return 0;
        }
    }
    return 1;
}

int tk_parse_uint(const char *s, int max, int *out)
{
    long v = 0;

    if (!s || !*s || strlen(s) > 10) {
        return -1;
    }
    for (; *s; ++s) {
        if (*s < '0' || *s > '9') {
            return -1;
        }
        v = v * 10 + (*s - '0');
    }
    if (v > max) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

int tk_ticket_ref_parse(const char *s, tk_ticket_ref_t *ref)
{
    int n;

    ref->uuid = NULL;
    ref->number = 0;
    if (!s) {
        return -1;
    }
    if (tk_uuid_valid(s)) {
        ref->uuid = s;
        return 0;
    }
    if (strncasecmp(s, "TKT-", 4) == 0) {
        s += 4;
    }
    if (tk_parse_uint(s, 2147483647, &n) != 0 || n == 0) {
        return -1;
    }
    ref->number = n;
    return 0;
}

int tk_parse_u64(const char *s, apr_uint64_t *out)
{
    apr_uint64_t v = 0;

    if (!s || !*s || strlen(s) > 20) {
        return -1;
    }
    for (; *s; ++s) {
        unsigned d;

        if (*s < '0' || *s > '9') {
            return -1;
        }
        d = (unsigned)(*s - '0');
        if (v > (APR_UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

const char *tk_u64_text(apr_pool_t *p, apr_uint64_t v)
{
    return apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
}
