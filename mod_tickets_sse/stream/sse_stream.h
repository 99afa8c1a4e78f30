/* sse_stream.h: the two paths a stream takes.
 *
 *   sse_admit.c   counting streams in and out: the child's limit, the
 *                 thread cap, the user's limit on the host
 *   sse_thread.c  the stream on its worker thread: headers, where it
 *                 starts, the catch-up from the database, and the whole
 *                 stream for TLS and HTTP/2 (the thread path)
 *   sse_loop.c    the child's event loop, which holds plain HTTP/1.1
 *                 streams once they caught up, without a thread each
 *
 * Both paths keep a stream's position in an sse_cursor_t (lib/) and judge
 * every event with it, so they send the same things.
 */
#ifndef SSE_STREAM_H
#define SSE_STREAM_H

#include "shm/sse_segment.h"
#include "sse_cursor.h"
#include "mod_tickets.h"

/* The client's reconnection delay sent first on every stream. */
#define SSE_RETRY_MS        3000

/* ---------------------------------------------------------------------
 * Admission (sse_admit.c)
 * ------------------------------------------------------------------- */

typedef enum {
    SSE_ENTER_OK = 0,
    SSE_ENTER_FULL,         /* the child's limit (or the thread cap) */
    SSE_ENTER_USER          /* the user's limit on this host */
} sse_enter_t;

/* Count a stream in: OK when under the child's limit (and, for a stream
 * on a thread, under the thread cap: threads less a quarter) and the
 * user's limit on this host; nothing is counted otherwise.  Leave with
 * the same on_thread and user (user: as given when *user_counted was set,
 * else NULL). */
sse_enter_t sse_stream_enter(const sse_srv_conf_t *conf, int on_thread,
                             const char *user, const char *org,
                             int *user_counted);
void sse_stream_leave(int on_thread, const char *user);
/* A stream counted on a thread leaves its thread for the loop: it stays
 * counted as open. */
void sse_stream_leave_thread(void);
/* A stream starts catching up from the database: 0, or -1 when this
 * child has as many doing so as it allows (refuse it, 503). */
int sse_replay_enter(void);
void sse_replay_leave(void);
/* Streams open in this child, on both paths. */
apr_uint32_t sse_child_streams(void);
void sse_admit_register_hooks(apr_pool_t *p);

/* ---------------------------------------------------------------------
 * The stream (sse_thread.c)
 * ------------------------------------------------------------------- */

/* Serve a stream to r: cur holds the viewer, credential and filter, and
 * (has_cursor) the position the client resumes from.  OK once it ended,
 * or an HTTP status with the error notes set when it was refused. */
int sse_stream_serve(request_rec *r, sse_cursor_t *cur, int has_cursor);

/* The `event: reset` block (data {"reason": reason}, an empty id so the
 * client's next connection starts afresh) from p, NULL on failure; counts
 * the reset.  Both paths end a stream with it. */
const char *sse_reset_text(apr_pool_t *p, const char *reason,
                           apr_size_t *len);

/* ---------------------------------------------------------------------
 * The event loop (sse_loop.c)
 * ------------------------------------------------------------------- */

/* A stream leaving its worker thread: everything the loop needs, copied
 * by sse_loop_adopt (strings included), so the request may end. */
typedef struct {
    request_rec *r;             /* for the lifetime only */
    int fd;                     /* the connection's socket (dup'd by adopt) */
    const sse_cursor_t *cur;
    int user_counted;           /* counted in the per-user table */
    apr_int64_t keepalive;      /* seconds between pings */
    apr_int64_t max_lifetime;   /* seconds; jittered by the loop */
} sse_handoff_t;

/* 1 when this child's loop runs and takes streams. */
int sse_loop_running(void);
/* Take the stream over: APR_SUCCESS when the loop owns it (a dup of fd;
 * the caller then lets httpd close its own descriptor without a shutdown,
 * and counts nothing down: the loop does when the stream ends). */
apr_status_t sse_loop_adopt(const sse_handoff_t *h);
/* Streams on this child's loop. */
apr_uint32_t sse_loop_streams(void);
/* child_init: start this child's loop, stopped by a cleanup of pchild. */
void sse_loop_register_hooks(apr_pool_t *p);

#endif
