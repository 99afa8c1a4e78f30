/* mod_tickets_sse_private.h: what the httpd glue files of mod_tickets_sse
 * share.
 *
 * The module is thin glue over the sse_* library: mod_tickets_sse.c holds
 * the module record, the hooks and the shared ring; mod_tickets_sse_config.c
 * the directives; mod_tickets_sse_stream.c the stream and stats handlers
 * (and the thread path); mod_tickets_sse_loop.c the event loop that plain
 * HTTP/1.1 streams are handed to once their headers are sent;
 * mod_tickets_sse_status.c the figures shown by the stats endpoint and
 * mod_status.
 */
#ifndef MOD_TICKETS_SSE_PRIVATE_H
#define MOD_TICKETS_SSE_PRIVATE_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include "sse_ring.h"
#include "sse_filter.h"
#include "sse_users.h"
#include <jansson.h>

APLOG_USE_MODULE(tickets_sse);
extern module AP_MODULE_DECLARE_DATA tickets_sse_module;

/* The handler name of <Location> blocks served by this module. */
#define SSE_HANDLER "tickets-sse"

/* ---------------------------------------------------------------------
 * Configuration (defaults in mod_tickets_sse_config.c and
 * conf/tickets_sse.conf); per server, read-only after post_config.
 * ------------------------------------------------------------------- */

typedef struct {
    apr_int64_t ring_size;          /* bytes; -1 unset */
    int keepalive;                  /* seconds between pings */
    int max_lifetime;               /* seconds a stream may last */
    int max_streams;                /* streams per child */
    int max_per_user;               /* streams per user and host; 0: any */
    int event_loop;                 /* 1: plain HTTP/1.1 streams go to the
                                     * child's event loop; 0: all on threads */
} sse_srv_conf_t;

extern const command_rec sse_cmds[];
void *sse_create_srv_conf(apr_pool_t *p, server_rec *s);
void *sse_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
/* post_config: unset fields take the defaults. */
void sse_srv_conf_finish(server_rec *s);
const sse_srv_conf_t *sse_srv_conf(const server_rec *s);

/* ---------------------------------------------------------------------
 * The shared ring and counters (mod_tickets_sse.c)
 * ------------------------------------------------------------------- */

/* Counters kept in the shared segment next to the ring, for all children
 * of all generations (SSE_SEG_HDR bytes at most). */
typedef struct {
    apr_uint32_t streams_open;      /* streams now open */
    apr_uint32_t streams_loop;      /* of which on an event loop */
    apr_uint64_t streams_total;     /* streams ever started */
    apr_uint64_t resumes;           /* streams resumed from the ring */
    apr_uint64_t resumes_log;       /* catch-ups from the database */
    apr_uint64_t resets;            /* streams told to reset (lapped) */
    apr_uint64_t refused;           /* streams refused over the limit */
    apr_uint64_t writes_blocked;    /* loop: writes a full socket cut short */
    apr_uint64_t slow_dropped;      /* loop: streams ended, client stuck */
    apr_uint64_t refused_user;      /* of refused: over the per-user limit */
    apr_uint64_t revoked;           /* streams ended: credential revoked */
    apr_uint64_t relayed;           /* events the relay appended */
    apr_uint64_t relay_lag_us;      /* the last one's age when appended */
    apr_uint64_t relay_lag_max_us;  /* the largest such age */
} sse_counters_t;

/* Event positions (the ids on the wire, see docs/events.md) are the ring
 * records' tags: compare them with sse_ring_tag_cmp; copy with this. */
static inline void sse_pos_set(uint64_t to[2], const uint64_t from[2])
{
    to[0] = from[0];
    to[1] = from[1];
}

/* This process's ring, or NULL when it could not be set up. */
sse_ring_t *sse_ring(void);
sse_counters_t *sse_counters(void);
/* Add one to a shared counter (no-op without the segment: the counter
 * pointer is then computed from NULL and never dereferenced). */
static inline void sse_count(apr_uint64_t *counter)
{
    if (sse_counters()) {
        __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
    }
}

/* This host's streams-per-user counts, or NULL. */
sse_users_t *sse_users(void);

/* Streams open in this child, on both paths. */
apr_uint32_t sse_child_streams(void);
/* Count a stream in: OK when under the child's limit (and, for a stream on
 * the thread path, under the thread cap: threads less a quarter) and the
 * user's limit on this host (TicketsSSEMaxStreamsPerUser); nothing is
 * counted otherwise.  Leave with the same on_thread and user. */
typedef enum {
    SSE_ENTER_OK = 0,
    SSE_ENTER_FULL,         /* the child's limit (or thread cap) */
    SSE_ENTER_USER          /* the user's limit on this host */
} sse_enter_t;
sse_enter_t sse_stream_enter(const sse_srv_conf_t *conf, int on_thread,
                             const char *user, int *user_counted);
/* user: as given to sse_stream_enter when it set *user_counted, else
 * NULL. */
void sse_stream_leave(int on_thread, const char *user);

/* ---------------------------------------------------------------------
 * Handlers (mod_tickets_sse_stream.c)
 * ------------------------------------------------------------------- */

int sse_handler(request_rec *r);
/* The `event: reset` block (data {"reason": reason}, id the newest
 * position, none before the first event) from p, NULL on failure; counts
 * the reset.  Both paths end a stream with it. */
const char *sse_reset_text(apr_pool_t *p, sse_ring_t *ring,
                           const char *reason, apr_size_t *len);

/* ---------------------------------------------------------------------
 * Figures (mod_tickets_sse_status.c): GET /api/events/stats and the
 * mod_status section
 * ------------------------------------------------------------------- */

/* The module's figures as a JSON object (the caller owns it), or NULL
 * when the shared segment is not there; p for text values. */
json_t *sse_figures(apr_pool_t *p);
/* The mod_status section (status_hook). */
int sse_status_hook(request_rec *r, int flags);

/* ---------------------------------------------------------------------
 * The event loop (mod_tickets_sse_loop.c)
 * ------------------------------------------------------------------- */

/* The client's reconnection delay sent first on every stream. */
#define SSE_RETRY_MS        3000

/* A stream leaving its worker thread: everything the loop needs, copied
 * by sse_loop_adopt (strings included), so the request may end. */
typedef struct {
    request_rec *r;             /* for logging and the lifetime only */
    int fd;                     /* the connection's socket (dup'd by adopt) */
    sse_viewer_t viewer;
    const char *credential;     /* what opened it, for revocation */
    int user_counted;           /* counted in the per-user table */
    sse_filter_t filter;
    apr_uint64_t cursor;        /* ring sequence of the last record read */
    uint64_t pos[2];            /* position of the last event passed */
    uint64_t told[2];           /* last position the client was sent */
    uint64_t hint;              /* sse_ring_read_hint's hint */
    int keepalive;              /* seconds between pings */
    int max_lifetime;           /* seconds; jittered by the loop */
} sse_handoff_t;

/* Start this child's loop (child_init), stopped by a cleanup of pchild. */
void sse_loop_child_init(apr_pool_t *pchild, server_rec *s);
/* 1 when this child's loop runs and takes streams. */
int sse_loop_running(void);
/* Take the stream over: APR_SUCCESS when the loop owns it (a dup of fd;
 * the caller then lets httpd close its own descriptor without a shutdown,
 * and counts nothing down: the loop does when the stream ends). */
apr_status_t sse_loop_adopt(const sse_handoff_t *h);
/* Streams on this child's loop. */
apr_uint32_t sse_loop_streams(void);

#endif
