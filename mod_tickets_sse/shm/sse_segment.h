/* sse_segment.h: the host's shared segment: counters, streams per user,
 * and the ring of events (sse_segment.c draws the layout).
 *
 * It belongs to no generation of children: made in post_config from a
 * pool that is never cleared and found again after a graceful restart, so
 * events, ids and counts carry on while old and new children run side by
 * side.  The optional functions tickets_sse_publish and
 * tickets_sse_position (include/mod_tickets.h) append to its ring.
 */
#ifndef SSE_SEGMENT_H
#define SSE_SEGMENT_H

#include "config/sse_config.h"
#include "sse_ring.h"
#include "sse_users.h"

/* Counters of every child of every generation (SSE_SEG_HDR bytes at
 * most). */
typedef struct {
    apr_uint32_t streams_open;      /* streams now open */
    apr_uint32_t streams_loop;      /* of which on an event loop */
    apr_uint64_t streams_total;     /* streams ever started */
    apr_uint64_t resumes;           /* streams resumed from the ring */
    apr_uint64_t resumes_log;       /* catch-ups from the database */
    apr_uint64_t resets;            /* streams told to reset (lapped) */
    apr_uint64_t refused;           /* streams refused over a limit */
    apr_uint64_t writes_blocked;    /* loop: writes a full socket cut short */
    apr_uint64_t slow_dropped;      /* loop: streams ended, client stuck */
    apr_uint64_t refused_user;      /* of refused: over the per-user limit */
    apr_uint64_t revoked;           /* streams ended: credential revoked */
    apr_uint64_t relayed;           /* events the relay appended */
    apr_uint64_t relay_lag_us;      /* the last one's age when appended */
    apr_uint64_t relay_lag_max_us;  /* the largest such age */
    apr_uint64_t refused_replay;    /* of refused: no thread to replay on */
} sse_counters_t;

/* This process's ring, counters and per-user table, or NULL when the
 * segment could not be set up. */
sse_ring_t *sse_ring(void);
sse_counters_t *sse_counters(void);
sse_users_t *sse_users(void);

/* Add one to a shared counter (no-op without the segment: the counter
 * pointer is then computed from NULL and never dereferenced). */
static inline void sse_count(apr_uint64_t *counter)
{
    if (sse_counters()) {
        __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
    }
}

void sse_segment_register_hooks(apr_pool_t *p);

#endif
