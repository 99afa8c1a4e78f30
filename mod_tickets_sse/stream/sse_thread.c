/* sse_thread.c: a stream on its worker thread (see sse_stream.h).
 *
 * Every stream starts here, after the handler (handlers/sse_handler.c)
 * identified the caller and read the query: it is counted in, sends its
 * headers and a retry: line, finds where it starts, and catches up:
 *
 *   - without a Last-Event-ID, after the ring's newest event; the client
 *     is told the newest event of its own organization (from the
 *     database), so a reconnection misses nothing;
 *   - with one the ring still holds, right after it;
 *   - with one the ring no longer holds (or this host's ring is behind the
 *     host that gave it), from the event log in PostgreSQL, through
 *     mod_tickets' tickets_events_read, until the ring holds what follows;
 *   - with one that is no event (or one purged from the log too), with
 *     `event: reset`.
 *
 * Catching up from the database happens on the worker thread: the stream
 * is counted against the thread cap (sse_admit.c) even when bound for the
 * event loop, and refused with 503 at the cap, so replays never take every
 * worker.  It reads the log in batches of at most SSE_REPLAY_BYTES into a
 * pool cleared after each batch and destroyed once caught up: a stream
 * holds one batch at most, and none once back on the ring.
 *
 * Then plain HTTP/1.1 streams go to the child's event loop (sse_loop.c,
 * TicketsSSEEventLoop On); TLS and HTTP/2 streams stay here for their
 * whole life, reading the ring after their cursor and sleeping on its
 * futex word in between, writing only through the output filters.  Each
 * event the caller may see and asked for is sent as id:/event:/data: and
 * flushed at once; an idle stream's ping carries the id of the last event
 * of its organization it passed (an id-only block), so the client's
 * Last-Event-ID moves past what it was not sent.  The stream ends when the
 * client goes away (a failed write, or the socket hung up), when its
 * lifetime passes, when the child is stopping, when what opened it is
 * revoked, or after an `event: reset`.
 */
#include <poll.h>
#include <apr_strings.h>
#include <apr_portable.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <http_ssl.h>
#include <ap_mpm.h>
#include "stream/sse_stream.h"
#include "sse_event.h"

#define SSE_WAKE_MS         1000    /* longest sleep between checks */
#define SSE_WRITE_TIMEOUT   10      /* seconds a write may block */
#define SSE_BUF_INITIAL     16384   /* first read buffer; grows as needed */
#define SSE_REPLAY_BATCH    500     /* events read from the log at a time */
#define SSE_REPLAY_BYTES    65536   /* ... and bytes of their data */
#define SSE_REPLAY_ROUNDS   100000  /* most log reads in one catch-up */

typedef enum {
    SSE_GO = 0,         /* keep streaming */
    SSE_GONE,           /* the client is gone or a write failed */
    SSE_RESET,          /* reset sent: the stream ends */
    SSE_REVOKED,        /* the credential that opened it was revoked */
} sse_step_t;

/* Where a stream starts. */
typedef enum {
    SSE_FROM_RING = 0,  /* the ring holds what follows */
    SSE_FROM_LOG,       /* the log must be read first */
    SSE_FROM_NOWHERE    /* the id is no event of ours: reset */
} sse_start_t;

typedef struct {
    request_rec *r;
    conn_rec *c;
    const sse_srv_conf_t *conf;
    sse_ring_t *ring;
    sse_cursor_t *cur;
    int user_counted;           /* counted in the per-user table */
    unsigned char *buf;         /* one record's payload */
    apr_size_t bufsize;
    apr_pool_t *scratch;        /* cleared after every write */
    apr_pool_t *batch;          /* a batch of the log, while catching up */
    apr_bucket_brigade *bb;
    apr_socket_t *sock;         /* NULL on HTTP/2 (not ours to poll) */
    apr_time_t deadline;        /* the lifetime cap */
    apr_time_t last_write;
    apr_uint64_t sent;          /* events sent */
} sse_stream_t;

