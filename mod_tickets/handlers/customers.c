/* customers.c: /api/customers, the organization's contacts.
 *
 *   GET    /api/customers             list; q (name, email, phone or a
 *                                     platform id), tag, platform,
 *                                     channelId, createdFrom/To, sort
 *   POST   /api/customers             create (agents and admins)
 *   GET    /api/customers/:id         one, with its platform identities
 *   PATCH  /api/customers/:id         edit (agents and admins)
 *   DELETE /api/customers/:id         soft delete (admins)
 *   POST   /api/customers/:id/merge   {"from": id}: everything of "from"
 *                                     moves here, and "from" is deleted
 *
 * Staff read; customers (the role) have no access: a customer record
 * describes them to staff.  Every change writes its live event
 * (customer_created, customer_updated, customer_deleted; staff only) in
 * its statement (sql/queries/customers.sql).
 */
#include <apr_strings.h>
#include <apr_lib.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "core/tk_etag.h"
#include "core/tk_id.h"
#include "valid/tk_valid_customers.h"
#include "tk_queries.h"

#define TK_NO_CUSTOMER "No such customer."

static const char *tk_set(const tk_opt_t *o)
{
    return tk_bool(o->set);
}

static int tk_customers_page(tk_ctx_t *c, const void *data, int limit,
                             int offset, tk_rows_t **rows)
{
    const tk_customer_filter_t *f = data;

    return TK_SQL_SELECT(c, customer_list, rows, c->who->org_id, f->q, f->tag,
                         f->platform, f->channel_id, f->created_from,
                         f->created_to, f->sort, apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_customers_list(tk_ctx_t *c)
{
    tk_customer_filter_t f;

    if (tk_require_staff(c)
        || tk_customer_filter_parse(c->r->pool, c->query,
                                    c->dconf->default_page, c->dconf->max_page,
                                    &f, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_customers_page, &f, f.limit, f.offset);
}

int tk_handle_customers_get(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_require_staff(c)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_CUSTOMER);
    }
    if (TK_SQL_SELECT(c, customer_get, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_send_resource(c, rows, TK_NO_CUSTOMER);
}

/* A login linked with userId: a customer of the organization, not linked
 * to another customer. */
static int tk_check_login(tk_ctx_t *c, const char *self, const tk_opt_t *u)
{
    tk_rows_t *rows;

    if (!u->set || !u->value) {
        return TK_OK;
    }
    if (TK_SQL_SELECT(c, customer_user_ok, &rows, self, u->value,
                      c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_VALIDATION, "userId",
                       "No login with role customer has this id in your "
                       "organization.");
    }
    if (strcmp(tk_rows_get(rows, 0, 1), "t") == 0) {
        return tk_fail(c, TK_E_CONFLICT, "userId",
                       "This login belongs to another customer.");
    }
    return TK_OK;
}

/* The answer of a change, whose statement wrote its live event. */
static int tk_answer(tk_ctx_t *c, const tk_rows_t *rows, int status,
                     tk_change_t *ch)
{
    c->stream_written = 1;
    return tk_change_answer(c, rows, status, ch);
}

int tk_handle_customers_create(tk_ctx_t *c)
{
    tk_customer_input_t in;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;
    int rv;

    if (tk_require_writer(c)
        || tk_valid_customer(c->r->pool, c->body, 1, &in, &c->err)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (tk_check_login(c, NULL, &in.user_id)
        || TK_SQL_SELECT(c, customer_create, &rows, c->who->org_id,
                         in.name.value, in.email.value, in.phone.value,
                         in.avatar_url.value, in.notes.value, in.tags.value,
                         in.user_id.value)
        || tk_answer(c, rows, HTTP_CREATED, &ch)) {
        return TK_FAIL;
    }
    ch.location = apr_pstrcat(c->r->pool, "/api/customers/",
                              tk_rows_get(rows, 0, 2), NULL);
    return tk_change_finish(c, &ch);
}

/* Inside a transaction: lock the customer of id (If-Match is the
 * request's customer's: :id). */
static int tk_lock_customer(tk_ctx_t *c, const char *id, tk_rows_t **rows)
{
    if (!tk_uuid_valid(id)) {
        return tk_not_found(c, TK_NO_CUSTOMER);
    }
    if (TK_SQL_SELECT(c, customer_lock, rows, id, c->who->org_id)) {
        return TK_FAIL;
    }
    if (strcasecmp(id, c->params[0]) != 0) {
        return (*rows)->nrows == 1 ? TK_OK : tk_not_found(c, TK_NO_CUSTOMER);
    }
    return tk_check_locked(c, *rows, TK_NO_CUSTOMER);
}

/* A uuid as PostgreSQL writes it (lower case), so two spellings of one
 * id compare equal. */
static const char *tk_uuid_lower(tk_ctx_t *c, const char *id)
{
    char *s = apr_pstrdup(c->r->pool, id), *q;

    for (q = s; *q; ++q) {
        *q = (char)apr_tolower(*q);
    }
    return s;
}

int tk_handle_customers_update(tk_ctx_t *c)
{
    tk_customer_input_t in;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;

    if (tk_require_writer(c)
        || tk_valid_customer(c->r->pool, c->body, 0, &in, &c->err)
        || tk_sql_begin(c) || tk_lock_customer(c, c->params[0], &rows)
        || tk_check_login(c, c->params[0], &in.user_id)
        || TK_SQL_SELECT(c, customer_update, &rows, c->params[0],
                         tk_set(&in.name), in.name.value,
                         tk_set(&in.email), in.email.value,
                         tk_set(&in.phone), in.phone.value,
                         tk_set(&in.avatar_url), in.avatar_url.value,
                         tk_set(&in.notes), in.notes.value,
                         tk_set(&in.tags), in.tags.value,
                         tk_set(&in.user_id), in.user_id.value)
        || tk_answer(c, rows, HTTP_OK, &ch)) {
        return TK_FAIL;
    }
    return tk_change_finish(c, &ch);
}

int tk_handle_customers_delete(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    tk_rows_t *rows;

    if (tk_require_admin(c) || tk_sql_begin(c)
        || tk_lock_customer(c, c->params[0], &rows)
        || TK_SQL_SELECT(c, customer_delete, &rows, c->params[0])) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    ch.status = HTTP_NO_CONTENT;
    return tk_change_finish(c, &ch);
}

int tk_handle_customers_merge(tk_ctx_t *c)
{
    tk_change_t ch = { 0 };
    const char *from, *into;
    tk_rows_t *rows;

    if (tk_require_writer(c)
        || tk_valid_customer_merge(c->body, &from, &c->err)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_CUSTOMER);
    }
    from = tk_uuid_lower(c, from);
    into = tk_uuid_lower(c, c->params[0]);
    if (strcmp(from, into) == 0) {
        return tk_fail(c, TK_E_VALIDATION, "from",
                       "A customer cannot be merged into itself.");
    }
    /* Both rows locked in one order (the smaller id first), so two merges
     * of the same pair in opposite directions cannot deadlock. */
    if (tk_sql_begin(c)
        || tk_lock_customer(c, strcmp(from, into) < 0 ? from : into, &rows)
        || tk_lock_customer(c, strcmp(from, into) < 0 ? into : from, &rows)
        || TK_SQL_SELECT(c, customer_merge, &rows, into, from,
                         c->who->user_id)
        || tk_answer(c, rows, HTTP_OK, &ch)) {
        return TK_FAIL;
    }
    return tk_change_finish(c, &ch);
}
