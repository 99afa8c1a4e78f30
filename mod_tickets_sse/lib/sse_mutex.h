/* sse_mutex.h: the robust, process-shared mutex of the shared-memory
 * structures (the ring, the per-user counts).
 *
 * The mutex lives in shared memory and is taken by threads of several
 * processes; one of them may be killed while holding it.  A robust mutex
 * then hands the next taker EOWNERDEAD: it repairs what it guards (the
 * caller's business, told by *recovered) and marks the mutex consistent.
 */
#ifndef SSE_MUTEX_H
#define SSE_MUTEX_H

#include <pthread.h>

/* Initialize m as PROCESS_SHARED and ROBUST.  0, or -1 on failure. */
int sse_mutex_init(pthread_mutex_t *m);

/* Lock m.  0 with *recovered set to 1 when its last owner died holding
 * it (the caller repairs, still holding it), else 0; -1 when the mutex
 * failed or cannot be made consistent (not held then). */
int sse_mutex_lock(pthread_mutex_t *m, int *recovered);

#endif
