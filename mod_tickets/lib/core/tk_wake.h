/* tk_wake.h: a word in shared memory that threads of every child sleep on
 * and any thread of any child bumps to wake them all (a Linux futex; a
 * timed sleep elsewhere).  The job workers sleep on one while idle, and
 * the host's listener bumps it when the database says jobs were enqueued,
 * so no idle worker needs a database connection of its own to be woken.
 */
#ifndef TK_WAKE_H
#define TK_WAKE_H

#include <stdint.h>

typedef struct {
    uint32_t word;
} tk_wake_t;

/* The word's value now: take it before looking for work. */
uint32_t tk_wake_seen(tk_wake_t *w);

/* Wake every sleeper. */
void tk_wake_all(tk_wake_t *w);

/* Sleep until the word differs from seen, at most ms (may return early). */
void tk_wake_wait(tk_wake_t *w, uint32_t seen, int ms);

#endif
