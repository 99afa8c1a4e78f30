/* tk_events.h: what a change leaves behind, written in its transaction.
 *
 * Every change that others must hear of writes, before it commits, its
 * audit rows (ticket_events) and its live event (stream_events, the log
 * that mod_tickets_sse's streams and every host's relay read; see
 * docs/events.md), so both exist exactly when the change committed.
 *
 *   tk_events.c  live events: tk_event_ticket, tk_event_revoked, the
 *                "changes" of an update, and the log's rows read back
 *                (tk_event_rows) for the relay and for
 *                tickets_events_read (the optional function
 *                mod_tickets_sse catches up with)
 *   tk_change.c  the tail every change ends with: audit rows, live event,
 *                idempotent answer, commit, answer (tk_change_finish)
 */
#ifndef TK_EVENTS_H
#define TK_EVENTS_H

#include "request/tk_request.h"
#include "mod_tickets.h"

/* A ticket's live event, inside the change's transaction: TK_OK or
 * TK_FAIL.  The audience is read from the ticket; staff_only keeps it
 * from customers. */
int tk_event_ticket(tk_ctx_t *c, const char *type, const char *ticket_id,
                    json_t *data, int staff_only);

/* A credential_revoked event (TICKETS_EVENT_REVOKED), inside the revoking
 * transaction: the streams it names end, and every child of every host
 * forgets what it verified for it.  kind "credential" with a credential's
 * name (tk_credential_name), or "user" with a user's uuid. */
int tk_event_revoked(tk_ctx_t *c, const char *kind, const char *value);

/* A copy of ticket (owned by the request) with "changes": {field:
 * {before, after}} from up to two tk_json_diff results (either NULL);
 * NULL when ticket is NULL. */
json_t *tk_event_changes(tk_ctx_t *c, json_t *ticket, json_t *diff0,
                         json_t *diff1);

/* Rows of stream_events_after as tickets_event_t (pointing into rows);
 * -1 when a position is malformed. */
int tk_event_rows(apr_pool_t *p, const tk_rows_t *rows,
                  apr_array_header_t **events);

/* ---------------------------------------------------------------------
 * The tail of a change (tk_change.c)
 * ------------------------------------------------------------------- */

typedef struct {
    const char *type;           /* "UPDATED", "ASSIGNED", ...; NULL: none */
    json_t *payload;
} tk_audit_t;

typedef struct {
    /* Audit rows of the ticket (ticket_events). */
    const char *ticket_id;
    tk_audit_t audit[2];
    /* The live event of the ticket; event NULL: none. */
    const char *event;
    json_t *event_data;
    int staff_only;
    /* The answer: status, and {"data": data} (NULL for 204) with its
     * ETag and Location when given.  A 201 is stored for Idempotency-Key
     * replays. */
    int status;
    json_t *data;
    const char *etag;
    const char *location;
    /* Fields of data shown in this answer only, never stored for a
     * replay (a secret made by the change); NULL: none. */
    json_t *once;
} tk_change_t;

/* Begin a change that creates something: the transaction, and the
 * Idempotency-Key claimed in it.  TK_OK: go on; TK_SENT: the first
 * answer to this key was sent again (return it); TK_FAIL. */
int tk_change_begin(tk_ctx_t *c);

/* Write ch's audit rows now, before what must see them (a closed
 * ticket's transcript); tk_change_finish then writes none.  TK_OK or
 * TK_FAIL. */
int tk_change_audit_now(tk_ctx_t *c, tk_change_t *ch);

/* Inside the change's transaction: write ch's audit rows and live event,
 * store the answer for an Idempotency-Key, commit, and answer.  TK_SENT,
 * or TK_FAIL (the router rolls back). */
int tk_change_finish(tk_ctx_t *c, const tk_change_t *ch);

/* The answer of a change from its statement's one row of (document,
 * version): ch's data, ETag (the staff view's) and status.  TK_FAIL when
 * there is no such row or document. */
int tk_change_answer(tk_ctx_t *c, const tk_rows_t *rows, int status,
                     tk_change_t *ch);

/* The optional function tickets_events_read. */
void tk_events_register_hooks(apr_pool_t *p);

#endif