static int sse_refuse(request_rec *r, int status, const char *code,
                      const char *message)
{
    apr_table_setn(r->notes, TICKETS_NOTE_ERROR_CODE, code);
    apr_table_setn(r->notes, TICKETS_NOTE_ERROR_MESSAGE, message);
    return status;
}

/* ---------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------- */

/* Write and flush; a client that cannot take it within the socket's write
 * timeout, or is gone, ends the stream. */
static sse_step_t sse_write(sse_stream_t *st, const char *text, apr_size_t len)
{
    apr_bucket_alloc_t *ba = st->c->bucket_alloc;
    apr_status_t rv;

    APR_BRIGADE_INSERT_TAIL(st->bb, apr_bucket_transient_create(text, len, ba));
    APR_BRIGADE_INSERT_TAIL(st->bb, apr_bucket_flush_create(ba));
    rv = ap_pass_brigade(st->r->output_filters, st->bb);
    apr_brigade_cleanup(st->bb);
    apr_pool_clear(st->scratch);
    st->last_write = apr_time_now();
    return rv == APR_SUCCESS && !st->c->aborted ? SSE_GO : SSE_GONE;
}

static sse_step_t sse_ping(sse_stream_t *st)
{
    const char *text = apr_pstrcat(st->scratch,
                                   sse_cursor_tell(st->cur, st->scratch, NULL),
                                   SSE_EVENT_PING, NULL);

    return sse_write(st, text, strlen(text));
}

/* The stream ends while the client is there: leave it at its position. */
static const char *sse_end(sse_stream_t *st, const char *why)
{
    apr_size_t len;
    const char *text = sse_cursor_tell(st->cur, st->scratch, &len);

    if (len) {
        sse_write(st, text, len);
    }
    return why;
}

const char *sse_reset_text(apr_pool_t *p, const char *reason,
                           apr_size_t *len)
{
    sse_count(&sse_counters()->resets);
    return sse_event_preset(p, reason, len);
}

static sse_step_t sse_reset(sse_stream_t *st, const char *reason)
{
    apr_size_t len;
    const char *text = sse_reset_text(st->scratch, reason, &len);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, st->r, "TK10013: stream reset "
                  "(%s) at id %" APR_UINT64_T_FMT "-%" APR_UINT64_T_FMT,
                  reason, (apr_uint64_t)st->cur->pos[0],
                  (apr_uint64_t)st->cur->pos[1]);
    if (!text || sse_write(st, text, len) != SSE_GO) {
        return SSE_GONE;
    }
    return SSE_RESET;
}

/* One event: sent when the cursor says so. */
static sse_step_t sse_send_event(sse_stream_t *st, const uint64_t pos[2],
                                 const sse_record_t *ev)
{
    const char *text;
    apr_size_t len;

    switch (sse_cursor_judge(st->cur, pos, ev)) {
    case SSE_END:
        sse_count(&sse_counters()->revoked);
        return SSE_REVOKED;
    case SSE_SKIP:
        return SSE_GO;
    default:
        break;
    }
    text = sse_event_pencode(st->scratch, pos, ev->type, ev->data,
                             ev->data_len, &len);
    if (!text) {
        return SSE_GO;
    }
    sse_cursor_sent(st->cur, pos);
    ++st->sent;
    return sse_write(st, text, len);
}

/* ---------------------------------------------------------------------
 * Catching up from the log (PostgreSQL)
 * ------------------------------------------------------------------- */

/* An event of the log as the ring's record of it. */
static void sse_log_record(const tickets_event_t *e, sse_record_t *rec)
{
    *rec = (sse_record_t){ .org = e->org, .type = e->type, .ticket = e->ticket,
                           .conversation = e->conversation,
                           .audience = { e->audience[0], e->audience[1] },
                           .staff_only = e->staff_only, .data = e->data,
                           .data_len = e->data_len };
}

/* Send one batch of the log after the cursor; *more when it brought
 * events (there may be more). */
