/* faqs.c: /api/faqs, the organization's FAQ articles, and the public FAQ
 * pages of an organization (docs/faqs.md).
 *
 *   GET    /api/faqs                  list; status, category, tag
 *   POST   /api/faqs                  create (agents and admins)
 *   GET    /api/faqs/search?query=    ranked full-text search
 *   GET    /api/faqs/:id              one, with its ETag
 *   PATCH  /api/faqs/:id              edit (agents and admins; If-Match)
 *   DELETE /api/faqs/:id              delete one no ticket links
 *   GET    /api/public/:org/faqs, /search, /:id
 *                                     the same reading, anonymous, by the
 *                                     organization's slug
 *
 * Staff read drafts too; customers and visitors read published articles
 * only, and a draft is 404 to them.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "core/tk_id.h"
#include "valid/tk_valid_faqs.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

#define TK_NO_ARTICLE "No such article."

/* Whose articles a reading request reads, and which. */
typedef struct {
    const char *org_id;
    int staff;
    const char *id;             /* :id of one article, or NULL */
    tk_faq_filter_t filter;
    const char *query;
} tk_faq_reader_t;

/* The reader of a request: the caller's organization, or the one a
 * public page names by its slug (params[0]; 404 when none has it). */
static int tk_faq_reader(tk_ctx_t *c, int public, tk_faq_reader_t *rd)
{
    tk_rows_t *rows;

    memset(rd, 0, sizeof(*rd));
    if (!public) {
        rd->org_id = c->who->org_id;
        rd->staff = !tk_is_customer(c);
        rd->id = c->params[0];
        return TK_OK;
    }
    if (TK_SQL_SELECT(c, faq_public_org, &rows, c->params[0])) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, "No such organization.");
    }
    rd->org_id = tk_rows_get(rows, 0, 0);
    rd->id = c->params[1];
    return TK_OK;
}

