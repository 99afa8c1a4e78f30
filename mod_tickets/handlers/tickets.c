/* handle_tickets.c: /api/tickets, the ticket resource.
 *
 *   GET    /api/tickets              list with filters, sort and paging
 *   POST   /api/tickets              create (ticket + first message + event)
 *   GET    /api/tickets/search       ranked full-text search
 *   GET    /api/tickets/:id          detail with messages, creator, assignee
 *   PATCH  /api/tickets/:id          edit fields
 *   DELETE /api/tickets/:id          soft delete (admins)
 *   PATCH  /api/tickets/:id/status   lifecycle move
 *
 * :id is the uuid, the number or the key.  Customers see only tickets they
 * created or that are theirs as customer; every change runs in one
 * transaction with its audit event; If-Match guards edits with the ETag.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "core/tk_json.h"
#include "core/tk_id.h"
#include "core/tk_etag.h"
#include "core/tk_status.h"
#include "core/tk_utf8.h"
#include "valid/tk_valid_tickets.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

/* Fields whose edits are UPDATED events; assigneeId has its own, ASSIGNED. */
static const char *const tk_edit_fields[] = {
    "title", "description", "priority", "category", "productArea", "tags", NULL
};
static const char *const tk_assign_fields[] = { "assigneeId", NULL };

/* ---------------------------------------------------------------------
 * Shared steps
 * ------------------------------------------------------------------- */

/* The caller's user id when only their own tickets are visible. */
static const char *tk_own_user(const tk_ctx_t *c)
{
    return tk_is_customer(c) ? c->who->user_id : NULL;
}

static int tk_no_ticket(tk_ctx_t *c)
{
    return tk_not_found(c, "No such ticket.");
}

int tk_ticket_ref_args(tk_ctx_t *c, const char **uuid, const char **number)
{
    tk_ticket_ref_t ref;

    if (tk_ticket_ref_parse(c->params[0], &ref) != 0) {
        return tk_no_ticket(c);
    }
    *uuid = ref.uuid;
    *number = ref.number ? apr_itoa(c->r->pool, ref.number) : NULL;
    return TK_OK;
}

int tk_ticket_visible(tk_ctx_t *c, int lock, const char **ticket_id)
{
    const char *uuid, *number, *own = tk_own_user(c);
    tk_rows_t *rows;

    if (tk_ticket_ref_args(c, &uuid, &number)
        || (lock ? TK_SQL_SELECT(c, ticket_lock, &rows, c->who->org_id, own,
                                 uuid, number)
                 : TK_SQL_SELECT(c, ticket_resolve, &rows, c->who->org_id,
                                 own, uuid, number))) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_no_ticket(c);
    }
    *ticket_id = tk_rows_get(rows, 0, 0);
    return TK_OK;
}

typedef struct {
    const char *id;
    long version;
    const char *status;
    json_t *doc;            /* the ticket before the change */
} tk_locked_t;

/* Inside a transaction: lock the ticket named by :id, honouring
 * visibility and If-Match. */
static int tk_lock_ticket(tk_ctx_t *c, tk_locked_t *t)
{
    const char *uuid, *number, *if_match;
    tk_rows_t *rows;

    if (tk_ticket_ref_args(c, &uuid, &number)
        || TK_SQL_SELECT(c, ticket_lock, &rows, c->who->org_id,
                         tk_own_user(c), uuid, number)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_no_ticket(c);
    }
    t->id = tk_rows_get(rows, 0, 0);
    /* A customer's tags carry the public version (no internal notes). */
    t->version = atol(tk_rows_get(rows, 0, tk_is_customer(c) ? 4 : 1));
    t->status = tk_rows_get(rows, 0, 2);
    if (!(t->doc = tk_doc(c, tk_rows_get(rows, 0, 3)))) {
        return TK_FAIL;
    }
    if_match = apr_table_get(c->r->headers_in, "If-Match");
    if (if_match && !tk_etag_matches(if_match, t->version)) {
        return tk_fail(c, TK_E_PRECONDITION_FAILED, NULL,
                       "The ticket was changed by someone else; reload it "
                       "and try again.");
    }
    return TK_OK;
}

/* A uuid given for assigneeId must be staff of the caller's organization. */
static int tk_check_assignee(tk_ctx_t *c, const char *user_id)
{
    tk_rows_t *rows;

    if (!user_id) {
        return TK_OK;
    }
    if (TK_SQL_SELECT(c, staff_in_org, &rows, user_id, c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_VALIDATION, "assigneeId",
                       "No agent or admin with this id in your organization.");
    }
    return TK_OK;
}

static int tk_check_customer(tk_ctx_t *c, const char *customer_id)
{
    tk_rows_t *rows;

    if (!customer_id) {
        return TK_OK;
    }
    if (TK_SQL_SELECT(c, customer_in_org, &rows, customer_id,
                      c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_VALIDATION, "customerId",
                       "No customer with this id in your organization.");
    }
    return TK_OK;
}

/* The answer of a change: the caller's view of the changed row (cols doc,
 * version, and for statements customers may run also the customer view
 * and its version) and its ETag.  TK_FAIL when the document is bad. */