static sse_step_t sse_replay_batch(sse_stream_t *st, int check, int *more)
{
    APR_OPTIONAL_FN_TYPE(tickets_events_read) *read_log =
        APR_RETRIEVE_OPTIONAL_FN(tickets_events_read);
    apr_array_header_t *events;
    apr_status_t rv;
    sse_step_t step = SSE_GO;
    int i;

    *more = 0;
    if (!read_log) {
        return sse_reset(st, "expired");
    }
    apr_pool_clear(st->batch);
    rv = read_log(st->r, st->batch, st->cur->pos, check, st->cur->viewer.org,
                  SSE_REPLAY_BATCH, SSE_REPLAY_BYTES, &events);
    if (rv == APR_NOTFOUND) {
        return sse_reset(st, "expired");
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, st->r, "TK10017: the event "
                      "log could not be read; the stream ends and the "
                      "client will retry");
        return SSE_GONE;
    }
    for (i = 0; i < events->nelts && step == SSE_GO; ++i) {
        tickets_event_t *e = &APR_ARRAY_IDX(events, i, tickets_event_t);
        sse_record_t rec;

        if (!e->ready) {
            break;              /* the relay brings it when it is */
        }
        sse_log_record(e, &rec);
        step = sse_send_event(st, e->pos, &rec);
    }
    *more = step == SSE_GO && i == events->nelts && events->nelts > 0;
    return step;
}

/* Replay the log after the cursor until the ring holds what follows, then
 * go on reading the ring from there.  check: first make sure the cursor
 * is an event of the log (a client's id), else reset. */
static sse_step_t sse_catch_up_rounds(sse_stream_t *st, int check)
{
    sse_ring_seek_t at;
    sse_step_t step;
    int more, round;

    sse_count(&sse_counters()->resumes_log);
    for (round = 0; round < SSE_REPLAY_ROUNDS; ++round) {
        if ((step = sse_replay_batch(st, check, &more)) != SSE_GO) {
            return step;
        }
        check = 0;
        if (more) {
            continue;
        }
        switch (sse_ring_seek(st->ring, st->cur->pos, &at)) {
        case SSE_RING_OK:
        case SSE_RING_EMPTY:
            st->cur->seq = at.seq;
            st->cur->hint = at.hint;
            return SSE_GO;
        default:
            /* the ring's oldest event is past what the log showed a moment
             * ago: read the log again */
            break;
        }
    }
    return sse_reset(st, "lapped");
}

/* At the start, or when the ring laps a stream served on its thread. */
static sse_step_t sse_catch_up(sse_stream_t *st, int check)
{
    sse_step_t step;

    apr_pool_create(&st->batch, st->r->pool);
    apr_pool_tag(st->batch, "tickets_sse_replay");
    step = sse_catch_up_rounds(st, check);
    apr_pool_destroy(st->batch);
    st->batch = NULL;
    return step;
}

/* ---------------------------------------------------------------------
 * Reading the ring
 * ------------------------------------------------------------------- */

/* One record read from the ring. */
static sse_step_t sse_deliver(sse_stream_t *st, const sse_ring_rec_t *rec)
{
    sse_record_t ev;

    if (rec->type != SSE_RECORD_RING_TYPE) {
        return SSE_GO;
    }
    if (sse_record_decode(st->buf, rec->len, &ev) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, st->r, "TK10012: event "
                      "%" APR_UINT64_T_FMT " in the ring is not a valid "
                      "record; skipped", (apr_uint64_t)rec->seq);
        return SSE_GO;
    }
    return sse_send_event(st, rec->tag, &ev);
}

/* Send everything after the cursor. */
static sse_step_t sse_drain(sse_stream_t *st)
{
    sse_ring_rec_t rec;
    sse_ring_rc_t rc;
    sse_step_t step;

    for (;;) {
        rc = sse_ring_read_hint(st->ring, st->cur->seq, st->cur->hint,
                                st->buf, st->bufsize, &rec);
        switch (rc) {
        case SSE_RING_OK:
            st->cur->seq = rec.seq;
            st->cur->hint = rec.next;
            if ((step = sse_deliver(st, &rec)) != SSE_GO) {
                return step;
            }
            break;
        case SSE_RING_EMPTY:
            return SSE_GO;
        case SSE_RING_TOOSMALL:
            while (st->bufsize < rec.len) {
                st->bufsize *= 2;
            }
            st->buf = apr_palloc(st->r->pool, st->bufsize);
            break;
        case SSE_RING_LAPPED:
            if ((step = sse_catch_up(st, 0)) != SSE_GO) {
                return step;
            }
            break;
        default:
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, st->r, "TK10014: reading "
                          "the event ring failed: %s", sse_ring_strerror(rc));
            return SSE_GONE;
        }
    }
}

