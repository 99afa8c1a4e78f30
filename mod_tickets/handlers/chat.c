/* chat.c: /api/chat, agents' chat sessions with the assistant (seed
 * document 002; docs/ai.md).
 *
 *   POST   /api/chat/sessions               {title?}: 201
 *   GET    /api/chat/sessions               the user's, last used first
 *   GET    /api/chat/sessions/:id           with its messages and tickets
 *   DELETE /api/chat/sessions/:id           204
 *   PATCH  /api/chat/sessions/:id/tickets   {attach?, detach?}
 *   POST   /api/chat/sessions/:id/messages  {content}: the user's message
 *                                           and the assistant's answer, 201
 *   POST   /api/chat/tickets                {sessionId, title,
 *                                           description, ...}: a ticket
 *                                           made from chat, as POST
 *                                           /api/tickets makes one
 *
 * Staff only, and a session is its user's alone: another user's is 404.
 * A message is stored, then the model answers from the session's history
 * with the attached tickets in its context, calling seed 002's tools
 * (chat_tools.c) as the user, until it answers (ai/tk_chat.c); every tool
 * call is stored with the answer and its ticketRefs, and each step is a
 * chat_progress event on the user's own stream.  The session's title is
 * its first message's first line.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "handlers/chat_tools.h"
#include "ai/tk_ai.h"
#include "core/tk_id.h"
#include "core/tk_json.h"
#include "valid/tk_valid_chat.h"
#include "tk_queries.h"

#define TK_NO_SESSION "No such chat session."

static int tk_chat_session_id(tk_ctx_t *c)
{
    if (tk_require_staff(c)) {
        return TK_FAIL;
    }
    return tk_uuid_valid(c->params[0]) ? TK_OK
                                       : tk_not_found(c, TK_NO_SESSION);
}

int tk_handle_chat_sessions_create(tk_ctx_t *c)
{
    const char *title = NULL;
    tk_rows_t *rows;
    json_t *doc;

    if (tk_require_staff(c)
        || tk_valid_chat_session(c->r->pool, c->body, &title, &c->err)
        || TK_SQL_SELECT(c, chat_session_create, &rows, c->who->org_id,
                         c->who->user_id, title)
        || !(doc = tk_doc(c, tk_rows_get(rows, 0, 0)))) {
        return TK_FAIL;
    }
    json_object_set_new(doc, "messages", json_array());
    json_object_set_new(doc, "attachedTickets", json_array());
    apr_table_setn(c->r->headers_out, "Location",
                   apr_pstrcat(c->r->pool, "/api/chat/sessions/",
                               tk_rows_get(rows, 0, 1), NULL));
    return tk_send_data(c, HTTP_CREATED, doc, NULL);
}

static int tk_chat_sessions_page(tk_ctx_t *c, const void *data, int limit,
                                 int offset, tk_rows_t **rows)
{
    (void)data;
    return TK_SQL_SELECT(c, chat_session_list, rows, c->who->user_id,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_chat_sessions_list(tk_ctx_t *c)
{
    if (tk_require_staff(c)) {
        return TK_FAIL;
    }
    return tk_send_paged(c, tk_chat_sessions_page, NULL);
}

int tk_handle_chat_sessions_get(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_chat_session_id(c)
        || TK_SQL_SELECT(c, chat_session_get, &rows, c->params[0],
                         c->who->user_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, TK_NO_SESSION);
    }
    return tk_send_data(c, HTTP_OK, tk_doc(c, tk_rows_get(rows, 0, 0)), NULL);
}

int tk_handle_chat_sessions_delete(tk_ctx_t *c)
{
    int n = 0;

    if (tk_chat_session_id(c)
        || TK_SQL_EXEC(c, chat_session_delete, &n, c->params[0],
                       c->who->user_id)) {
        return TK_FAIL;
    }
    return n == 1 ? tk_send_no_content(c) : tk_not_found(c, TK_NO_SESSION);
}

int tk_handle_chat_sessions_tickets(tk_ctx_t *c)
{
    const char *attach, *detach, *bad;
    tk_rows_t *rows;

    if (tk_chat_session_id(c)
        || tk_valid_chat_tickets(c->r->pool, c->body, &attach, &detach,
                                 &c->err)
        || tk_sql_begin(c)
        || TK_SQL_SELECT(c, chat_session_tickets, &rows, c->params[0],
                         c->who->user_id, attach, detach)) {
        return TK_FAIL;
    }
    if (atoi(tk_rows_get(rows, 0, 2)) == 0) {
        return tk_not_found(c, TK_NO_SESSION);
    }
    if ((bad = tk_rows_get(rows, 0, 1)) != NULL) {
        return tk_fail(c, TK_E_VALIDATION, "attach",
                       apr_psprintf(c->r->pool, "No such ticket: %s.", bad));
    }
    if (atoi(tk_rows_get(rows, 0, 3)) > TK_CHAT_ATTACHED_MAX) {
        return tk_fail(c, TK_E_VALIDATION, "attach", apr_psprintf(
                       c->r->pool, "A session holds at most %d tickets.",
                       TK_CHAT_ATTACHED_MAX));
    }
    if (tk_sql_commit(c)) {
        return TK_FAIL;
    }
    return tk_send_data(c, HTTP_OK, tk_doc(c, tk_rows_get(rows, 0, 0)), NULL);
}

/* ---- a message and its answer ------------------------------------------- */

