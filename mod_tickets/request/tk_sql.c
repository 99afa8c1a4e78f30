/* tk_sql.c: the database through mod_dbd (see tk_request.h).
 *
 * A request takes one of its child's pooled connections on its first
 * statement and gives it back when it ends.  A connection's server may
 * have gone away while the connection sat in the pool (a database
 * restart): that is found before the first statement (tk_db_check_idle)
 * and the connection is opened again, its statements prepared again, so
 * the request works on its first try.  A connection that breaks during a
 * request answers 503 DB_UNAVAILABLE, and is repaired for the next one.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include "request/tk_request.h"
#include "core/tk_json.h"
#include "tk_queries.h"

/* The connection goes back to mod_dbd's pool when the request ends, or
 * earlier through tk_db_release() (a long-lived stream must not hold one). */
static apr_status_t tk_db_cleanup(void *data)
{
    tk_db_release(data);
    return APR_SUCCESS;
}

static int tk_sql_reprepare(tk_ctx_t *c)
{
    int n, rv;
    const tk_query_t *q = tk_query_catalogue(&n);

    rv = tk_db_reprepare(c->db, c->dbd->pool, q, n);
    ap_log_rerror(APLOG_MARK, rv ? APLOG_ERR : APLOG_INFO, 0, c->r,
                  "TK00012: database session was renewed; statements "
                  "prepared again%s", rv ? " with failures" : "");
    return rv;
}

tk_db_t *tk_db(tk_ctx_t *c)
{
    ap_dbd_t *dbd;

    if (c->db) {
        return c->db;
    }
    dbd = ap_dbd_open(c->r->pool, c->r->server);
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00010: no database connection available");
        tk_fail(c, TK_E_DB_UNAVAILABLE, NULL,
                "The database is unavailable; try again shortly.");
        return NULL;
    }
    c->dbd = dbd;
    c->db = apr_pcalloc(c->r->pool, sizeof(*c->db));
    c->db->driver = dbd->driver;
    c->db->handle = dbd->handle;
    c->db->prepared = dbd->prepared;
    c->db->pool = c->r->pool;
    apr_pool_cleanup_register(c->r->pool, c, tk_db_cleanup,
                              apr_pool_cleanup_null);
    switch (tk_db_check_idle(c->db, dbd->pool)) {
    case 0:
        break;
    case 1:
        tk_sql_reprepare(c);    /* a new session: our statements are gone */
        break;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, "TK00013: the "
                      "database went away and cannot be reached again");
        tk_db_release(c);
        tk_fail(c, TK_E_DB_UNAVAILABLE, NULL,
                "The database is unavailable; try again shortly.");
        return NULL;
    }
    return c->db;
}

void tk_db_release(tk_ctx_t *c)
{
    if (c->dbd) {
        tk_db_rollback(c->db);
        ap_dbd_close(c->r->server, c->dbd);
        c->dbd = NULL;
        c->db = NULL;
    }
}

int tk_sql_renewed(tk_ctx_t *c)
{
    int n;
    const tk_query_t *q = tk_query_catalogue(&n);

    if (c->db->trans || !tk_db_session_renewed(c->db, c->dbd->pool, q)) {
        return 0;
    }
    tk_sql_reprepare(c);
    return 1;
}

/* The primary line of a driver's error: PostgreSQL's DETAIL may quote
 * the row ("Failing row contains (...)"), and a row may hold a channel's
 * secrets, so only the first line is logged. */
static const char *tk_sql_primary(apr_pool_t *p, const char *error)
{
    const char *nl;

    if (!error) {
        return "?";
    }
    nl = strchr(error, '\n');
    return nl ? apr_pstrmemdup(p, error, (apr_size_t)(nl - error)) : error;
}

/* A failed statement.  When the connection is gone, or its session was
 * renewed under us (prepared statements lost), the answer is 503: the
 * check below reconnects a broken connection when it can, and the
 * statements are prepared again, so the next request finds it working.
 * Inside a transaction the router rolls back, looks, and runs the handler
 * again when the session was renewed. */
static int tk_sql_failed(tk_ctx_t *c, const char *what, const char *label)
{
    int down = apr_dbd_check_conn(c->db->driver, c->r->pool, c->db->handle)
               != APR_SUCCESS;

    c->db_failed = 1;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                  "TK00011: %s %s failed: %s", what, label,
                  tk_sql_primary(c->r->pool, c->db->error));
    if (down || c->db->lost || tk_sql_renewed(c)) {
        return tk_fail(c, TK_E_DB_UNAVAILABLE, NULL,
                       "The database is unavailable; try again shortly.");
    }
    return tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
}