static int sse_stopping(void)
{
    int state = AP_MPMQ_RUNNING;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS
           && state == AP_MPMQ_STOPPING;
}

/* A client that closed its end: seen on the socket at once, without
 * reading through the input filters. */
static int sse_hung_up(sse_stream_t *st)
{
    apr_os_sock_t fd;
    struct pollfd pfd;

    if (!st->sock || apr_os_sock_get(&fd, st->sock) != APR_SUCCESS) {
        return st->c->aborted;
    }
    pfd = (struct pollfd){ .fd = fd, .events = POLLRDHUP };
    if (poll(&pfd, 1, 0) > 0
        && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
        return 1;
    }
    return st->c->aborted;
}

/* The whole stream on this thread (TLS, HTTP/2, or no event loop). */
static const char *sse_loop(sse_stream_t *st)
{
    apr_time_t keepalive = apr_time_from_sec(st->conf->keepalive);

    for (;;) {
        uint32_t seen = sse_ring_wake_word(st->ring);
        apr_time_t now, until;
        sse_step_t step = sse_drain(st);

        if (step == SSE_RESET) {
            return "reset";
        }
        if (step == SSE_REVOKED) {
            return "credential revoked";
        }
        if (step == SSE_GONE) {
            return "client gone";
        }
        now = apr_time_now();
        until = st->last_write + keepalive;
        if (until > st->deadline) {
            until = st->deadline;
        }
        if (until > now) {
            apr_time_t ms = apr_time_as_msec(until - now) + 1;
            sse_ring_wait(st->ring, seen,
                          ms > SSE_WAKE_MS ? SSE_WAKE_MS : (int)ms);
        }
        if (sse_stopping()) {
            return sse_end(st, "server stopping");
        }
        if (sse_hung_up(st)) {
            return "client gone";
        }
        now = apr_time_now();
        if (now >= st->deadline) {
            return sse_end(st, "lifetime reached");
        }
        if (now - st->last_write >= keepalive && sse_ping(st) != SSE_GO) {
            return "client gone";
        }
    }
}

/* ---------------------------------------------------------------------
 * The start
 * ------------------------------------------------------------------- */

/* Headers, the retry: line, and the id the client starts from.
 * Compression and buffering by other filters are turned off; the
 * connection closes after the stream. */
static sse_step_t sse_begin(sse_stream_t *st)
{
    request_rec *r = st->r;
    apr_size_t len;
    const char *retry;

    ap_set_content_type(r, "text/event-stream");
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache");
    apr_table_setn(r->headers_out, "X-Accel-Buffering", "no");
    apr_table_setn(r->subprocess_env, "no-gzip", "1");
    apr_table_setn(r->subprocess_env, "no-brotli", "1");
    apr_table_unset(r->headers_in, "Accept-Encoding");
    st->c->keepalive = AP_CONN_CLOSE;
    if (r->header_only) {
        return SSE_RESET;
    }
    retry = sse_event_pstart(st->scratch, SSE_RETRY_MS,
                             sse_cursor_untold(st->cur), &len);
    return sse_write(st, retry, len);
}

/* The newest event of the viewer's organization: what a new stream tells
 * its client it starts after (nothing of its organization came after
 * it, so resuming from it misses nothing). */
static void sse_anchor(sse_stream_t *st)
{
    APR_OPTIONAL_FN_TYPE(tickets_events_newest) *newest =
        APR_RETRIEVE_OPTIONAL_FN(tickets_events_newest);
    apr_uint64_t pos[2];

    if (newest && newest(st->r, st->cur->viewer.org, pos) == APR_SUCCESS) {
        st->cur->own[0] = pos[0];
        st->cur->own[1] = pos[1];
    }
}