static int tk_answer_ticket(tk_ctx_t *c, const tk_rows_t *rows,
                            tk_change_t *ch)
{
    int first = (tk_is_customer(c) && rows->ncols >= 4) ? 2 : 0;

    if (!(ch->data = tk_doc(c, tk_rows_get(rows, 0, first)))) {
        return TK_FAIL;
    }
    ch->etag = tk_etag_make(c->r->pool, atol(tk_rows_get(rows, 0, first + 1)),
                            tk_is_customer(c));
    return TK_OK;
}

/* ---------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------- */

static int tk_list_page(tk_ctx_t *c, const void *data, int limit,
                        int offset, tk_rows_t **rows)
{
    const tk_ticket_filter_t *f = data;
    apr_pool_t *p = c->r->pool;

    return TK_SQL_SELECT(c, ticket_list, rows, c->who->org_id,
                         tk_own_user(c), f->statuses, f->priorities,
                         f->product_area, f->category, f->assignee_id,
                         f->unassigned ? "true" : NULL, f->customer_id,
                         f->sources, f->tag, f->created_from, f->created_to,
                         f->q, f->sort, apr_itoa(p, limit), apr_itoa(p, offset));
}

int tk_handle_tickets_list(tk_ctx_t *c)
{
    tk_ticket_filter_t f;

    if (tk_ticket_filter_parse(c->r->pool, c->query, c->dconf->default_page,
                               c->dconf->max_page, &f, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_list_page, &f, f.limit, f.offset);
}

static int tk_search_page(tk_ctx_t *c, const void *data, int limit,
                          int offset, tk_rows_t **rows)
{
    return TK_SQL_SELECT(c, ticket_search, rows, c->who->org_id,
                         tk_own_user(c), (const char *)data,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_tickets_search(tk_ctx_t *c)
{
    const char *query;
    int limit, offset;

    if (tk_query_search(c->query, c->dconf->default_page, c->dconf->max_page,
                        &query, &limit, &offset, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_search_page, query, limit, offset);
}

int tk_handle_tickets_get(tk_ctx_t *c)
{
    const char *uuid, *number, *etag, *inm;
    tk_rows_t *rows;
    long version;

    if (tk_ticket_ref_args(c, &uuid, &number)
        || TK_SQL_SELECT(c, ticket_get, &rows, c->who->org_id,
                         tk_own_user(c), uuid, number,
                         tk_bool(!tk_is_customer(c)))) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_no_ticket(c);
    }
    version = atol(tk_rows_get(rows, 0, 1));
    etag = tk_etag_make(c->r->pool, version, tk_is_customer(c));
    inm = apr_table_get(c->r->headers_in, "If-None-Match");
    if (inm && tk_etag_list_has(inm, etag)) {
        apr_table_setn(c->r->headers_out, "ETag", etag);
        c->r->status = HTTP_NOT_MODIFIED;
        return TK_SENT;
    }
    apr_table_setn(c->r->headers_out, "ETag", etag);
    return tk_send_text(c, HTTP_OK, tk_rows_get(rows, 0, 0));
}

/* ---------------------------------------------------------------------
 * Changing
 * ------------------------------------------------------------------- */

static const char *tk_default_source(const tk_ctx_t *c)
{
    return (tk_is_customer(c) || c->who->via == TK_VIA_COOKIE) ? "web" : "api";
}

int tk_handle_tickets_create(tk_ctx_t *c)
{
    tk_ticket_input_t in;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;
    const char *id;
    int rv;

    if (!tk_is_customer(c) && tk_require_writer(c)) {
        return TK_FAIL;
    }
    if (tk_valid_ticket_create(c->r->pool, c->body, &in, &c->err)) {
        return TK_FAIL;
    }
    if (tk_is_customer(c) && (in.assignee_id || in.customer_id || in.source)) {
        return tk_fail(c, TK_E_FORBIDDEN,
                       in.assignee_id ? "assigneeId"
                       : in.customer_id ? "customerId" : "source",
                       "Customers may not set this field.");
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (tk_check_assignee(c, in.assignee_id)
        || tk_check_customer(c, in.customer_id)
        || TK_SQL_SELECT(c, ticket_create, &rows, c->who->org_id,
                         c->who->user_id, in.title, in.description,
                         in.priority, in.category, in.product_area,
                         c->chat_session_id ? "chat"
                         : in.source ? in.source : tk_default_source(c),
                         in.tags_json, in.assignee_id, in.customer_id,
                         tk_is_customer(c) ? "customer" : "agent",
                         c->chat_session_id)
        || !(ch.data = tk_doc_row(c, rows))) {
        return TK_FAIL;
    }
    id = json_string_value(json_object_get(ch.data, "id"));
    ch.ticket_id = id;
    ch.event = "ticket_created";
    ch.event_data = ch.data;
    ch.status = HTTP_CREATED;
    ch.location = apr_pstrcat(c->r->pool, "/api/tickets/", id, NULL);
    ch.etag = tk_etag_make(c->r->pool, atol(tk_rows_get(rows, 0, 1)),
                           tk_is_customer(c));
    return tk_change_finish(c, &ch);
}

static const char *tk_opt(const tk_opt_t *o)
{
    return o->set ? "true" : "false";
}

int tk_handle_tickets_update(tk_ctx_t *c)
{
    tk_ticket_patch_t in;
    tk_change_t ch = { 0 };
    tk_locked_t t;
    tk_rows_t *rows;
    json_t *after, *edits, *assign;

    if (tk_require_writer(c)
        || tk_valid_ticket_patch(c->r->pool, c->body, &in, &c->err)
        || tk_sql_begin(c) || tk_lock_ticket(c, &t)
        || (in.assignee_id.set && tk_check_assignee(c, in.assignee_id.value))
        || TK_SQL_SELECT(c, ticket_update, &rows, t.id,
                         tk_opt(&in.title), in.title.value,
                         tk_opt(&in.description), in.description.value,
                         tk_opt(&in.priority), in.priority.value,
                         tk_opt(&in.category), in.category.value,
                         tk_opt(&in.product_area), in.product_area.value,
                         tk_opt(&in.tags), in.tags.value ? in.tags.value : "[]",
                         tk_opt(&in.assignee_id), in.assignee_id.value)
        || !(after = tk_doc_row(c, rows))) {
        return TK_FAIL;
    }
    edits = tk_json_own(c->r->pool, tk_json_diff(t.doc, after, tk_edit_fields));
    assign = tk_json_own(c->r->pool, tk_json_diff(t.doc, after, tk_assign_fields));
    if (!edits && !assign) {
        /* Nothing changed: leave the version alone. */
        tk_db_rollback(c->db);
        return tk_send_data(c, HTTP_OK, t.doc,
                            tk_etag_make(c->r->pool, t.version, 0));
    }
    ch.ticket_id = t.id;
    ch.audit[0].type = edits ? "UPDATED" : NULL;
    ch.audit[0].payload = edits;
    ch.audit[1].type = assign ? "ASSIGNED" : NULL;
    ch.audit[1].payload = assign;
    ch.event = "ticket_updated";
    ch.event_data = tk_event_changes(c, after, edits, assign);
    ch.status = HTTP_OK;
    if (tk_answer_ticket(c, rows, &ch)) {
        return TK_FAIL;
    }
    return tk_change_finish(c, &ch);
}

int tk_handle_tickets_status(tk_ctx_t *c)
{
    const char *to;
    tk_change_t ch = { 0 };
    tk_locked_t t;
    tk_rows_t *rows;
    json_t *change, *after;

    if ((!tk_is_customer(c) && tk_require_writer(c))
        || tk_valid_status(c->body, &to, &c->err)
        || tk_sql_begin(c) || tk_lock_ticket(c, &t)) {
        return TK_FAIL;
    }
    if (!tk_status_can_move(t.status, to)) {
        return tk_fail(c, TK_E_INVALID_TRANSITION, "status",
                       apr_psprintf(c->r->pool, "A ticket cannot move from "
                                    "%s to %s.", t.status, to));
    }
    if (tk_is_customer(c) && !tk_status_customer_may(t.status, to)) {
        return tk_fail(c, TK_E_FORBIDDEN, "status",
                       "Customers may only close or reopen their tickets.");
    }
    change = tk_json_own(c->r->pool,
                         json_pack("{s:{s:s},s:{s:s}}", "before", "status",
                                   t.status, "after", "status", to));
    if (TK_SQL_SELECT(c, ticket_set_status, &rows, t.id, to)
        || !(after = tk_doc(c, tk_rows_get(rows, 0, 0)))
        || tk_answer_ticket(c, rows, &ch)) {
        return TK_FAIL;
    }
    ch.ticket_id = t.id;
    ch.audit[0].type = "STATUS_CHANGED";
    ch.audit[0].payload = change;
    /* A close keeps its transcript, the close's audit row in it. */
    if (strcmp(to, "closed") == 0
        && (tk_change_audit_now(c, &ch) || tk_transcript_store(c, t.id))) {
        return TK_FAIL;
    }
    ch.event = "ticket_updated";
    ch.event_data = tk_event_changes(c, after, change, NULL);
    ch.status = HTTP_OK;
    return tk_change_finish(c, &ch);
}

int tk_handle_tickets_delete(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    tk_locked_t t;

    if (tk_require_admin(c) || tk_sql_begin(c) || tk_lock_ticket(c, &t)
        || TK_SQL_EXEC(c, ticket_delete, NULL, t.id)) {
        return TK_FAIL;
    }
    ch.ticket_id = t.id;
    ch.audit[0].type = "DELETED";
    ch.audit[0].payload = tk_json_own(c->r->pool,
                                      json_pack("{s:O}", "before", t.doc));
    ch.event = "ticket_deleted";
    ch.event_data = tk_json_own(c->r->pool, json_pack("{s:s}", "id", t.id));
    ch.status = HTTP_NO_CONTENT;
    return tk_change_finish(c, &ch);
}
