/* tk_db.c: prepared statements by label, rows into pool memory, one
 * transaction at a time, and pooled connections checked before use (see
 * tk_db.h). */
#include <poll.h>
#include <string.h>
#include <apr_strings.h>
#include <libpq-fe.h>
#include "db/tk_db.h"

static apr_dbd_prepared_t *tk_db_stmt(tk_db_t *db, const char *label)
{
    apr_dbd_prepared_t *st = apr_hash_get(db->prepared, label,
                                          APR_HASH_KEY_STRING);
    if (!st) {
        db->error = apr_psprintf(db->pool, "no prepared statement \"%s\"", label);
    }
    return st;
}

static void tk_db_note_error(tk_db_t *db, int rv)
{
    const char *e = apr_dbd_error(db->driver, db->handle, rv);

    if (db->trans) {
        db->trans_failed = 1;
    }

    db->error = apr_pstrdup(db->pool, e ? e : "unknown database error");
    tk_db_classify_error(db);
}

void tk_db_classify_error(tk_db_t *db)
{
    static const char *const lost[] = {
        "server closed the connection", "terminating connection",
        "no connection to the server", "could not receive data",
        "could not send data", "connection to server", NULL
    };
    const char *const *l;
    const char *e = db->error ? db->error : "";

    if (strstr(e, "prepared statement") && strstr(e, "does not exist")) {
        db->stale = 1;
    }
    for (l = lost; *l; ++l) {
        if (strstr(e, *l)) {
            db->lost = 1;
            db->stale = 1;      /* a reconnect will follow */
        }
    }
}

int tk_db_session_renewed(tk_db_t *db, apr_pool_t *conn_pool,
                          const tk_query_t *probe)
{
    apr_dbd_prepared_t *st = NULL;

    if (apr_dbd_prepare(db->driver, conn_pool, db->handle, probe->sql,
                        probe->label, &st) != 0) {
        return 0;
    }
    apr_hash_set(db->prepared, probe->label, APR_HASH_KEY_STRING, st);
    return 1;
}

static void tk_db_note_backend(tk_db_t *db, apr_pool_t *conn_pool);

int tk_db_reprepare(tk_db_t *db, apr_pool_t *conn_pool,
                    const tk_query_t *queries, int nqueries)
{
    int i, failed = 0;

    for (i = 0; i < nqueries; ++i) {
        apr_dbd_prepared_t *st = NULL;

        if (apr_dbd_prepare(db->driver, conn_pool, db->handle, queries[i].sql,
                            queries[i].label, &st) != 0) {
            ++failed;
            continue;
        }
        apr_hash_set(db->prepared, queries[i].label, APR_HASH_KEY_STRING, st);
    }
    db->stale = 0;
    db->lost = 0;
    tk_db_note_backend(db, conn_pool);
    return failed ? -1 : 0;
}

int tk_db_select(tk_db_t *db, const char *label, int nargs,
                 const char *const *args, tk_rows_t **rows)
{
    apr_dbd_prepared_t *st = tk_db_stmt(db, label);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    tk_rows_t *out;
    int rv, r, c;

    if (!st) {
        return -1;
    }
    rv = apr_dbd_pselect(db->driver, db->pool, db->handle, &res, st, 1,
                         nargs, (const char **)args);
    if (rv != 0) {
        tk_db_note_error(db, rv);
        return rv;
    }
    out = apr_pcalloc(db->pool, sizeof(*out));
    out->nrows = apr_dbd_num_tuples(db->driver, res);
    out->ncols = apr_dbd_num_cols(db->driver, res);
    if (out->nrows < 0) {
        out->nrows = 0;
    }
    out->cells = apr_pcalloc(db->pool, sizeof(char *)
                             * (size_t)(out->nrows * out->ncols + 1));
    for (r = 0; r < out->nrows; ++r) {
        if (apr_dbd_get_row(db->driver, db->pool, res, &row, r + 1) != 0) {
            break;
        }
        for (c = 0; c < out->ncols; ++c) {
            char *v = NULL;
            /* APR_ENOENT for SQL NULL; get_entry would give "" */
            if (apr_dbd_datum_get(db->driver, row, c, APR_DBD_TYPE_STRING,
                                  &v) != APR_SUCCESS) {
                v = NULL;
            }
            out->cells[r * out->ncols + c] = v;
        }
    }
    *rows = out;
    return 0;
}

int tk_db_exec(tk_db_t *db, const char *label, int nargs,
               const char *const *args, int *affected)
{
    apr_dbd_prepared_t *st = tk_db_stmt(db, label);
    int n = 0, rv;

    if (!st) {
        return -1;
    }
    rv = apr_dbd_pquery(db->driver, db->pool, db->handle, &n, st, nargs,
                        (const char **)args);
    if (rv != 0) {
        tk_db_note_error(db, rv);
        return rv;
    }
    if (affected) {
        *affected = n;
    }
    return 0;
}