/* Where the stream starts reading.  Without an id: after the newest
 * event.  With one: right after it in the ring when the ring holds it;
 * from the log when the ring has moved past it (or this host's ring is
 * behind the host that gave the id); nowhere when it lies between two
 * events the ring holds (never an id of ours). */
static sse_start_t sse_start_point(sse_stream_t *st, int has_cursor)
{
    static const uint64_t end[2] = { UINT64_MAX, UINT64_MAX };
    sse_cursor_t *cur = st->cur;
    sse_ring_seek_t at;
    sse_ring_rc_t rc = sse_ring_seek(st->ring, has_cursor ? cur->pos : end,
                                     &at);

    cur->seq = at.seq;
    cur->hint = at.hint;
    if (!has_cursor) {
        if (rc == SSE_RING_OK) {
            cur->pos[0] = at.tag[0];
            cur->pos[1] = at.tag[1];
        }
        sse_anchor(st);
        return SSE_FROM_RING;
    }
    cur->own[0] = cur->told[0] = cur->pos[0];
    cur->own[1] = cur->told[1] = cur->pos[1];
    if (rc == SSE_RING_OK && at.exact) {
        sse_count(&sse_counters()->resumes);
        return SSE_FROM_RING;
    }
    return rc == SSE_RING_OK && !at.last ? SSE_FROM_NOWHERE : SSE_FROM_LOG;
}

/* Plain HTTP/1.1, when this child's event loop takes streams. */
static int sse_for_loop(sse_stream_t *st)
{
    return st->conf->event_loop && !st->c->master
           && !ap_ssl_conn_is_ssl(st->c) && sse_loop_running();
}

/* Hand the stream to the event loop.  The connection is marked aborted
 * first, so httpd writes nothing more and closes its descriptor without
 * a shutdown() that would end the loop's copy too. */
static int sse_hand_off(sse_stream_t *st)
{
    sse_handoff_t h;
    apr_os_sock_t fd;

    if (!st->sock || apr_os_sock_get(&fd, st->sock) != APR_SUCCESS) {
        return 0;
    }
    memset(&h, 0, sizeof(h));
    h.r = st->r;
    h.fd = fd;
    h.cur = st->cur;
    h.user_counted = st->user_counted;
    h.keepalive = st->conf->keepalive;
    h.max_lifetime = st->conf->max_lifetime;
    st->c->aborted = 1;
    return sse_loop_adopt(&h) == APR_SUCCESS;
}

/* Count the stream in, or refuse it: 503 with Retry-After over the
 * child's limit, the thread cap or the replays' cap, 429 over the
 * user's. */
static int sse_admit(sse_stream_t *st, int on_thread, int replays)
{
    request_rec *r = st->r;
    const sse_viewer_t *v = &st->cur->viewer;
    sse_enter_t rc = SSE_ENTER_FULL;

    if (!replays || sse_replay_enter() == 0) {
        rc = sse_stream_enter(st->conf, on_thread, v->user, v->org,
                              &st->user_counted);
        if (rc != SSE_ENTER_OK && replays) {
            sse_replay_leave();
        }
    }
    switch (rc) {
    case SSE_ENTER_OK:
        return 0;
    case SSE_ENTER_USER:
        sse_count(&sse_counters()->refused);
        sse_count(&sse_counters()->refused_user);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TK10018: stream refused: "
                      "user %s holds %" APR_INT64_T_FMT " streams already",
                      v->user, st->conf->max_per_user);
        apr_table_setn(r->err_headers_out, "Retry-After", "30");
        return sse_refuse(r, HTTP_TOO_MANY_REQUESTS, TICKETS_E_RATE_LIMITED,
                          "You have too many open event streams; close one "
                          "or retry later.");
    default:
        sse_count(&sse_counters()->refused);
        if (replays) {
            sse_count(&sse_counters()->refused_replay);
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TK10011: stream refused: "
                      "this process holds its most streams%s",
                      replays ? " catching up on threads" : "");
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return sse_refuse(r, HTTP_SERVICE_UNAVAILABLE, TICKETS_E_RATE_LIMITED,
                          "Too many open event streams; retry later.");
    }
}

