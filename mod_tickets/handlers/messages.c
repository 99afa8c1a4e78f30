/* messages.c: a ticket's thread and audit trail.
 *
 *   POST /api/tickets/:id/messages  {"content", "internal"?}: a public
 *                                   reply, or an internal note (staff only)
 *   GET  /api/tickets/:id/events    the audit trail (staff only)
 *
 * Adding a message bumps the ticket's version and writes MESSAGE_ADDED in
 * the same statement.  Customers reply only on their own tickets and never
 * see or write internal notes.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "core/tk_json.h"
#include "valid/tk_valid_tickets.h"
#include "tk_queries.h"

static int tk_no_ticket(tk_ctx_t *c)
{
    return tk_not_found(c, "No such ticket.");
}

int tk_handle_messages_create(tk_ctx_t *c)
{
    const char *content, *uuid, *number, *ticket_id;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;
    int internal, rv;

    if ((!tk_is_customer(c) && tk_require_writer(c))
        || tk_valid_message(c->body, &content, &internal, &c->err)) {
        return TK_FAIL;
    }
    if (internal && tk_is_customer(c)) {
        return tk_fail(c, TK_E_FORBIDDEN, "internal",
                       "Customers cannot write internal notes.");
    }
    if (tk_ticket_ref_args(c, &uuid, &number)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (TK_SQL_SELECT(c, ticket_lock, &rows, c->who->org_id,
                      tk_is_customer(c) ? c->who->user_id : NULL, uuid,
                      number)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_no_ticket(c);
    }
    ticket_id = tk_rows_get(rows, 0, 0);
    if (TK_SQL_SELECT(c, message_create, &rows, ticket_id, c->who->user_id,
                      tk_is_customer(c) ? "customer" : "agent", content,
                      tk_bool(internal))
        || !(ch.data = tk_doc_row(c, rows))) {
        return TK_FAIL;
    }
    ch.ticket_id = ticket_id;
    ch.event = "ticket_message_added";
    ch.event_data = ch.data;
    ch.staff_only = internal;
    ch.status = HTTP_CREATED;
    return tk_change_finish(c, &ch);
}

static int tk_events_page(tk_ctx_t *c, const void *ticket_id, int limit,
                          int offset, tk_rows_t **rows)
{
    return TK_SQL_SELECT(c, ticket_events, rows, (const char *)ticket_id,
                         c->who->org_id, apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_events_list(tk_ctx_t *c)
{
    const char *uuid, *number;
    tk_rows_t *rows;

    if (tk_require_staff(c) || tk_ticket_ref_args(c, &uuid, &number)
        || TK_SQL_SELECT(c, ticket_resolve, &rows, c->who->org_id, NULL, uuid,
                         number)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_no_ticket(c);
    }
    return tk_send_paged(c, tk_events_page, tk_rows_get(rows, 0, 0));
}
