/* tk_change.c: the tail every change ends with (see tk_events.h).
 *
 * A creating change starts with tk_change_begin: its transaction, and the
 * Idempotency-Key claimed in it (a retry gets the first answer again).
 * A handler checks, locks and changes inside its transaction, then hands
 * what the change leaves behind to tk_change_finish: the ticket's audit
 * rows, its live event, the answer (stored first for an Idempotency-Key
 * retry), the commit, and the answer itself.  So no handler can forget a
 * step or take them in another order.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "events/tk_events.h"
#include "core/tk_json.h"
#include "core/tk_etag.h"
#include "tk_queries.h"

static int tk_change_audit(tk_ctx_t *c, const char *ticket_id,
                           const tk_audit_t *a)
{
    if (!a->type) {
        return TK_OK;
    }
    return TK_SQL_EXEC(c, event_insert, NULL, c->who->org_id, ticket_id,
                       c->who->user_id, a->type,
                       tk_json_dump(c->r->pool, a->payload));
}

int tk_change_begin(tk_ctx_t *c)
{
    if (tk_sql_begin(c)) {
        return TK_FAIL;
    }
    switch (tk_idem_begin(c)) {
    case TK_IDEM_NEW:       return TK_OK;
    case TK_IDEM_REPLAYED:  return TK_SENT;
    default:                return TK_FAIL;
    }
}

int tk_change_audit_now(tk_ctx_t *c, tk_change_t *ch)
{
    if (tk_change_audit(c, ch->ticket_id, &ch->audit[0])
        || tk_change_audit(c, ch->ticket_id, &ch->audit[1])) {
        return TK_FAIL;
    }
    ch->audit[0].type = ch->audit[1].type = NULL;
    return TK_OK;
}

int tk_change_finish(tk_ctx_t *c, const tk_change_t *ch)
{
    json_t *answer = ch->data ? tk_wrap_data(c, ch->data) : NULL;

    if (ch->location) {
        apr_table_setn(c->r->headers_out, "Location", ch->location);
    }
    if (ch->etag) {
        apr_table_setn(c->r->headers_out, "ETag", ch->etag);
    }
    if (tk_change_audit(c, ch->ticket_id, &ch->audit[0])
        || tk_change_audit(c, ch->ticket_id, &ch->audit[1])
        || (ch->event && tk_event_ticket(c, ch->event, ch->ticket_id,
                                         ch->event_data, ch->staff_only))
        || (answer && ch->status == HTTP_CREATED
            && tk_idem_store(c, ch->status, answer))
        || tk_sql_commit(c)) {
        return TK_FAIL;
    }
    if (ch->once && ch->data) {
        json_object_update(ch->data, ch->once);
    }
    if (!answer) {
        return tk_send_no_content(c);
    }
    return tk_send_json(c, ch->status, answer);
}

int tk_change_answer(tk_ctx_t *c, const tk_rows_t *rows, int status,
                     tk_change_t *ch)
{
    if (!(ch->data = tk_doc_row(c, rows))) {
        return TK_FAIL;
    }
    ch->status = status;
    ch->etag = tk_etag_make(c->r->pool, atol(tk_rows_get(rows, 0, 1)), 0);
    return TK_OK;
}
