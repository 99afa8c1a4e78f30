/* tk_relay.c: carries committed live events from the database into
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
 * The relay is also the host's listener for the job queue: it LISTENs on
 * "tickets_jobs" too and wakes this host's job workers (tk_jobs.c), which
 * so hold no connection while they wait.  It wakes them too for an event
 * marked wakes_jobs, whose transaction made webhook deliveries in a
 * trigger (sql/migrations/011_webhook_subscriptions.sql).
 *
 * The relay LISTENs on the channel "tickets_stream" (each commit that
 * wrote events NOTIFYs it afterwards), so it reads as soon as something
 * committed; while a committed event still waits behind an older open
 * transaction it reads again every 10 ms, and it reads once a second
 * anyway.  Events older than TicketsEventRetention are purged by a job
 * (tk_purge.c).
 *
 * The relay is a singleton worker (tk_worker.c): every child has its
 * thread, the one that holds the host's "tickets-relay" lock file works
 * and the others wait to take over.  The ring refuses a position it already
 * has, so two relays at once (the old and the new generation during a
 * graceful restart) cost a few duplicate reads and nothing else.  The
 * relay holds one of the child's mod_dbd connections while it works; it is
 * used with libpq directly only for LISTEN and notifications, which
 * apr_dbd lacks.  A revocation it relays is also forgotten by every child
 * of this host (auth/tk_credentials.c), wherever it was made; that is why
 * it reads the log even where mod_tickets_sse is not loaded (no ring to
 * append to).
 */
#include <apr_strings.h>
#include <libpq-fe.h>
#include "work/tk_work.h"
#include "auth/tk_auth.h"
#include "events/tk_events.h"
#include "core/tk_id.h"
#include "tk_queries.h"

#define TK_RELAY_BATCH      "500"   /* events read at a time */
#define TK_RELAY_BYTES      "1048576" /* bytes of data read at a time */
#define TK_RELAY_IDLE_MS    1000    /* longest wait for a notification */
#define TK_RELAY_PENDING_MS 10      /* re-read while an event waits */

typedef struct {
    apr_uint64_t pos[2];            /* the last event appended */
    int started;                    /* pos is set */
    APR_OPTIONAL_FN_TYPE(tickets_sse_publish) *publish;
    APR_OPTIONAL_FN_TYPE(tickets_sse_position) *position;
} tk_relay_t;

static tk_relay_t tk_relay;

/* ---------------------------------------------------------------------
 * One connection's worth of relaying
 * ------------------------------------------------------------------- */

static int tk_relay_listen(const tk_worker_t *w, PGconn *pg,
                           const char *command)
{
    PGresult *res = PQexec(pg, command);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, tk_worker_server(w), "TK00051: "
                     "%s failed: %s", command, PQerrorMessage(pg));
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

    if (tk_relay.position && tk_relay.position(ring) != APR_SUCCESS) {
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
    if (TK_SELECT(db, stream_event_newest, &rows) != 0) {
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
 * batch brought events (read again now), 0 when caught up. */
static int tk_relay_batch(const tk_worker_t *w, tk_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *events;
    tk_rows_t *rows;
    int i, wake = 0;

    if (tk_relay_start(db) != 0
        || TK_SELECT(db, stream_events_after, &rows,
                     tk_u64_text(p, tk_relay.pos[0]),
                     tk_u64_text(p, tk_relay.pos[1]), NULL,
                     TK_RELAY_BATCH, TK_RELAY_BYTES) != 0) {
        return -1;
    }
    if (tk_event_rows(p, rows, &events) != 0) {
        return -1;
    }
    for (i = 0; i < events->nelts; ++i) {
        tickets_event_t *e = &APR_ARRAY_IDX(events, i, tickets_event_t);
        apr_status_t rv;

        if (!e->ready) {
            if (wake) {
                tk_jobs_wake();
            }
            return 1;
        }
        if (strcmp(e->type, TICKETS_EVENT_REVOKED) == 0 && e->data) {
            /* perhaps made on another host */
            tk_auth_forget_event(e->data, e->data_len);
        }
        rv = tk_relay.publish ? tk_relay.publish(e) : APR_SUCCESS;
        if (rv != APR_SUCCESS && rv != APR_EEXIST) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, tk_worker_server(w),
                         "TK00052: event %" APR_UINT64_T_FMT "-%"
                         APR_UINT64_T_FMT " (%s) could not be appended to "
                         "the ring; this host's streams miss it (is "
                         "TicketsSSERingSize too small?)",
                         e->pos[0], e->pos[1], e->type);
        }
        tk_relay.pos[0] = e->pos[0];
        tk_relay.pos[1] = e->pos[1];
        wake |= tk_rows_true(rows, i, 12);
    }
    if (wake) {
        tk_jobs_wake();         /* webhook deliveries made with the events */
    }
    /* A batch ends at TK_RELAY_BATCH events or TK_RELAY_BYTES of data:
     * whatever it brought, there may be more. */
    return events->nelts > 0 ? 2 : 0;
}

