/* copilot.c: /api/copilot/v1, the AI copilot of seed document 003, and a
 * ticket's suggestions (docs/ai.md).
 *
 *   POST /api/copilot/v1/analyze       {ticketId}
 *   POST /api/copilot/v1/suggest       {ticketId}
 *   POST /api/copilot/v1/draft-reply   {ticketId, tone?}
 *   POST /api/copilot/v1/chat          {ticketId, message}
 *                                      202 {"data": {"suggestionId",
 *                                      "state": "queued"}} at once
 *   GET  /api/copilot/v1/status/:id    {id, kind, state, content, error,
 *                                      model, updatedAt, ...}
 *   GET  /api/tickets/:id/suggestions  the ticket's, newest first; kind,
 *                                      limit, offset
 *
 * Staff only.  The work is a job (ai/tk_copilot.c); every change of a
 * suggestion's state is a copilot_job_updated event on staff streams.
 * With no provider configured the POSTs answer 503 AI_UNAVAILABLE, and
 * with the organization's budget spent 429 AI_BUDGET_EXCEEDED, before
 * anything is stored.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "ai/tk_ai.h"
#include "core/tk_id.h"
#include "core/tk_json.h"
#include "valid/tk_valid_ai.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

#define TK_NO_SUGGESTION "No such suggestion."

/* What a suggestion's job will need of the request: the tone, the
 * question. */
static const char *tk_copilot_request(tk_ctx_t *c,
                                      const tk_copilot_input_t *in)
{
    json_t *req = tk_json_own(c->r->pool, json_object());

    if (in->tone) {
        json_object_set_new(req, "tone", json_string(in->tone));
    }
    if (in->message) {
        json_object_set_new(req, "message", json_string(in->message));
    }
    return tk_json_dump(c->r->pool, req);
}

int tk_handle_copilot_start(tk_ctx_t *c)
{
    const char *kind = tk_copilot_kind_of(c->params[0]);
    tk_copilot_input_t in;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;

    if (!kind) {
        return tk_not_found(c, "No such copilot action: it is analyze, "
                            "suggest, draft-reply or chat.");
    }
    if (tk_require_staff(c)) {
        return TK_FAIL;
    }
    if (tk_valid_copilot(c->r->pool, kind, c->body, &in, &c->err)) {
        return TK_FAIL;
    }
    if (tk_ai_ready(c)) {
        return TK_FAIL;
    }
    if (tk_sql_begin(c)
        || TK_SQL_SELECT(c, suggestion_create, &rows, in.ticket_id,
                         c->who->org_id, c->who->user_id, kind,
                         tk_copilot_request(c, &in))) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, "No such ticket.");
    }
    ch.status = HTTP_ACCEPTED;
    ch.data = tk_json_own(c->r->pool,
                          json_pack("{s:s, s:s, s:s, s:s}", "suggestionId",
                                    tk_rows_get(rows, 0, 0), "state",
                                    "queued", "kind", kind, "ticketId",
                                    in.ticket_id));
    c->stream_written = 1;
    c->jobs_written = 1;
    return tk_change_finish(c, &ch);
}

int tk_handle_copilot_status(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_require_staff(c)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_SUGGESTION);
    }
    if (TK_SQL_SELECT(c, suggestion_get, &rows, c->params[0],
                      c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, TK_NO_SUGGESTION);
    }
    return tk_send_data(c, HTTP_OK, tk_json_load(c->r->pool,
                                                 tk_rows_get(rows, 0, 0)),
                        NULL);
}

int tk_handle_ticket_suggestions(tk_ctx_t *c)
{
    static const char *const params[] = { "kind", "limit", "offset", NULL };
    const char *kind, *list, *ticket_id;
    tk_rows_t *rows;
    int limit, offset;

    if (tk_require_staff(c)
        || tk_query_only(c->query, params, &c->err)
        || tk_query_enum(c->r->pool, c->query, "kind", tk_copilot_kinds, NULL,
                         &kind, &c->err)
        || tk_query_page(c->query, c->dconf->default_page, c->dconf->max_page,
                         &limit, &offset, &c->err)) {
        return TK_FAIL;
    }
    /* :id is the uuid, the number or the key, as on every ticket path */
    if (tk_ticket_visible(c, 0, &ticket_id)
        || TK_SQL_SELECT(c, suggestion_list, &rows, kind, kind,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset), ticket_id,
                         c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1 || !(list = tk_rows_get(rows, 0, 0))) {
        return tk_not_found(c, "No such ticket.");
    }
    return tk_send_data(c, HTTP_OK, tk_json_load(c->r->pool, list), NULL);
}
