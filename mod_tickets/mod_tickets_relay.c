/* mod_tickets_relay.c: carries committed live events from the database into
 * mod_tickets_sse's shared ring, on every host.
 *
 * Changes write their events into the log (stream_events) in their own
 * transactions, on whichever host served them.  On each host one relay
 * thread reads the log in position order, only below the snapshot's xmin
 * (sql/migrations/004_stream_events.sql says why that is gap-free), and
 * appends each event to the ring with its position; every stream of every
 * child then sees it.  Events of this host and of other hosts take the
 * same road, so each arrives once and in the same order everywhere, and a
 * client's Last-Event-ID means the same on every host.
 *
 * The relay LISTENs on the channel "tickets_stream" (a trigger NOTIFYs it
 * at each commit that wrote events), so it reads as soon as something
 * committed; while a committed event still waits behind an older open
 * transaction it reads again every 10 ms, and it reads once a second
 * anyway.  It also purges events older than TicketsEventRetention once a
 * minute.
 *
 * Every child starts the thread; the one that holds the "tickets-relay"
 * global mutex works and the others wait to take over (a child that exits
 * or dies releases it).  The ring refuses a position it already has, so
 * two relays at once (the old and the new generation during a graceful
 * restart) cost a few duplicate reads and nothing else.  The relay holds
 * one of the child's mod_dbd connections while it works; it is used with
 * libpq directly only for LISTEN and notifications, which apr_dbd lacks.
 */
#include <poll.h>
#include <unistd.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_global_mutex.h>
#include <http_core.h>
#include <util_mutex.h>
#include <libpq-fe.h>
#include "mod_tickets.h"
#include "mod_tickets_sse.h"
#include "sse_filter.h"
#include "tk_queries.h"

#define TK_RELAY_MUTEX      "tickets-relay"
#define TK_RELAY_BATCH      "500"   /* events read at a time */
#define TK_RELAY_BATCH_N    500
#define TK_RELAY_IDLE_MS    1000    /* longest wait for a notification */
#define TK_RELAY_PENDING_MS 10      /* re-read while an event waits */
#define TK_RELAY_RETRY_MS   1000    /* after a failure */
#define TK_RELAY_STANDBY_MS 1000    /* between tries for the mutex */
#define TK_RELAY_PURGE      apr_time_from_sec(60)

typedef struct {
    server_rec *s;
    apr_global_mutex_t *mutex;
    apr_thread_t *thread;
    int wake[2];                    /* a byte written: stop */
    apr_uint32_t stop;
    apr_time_t next_purge;
    apr_uint64_t pos[2];            /* the last event appended */
    int started;                    /* pos is set */
    APR_OPTIONAL_FN_TYPE(tickets_sse_publish) *publish;
    APR_OPTIONAL_FN_TYPE(tickets_sse_position) *position;
} tk_relay_t;

static tk_relay_t tk_relay;

/* ---------------------------------------------------------------------
 * Waiting
 * ------------------------------------------------------------------- */

static int tk_relay_stopping(void)
{
    return apr_atomic_read32(&tk_relay.stop) != 0;
}

/* Wait up to ms for fd (-1: none) to be readable or for the stop; 1 when
 * fd is readable. */
static int tk_relay_nap(int ms, int fd)
{
    struct pollfd p[2];

    p[0].fd = tk_relay.wake[0];
    p[0].events = POLLIN;
    p[0].revents = 0;
    p[1].fd = fd;
    p[1].events = POLLIN;
    p[1].revents = 0;
    if (poll(p, fd >= 0 ? 2 : 1, ms) <= 0 || tk_relay_stopping()) {
        return 0;
    }
    return fd >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
}

/* ---------------------------------------------------------------------
 * One connection's worth of relaying
 * ------------------------------------------------------------------- */

static int tk_relay_listen(PGconn *pg, const char *command)
{
    PGresult *res = PQexec(pg, command);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, tk_relay.s, "TK00051: %s "
                     "failed: %s", command, PQerrorMessage(pg));
    }
    PQclear(res);
    return ok ? 0 : -1;
}

static int tk_pos_after(const apr_uint64_t a[2], const apr_uint64_t b[2])
{
    return a[0] > b[0] || (a[0] == b[0] && a[1] > b[1]);
}

/* Where to go on from: the ring's last position (another relay may have
 * gone further), or, for a ring that never had an event, the newest
 * event of the log (older ones are for streams to read from the log). */
