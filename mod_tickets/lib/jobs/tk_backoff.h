/* tk_backoff.h: how long a failed job waits before its next attempt, and
 * the names job kinds may have.
 *
 * Exponential backoff with jitter: attempt n waits base * 2^(n-1), capped
 * at cap, of which a random half is kept ("equal jitter"): a burst of
 * jobs failing together does not come back together, and every wait is at
 * least half the nominal one.
 */
#ifndef TK_BACKOFF_H
#define TK_BACKOFF_H

#include <stdint.h>

/* Seconds to wait after failed attempt `attempt` (1, 2, ...); random is
 * any 64-bit random number.  base and cap in seconds (cap >= base > 0). */
double tk_backoff(int attempt, double base, double cap, uint64_t random);

/* 1 when kind is a valid job kind name: 1 to 63 of letters, digits, '_'
 * and '.'. */
int tk_job_kind_valid(const char *kind);

#endif