/* After a failure outside a transaction: run the statement once more when
 * the session turned out renewed (its statements are prepared again) and
 * running it twice is harmless: nothing ran (the statement was unknown to
 * the server) or the request only reads. */
static int tk_sql_retryable(tk_ctx_t *c)
{
    int nothing_ran = c->db->stale && !c->db->lost;

    if (c->db->trans || (!nothing_ran && c->r->method_number != M_GET)) {
        return 0;
    }
    if (apr_dbd_check_conn(c->db->driver, c->r->pool, c->db->handle)
        != APR_SUCCESS) {
        return 0;
    }
    return tk_sql_renewed(c);
}

int tk_sql_select(tk_ctx_t *c, const char *label, tk_rows_t **rows,
                  int nargs, const char *const *args)
{
    if (!tk_db(c)) {
        return TK_FAIL;
    }
    if (tk_db_select(c->db, label, nargs, args, rows) != 0
        && (!tk_sql_retryable(c)
            || tk_db_select(c->db, label, nargs, args, rows) != 0)) {
        return tk_sql_failed(c, "query", label);
    }
    return TK_OK;
}

int tk_sql_exec(tk_ctx_t *c, const char *label, int *affected,
                int nargs, const char *const *args)
{
    if (!tk_db(c)) {
        return TK_FAIL;
    }
    if (tk_db_exec(c->db, label, nargs, args, affected) != 0
        && (!tk_sql_retryable(c)
            || tk_db_exec(c->db, label, nargs, args, affected) != 0)) {
        return tk_sql_failed(c, "statement", label);
    }
    return TK_OK;
}

int tk_sql_begin(tk_ctx_t *c)
{
    if (!tk_db(c)) {
        return TK_FAIL;
    }
    c->stream_written = 0;
    c->jobs_written = 0;
    if (tk_db_begin(c->db) != 0) {
        c->db->lost = 1;        /* BEGIN is not prepared: the link broke */
        return tk_sql_failed(c, "transaction", "begin");
    }
    return TK_OK;
}

/* The transaction wrote live events or enqueued jobs: wake the relays or
 * the job workers now rather than at their next look.  A failure only
 * delays them (logged). */
static void tk_sql_wake(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (TK_SELECT(c->db, wake, &rows, tk_bool(c->stream_written),
                  tk_bool(c->jobs_written)) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, c->r, "TK00044: the "
                      "relays and job workers could not be woken (%s); they "
                      "look again within seconds",
                      c->db->error ? c->db->error : "?");
    }
    c->stream_written = 0;
    c->jobs_written = 0;
}

int tk_sql_commit(tk_ctx_t *c)
{
    if (tk_db_commit(c->db) != 0) {
        c->commit_failed = 1;       /* it may have committed: never rerun */
        return tk_sql_failed(c, "transaction", "commit");
    }
    if (c->stream_written || c->jobs_written) {
        tk_sql_wake(c);
    }
    return TK_OK;
}

int tk_sql_committed(tk_ctx_t *c)
{
    if (c->stream_written || c->jobs_written) {
        tk_sql_wake(c);
    }
    return TK_OK;
}

const char *tk_bool(int v)
{
    return v ? "true" : "false";
}

json_t *tk_doc(tk_ctx_t *c, const char *text)
{
    json_t *j = tk_json_load(c->r->pool, text);

    if (!j) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r,
                      "TK00014: the database returned a malformed document");
        tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
    }
    return j;
}

json_t *tk_doc_row(tk_ctx_t *c, const tk_rows_t *rows)
{
    if (rows->nrows != 1) {
        tk_internal(c);
        return NULL;
    }
    return tk_doc(c, tk_rows_get(rows, 0, 0));
}

tk_db_t *tk_db_open(server_rec *s, apr_pool_t *p, ap_dbd_t **dbd)
{
    int n;
    const tk_query_t *q = tk_query_catalogue(&n);
    tk_db_t *db;

    if (!(*dbd = ap_dbd_open(p, s))) {
        return NULL;
    }
    db = apr_pcalloc(p, sizeof(*db));
    db->driver = (*dbd)->driver;
    db->handle = (*dbd)->handle;
    db->prepared = (*dbd)->prepared;
    db->pool = p;
    switch (tk_db_check_idle(db, (*dbd)->pool)) {
    case 0:
        break;
    case 1:
        tk_db_reprepare(db, (*dbd)->pool, q, n);
        break;
    default:
        ap_dbd_close(s, *dbd);
        return NULL;
    }
    return db;
}
