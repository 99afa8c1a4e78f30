/* sse_cursor.h: where one stream stands, and what each event means to it.
 *
 * Both paths of a stream (a worker thread, or the child's event loop)
 * keep the same state and ask the same questions of every event they
 * read, from the ring or from the database's log:
 *
 *   sse_cursor_judge   send it, skip it, or end the stream (it revokes the
 *                      stream's credential or user); the stream's position
 *                      moves past it either way
 *   sse_cursor_tell    the id-only block a ping carries when the stream
 *                      passed events it did not send, so the client's
 *                      Last-Event-ID moves past them
 *
 * The client is only ever told positions of its own organization's
 * events: told and own never hold another organization's position, so
 * neither a ping's id nor a reset's does.  Resuming from such a position
 * replays the other organizations' events after it without their data.
 */
#ifndef SSE_CURSOR_H
#define SSE_CURSOR_H

#include <stdint.h>
#include <apr_pools.h>
#include "sse_filter.h"
#include "sse_record.h"

typedef struct {
    sse_viewer_t viewer;
    const char *credential;     /* what opened it, for revocation */
    sse_filter_t filter;
    uint64_t seq;               /* ring sequence of the last record read */
    uint64_t hint;              /* where the record after it starts */
    uint64_t pos[2];            /* position (event id) of the last event
                                 * passed, of any organization: records at
                                 * or before it are skipped */
    uint64_t own[2];            /* ... of the last event of the viewer's
                                 * organization passed, sent or not */
    uint64_t told[2];           /* the last position the client was told */
} sse_cursor_t;

typedef enum {
    SSE_SKIP = 0,               /* not for this stream (or seen already) */
    SSE_SEND,                   /* send it */
    SSE_END                     /* it revokes what opened the stream */
} sse_verdict_t;

/* What the event at pos (ev: its record, NULL for a record that is no
 * event) means to the stream; its position moves past it. */
sse_verdict_t sse_cursor_judge(sse_cursor_t *c, const uint64_t pos[2],
                               const sse_record_t *ev);

/* The stream sent the event at pos. */
void sse_cursor_sent(sse_cursor_t *c, const uint64_t pos[2]);

/* The position the client is to be told now (own, when it has not been
 * told it yet; it counts as told from here), or NULL. */
const uint64_t *sse_cursor_untold(sse_cursor_t *c);

/* The id-only block that moves the client to own when it has not been
 * told it yet, else "" (from p; *len may be NULL). */
const char *sse_cursor_tell(sse_cursor_t *c, apr_pool_t *p, apr_size_t *len);

#endif