static int tk_faq_page(tk_ctx_t *c, const void *data, int limit, int offset,
                       tk_rows_t **rows)
{
    const tk_faq_reader_t *rd = data;

    return TK_SQL_SELECT(c, faq_list, rows, rd->org_id, tk_bool(rd->staff),
                         rd->filter.status, rd->filter.category,
                         rd->filter.tag, apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

static int tk_faq_search_page(tk_ctx_t *c, const void *data, int limit,
                              int offset, tk_rows_t **rows)
{
    const tk_faq_reader_t *rd = data;

    return TK_SQL_SELECT(c, faq_search, rows, rd->org_id, tk_bool(rd->staff),
                         rd->query, apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

static int tk_faqs_list(tk_ctx_t *c, int public)
{
    tk_faq_reader_t rd;

    if (tk_faq_reader(c, public, &rd)
        || tk_faq_filter_parse(c->r->pool, c->query, rd.staff,
                               c->dconf->default_page, c->dconf->max_page,
                               &rd.filter, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_faq_page, &rd, rd.filter.limit,
                        rd.filter.offset);
}

static int tk_faqs_search(tk_ctx_t *c, int public)
{
    tk_faq_reader_t rd;
    const char *query;
    int limit, offset;

    if (tk_query_search(c->query, c->dconf->default_page, c->dconf->max_page,
                        &query, &limit, &offset, &c->err)
        || tk_faq_reader(c, public, &rd)) {
        return TK_FAIL;
    }
    rd.query = query;
    return tk_send_page(c, tk_faq_search_page, &rd, limit, offset);
}

static int tk_faqs_get(tk_ctx_t *c, int public)
{
    tk_faq_reader_t rd;
    tk_rows_t *rows;

    if (tk_faq_reader(c, public, &rd)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(rd.id)) {
        return tk_not_found(c, TK_NO_ARTICLE);
    }
    if (TK_SQL_SELECT(c, faq_get, &rows, tk_bool(rd.staff), rd.id, rd.org_id,
                      tk_bool(rd.staff))) {
        return TK_FAIL;
    }
    return tk_send_resource(c, rows, TK_NO_ARTICLE);
}

int tk_handle_faqs_list(tk_ctx_t *c)          { return tk_faqs_list(c, 0); }
int tk_handle_faqs_search(tk_ctx_t *c)        { return tk_faqs_search(c, 0); }
int tk_handle_faqs_get(tk_ctx_t *c)           { return tk_faqs_get(c, 0); }
int tk_handle_public_faqs_list(tk_ctx_t *c)   { return tk_faqs_list(c, 1); }
int tk_handle_public_faqs_search(tk_ctx_t *c) { return tk_faqs_search(c, 1); }
int tk_handle_public_faqs_get(tk_ctx_t *c)    { return tk_faqs_get(c, 1); }

/* ---------------------------------------------------------------------
 * Changing
 * ------------------------------------------------------------------- */

static const char *tk_set(const tk_opt_t *o)
{
    return tk_bool(o->set);
}

int tk_handle_faqs_create(tk_ctx_t *c)
{
    tk_faq_input_t in;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;
    int rv;

    if (tk_require_writer(c)
        || tk_valid_faq(c->r->pool, c->body, 1, &in, &c->err)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (TK_SQL_SELECT(c, faq_create, &rows, c->who->org_id, c->who->user_id,
                      in.title.value, in.body.value, in.category.value,
                      in.tags.value, in.status.value)
        || tk_change_answer(c, rows, HTTP_CREATED, &ch)) {
        return TK_FAIL;
    }
    ch.location = apr_pstrcat(c->r->pool, "/api/faqs/",
                              tk_rows_get(rows, 0, 2), NULL);
    return tk_change_finish(c, &ch);
}

/* Inside a transaction: lock the article of :id, honouring If-Match. */
static int tk_lock_faq(tk_ctx_t *c, int for_delete, tk_rows_t **rows)
{
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_ARTICLE);
    }
    if (for_delete
        ? TK_SQL_SELECT(c, faq_lock_for_delete, rows, c->params[0],
                        c->who->org_id)
        : TK_SQL_SELECT(c, faq_lock, rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_check_locked(c, *rows, TK_NO_ARTICLE);
}

int tk_handle_faqs_update(tk_ctx_t *c)
{
    tk_faq_input_t in;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;

    if (tk_require_writer(c)
        || tk_valid_faq(c->r->pool, c->body, 0, &in, &c->err)
        || tk_sql_begin(c) || tk_lock_faq(c, 0, &rows)
        || TK_SQL_SELECT(c, faq_update, &rows, c->params[0],
                         tk_set(&in.title), in.title.value,
                         tk_set(&in.body), in.body.value,
                         tk_set(&in.category), in.category.value,
                         tk_set(&in.tags), in.tags.value,
                         tk_set(&in.status), in.status.value)
        || tk_change_answer(c, rows, HTTP_OK, &ch)) {
        return TK_FAIL;
    }
    return tk_change_finish(c, &ch);
}

int tk_handle_faqs_delete(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    tk_rows_t *rows;

    if (tk_require_writer(c) || tk_sql_begin(c) || tk_lock_faq(c, 1, &rows)
        || TK_SQL_SELECT(c, faq_links, &rows, c->params[0])) {
        return TK_FAIL;
    }
    if (atol(tk_rows_get(rows, 0, 0)) > 0) {
        return tk_fail(c, TK_E_CONFLICT, NULL,
                       apr_psprintf(c->r->pool, "This article is linked to "
                                    "%s ticket(s): unlink it first, or set "
                                    "it to draft.", tk_rows_get(rows, 0, 0)));
    }
    if (TK_SQL_EXEC(c, faq_delete, NULL, c->params[0])) {
        return TK_FAIL;
    }
    ch.status = HTTP_NO_CONTENT;
    return tk_change_finish(c, &ch);
}