static int tk_relay_start(tk_db_t *db)
{
    apr_uint64_t ring[2] = { 0, 0 };
    tk_rows_t *rows;

    if (tk_relay.position(ring) != APR_SUCCESS) {
        return -1;
    }
    if (tk_pos_after(ring, tk_relay.pos)) {
        tk_relay.pos[0] = ring[0];
        tk_relay.pos[1] = ring[1];
    }
    if (tk_relay.started || tk_relay.pos[0] != 0 || tk_relay.pos[1] != 0) {
        tk_relay.started = 1;
        return 0;
    }
    if (TK_SELECT(db, TKQ_stream_event_newest, &rows) != 0) {
        return -1;
    }
    if (rows->nrows == 1
        && (tk_parse_u64(tk_rows_get(rows, 0, 0), &tk_relay.pos[0])
            || tk_parse_u64(tk_rows_get(rows, 0, 1), &tk_relay.pos[1]))) {
        return -1;
    }
    tk_relay.started = 1;
    return 0;
}

/* Append what the log holds after our position, in order, up to the
 * first event that may still have earlier company.  -1 on a database
 * failure; otherwise 1 when something waits (read again soon), 2 when the
 * batch was full (read again now), 0 when caught up. */
static int tk_relay_batch(tk_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *events;
    tk_rows_t *rows;
    int i;

    if (tk_relay_start(db) != 0
        || TK_SELECT(db, TKQ_stream_events_after, &rows,
                     tk_u64_text(p, tk_relay.pos[0]),
                     tk_u64_text(p, tk_relay.pos[1]), NULL,
                     TK_RELAY_BATCH) != 0) {
        return -1;
    }
    if (tk_stream_rows(p, rows, &events) != 0) {
        return -1;
    }
    for (i = 0; i < events->nelts; ++i) {
        tickets_event_t *e = &APR_ARRAY_IDX(events, i, tickets_event_t);
        apr_status_t rv;

        if (!e->ready) {
            return 1;
        }
        if (strcmp(e->rec.type, SSE_REVOKED_TYPE) == 0) {
            tk_auth_revoked();      /* perhaps made on another host */
        }
        rv = tk_relay.publish(&e->rec, e->pos, e->written);
        if (rv != APR_SUCCESS && rv != APR_EEXIST) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, tk_relay.s, "TK00052: "
                         "event %" APR_UINT64_T_FMT "-%" APR_UINT64_T_FMT
                         " (%s) could not be appended to the ring; streams "
                         "will read it from the database", e->pos[0],
                         e->pos[1], e->rec.type);
        }
        tk_relay.pos[0] = e->pos[0];
        tk_relay.pos[1] = e->pos[1];
    }
    return events->nelts == TK_RELAY_BATCH_N ? 2 : 0;
}

static void tk_relay_purge(tk_db_t *db, apr_pool_t *p)
{
    int n = 0;
    const tk_srv_conf_t *conf = tk_srv_conf(tk_relay.s);

    if (apr_time_now() < tk_relay.next_purge) {
        return;
    }
    tk_relay.next_purge = apr_time_now() + TK_RELAY_PURGE;
    if (TK_EXEC(db, TKQ_stream_event_purge, &n,
                apr_itoa(p, conf->event_retention)) != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, tk_relay.s, "TK00053: "
                     "purging old live events failed: %s",
                     db->error ? db->error : "?");
    }
    else if (n > 0) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, tk_relay.s, "TK00054: %d "
                     "live events past retention purged", n);
    }
}

/* Forget the notifications libpq holds; 1 when there were any. */
static int tk_relay_drain(PGconn *pg)
{
    PGnotify *n;
    int any = 0;

    while ((n = PQnotifies(pg)) != NULL) {
        PQfreemem(n);
        any = 1;
    }
    return any;
}

/* Read what the socket has and drain notifications; -1 when the
 * connection broke. */
static int tk_relay_notified(PGconn *pg)
{
    if (!PQconsumeInput(pg)) {
        return -1;
    }
    tk_relay_drain(pg);
    return 0;
}

/* A prepared-statement handle from mod_dbd, its statements prepared again
 * when its server session is new. */
static void tk_relay_db(tk_db_t *db, ap_dbd_t *dbd, apr_pool_t *p)
{
    int n;
    const tk_query_t *q = tk_query_catalogue(&n);

    memset(db, 0, sizeof(*db));
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    db->prepared = dbd->prepared;
    db->pool = p;
    if (tk_db_session_renewed(db, dbd->pool, q)) {
        tk_db_reprepare(db, dbd->pool, q, n);
    }
}

