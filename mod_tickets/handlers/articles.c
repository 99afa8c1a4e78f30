/* articles.c: the FAQ articles linked to a ticket.
 *
 *   GET    /api/tickets/:id/articles             the linked articles
 *   POST   /api/tickets/:id/articles             {"articleId"}: link one
 *                                                (agents and admins)
 *   DELETE /api/tickets/:id/articles/:articleId  unlink it
 *
 * A link or an unlink is a change of the ticket: its versions move, an
 * audit row (ARTICLE_LINKED, ARTICLE_UNLINKED) and a ticket_updated event
 * are written with it.  Linking an article linked already answers 200
 * with the article and changes nothing.  Customers read the published
 * articles of their own tickets; a draft's link moves only the staff's
 * version and its event goes to staff only.  An article of another
 * organization, or of none, is 404.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "core/tk_etag.h"
#include "core/tk_id.h"
#include "core/tk_json.h"
#include "valid/tk_valid_faqs.h"
#include "tk_queries.h"

/* Column col of the only row is PostgreSQL's true. */
static int tk_is_true(const tk_rows_t *rows, int col)
{
    return strcmp(tk_rows_get(rows, 0, col), "t") == 0;
}

int tk_handle_articles_list(tk_ctx_t *c)
{
    const char *ticket_id;
    tk_rows_t *rows;
    json_t *list;

    if (tk_ticket_visible(c, 0, &ticket_id)
        || TK_SQL_SELECT(c, ticket_articles_list, &rows, ticket_id,
                         tk_bool(!tk_is_customer(c)))
        || !(list = tk_doc_row(c, rows))) {
        return TK_FAIL;
    }
    return tk_send_json(c, HTTP_OK, tk_wrap_data(c, list));
}

/* The article linked or unlinked, as the audit row and the event's
 * "changes" name it. */
static json_t *tk_article_ref(tk_ctx_t *c, const char *id, const char *title)
{
    return tk_json_own(c->r->pool,
                       json_pack("{s:s,s:s}", "articleId", id, "title", title));
}

/* The change of the ticket a link statement answered (the ticket's
 * documents and versions, as ticket_set_status's); public: customers see
 * the article. */
static int tk_article_change(tk_ctx_t *c, const char *ticket_id,
                             const tk_rows_t *rows, const char *audit,
                             json_t *ref, int linked, int public,
                             tk_change_t *ch)
{
    json_t *ticket, *diff;

    if (rows->nrows != 1 || !(ticket = tk_doc(c, tk_rows_get(rows, 0, 0)))) {
        return tk_internal(c);
    }
    diff = tk_json_own(c->r->pool,
                       json_pack("{s:{s:O?},s:{s:O?}}",
                                 "before", "article", linked ? NULL : ref,
                                 "after", "article", linked ? ref : NULL));
    ch->ticket_id = ticket_id;
    ch->audit[0].type = audit;
    ch->audit[0].payload = ref;
    ch->event = "ticket_updated";
    ch->event_data = tk_event_changes(c, ticket, diff, NULL);
    ch->staff_only = !public;
    return TK_OK;
}

int tk_handle_articles_link(tk_ctx_t *c)
{
    const char *article_id, *ticket_id;
    tk_change_t ch = { 0 };
    tk_rows_t *rows, *found;
    json_t *ref;
    int rv;

    if (tk_require_writer(c)
        || tk_valid_article_link(c->body, &article_id, &c->err)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (tk_ticket_visible(c, 1, &ticket_id)
        || TK_SQL_SELECT(c, ticket_article_find, &found, ticket_id, article_id,
                         c->who->org_id)) {
        return TK_FAIL;
    }
    if (found->nrows != 1) {
        return tk_fail(c, TK_E_NOT_FOUND, "articleId", "No such article.");
    }
    ref = tk_article_ref(c, tk_rows_get(found, 0, 0),
                         tk_rows_get(found, 0, 1));
    if (tk_is_true(found, 2)) {
        tk_db_rollback(c->db);
        return tk_send_json(c, HTTP_OK, tk_wrap_data(c, ref));
    }
    if (TK_SQL_SELECT(c, ticket_article_link, &rows, ticket_id, article_id,
                      c->who->user_id, tk_bool(tk_is_true(found, 3)))
        || tk_article_change(c, ticket_id, rows, "ARTICLE_LINKED", ref, 1,
                             tk_is_true(found, 3), &ch)) {
        return TK_FAIL;
    }
    ch.status = HTTP_CREATED;
    ch.data = ref;
    return tk_change_finish(c, &ch);
}

static int tk_not_linked(tk_ctx_t *c)
{
    return tk_not_found(c, "This article is not linked to this ticket.");
}

int tk_handle_articles_unlink(tk_ctx_t *c)
{
    const char *ticket_id;
    tk_change_t ch = { 0 };
    tk_rows_t *rows, *found;

    if (tk_require_writer(c) || tk_sql_begin(c)
        || tk_ticket_visible(c, 1, &ticket_id)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[1])) {
        return tk_not_linked(c);
    }
    if (TK_SQL_SELECT(c, ticket_article_find, &found, ticket_id,
                      c->params[1], c->who->org_id)) {
        return TK_FAIL;
    }
    if (found->nrows != 1 || !tk_is_true(found, 2)) {
        return tk_not_linked(c);
    }
    if (TK_SQL_SELECT(c, ticket_article_unlink, &rows, ticket_id,
                      c->params[1], tk_bool(tk_is_true(found, 3)))
        || tk_article_change(c, ticket_id, rows, "ARTICLE_UNLINKED",
                             tk_article_ref(c, tk_rows_get(found, 0, 0),
                                            tk_rows_get(found, 0, 1)),
                             0, tk_is_true(found, 3), &ch)) {
        return TK_FAIL;
    }
    ch.status = HTTP_NO_CONTENT;
    return tk_change_finish(c, &ch);
}
