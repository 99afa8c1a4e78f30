/* tk_backoff.c: retry delays and job kind names (see tk_backoff.h). */
#include <string.h>
#include "jobs/tk_backoff.h"

double tk_backoff(int attempt, double base, double cap, uint64_t random)
{
    double nominal = base;
    int i;

    for (i = 1; i < attempt && nominal < cap; ++i) {
        nominal *= 2;
    }
    if (nominal > cap) {
        nominal = cap;
    }
    /* random / 2^64 in [0, 1), from its top 53 bits */
    return nominal / 2
           + nominal / 2 * ((double)(random >> 11) / 9007199254740992.0);
}

int tk_job_kind_valid(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;

    return n >= 1 && n <= 63
           && strspn(kind, "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == n;
}
