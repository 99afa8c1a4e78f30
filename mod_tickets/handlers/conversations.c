/* conversations.c: /api/conversations, threads with customers on every
 * channel, and their messages.
 *
 *   GET   /api/conversations                   list, newest message first;
 *                                              filters status, channelId,
 *                                              platform, assigneeId,
 *                                              customerId, mode, q
 *   POST  /api/conversations                   a customer opens a web chat
 *                                              {"content"}
 *   GET   /api/conversations/:id               one
 *   PATCH /api/conversations/:id               {"status"?, "assigneeId"?,
 *                                              "mode"?, "read"?: true}
 *   GET   /api/conversations/:id/messages      oldest first, paged
 *   POST  /api/conversations/:id/messages      {"content"}: a staff reply
 *                                              (delivered to the platform)
 *                                              or the customer's message
 *                                              (web chat)
 *   POST  /api/conversations/:id/messages/:mid/retry
 *                                              deliver a failed reply again
 *   POST  /api/conversations/:id/ticket        {"title"?}: a ticket of it
 *   POST  /api/conversations/:id/transfer      {"openTicket"?}: from the AI
 *                                              to a human, with a handoff
 *                                              note (ai/tk_customer_chat.c)
 *
 * Staff see the organization's conversations; a customer only their own
 * (through the login linked to their customer record), and writes only in
 * their web chats.  A staff reply on a platform is stored pending and its
 * delivery enqueued in the same transaction (work/tk_send.c); the outcome
 * comes as message_sent.  Live events are written by the statements
 * (sql/queries/conversations.sql).
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "work/tk_work.h"
#include "ai/tk_ai.h"
#include "core/tk_etag.h"
#include "core/tk_id.h"
#include "core/tk_json.h"
#include "valid/tk_valid_conversations.h"
#include "valid/tk_valid.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

#define TK_NO_CONVERSATION "No such conversation."

/* The caller's user id when only their own conversations are visible. */
static const char *tk_own(const tk_ctx_t *c)
{
    return tk_is_customer(c) ? c->who->user_id : NULL;
}

static int tk_conversations_page(tk_ctx_t *c, const void *data, int limit,
                                 int offset, tk_rows_t **rows)
{
    const tk_conversation_filter_t *f = data;

    return TK_SQL_SELECT(c, conversation_list, rows, c->who->org_id, tk_own(c),
                         f->statuses, f->channel_id, f->platform,
                         f->assignee_id, f->unassigned ? "true" : NULL,
                         f->customer_id, f->mode, f->q,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_conversations_list(tk_ctx_t *c)
{
    tk_conversation_filter_t f;

    if (tk_conversation_filter_parse(c->r->pool, c->query,
                                     c->dconf->default_page,
                                     c->dconf->max_page, &f, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_conversations_page, &f, f.limit, f.offset);
}

/* The conversation of :id as the caller may see it (rows of doc,
 * version); TK_FAIL with 404 when none. */
static int tk_find(tk_ctx_t *c, tk_rows_t **rows)
{
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_CONVERSATION);
    }
    if (TK_SQL_SELECT(c, conversation_get, rows, c->params[0], c->who->org_id,
                      tk_own(c), tk_own(c))) {
        return TK_FAIL;
    }
    return (*rows)->nrows == 1 ? TK_OK : tk_not_found(c, TK_NO_CONVERSATION);
}

int tk_handle_conversations_get(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_find(c, &rows)) {
        return TK_FAIL;
    }
    return tk_send_resource(c, rows, TK_NO_CONVERSATION);
}

typedef struct {
    const char *id;
    const char *status;
    const char *platform;
    json_t *doc;
} tk_conv_t;

/* Inside a transaction: lock the conversation of :id. */
static int tk_lock(tk_ctx_t *c, tk_conv_t *v)
{
    tk_rows_t *rows;

    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_CONVERSATION);
    }
    if (TK_SQL_SELECT(c, conversation_lock, &rows, c->params[0],
                      c->who->org_id, tk_own(c), tk_own(c))
        || tk_check_locked(c, rows, TK_NO_CONVERSATION)
        || !(v->doc = tk_doc(c, tk_rows_get(rows, 0, 2)))) {
        return TK_FAIL;
    }
    v->id = tk_rows_get(rows, 0, 0);
    v->status = tk_rows_get(rows, 0, 3);
    v->platform = tk_rows_get(rows, 0, 4);
    return TK_OK;
}

