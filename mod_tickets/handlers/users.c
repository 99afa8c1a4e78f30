/* users.c: /api/users, the accounts of the organization (admins only).
 *
 *   GET   /api/users        list; filters role and q (email or name)
 *   POST  /api/users        {"email", "name", "role", "password"?}
 *   GET   /api/users/:id    one account, with its ETag
 *   PATCH /api/users/:id    {"name"?, "role"?, "disabled"?, "password"?}
 *
 * An account without a password signs in through another AuthType (SSO,
 * matched by email) until an admin sets one.  The last active admin of an
 * organization cannot be demoted or disabled (409).  A change of role,
 * password or disabled reaches everything at once: every child of every
 * host forgets what it verified for the user (its tokens and Basic
 * password), and the user's open event streams end (a credential_revoked
 * event naming the user), so the next request and the next stream carry
 * the new role, or none.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "auth/tk_auth.h"
#include "events/tk_events.h"
#include "core/tk_etag.h"
#include "core/tk_id.h"
#include "core/tk_revlog.h"
#include "crypto/tk_crypto.h"
#include "valid/tk_valid_users.h"
#include "tk_queries.h"

static int tk_no_user(tk_ctx_t *c)
{
    return tk_not_found(c, "No such user.");
}

static int tk_users_page(tk_ctx_t *c, const void *data, int limit,
                         int offset, tk_rows_t **rows)
{
    const tk_user_filter_t *f = data;

    return TK_SQL_SELECT(c, user_list, rows, c->who->org_id, f->role, f->q,
                         apr_itoa(c->r->pool, limit),
                         apr_itoa(c->r->pool, offset));
}

int tk_handle_users_list(tk_ctx_t *c)
{
    tk_user_filter_t f;

    if (tk_require_admin(c)
        || tk_user_filter_parse(c->r->pool, c->query, c->dconf->default_page,
                                c->dconf->max_page, &f, &c->err)) {
        return TK_FAIL;
    }
    return tk_send_page(c, tk_users_page, &f, f.limit, f.offset);
}

int tk_handle_users_get(tk_ctx_t *c)
{
    tk_rows_t *rows;
    json_t *doc;

    if (tk_require_admin(c)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_no_user(c);
    }
    if (TK_SQL_SELECT(c, user_get, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_no_user(c);
    }
    if (!(doc = tk_doc(c, tk_rows_get(rows, 0, 0)))) {
        return TK_FAIL;
    }
    return tk_send_data(c, HTTP_OK, doc,
                        tk_etag_make(c->r->pool, atol(tk_rows_get(rows, 0, 1)),
                                     0));
}

/* The bcrypt of a password given, or NULL for none. */
static int tk_hash_password(tk_ctx_t *c, const char *password,
                            const char **hash)
{
    *hash = NULL;
    if (password && !(*hash = tk_password_hash(c->r->pool, password))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00022: no randomness for a password hash");
        return tk_internal(c);
    }
    return TK_OK;
}

int tk_handle_users_create(tk_ctx_t *c)
{
    tk_user_input_t in;
    tk_change_t ch = { 0 };
    const char *hash;
    tk_rows_t *rows;
    int rv;

    if (tk_require_admin(c)
        || tk_valid_user_create(c->r->pool, c->body, &in, &c->err)
        || tk_hash_password(c, in.password, &hash)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (TK_SQL_SELECT(c, user_create, &rows, c->who->org_id, in.email,
                      in.name, in.role, hash)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_fail(c, TK_E_CONFLICT, "email",
                       "An account with this email address already exists.");
    }
    if (!(ch.data = tk_doc(c, tk_rows_get(rows, 0, 0)))) {
        return TK_FAIL;
    }
    ch.status = HTTP_CREATED;
    ch.etag = tk_etag_make(c->r->pool, atol(tk_rows_get(rows, 0, 1)), 0);
    ch.location = apr_pstrcat(c->r->pool, "/api/users/",
                              tk_rows_get(rows, 0, 2), NULL);
    return tk_change_finish(c, &ch);
}

/* Inside the transaction: refuse to leave the organization without an
 * active admin.  admin: the user is an active admin now; stays: they
 * still will be after the change. */
static int tk_keep_an_admin(tk_ctx_t *c, int admin, int stays)
{
    tk_rows_t *rows;

    if (!admin || stays) {
        return TK_OK;
    }
    if (TK_SQL_SELECT(c, user_admins_lock, &rows, c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows <= 1) {
        return tk_fail(c, TK_E_CONFLICT, NULL,
                       "This is the organization's last active admin; make "
                       "another admin first.");
    }
    return TK_OK;
}

int tk_handle_users_update(tk_ctx_t *c)
{
    tk_user_patch_t in;
    tk_change_t ch = { 0 };
    const char *hash, *role, *if_match;
    tk_rows_t *rows;
    int admin, disabled, revokes;
    char id[40];

    if (tk_require_admin(c)
        || tk_valid_user_patch(c->r->pool, c->body, &in, &c->err)
        || tk_hash_password(c, in.password.value, &hash)) {
        return TK_FAIL;
    }
    if (!tk_uuid_valid(c->params[0])) {
        return tk_no_user(c);
    }
    if (tk_sql_begin(c)
        || TK_SQL_SELECT(c, user_lock, &rows, c->params[0], c->who->org_id)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_no_user(c);
    }
    apr_cpystrn(id, tk_rows_get(rows, 0, 0), sizeof(id));
    if_match = apr_table_get(c->r->headers_in, "If-Match");
    if (if_match && !tk_etag_matches(if_match, atol(tk_rows_get(rows, 0, 1)))) {
        return tk_fail(c, TK_E_PRECONDITION_FAILED, NULL,
                       "The account was changed by someone else; reload it "
                       "and try again.");
    }
    role = in.role.set ? in.role.value : tk_rows_get(rows, 0, 2);
    disabled = in.disabled >= 0 ? in.disabled
                                : strcmp(tk_rows_get(rows, 0, 3), "t") == 0;
    admin = strcmp(tk_rows_get(rows, 0, 2), "admin") == 0
            && strcmp(tk_rows_get(rows, 0, 3), "t") != 0;
    if (tk_keep_an_admin(c, admin, strcmp(role, "admin") == 0 && !disabled)
        || TK_SQL_SELECT(c, user_update, &rows, id, tk_bool(in.name.set),
                         in.name.value, in.role.set ? in.role.value : NULL,
                         in.disabled >= 0 ? tk_bool(in.disabled) : NULL,
                         tk_bool(in.password.set), hash)
        || !(ch.data = tk_doc_row(c, rows))) {
        return TK_FAIL;
    }
    /* What the user may do changed: their streams end with this commit. */
    revokes = in.role.set || in.disabled >= 0 || in.password.set;
    if (revokes && tk_event_revoked(c, "user", id)) {
        return TK_FAIL;
    }
    ch.status = HTTP_OK;
    ch.etag = tk_etag_make(c->r->pool, atol(tk_rows_get(rows, 0, 1)), 0);
    if (tk_change_finish(c, &ch) != TK_SENT) {
        return TK_FAIL;
    }
    if (revokes) {
        tk_auth_forget(TK_REVLOG_USER, id);
    }
    return TK_SENT;
}
