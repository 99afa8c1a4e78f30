/* handle_messages.c: a ticket's thread and audit trail.
 *
 *   POST /api/tickets/:id/messages  public reply, or internal note
 *                                   ({"internal": true}, staff only)
 *   GET  /api/tickets/:id/events    the audit trail (staff only)
 *
 * Adding a message bumps the ticket's version and writes MESSAGE_ADDED in
 * the same statement.  Customers reply only on their own tickets and never
 * see or write internal notes.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "mod_tickets.h"
#include "tk_json.h"
#include "tk_id.h"
#include "tk_valid.h"
#include "tk_queries.h"

static int tk_ticket_id(tk_ctx_t *c, const char *label, const char **id,
                        int own_only)
{
    tk_ticket_ref_t ref;
    tk_rows_t *rows;
    const char *number;
    int rv;

    if (tk_ticket_ref_parse(c->params[0], &ref) != 0) {
        return tk_fail(c, TK_E_NOT_FOUND, NULL, "No such ticket.");
    }
    number = ref.number ? apr_itoa(c->r->pool, ref.number) : NULL;
    if (own_only) {
        rv = TK_SQL_SELECT(c, label, &rows, c->who->org_id,
                           tk_is_customer(c) ? c->who->user_id : NULL,
                           ref.uuid, number);
    }
    else {
        rv = TK_SQL_SELECT(c, label, &rows, c->who->org_id, ref.uuid, number);
    }
    if (rv) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_NOT_FOUND, NULL, "No such ticket.");
    }
    *id = tk_rows_get(rows, 0, 0);
    return TK_DONE;
}

int tk_handle_messages_create(tk_ctx_t *c)
{
    const char *text, *ticket_id;
    int internal, rv;
    tk_rows_t *rows;
    json_t *doc, *wrap;

    if (!tk_is_customer(c) && tk_require_writer(c)) {
        return TK_FAIL;
    }
    if (tk_valid_message(c->body, &text, &internal, &c->err)) {
        return TK_FAIL;
    }
    if (internal && tk_is_customer(c)) {
        return tk_fail(c, TK_E_FORBIDDEN, "internal",
                       "Customers cannot write internal notes.");
    }
    if (tk_sql_begin(c)) {
        return TK_FAIL;
    }
    if ((rv = tk_idem_begin(c)) != TK_GO) {
        return rv;
    }
    if (tk_ticket_id(c, TKQ_ticket_lock, &ticket_id, 1)
        || TK_SQL_SELECT(c, TKQ_message_create, &rows, ticket_id,
                         c->who->user_id,
                         tk_is_customer(c) ? "customer" : "agent", text,
                         internal ? "true" : "false")) {
        return TK_FAIL;
    }
    if (rows->nrows != 1 || !(doc = tk_doc(c, tk_rows_get(rows, 0, 0)))) {
        return tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
    }
    wrap = tk_wrap_data(c, doc);
    if (tk_stream_ticket(c, "ticket_message_added", ticket_id, doc, internal)
        || tk_idem_store(c, HTTP_CREATED, wrap) || tk_sql_commit(c)) {
        return TK_FAIL;
    }
    return tk_send_json(c, HTTP_CREATED, wrap);
}

static int tk_events_page(tk_ctx_t *c, const void *ticket_id, int limit,
                          int offset, tk_rows_t **rows)
{
    return TK_SQL_SELECT(c, TKQ_ticket_events, rows, (const char *)ticket_id,
                         c->who->org_id, apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_events_list(tk_ctx_t *c)
{
    static const char *const params[] = { "limit", "offset", NULL };
    const char *ticket_id;
    int limit, offset;

    if (tk_require_staff(c) || tk_query_only(c->query, params, &c->err)
        || tk_query_page(c->query, c->dconf->default_page, c->dconf->max_page,
                         &limit, &offset, &c->err)
        || tk_ticket_id(c, TKQ_ticket_resolve, &ticket_id, 0)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_events_page, ticket_id, limit, offset);
}
