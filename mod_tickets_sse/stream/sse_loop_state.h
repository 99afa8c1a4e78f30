/* sse_loop_state.h: what the two halves of the event loop share
 * (sse_loop.c: the threads, new streams, the sweep, the hand-off;
 * sse_loop_io.c: writing to streams and reading the ring for them).  Only
 * the loop thread touches the streams.  Not for anyone else: the loop's
 * interface is sse_stream.h.
 */
#ifndef SSE_LOOP_STATE_H
#define SSE_LOOP_STATE_H

#include <pthread.h>
#include "stream/sse_stream.h"

#define SSE_LOOP_SWEEP_MS       500     /* pings, lifetimes, stuck clients */
#define SSE_LOOP_WATCH_MS       500     /* watcher's longest sleep */
#define SSE_LOOP_STALL_SEC      10      /* a client taking nothing is dropped */
#define SSE_LOOP_EVENTS         256     /* epoll events per wait */
#define SSE_LOOP_BUF_INITIAL    16384   /* record buffer; grows as needed */
#define SSE_LOOP_END_RETRY_MIN  1000    /* retry: sent when the child stops */
#define SSE_LOOP_LAPPED_RETRY   1000    /* retry: sent to a lapped stream */
#define SSE_LOOP_END_RETRY_SPAN 4000

/* One stream on the loop.  The viewer's and filter's strings live in
 * strings[] behind it: one allocation per stream. */
typedef struct sse_lstream_t sse_lstream_t;
struct sse_lstream_t {
    sse_lstream_t *prev, *next;     /* the loop's list (next: the queue) */
    int fd;                         /* our dup of the connection's socket */
    sse_cursor_t cur;               /* viewer, filter and position */
    int user_counted;               /* counted in the per-user table */
    apr_time_t keepalive;
    apr_time_t deadline;
    apr_time_t last_write;
    apr_time_t stalled;             /* since when output waits (0: none) */
    char *pending;                  /* unsent tail of one block (malloc) */
    apr_size_t pending_len;
    int ending;                     /* close once pending is written */
    apr_uint64_t sent;              /* events sent */
    char strings[];
};

/* The loop of this child; only the loop thread touches the streams. */
typedef struct {
    server_rec *s;
    sse_ring_t *ring;
    int epfd, queue_fd, ring_fd;
    pthread_t loop_thread, watch_thread;
    int started;                    /* threads to join */
    apr_uint32_t taking;            /* adopt accepts streams */
    apr_uint32_t stop;
    pthread_mutex_t qlock;
    sse_lstream_t *queue;           /* adopted, not yet on the loop */
    sse_lstream_t *head;            /* the streams on the loop */
    apr_uint32_t count;             /* streams adopted and not closed */
    apr_uint64_t cursor;            /* how far the shared read went */
    uint64_t hint;
    unsigned char *buf;             /* one record's payload */
    apr_size_t bufsize;
    apr_pool_t *scratch;            /* loop thread only; cleared often */
    apr_allocator_t *alloc;
} sse_loop_state_t;

extern sse_loop_state_t sse_lp;


void sse_lp_close(sse_lstream_t *st, const char *why);
void sse_lp_want_out(sse_lstream_t *st, int on);
apr_ssize_t sse_lp_write(int fd, const char *text, apr_size_t len);
int sse_lp_send(sse_lstream_t *st, const char *text, apr_size_t len, apr_time_t now);
void sse_lp_finish(sse_lstream_t *st, const char *text, apr_size_t len,
                          apr_time_t now, const char *why);
const char *sse_lp_tell(sse_lstream_t *st, apr_pool_t *p);
/* The last words of a stream ending at its cursor: its id-only block (if
 * any) and a retry: of ms milliseconds, from p. */
const char *sse_lp_goodbye(sse_lstream_t *st, long ms, apr_pool_t *p);
void sse_lp_catch_up(sse_lstream_t *st, apr_time_t now);
void sse_lp_ring_moved(apr_time_t now);

#endif