/* A transaction-control command; 0 or the driver's error. */
static int tk_db_command(tk_db_t *db, const char *command)
{
    int n = 0, rv = apr_dbd_query(db->driver, db->handle, &n, command);

    if (rv != 0) {
        tk_db_note_error(db, rv);
    }
    return rv;
}

int tk_db_begin(tk_db_t *db)
{
    int rv = tk_db_command(db, "BEGIN");

    db->trans = rv == 0;
    db->trans_failed = 0;
    return rv;
}

int tk_db_commit(tk_db_t *db)
{
    int rv;

    if (!db->trans) {
        return 0;
    }
    if (db->trans_failed) {
        tk_db_rollback(db);
        db->error = "transaction was marked for rollback";
        return -1;
    }
    rv = tk_db_command(db, "COMMIT");
    db->trans = 0;
    return rv;
}

void tk_db_rollback(tk_db_t *db)
{
    if (db->trans) {
        const char *error = db->error;

        tk_db_command(db, "ROLLBACK");
        db->error = error;          /* the failure that led here counts */
        db->trans = 0;
        db->trans_failed = 0;
    }
}

const char *tk_rows_get(const tk_rows_t *rows, int row, int col)
{
    if (!rows || row < 0 || row >= rows->nrows || col < 0
        || col >= rows->ncols) {
        return NULL;
    }
    return rows->cells[row * rows->ncols + col];
}

int tk_rows_true(const tk_rows_t *rows, int row, int col)
{
    const char *v = tk_rows_get(rows, row, col);

    return v && strcmp(v, "t") == 0;
}

/* The server process a connection talked to when last seen, kept with its
 * statements (the table mod_dbd keeps per connection) under a key no
 * statement has. */
#define TK_DB_BACKEND "tickets:backend"

/* 1 when the connection's server session is not the one last seen (the
 * driver opened it again: its statements are gone); the new one is
 * remembered.  A connection seen for the first time is taken as mod_dbd
 * made it, with its statements. */
static int tk_db_backend_changed(tk_db_t *db, apr_pool_t *conn_pool,
                                 PGconn *pg)
{
    int *known = apr_hash_get(db->prepared, TK_DB_BACKEND,
                              APR_HASH_KEY_STRING);
    int pid = PQbackendPID(pg);

    if (!known) {
        known = apr_palloc(conn_pool, sizeof(*known));
        *known = pid;
        apr_hash_set(db->prepared, TK_DB_BACKEND, APR_HASH_KEY_STRING, known);
        return 0;
    }
    if (*known == pid) {
        return 0;
    }
    *known = pid;
    return 1;
}

/* 1 when fd has something to read now. */
static int tk_db_readable(int fd)
{
    struct pollfd p;

    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    return fd >= 0 && poll(&p, 1, 0) > 0;
}

/* An idle connection's socket said something: read it all.  A server that
 * went away sent its goodbye (an error message) and then closed, and the
 * close is only seen by a second read, so read while there is anything.
 * 1 when the connection is still up. */
static int tk_db_still_up(PGconn *pg)
{
    int round;

    for (round = 0; round < 8 && tk_db_readable(PQsocket(pg)); ++round) {
        PGnotify *n;

        if (!PQconsumeInput(pg) || PQstatus(pg) != CONNECTION_OK) {
            return 0;
        }
        while ((n = PQnotifies(pg)) != NULL) {
            PQfreemem(n);
        }
    }
    return PQstatus(pg) == CONNECTION_OK && !tk_db_readable(PQsocket(pg));
}

/* The statements were just prepared on this session: remember it. */
static void tk_db_note_backend(tk_db_t *db, apr_pool_t *conn_pool)
{
    PGconn *pg;

    if (strcmp(apr_dbd_name(db->driver), "pgsql") == 0
        && (pg = apr_dbd_native_handle(db->driver, db->handle)) != NULL) {
        tk_db_backend_changed(db, conn_pool, pg);
    }
}

int tk_db_check_idle(tk_db_t *db, apr_pool_t *conn_pool)
{
    PGconn *pg;

    if (strcmp(apr_dbd_name(db->driver), "pgsql") != 0
        || !(pg = apr_dbd_native_handle(db->driver, db->handle))) {
        return 0;
    }
    if (PQstatus(pg) == CONNECTION_OK
        && (!tk_db_readable(PQsocket(pg)) || tk_db_still_up(pg))) {
        /* up; but mod_dbd may have opened it again when it was taken (it
         * had failed), and then its statements are gone */
        return tk_db_backend_changed(db, conn_pool, pg);
    }
    PQreset(pg);
    if (PQstatus(pg) != CONNECTION_OK) {
        return -1;
    }
    tk_db_backend_changed(db, conn_pool, pg);
    return 1;
}