/* Store one message of the session: its document, or NULL. */
static json_t *tk_chat_store(tk_ctx_t *c, const char *session,
                             const char *role, const char *content,
                             const char *refs, json_t *tool_calls,
                             const char *title)
{
    tk_rows_t *rows;

    if (TK_SQL_SELECT(c, chat_message_add, &rows, session, role, content,
                      refs, tool_calls ? tk_json_dump(c->r->pool, tool_calls)
                                       : NULL, title)
        || rows->nrows != 1) {
        return NULL;
    }
    return tk_doc(c, tk_rows_get(rows, 0, 0));
}

/* The model's messages: what it is, the attached tickets as the user
 * reads them, the session so far, and the new message. */
static json_t *tk_chat_messages(tk_ctx_t *c, tk_chat_run_t *run,
                                const char *attached, const char *content)
{
    json_t *m = tk_json_own(c->r->pool, json_array());
    tk_rows_t *rows;
    int i;

    json_array_append_new(m, tk_llm_message("system", apr_pstrcat(c->r->pool,
        "You are the assistant of a helpdesk's support agents. You find, "
        "create and update tickets with the tools given, as the agent you "
        "talk to (a tool fails where the agent may not act, and says why). "
        "Name tickets by their keys (TKT-0047). Answer briefly.\n"
        "Tickets attached to this conversation:\n",
        tk_chat_attached_context(run, attached), NULL)));
    if (TK_SQL_SELECT(c, chat_history, &rows, run->session_id) == 0) {
        for (i = 0; i < rows->nrows; ++i) {
            json_array_append_new(m, tk_llm_message(tk_rows_get(rows, i, 0),
                                                    tk_rows_get(rows, i, 1)));
        }
    }
    json_array_append_new(m, tk_llm_message("user", content));
    return m;
}

/* The refs of a turn as a JSON array text, each once. */
static const char *tk_chat_refs(tk_ctx_t *c, const apr_array_header_t *refs)
{
    json_t *a = tk_json_own(c->r->pool, json_array());
    int i, j;

    for (i = 0; i < refs->nelts; ++i) {
        const char *id = APR_ARRAY_IDX(refs, i, const char *);

        for (j = 0; j < i && strcmp(id, APR_ARRAY_IDX(refs, j,
                                                      const char *)); ++j) {
        }
        if (j == i) {
            json_array_append_new(a, json_string(id));
        }
    }
    return tk_json_dump(c->r->pool, a);
}

int tk_handle_chat_messages_create(tk_ctx_t *c)
{
    const char *content, *attached;
    tk_chat_run_t run;
    tk_chat_turn_t turn;
    tk_ai_call_t call;
    tk_ai_result_t res;
    json_t *mine, *answer;
    tk_rows_t *rows;

    if (tk_chat_session_id(c)
        || tk_valid_chat_message(c->r->pool, c->body, &content, &c->err)
        || TK_SQL_SELECT(c, chat_session_read, &rows, c->params[0],
                         c->who->user_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, TK_NO_SESSION);
    }
    attached = tk_rows_get(rows, 0, 1);
    if (tk_ai_ready(c)) {
        return TK_FAIL;
    }
    tk_chat_run_init(&run, c, c->params[0]);
    memset(&call, 0, sizeof(call));
    call.req.messages = tk_chat_messages(c, &run, attached, content);
    if (!(mine = tk_chat_store(c, run.session_id, "user", content, NULL, NULL,
                               tk_chat_title_of(c->r->pool, content)))) {
        return TK_FAIL;
    }
    c->no_rerun = 1;            /* stored: running it again would store twice */
    call.org_id = c->who->org_id;
    call.user_id = c->who->user_id;
    call.chat_session_id = run.session_id;
    call.purpose = "chat";
    call.req.temperature = 0.2;
    memset(&turn, 0, sizeof(turn));
    turn.ticket_refs = run.refs;
    if (tk_chat_answer(c->r->pool, c->db, &call, &run.tools, &turn,
                       &res) != 0) {
        tk_chat_step(&run, "failed", NULL, NULL, 0);
        return tk_fail(c, res.code, NULL, res.error);
    }
    answer = tk_chat_store(c, run.session_id, "assistant",
                           turn.content ? turn.content : "",
                           tk_chat_refs(c, run.refs), turn.tool_calls, NULL);
    if (!answer) {
        return TK_FAIL;
    }
    tk_chat_step(&run, "answered", NULL, NULL, 1);
    return tk_send_data(c, HTTP_CREATED, tk_json_own(c->r->pool, json_pack(
        "{s:O, s:O}", "userMessage", mine, "message", answer)), NULL);
}

int tk_handle_chat_tickets_create(tk_ctx_t *c)
{
    json_t *session = json_object_get(c->body, "sessionId"), *body;
    tk_rows_t *rows;

    if (tk_require_staff(c)) {
        return TK_FAIL;
    }
    if (!json_is_string(session) || !tk_uuid_valid(json_string_value(session))) {
        return tk_fail(c, TK_E_VALIDATION, "sessionId", "Name the chat "
                       "session the ticket comes from (sessionId).");
    }
    if (TK_SQL_SELECT(c, chat_session_read, &rows, json_string_value(session),
                      c->who->user_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_VALIDATION, "sessionId", TK_NO_SESSION);
    }
    body = tk_json_own(c->r->pool, json_deep_copy(c->body));
    json_object_del(body, "sessionId");
    c->body = body;
    c->chat_session_id = json_string_value(session);
    return tk_handle_tickets_create(c);
}