/* Relay over one connection until the stop or a failure (-1). */
static int tk_relay_session(apr_pool_t *p)
{
    ap_dbd_t *dbd = ap_dbd_open(p, tk_relay.s);
    apr_pool_t *iter;
    PGconn *pg;
    tk_db_t db;
    int rv = 0;

    if (!dbd) {
        return -1;
    }
    apr_pool_create(&iter, p);
    tk_relay_db(&db, dbd, iter);
    pg = apr_dbd_native_handle(dbd->driver, dbd->handle);
    if (!pg || tk_relay_listen(pg, "LISTEN tickets_stream") != 0) {
        ap_dbd_close(tk_relay.s, dbd);
        return -1;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, tk_relay.s, "TK00055: relaying "
                 "live events from the database");
    while (!tk_relay_stopping()) {
        int wait;

        apr_pool_clear(iter);
        db.pool = iter;
        if ((rv = tk_relay_batch(&db, iter)) < 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, tk_relay.s, "TK00056: "
                         "reading live events failed (%s); retrying",
                         db.error ? db.error : "?");
            break;
        }
        tk_relay_purge(&db, iter);
        /* A notification that arrived while a query ran was read with
         * its result and waits in libpq, not on the socket: read again
         * now rather than sleep on a socket that has nothing more. */
        if (rv == 2 || tk_relay_drain(pg)) {
            continue;
        }
        wait = rv == 1 ? TK_RELAY_PENDING_MS : TK_RELAY_IDLE_MS;
        if (tk_relay_nap(wait, PQsocket(pg)) && tk_relay_notified(pg) != 0) {
            rv = -1;
            break;
        }
    }
    /* The connection goes back to mod_dbd's pool: leave it as found. */
    if (rv >= 0 && PQstatus(pg) == CONNECTION_OK) {
        tk_relay_listen(pg, "UNLISTEN *");
        tk_relay_notified(pg);
    }
    ap_dbd_close(tk_relay.s, dbd);
    return rv < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------------
 * The thread
 * ------------------------------------------------------------------- */

static void *APR_THREAD_FUNC tk_relay_main(apr_thread_t *thread, void *data)
{
    apr_pool_t *p;
    int leading = 0;

    (void)data;
    apr_pool_create(&p, apr_thread_pool_get(thread));
    while (!tk_relay_stopping()) {
        if (!leading) {
            apr_status_t rv = apr_global_mutex_trylock(tk_relay.mutex);

            if (rv != APR_SUCCESS) {
                tk_relay_nap(TK_RELAY_STANDBY_MS, -1);
                continue;
            }
            leading = 1;
        }
        if (tk_relay_session(p) != 0) {
            tk_relay_nap(TK_RELAY_RETRY_MS, -1);
        }
        apr_pool_clear(p);
    }
    if (leading) {
        apr_global_mutex_unlock(tk_relay.mutex);
    }
    apr_pool_destroy(p);
    return NULL;        /* not apr_thread_exit: a plain return ends the
                         * thread the same, and unwinds its stack */
}

static apr_status_t tk_relay_stop(void *data)
{
    apr_status_t rv;

    (void)data;
    apr_atomic_set32(&tk_relay.stop, 1);
    if (write(tk_relay.wake[1], "x", 1) < 0) {
        /* the thread still sees stop within a second */
    }
    apr_thread_join(&rv, tk_relay.thread);
    close(tk_relay.wake[0]);
    close(tk_relay.wake[1]);
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------------
 * Hooks (called from mod_tickets.c)
 * ------------------------------------------------------------------- */

void tk_relay_pre_config(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, TK_RELAY_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
}

int tk_relay_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_status_t rv;

    tk_relay.mutex = NULL;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST) {
        return OK;
    }
    rv = ap_global_mutex_create(&tk_relay.mutex, NULL, TK_RELAY_MUTEX, NULL,
                                s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00050: the relay "
                     "mutex could not be created");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void tk_relay_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    tk_relay.publish = APR_RETRIEVE_OPTIONAL_FN(tickets_sse_publish);
    tk_relay.position = APR_RETRIEVE_OPTIONAL_FN(tickets_sse_position);
    if (!tk_relay.mutex || !tk_relay.publish || !tk_relay.position) {
        return;     /* no streams on this host: nothing to relay to */
    }
    tk_relay.s = s;
    rv = apr_global_mutex_child_init(&tk_relay.mutex,
                                     apr_global_mutex_lockfile(tk_relay.mutex),
                                     pchild);
    if (rv != APR_SUCCESS || pipe(tk_relay.wake) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00057: the relay "
                     "could not start in this child");
        return;
    }
    rv = apr_thread_create(&tk_relay.thread, NULL, tk_relay_main, NULL,
                           pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00057: the relay "
                     "could not start in this child");
        return;
    }
    /* a pre-cleanup: it runs before pchild's subpools go, mod_dbd's
     * connection pool among them */
    apr_pool_pre_cleanup_register(pchild, NULL, tk_relay_stop);
}