static void sse_stream_setup(sse_stream_t *st, request_rec *r,
                             sse_cursor_t *cur)
{
    st->r = r;
    st->c = r->connection;
    st->conf = sse_srv_conf(r->server);
    st->ring = sse_ring();
    st->cur = cur;
    apr_pool_create(&st->scratch, r->pool);
    apr_pool_tag(st->scratch, "tickets_sse_stream");
    st->bb = apr_brigade_create(r->pool, st->c->bucket_alloc);
    st->bufsize = SSE_BUF_INITIAL;
    st->buf = apr_palloc(r->pool, st->bufsize);
    st->deadline = r->request_time + apr_time_from_sec(st->conf->max_lifetime);
}

int sse_stream_serve(request_rec *r, sse_cursor_t *cur, int has_cursor)
{
    sse_stream_t *st = apr_pcalloc(r->pool, sizeof(*st));
    apr_interval_time_t old_timeout = -1;
    const char *why = "reset";
    sse_start_t from;
    sse_step_t step;
    int status, to_loop, on_thread;

    sse_stream_setup(st, r, cur);
    if (!st->ring) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return sse_refuse(r, HTTP_SERVICE_UNAVAILABLE, TICKETS_E_INTERNAL,
                          "Live events are unavailable.");
    }
    from = sse_start_point(st, has_cursor);
    to_loop = sse_for_loop(st);
    on_thread = !to_loop || from == SSE_FROM_LOG;
    if ((status = sse_admit(st, on_thread, from == SSE_FROM_LOG)) != 0) {
        return status;
    }
    __atomic_fetch_add(&sse_counters()->streams_open, 1, __ATOMIC_RELAXED);
    sse_count(&sse_counters()->streams_total);
    if (!st->c->master) {
        st->sock = ap_get_conn_socket(st->c);
        apr_socket_timeout_get(st->sock, &old_timeout);
        apr_socket_timeout_set(st->sock, apr_time_from_sec(SSE_WRITE_TIMEOUT));
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TK10015: stream opened "
                  "for user %s%s%s", cur->viewer.user,
                  has_cursor ? " from id " : "",
                  has_cursor ? apr_psprintf(r->pool, "%" APR_UINT64_T_FMT
                                            "-%" APR_UINT64_T_FMT,
                                            (apr_uint64_t)cur->pos[0],
                                            (apr_uint64_t)cur->pos[1]) : "");
    step = sse_begin(st);
    if (step == SSE_GO && from == SSE_FROM_NOWHERE) {
        step = sse_reset(st, "unknown id");
    }
    else if (step == SSE_GO && from == SSE_FROM_LOG) {
        step = sse_catch_up(st, 1);
    }
    if (from == SSE_FROM_LOG) {
        sse_replay_leave();
    }
    if (step == SSE_GO && !to_loop) {
        why = sse_loop(st);
    }
    else if (step == SSE_GO) {
        if (on_thread) {
            sse_stream_leave_thread();      /* caught up: off the thread */
            on_thread = 0;
        }
        if (sse_hand_off(st)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TK10051: stream "
                          "handed to the event loop");
            return OK;      /* the loop counts it out when it ends */
        }
        why = "the event loop did not take it";
    }
    else if (step == SSE_REVOKED) {
        why = "credential revoked";
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TK10016: stream closed "
                  "(%s) after %" APR_UINT64_T_FMT " events", why, st->sent);
    if (st->sock && old_timeout >= 0) {
        apr_socket_timeout_set(st->sock, old_timeout);
    }
    __atomic_fetch_sub(&sse_counters()->streams_open, 1, __ATOMIC_RELAXED);
    sse_stream_leave(on_thread, st->user_counted ? cur->viewer.user : NULL);
    return OK;
}
