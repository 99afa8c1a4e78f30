/* mod_tickets_sse_private.h: what the httpd glue files of mod_tickets_sse
 * share.
 *
 * The module is thin glue over the sse_* library: mod_tickets_sse.c holds
 * the module record, the hooks and the shared ring; mod_tickets_sse_config.c
 * the directives; mod_tickets_sse_stream.c the stream and stats handlers.
 */
#ifndef MOD_TICKETS_SSE_PRIVATE_H
#define MOD_TICKETS_SSE_PRIVATE_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include "sse_ring.h"

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
 * of all generations. */
typedef struct {
    apr_uint32_t streams_open;      /* streams now open */
    apr_uint32_t pad;
    apr_uint64_t streams_total;     /* streams ever started */
    apr_uint64_t resumes;           /* streams resumed from the ring */
    apr_uint64_t resumes_log;       /* catch-ups from the database */
    apr_uint64_t resets;            /* streams told to reset (lapped) */
    apr_uint64_t refused;           /* streams refused over the limit */
} sse_counters_t;

/* This process's ring, or NULL when it could not be set up. */
sse_ring_t *sse_ring(void);
sse_counters_t *sse_counters(void);

/* Streams open in this child (a stream holds its worker thread). */
apr_uint32_t sse_child_streams(void);
/* Count a stream in: 1 when under the child's limit, 0 (not counted) when
 * the limit is reached. */
int sse_stream_enter(int max_streams);
void sse_stream_leave(void);

/* ---------------------------------------------------------------------
 * Handlers (mod_tickets_sse_stream.c)
 * ------------------------------------------------------------------- */

int sse_handler(request_rec *r);

#endif
