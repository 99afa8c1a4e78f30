/* tk_db.h: running labelled prepared statements through apr_dbd.
 *
 * The httpd glue hands in a connection (driver, handle and the table of
 * statements prepared on it, as mod_dbd keeps them); these helpers run a
 * statement by label with string arguments (NULL is SQL NULL), collect the
 * rows into pool memory, and manage one transaction at a time.  Nothing
 * here knows httpd.
 */
#ifndef TK_DB_H
#define TK_DB_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_dbd.h>

/* A statement of the catalogue (sql/queries.sql). */
typedef struct {
    const char *label;
    const char *sql;
} tk_query_t;

typedef struct {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared;           /* label -> apr_dbd_prepared_t* */
    apr_pool_t *pool;
    int trans;                      /* a transaction is open */
    int trans_failed;               /* a statement in it failed: it can
                                     * only be rolled back */
    const char *error;              /* last driver error text */
    int stale;                      /* the server lost our prepared statements */
    int lost;                       /* the connection broke mid-statement */
} tk_db_t;

typedef struct {
    int nrows;
    int ncols;
    const char **cells;             /* row-major; NULL for SQL NULL */
} tk_rows_t;

/* Run a statement returning rows.  0 on success. */
int tk_db_select(tk_db_t *db, const char *label, int nargs,
                 const char *const *args, tk_rows_t **rows);

/* Run a statement without rows; *affected may be NULL.  0 on success. */
int tk_db_exec(tk_db_t *db, const char *label, int nargs,
               const char *const *args, int *affected);

/* One transaction at a time, kept here rather than by the driver:
 * apr_dbd_pgsql's transaction_start dereferences a NULL pointer when its
 * BEGIN fails (a pooled connection whose server went away), so BEGIN,
 * COMMIT and ROLLBACK go as plain commands (they cannot be prepared) and
 * a statement that fails inside marks the transaction for rollback. */
int tk_db_begin(tk_db_t *db);
/* Commit; when a statement failed inside, roll back instead and fail. */
int tk_db_commit(tk_db_t *db);
/* Roll back the open transaction, if any; always safe to call. */
void tk_db_rollback(tk_db_t *db);

/* After a failure: how it is to be read.  The pgsql driver's connection
 * check silently reconnects a broken connection (PQreset), and a new
 * server session has none of the statements mod_dbd prepared, so every
 * statement then fails with "prepared statement ... does not exist" (stale:
 * nothing ran, re-prepare and run again).  A connection that broke during
 * a statement (lost) may or may not have run it. */
void tk_db_classify_error(tk_db_t *db);

/* 1 when this connection's server session has lost the statements mod_dbd
 * prepared (it was silently renewed): preparing probe under its label then
 * succeeds, where it fails with "already exists" on the old session.  Does
 * not depend on the server's message language.  Not inside a failed
 * transaction (roll back first). */
int tk_db_session_renewed(tk_db_t *db, apr_pool_t *conn_pool,
                          const tk_query_t *probe);

/* Prepare every statement of the catalogue again on this connection,
 * allocating in conn_pool (the connection's own pool).  0 on success. */
int tk_db_reprepare(tk_db_t *db, apr_pool_t *conn_pool,
                    const tk_query_t *queries, int nqueries);

/* Cell (row, col) or NULL. */
const char *tk_rows_get(const tk_rows_t *rows, int row, int col);

#define TK_NARGS(...) \
    ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))
#define TK_ARGV(...) ((const char *const[]){__VA_ARGS__})

/* TK_SELECT(db, TKQ_label, &rows, arg1, arg2, ...) */
#define TK_SELECT(db, label, rows, ...) \
    tk_db_select((db), (label), TK_NARGS(__VA_ARGS__), TK_ARGV(__VA_ARGS__), (rows))
#define TK_EXEC(db, label, affected, ...) \
    tk_db_exec((db), (label), TK_NARGS(__VA_ARGS__), TK_ARGV(__VA_ARGS__), (affected))

#endif