static int tk_check_assignee(tk_ctx_t *c, const tk_opt_t *a)
{
    tk_rows_t *rows;

    if (!a->set || !a->value) {
        return TK_OK;
    }
    if (TK_SQL_SELECT(c, staff_in_org, &rows, a->value, c->who->org_id)) {
        return TK_FAIL;
    }
    return rows->nrows == 1 ? TK_OK
           : tk_fail(c, TK_E_VALIDATION, "assigneeId",
                     "No agent or admin with this id in your organization.");
}

int tk_handle_conversations_update(tk_ctx_t *c)
{
    static const char *const fields[] = {
        "status", "assigneeId", "mode", "unreadCount", NULL
    };
    tk_conversation_patch_t in;
    tk_change_t ch = { 0 };
    tk_conv_t v;
    tk_rows_t *rows;
    json_t *diff, *data;

    if (tk_require_writer(c)
        || tk_valid_conversation_patch(c->r->pool, c->body, &in, &c->err)
        || tk_sql_begin(c) || tk_lock(c, &v)
        || tk_check_assignee(c, &in.assignee_id)
        || TK_SQL_SELECT(c, conversation_update, &rows, v.id, in.status,
                         tk_bool(in.assignee_id.set), in.assignee_id.value,
                         in.mode, tk_bool(in.read))) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_CONFLICT, "status",
                       "The customer has written since in a newer "
                       "conversation of this thread; answer there.");
    }
    if (!(ch.data = tk_doc_row(c, rows))) {
        return TK_FAIL;
    }
    diff = tk_json_own(c->r->pool, tk_json_diff(v.doc, ch.data, fields));
    data = tk_event_changes(c, ch.data, diff, NULL);
    if (diff && TK_SQL_SELECT(c, conversation_event, &rows,
                              "conversation_updated",
                              tk_json_dump(c->r->pool, data), v.id)) {
        return TK_FAIL;
    }
    c->stream_written = diff != NULL;
    ch.status = HTTP_OK;
    ch.etag = tk_etag_make(c->r->pool, json_integer_value(
                               json_object_get(ch.data, "version")), 0);
    return tk_change_finish(c, &ch);
}

/* ---------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------- */

static int tk_messages_page(tk_ctx_t *c, const void *data, int limit,
                            int offset, tk_rows_t **rows)
{
    return TK_SQL_SELECT(c, conversation_messages, rows, (const char *)data,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_conversation_messages(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_find(c, &rows)) {
        return TK_FAIL;
    }
    return tk_send_paged(c, tk_messages_page, c->params[0]);
}

/* Enqueue the delivery of reply message_id (a platform's conversation). */
static int tk_enqueue_send(tk_ctx_t *c, const char *message_id)
{
    json_t *payload = tk_json_own(c->r->pool,
                                  json_pack("{s:s}", "messageId", message_id));

    return tk_job_enqueue(c, TK_SEND_JOB, tk_json_dump(c->r->pool, payload),
                          0, TK_SEND_ATTEMPTS);
}

int tk_handle_conversation_reply(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    const char *content, *sender, *status;
    tk_conv_t v;
    tk_rows_t *rows;
    int web, rv;

    if ((!tk_is_customer(c) && tk_require_writer(c))
        || tk_valid_reply(c->r->pool, c->body, &content, &c->err)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (tk_lock(c, &v)) {
        return TK_FAIL;
    }
    web = strcmp(v.platform, "web") == 0;
    if (tk_is_customer(c) && !web) {
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "Customers write in their web chat conversations "
                       "only.");
    }
    if (strcmp(v.status, "closed") == 0) {
        return tk_fail(c, TK_E_CONFLICT, "status",
                       web ? "The conversation is closed; open a new one."
                           : "The conversation is closed; the customer's "
                             "next message opens a new one.");
    }
    sender = tk_is_customer(c) ? "customer" : "agent";
    status = web ? "sent" : "pending";
    if (TK_SQL_SELECT(c, conversation_reply, &rows, v.id, c->who->user_id,
                      sender, content, status)
        || !(ch.data = tk_doc_row(c, rows))
        || (!web && tk_enqueue_send(c, tk_rows_get(rows, 0, 1)))) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    c->jobs_written = atoi(tk_rows_get(rows, 0, 4)) > 0;
    ch.status = HTTP_CREATED;
    ch.location = apr_pstrcat(c->r->pool, "/api/conversations/", v.id,
                              "/messages/", tk_rows_get(rows, 0, 1), NULL);
    return tk_change_finish(c, &ch);
}

int tk_handle_conversation_retry(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    tk_conv_t v;
    tk_rows_t *rows;

    if (tk_require_writer(c) || tk_sql_begin(c) || tk_lock(c, &v)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[1])) {
        return tk_not_found(c, "No such message.");
    }
    if (TK_SQL_SELECT(c, conversation_message_retry, &rows, c->params[1],
                      v.id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        if (TK_SQL_SELECT(c, conversation_message_status, &rows, c->params[1],
                          v.id)) {
            return TK_FAIL;
        }
        return rows->nrows == 0
               ? tk_not_found(c, "No such message.")
               : tk_fail(c, TK_E_CONFLICT, NULL,
                         "Only a failed reply, or one whose delivery "
                         "stopped, is sent again, and not while a delivery "
                         "of it is under way.");
    }
    if (!(ch.data = tk_doc_row(c, rows))
        || tk_enqueue_send(c, c->params[1])) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    ch.status = HTTP_OK;
    return tk_change_finish(c, &ch);
}

/* ---------------------------------------------------------------------
 * Opening: a web chat, a ticket
 * ------------------------------------------------------------------- */

int tk_handle_conversations_create(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    const char *content;
    tk_rows_t *rows;
    int rv;

    if (!tk_is_customer(c)) {
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "Conversations are opened by customers (the web "
                       "chat) or by the platforms.");
    }
    if (tk_valid_reply(c->r->pool, c->body, &content, &c->err)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (TK_SQL_SELECT(c, channel_web, &rows, c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_CONFLICT, NULL,
                       "The web chat is being set up; try again.");
    }
    if (TK_SQL_SELECT(c, conversation_open_web, &rows, tk_rows_get(rows, 0, 0),
                      c->who->user_id, content, tk_bool(tk_ai_configured()))) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_CONFLICT, NULL,
                       "Your customer record was being made by another "
                       "request; try again.");
    }
    if (tk_change_answer(c, rows, HTTP_CREATED, &ch)) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    c->jobs_written = atoi(tk_rows_get(rows, 0, 4)) > 0;
    ch.location = apr_pstrcat(c->r->pool, "/api/conversations/",
                              tk_rows_get(rows, 0, 2), NULL);
    return tk_change_finish(c, &ch);
}