/* Take the notifications libpq holds: the job workers are woken for
 * tickets_jobs; 1 when one was for tickets_stream (events to read). */
static int tk_relay_drain(PGconn *pg)
{
    PGnotify *n;
    int events = 0;

    while ((n = PQnotifies(pg)) != NULL) {
        if (strcmp(n->relname, "tickets_jobs") == 0) {
            tk_jobs_wake();
        }
        else {
            events = 1;
        }
        PQfreemem(n);
    }
    return events;
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

/* Relay over one connection until the stop or a failure: the worker. */
static void tk_relay_run(tk_worker_t *w, apr_pool_t *p)
{
    server_rec *s = tk_worker_server(w);
    apr_pool_t *iter;
    ap_dbd_t *dbd;
    tk_db_t *db = tk_worker_db(w, p, &dbd);
    PGconn *pg;
    int rv = 0;

    if (!db) {
        return;
    }
    apr_pool_create(&iter, p);
    pg = apr_dbd_native_handle(dbd->driver, dbd->handle);
    if (!pg || tk_relay_listen(w, pg, "LISTEN tickets_stream") != 0
        || tk_relay_listen(w, pg, "LISTEN tickets_jobs") != 0) {
        ap_dbd_close(s, dbd);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "TK00055: relaying live "
                 "events from the database");
    while (!tk_worker_stopping(w)) {
        int wait;

        apr_pool_clear(iter);
        db->pool = iter;
        if ((rv = tk_relay_batch(w, db, iter)) < 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "TK00056: reading "
                         "live events failed (%s); retrying",
                         db->error ? db->error : "?");
            break;
        }
        /* A notification that arrived while a query ran was read with
         * its result and waits in libpq, not on the socket: read again
         * now rather than sleep on a socket that has nothing more. */
        if (rv == 2 || tk_relay_drain(pg)) {
            continue;
        }
        wait = rv == 1 ? TK_RELAY_PENDING_MS : TK_RELAY_IDLE_MS;
        if (tk_worker_nap(w, wait, PQsocket(pg)) && tk_relay_notified(pg) != 0) {
            rv = -1;
            break;
        }
    }
    /* The connection goes back to mod_dbd's pool: leave it as found,
     * subscribed to nothing, whatever ended the loop. */
    if (PQstatus(pg) == CONNECTION_OK) {
        if (PQtransactionStatus(pg) != PQTRANS_IDLE) {
            PQclear(PQexec(pg, "ROLLBACK"));
        }
        tk_relay_listen(w, pg, "UNLISTEN *");
        tk_relay_notified(pg);
    }
    db->pool = p;
    ap_dbd_close(s, dbd);
}

/* Events are appended to a ring only where mod_tickets_sse is loaded;
 * revocations are read and the job workers woken everywhere. */
static int tk_relay_wanted(server_rec *s)
{
    (void)s;
    tk_relay.publish = APR_RETRIEVE_OPTIONAL_FN(tickets_sse_publish);
    tk_relay.position = APR_RETRIEVE_OPTIONAL_FN(tickets_sse_position);
    if (!tk_relay.position || !tk_relay.publish) {
        tk_relay.publish = NULL;
        tk_relay.position = NULL;
    }
    return 1;
}

static const tk_worker_spec_t tk_relay_spec = {
    "relay", 1, tk_relay_run, NULL, tk_relay_wanted
};

void tk_relay_wake(tk_db_t *db)
{
    tk_rows_t *rows;

    (void)TK_SELECT(db, wake, &rows, "true", "false");
}

void tk_relay_register_hooks(apr_pool_t *p)
{
    (void)p;
    tk_worker_declare(&tk_relay_spec);
}
