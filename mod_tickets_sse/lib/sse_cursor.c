/* sse_cursor.c: a stream's position and its verdict on each event (see
 * sse_cursor.h). */
#include <string.h>
#include "sse_cursor.h"
#include "sse_event.h"
#include "sse_ring.h"

static void sse_pos_copy(uint64_t to[2], const uint64_t from[2])
{
    to[0] = from[0];
    to[1] = from[1];
}

sse_verdict_t sse_cursor_judge(sse_cursor_t *c, const uint64_t pos[2],
                               const sse_record_t *ev)
{
    if (sse_ring_tag_cmp(pos, c->pos) <= 0) {
        return SSE_SKIP;            /* sent from the log already */
    }
    sse_pos_copy(c->pos, pos);
    if (!ev || !ev->org || !c->viewer.org
        || strcmp(ev->org, c->viewer.org) != 0) {
        return SSE_SKIP;
    }
    sse_pos_copy(c->own, pos);
    if (!ev->data) {
        return SSE_SKIP;
    }
    if (sse_revokes(&c->viewer, c->credential, ev)) {
        return SSE_END;
    }
    return sse_visible(&c->viewer, ev) && sse_wanted(&c->filter, ev)
           ? SSE_SEND : SSE_SKIP;
}

void sse_cursor_sent(sse_cursor_t *c, const uint64_t pos[2])
{
    sse_pos_copy(c->told, pos);
}

const uint64_t *sse_cursor_untold(sse_cursor_t *c)
{
    if (sse_ring_tag_cmp(c->told, c->own) == 0) {
        return NULL;
    }
    sse_pos_copy(c->told, c->own);
    return c->own;
}

const char *sse_cursor_tell(sse_cursor_t *c, apr_pool_t *p, apr_size_t *len)
{
    const uint64_t *id = sse_cursor_untold(c);

    if (len) {
        *len = 0;
    }
    return id ? sse_event_pid(p, id, len) : "";
}