int tk_handle_conversation_ticket(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    const char *title;
    tk_conv_t v;
    tk_rows_t *rows;
    int rv;

    if (tk_require_writer(c)
        || tk_valid_conversation_ticket(c->r->pool, c->body, &title, &c->err)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (tk_lock(c, &v)
        || TK_SQL_SELECT(c, conversation_ticket, &rows, v.id, c->who->user_id,
                         title)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_CONFLICT, NULL,
                       "The conversation has no message from its customer "
                       "yet.");
    }
    if (tk_change_answer(c, rows, HTTP_CREATED, &ch)) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    ch.location = apr_pstrcat(c->r->pool, "/api/tickets/",
                              tk_rows_get(rows, 0, 2), NULL);
    return tk_change_finish(c, &ch);
}

/* ---------------------------------------------------------------------
 * The handoff from the AI to a human
 * ------------------------------------------------------------------- */

int tk_handle_conversation_transfer(tk_ctx_t *c)
{
    static const char *const fields[] = { "openTicket", NULL };
    int open_ticket = 0, rv;
    json_t *doc;
    tk_rows_t *rows;

    if ((!tk_is_customer(c) && tk_require_writer(c))
        || tk_only_fields(c->body, fields, &c->err)
        || tk_read_bool(c->body, "openTicket", &open_ticket, &c->err)
        || tk_find(c, &rows)) {
        return TK_FAIL;
    }
    rv = tk_handoff(c->r->pool, c->db, c->who->org_id, c->params[0],
                    c->who->user_id, tk_is_customer(c)
                    ? "The customer asked for a human agent."
                    : "A staff member took the conversation over.",
                    open_ticket, 0, &rows);
    c->no_rerun = 1;                /* it committed on its own */
    if (rv < 0) {
        return tk_fail(c, TK_E_DB_UNAVAILABLE, NULL, "The conversation could "
                       "not be handed over; try again.");
    }
    if (rv == 1) {
        return tk_fail(c, TK_E_CONFLICT, "mode", "The conversation is with a "
                       "human already.");
    }
    doc = tk_json_own(c->r->pool, json_pack("{s:o, s:o, s:o}",
        "conversation", json_loads(tk_rows_get(rows, 0, 0), 0, NULL),
        "note", json_loads(tk_rows_get(rows, 0, 1), 0, NULL),
        "ticket", tk_rows_get(rows, 0, 2)
                  ? json_loads(tk_rows_get(rows, 0, 2), 0, NULL) : json_null()));
    return tk_send_data(c, HTTP_OK, doc, NULL);
}
