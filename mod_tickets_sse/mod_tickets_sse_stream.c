/* mod_tickets_sse_stream.c: the event streams and the stats endpoint.
 *
 *   GET /api/events/stream   every event the caller may see, filtered by
 *                            the query parameters types, ticket and
 *                            conversation
 *   GET /api/sse/tickets     the same, ticket events only
 *   GET /api/events/stats    (admins) stream counts and ring use, as JSON
 *
 * This is the thread-per-stream path: the stream holds its worker thread
 * for its whole life, reading the ring after its cursor and sleeping on
 * the ring's futex word in between.  It works for every connection httpd
 * serves (plain HTTP/1.1, TLS, HTTP/2) because it writes only through the
 * output filters.  Plain HTTP/1.1 streams leave it once their headers are
 * sent: they are handed to the child's event loop (mod_tickets_sse_loop.c,
 * TicketsSSEEventLoop On), and this path keeps TLS and HTTP/2.
 *
 * A stream starts after the caller is identified (mod_tickets'
 * tickets_identify: cookie, token, Basic or SSO) and its query is valid;
 * errors before that are returned as statuses with r->notes
 * "tickets-error-code"/"tickets-error-message", which the /api
 * ErrorDocument of mod_tickets renders as JSON.  Then: headers, a retry:
 * line, the resume point (the ring, or a replay from the event log in
 * PostgreSQL through mod_tickets' tickets_events_read), and a loop.  Each
 * event the caller may see and asked for is sent as id:/event:/data: and
 * flushed at once; other events are not sent, but an idle stream's ping
 * carries the current id (an id-only block) so the client's Last-Event-ID
 * moves past them.  The stream ends when the client goes away (a failed
 * write, or the socket hung up), when its lifetime passes, when the child
 * is stopping (graceful restart or stop), when the credential that opened
 * it is revoked, or after an `event: reset` when the events it missed are
 * gone from the log too.
 */
#include <poll.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_portable.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <http_ssl.h>
#include <ap_mpm.h>
#include <jansson.h>
#include "mod_tickets_sse_private.h"
#include "mod_tickets_sse.h"
#include "sse_event.h"
#include "sse_filter.h"
#include "sse_record.h"

#define SSE_WAKE_MS         1000    /* longest sleep between checks */
#define SSE_WRITE_TIMEOUT   10      /* seconds a write may block */
#define SSE_BUF_INITIAL     16384   /* first read buffer; grows as needed */
#define SSE_REPLAY_BATCH    500     /* events read from the log at a time */
#define SSE_REPLAY_ROUNDS   1000    /* most log reads in one catch-up */

typedef enum {
    SSE_GO = 0,         /* keep streaming */
    SSE_GONE,           /* the client is gone or a write failed */
    SSE_RESET,          /* reset sent: the stream ends */
    SSE_REVOKED,        /* the credential that opened it was revoked */
} sse_step_t;

typedef struct {
    request_rec *r;
    conn_rec *c;
    const sse_srv_conf_t *conf;
    sse_ring_t *ring;
    sse_viewer_t viewer;
    const char *credential;     /* what opened it, for revocation */
    int user_counted;           /* counted in the per-user table */
    sse_filter_t filter;
    apr_uint64_t cursor;        /* ring sequence of the last record read */
    uint64_t pos[2];            /* position (event id) of the last event
                                 * passed, sent or not: ring records at or
                                 * before it are skipped */
    uint64_t told[2];           /* last position the client was sent */
    uint64_t hint;              /* where the next record starts */
    unsigned char *buf;         /* one record's payload */
    apr_size_t bufsize;
    apr_pool_t *scratch;        /* cleared after every write */
    apr_bucket_brigade *bb;
    apr_socket_t *sock;         /* NULL on HTTP/2 (not ours to poll) */
    apr_time_t deadline;        /* the lifetime cap */
    apr_time_t last_write;
    apr_uint64_t sent;          /* events sent */
} sse_stream_t;

/* ---------------------------------------------------------------------
 * Refusals (rendered as JSON by the /api ErrorDocument)
 * ------------------------------------------------------------------- */

static int sse_refuse(request_rec *r, int status, const char *code,
                      const char *message)
{
    apr_table_setn(r->notes, "tickets-error-code", code);
    apr_table_setn(r->notes, "tickets-error-message", message);
    return status;
}

static int sse_identify(request_rec *r, tickets_identity_t *who)
{
    APR_OPTIONAL_FN_TYPE(tickets_identify) *identify =
        APR_RETRIEVE_OPTIONAL_FN(tickets_identify);

    if (!identify) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TK10010: mod_tickets is "
                      "not loaded: the caller cannot be identified");
        return sse_refuse(r, HTTP_INTERNAL_SERVER_ERROR, "INTERNAL",
                          "An internal error occurred.");
    }
    return identify(r, who);
}

/* ---------------------------------------------------------------------
 * Query
 * ------------------------------------------------------------------- */

typedef struct {
    const char *types, *ticket, *conversation, *last_id;
} sse_query_t;

/* Split r->args into the known parameters; unknown or repeated ones are
 * refused, as the REST API does. */
static const char *sse_parse_args(request_rec *r, sse_query_t *q)
{
    char *args, *pair, *state;

    memset(q, 0, sizeof(*q));
    if (!r->args || !*r->args) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (pair = apr_strtok(args, "&", &state); pair;
         pair = apr_strtok(NULL, "&", &state)) {
        char *value = strchr(pair, '=');
        const char **slot;

        if (value) {
            *value++ = '\0';
        }
        else {
            value = "";
        }
        for (char *p = value; *p; ++p) {
            if (*p == '+') *p = ' ';
        }
        if (ap_unescape_url(value) != OK) {
            return apr_psprintf(r->pool, "The value of %s is not valid "
                                "percent-encoding.", pair);
        }
        if (!strcmp(pair, "types")) slot = &q->types;
        else if (!strcmp(pair, "ticket")) slot = &q->ticket;
        else if (!strcmp(pair, "conversation")) slot = &q->conversation;
        else if (!strcmp(pair, "lastEventId")) slot = &q->last_id;
        else {
            return apr_psprintf(r->pool, "Unknown query parameter: %s.",
                                ap_escape_html(r->pool, pair));
        }
        if (*slot) {
            return apr_psprintf(r->pool, "The query parameter %s is given "
                                "more than once.", pair);
        }
        *slot = value;
    }
    return NULL;
}

/* Filters and the resume point; 0, or an HTTP status after noting why. */
static int sse_read_query(sse_stream_t *st, int *has_cursor)
{
    request_rec *r = st->r;
    sse_query_t q;
    const char *err = sse_parse_args(r, &q);
    const char *last = apr_table_get(r->headers_in, "Last-Event-ID");

    if (!err && sse_filter_parse(r->pool, q.types, q.ticket, q.conversation,
                                 &st->filter, &err) != 0 && !err) {
        err = "The query is not valid.";
    }
    if (err) {
        return sse_refuse(r, HTTP_BAD_REQUEST, "INVALID_QUERY", err);
    }
    st->filter.tickets_only = strcmp(r->uri, "/api/sse/tickets") == 0;
    *has_cursor = 0;
    if (!last) {
        last = q.last_id;
    }
    if (last) {
        if (sse_event_parse_id(last, st->pos) != 0) {
            return sse_refuse(r, HTTP_BAD_REQUEST, "INVALID_QUERY",
                              "Last-Event-ID (or lastEventId) must be an "
                              "event id as this server sends them.");
        }
        *has_cursor = 1;
    }
    return 0;
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

/* An id-only block when the cursor moved past events the client was not
 * sent ("" otherwise), so its Last-Event-ID moves past them too. */
static const char *sse_tell(sse_stream_t *st)
{
    if (sse_ring_tag_cmp(st->told, st->pos) == 0) {
        return "";
    }
    sse_pos_set(st->told, st->pos);
    return sse_event_pid(st->scratch, st->pos, NULL);
}

static sse_step_t sse_ping(sse_stream_t *st)
{
    const char *text = apr_pstrcat(st->scratch, sse_tell(st), SSE_EVENT_PING,
                                   NULL);

    return sse_write(st, text, strlen(text));
}

/* The stream ends while the client is there: leave it at the cursor. */
static const char *sse_end(sse_stream_t *st, const char *why)
{
    const char *text = sse_tell(st);

    if (*text) {
        sse_write(st, text, strlen(text));
    }
    return why;
}

/* The events this client missed are gone (from the ring and the log), or
 * its id is not one this server gave: tell it to reload, with the newest
 * id so its next connection starts from there. */
const char *sse_reset_text(apr_pool_t *p, sse_ring_t *ring,
                           const char *reason, apr_size_t *len)
{
    uint64_t newest[2] = { 0, 0 };
    json_t *doc = json_pack("{s:s}", "reason", reason);
    char *data = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    const char *text = NULL;

    *len = 0;
    sse_ring_last_tag(ring, newest);
    if (data) {
        text = sse_event_pencode(p, newest[0] || newest[1] ? newest : NULL,
                                 "reset", data, strlen(data), len);
    }
    free(data);
    json_decref(doc);
    sse_count(&sse_counters()->resets);
    return text;
}

static sse_step_t sse_reset(sse_stream_t *st, const char *reason)
{
    apr_size_t len;
    const char *text = sse_reset_text(st->scratch, st->ring, reason, &len);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, st->r, "TK10013: stream reset "
                  "(%s) at id %" APR_UINT64_T_FMT "-%" APR_UINT64_T_FMT,
                  reason, (apr_uint64_t)st->pos[0], (apr_uint64_t)st->pos[1]);
    if (!text || sse_write(st, text, len) != SSE_GO) {
        return SSE_GONE;
    }
    return SSE_RESET;
}

/* ---------------------------------------------------------------------
 * Reading the ring
 * ------------------------------------------------------------------- */

/* One event: send it when the caller may see it and asked for it; the
 * stream's position moves past it either way. */
static sse_step_t sse_send_event(sse_stream_t *st, const uint64_t pos[2],
                                 const sse_record_t *ev)
{
    const char *text;
    apr_size_t len;

    sse_pos_set(st->pos, pos);
    if (ev->data && sse_revokes(&st->viewer, st->credential, ev)) {
        sse_count(&sse_counters()->revoked);
        return SSE_REVOKED;
    }
    if (!ev->data || !sse_visible(&st->viewer, ev)
        || !sse_wanted(&st->filter, ev)) {
        return SSE_GO;
    }
    text = sse_event_pencode(st->scratch, pos, ev->type, ev->data,
                             ev->data_len, &len);
    if (!text) {
        return SSE_GO;
    }
    sse_pos_set(st->told, pos);
    ++st->sent;
    return sse_write(st, text, len);
}

/* One record read from the ring. */
static sse_step_t sse_deliver(sse_stream_t *st, const sse_ring_rec_t *rec)
{
    sse_record_t ev;

    if (rec->type != SSE_RECORD_RING_TYPE
        || sse_ring_tag_cmp(rec->tag, st->pos) <= 0) {
        return SSE_GO;      /* already sent from the log */
    }
    if (sse_record_decode(st->buf, rec->len, &ev) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, st->r, "TK10012: event "
                      "%" APR_UINT64_T_FMT " in the ring is not a valid "
                      "record; skipped", (apr_uint64_t)rec->seq);
        return SSE_GO;
    }
    return sse_send_event(st, rec->tag, &ev);
}

/* ---------------------------------------------------------------------
 * Catching up from the log (PostgreSQL)
 * ------------------------------------------------------------------- */

/* Send one batch of the log after st->pos; *more when it was full. */
static sse_step_t sse_replay_batch(sse_stream_t *st, int check, int *more)
{
    APR_OPTIONAL_FN_TYPE(tickets_events_read) *read_log =
        APR_RETRIEVE_OPTIONAL_FN(tickets_events_read);
    apr_array_header_t *events;
    apr_status_t rv;
    sse_step_t step;
    int i;

    *more = 0;
    if (!read_log) {
        return sse_reset(st, "expired");
    }
    rv = read_log(st->r, st->pos, check, st->viewer.org, SSE_REPLAY_BATCH,
                  &events);
    if (rv == APR_NOTFOUND) {
        return sse_reset(st, "expired");
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, st->r, "TK10017: the event "
                      "log could not be read; the stream ends and the "
                      "client will retry");
        return SSE_GONE;
    }
    for (i = 0; i < events->nelts; ++i) {
        tickets_event_t *e = &APR_ARRAY_IDX(events, i, tickets_event_t);

        if (!e->ready) {
            return SSE_GO;      /* the relay brings it when it is */
        }
        if ((step = sse_send_event(st, e->pos, &e->rec)) != SSE_GO) {
            return step;
        }
    }
    *more = events->nelts == SSE_REPLAY_BATCH;
    return SSE_GO;
}

/* Replay the log after st->pos until the ring holds what follows, then
 * go on reading the ring from there.  check: first make sure st->pos is
 * an event of the log (a client's id), else reset. */
static sse_step_t sse_catch_up(sse_stream_t *st, int check)
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
        switch (sse_ring_seek(st->ring, st->pos, &at)) {
        case SSE_RING_OK:
        case SSE_RING_EMPTY:
            st->cursor = at.seq;
            st->hint = at.hint;
            return SSE_GO;
        default:
            /* the ring's oldest event is past what the log showed a moment
             * ago: read the log again */
            break;
        }
    }
    return sse_reset(st, "lapped");
}

/* Send everything after the cursor. */
static sse_step_t sse_drain(sse_stream_t *st)
{
    sse_ring_rec_t rec;
    sse_ring_rc_t rc;
    sse_step_t step;

    for (;;) {
        rc = sse_ring_read_hint(st->ring, st->cursor, st->hint, st->buf,
                                st->bufsize, &rec);
        switch (rc) {
        case SSE_RING_OK:
            st->cursor = rec.seq;
            st->hint = rec.next;
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

/* ---------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------- */

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
    pfd.fd = fd;
    pfd.events = POLLRDHUP;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) > 0
        && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
        return 1;
    }
    return st->c->aborted;
}

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

/* Headers and the retry: line.  Compression and buffering by other
 * filters are turned off; the connection closes after the stream. */
static sse_step_t sse_start(sse_stream_t *st)
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
    retry = sse_event_pretry(st->scratch, SSE_RETRY_MS, &len);
    return sse_write(st, retry, len);
}

/* Where the stream starts reading.  Without an id: after the newest
 * event.  With one: right after it in the ring when the ring holds it;
 * from the log when the ring has moved past it (or this host's ring is
 * behind the host that gave the id); reset when it is no event at all. */
static sse_step_t sse_position(sse_stream_t *st, int has_cursor)
{
    static const uint64_t end[2] = { UINT64_MAX, UINT64_MAX };
    sse_ring_seek_t at;
    sse_ring_rc_t rc = sse_ring_seek(st->ring, has_cursor ? st->pos : end,
                                     &at);

    st->cursor = at.seq;
    st->hint = at.hint;
    if (!has_cursor) {
        if (rc == SSE_RING_OK) {
            sse_pos_set(st->pos, at.tag);
        }
        sse_pos_set(st->told, st->pos);
        return SSE_GO;
    }
    sse_pos_set(st->told, st->pos);
    if (rc == SSE_RING_OK && at.exact) {
        sse_count(&sse_counters()->resumes);
        return SSE_GO;
    }
    if (rc == SSE_RING_OK && !at.last) {
        /* between two events the ring holds: never an id of ours */
        return sse_reset(st, "unknown id");
    }
    return sse_catch_up(st, 1);
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
    h.viewer = st->viewer;
    h.credential = st->credential;
    h.user_counted = st->user_counted;
    h.filter = st->filter;
    h.cursor = st->cursor;
    sse_pos_set(h.pos, st->pos);
    sse_pos_set(h.told, st->told);
    h.hint = st->hint;
    h.keepalive = st->conf->keepalive;
    h.max_lifetime = st->conf->max_lifetime;
    st->c->aborted = 1;
    return sse_loop_adopt(&h) == APR_SUCCESS;
}

/* Count the stream in, or refuse it: 503 with Retry-After over the
 * child's limit, 429 over the user's. */
static int sse_admit(sse_stream_t *st, int on_thread)
{
    request_rec *r = st->r;

    switch (sse_stream_enter(st->conf, on_thread, st->viewer.user,
                             &st->user_counted)) {
    case SSE_ENTER_OK:
        return 0;
    case SSE_ENTER_USER:
        sse_count(&sse_counters()->refused);
        sse_count(&sse_counters()->refused_user);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TK10018: stream refused: "
                      "user %s holds %d streams already", st->viewer.user,
                      st->conf->max_per_user);
        apr_table_setn(r->err_headers_out, "Retry-After", "30");
        return sse_refuse(r, HTTP_TOO_MANY_REQUESTS, "RATE_LIMITED",
                          "You have too many open event streams; close one "
                          "or retry later.");
    default:
        sse_count(&sse_counters()->refused);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TK10011: stream refused: "
                      "%d streams already open in this process",
                      st->conf->max_streams);
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return sse_refuse(r, HTTP_SERVICE_UNAVAILABLE, "RATE_LIMITED",
                          "Too many open event streams; retry later.");
    }
}

static int sse_stream(request_rec *r, const tickets_identity_t *who)
{
    sse_stream_t *st = apr_pcalloc(r->pool, sizeof(*st));
    apr_interval_time_t old_timeout = -1;
    const char *why = "reset";
    int has_cursor, status, on_loop;

    st->r = r;
    st->c = r->connection;
    st->conf = sse_srv_conf(r->server);
    st->ring = sse_ring();
    st->viewer.org = who->org;
    st->viewer.user = who->user;
    st->viewer.role = who->role;
    st->credential = who->credential;
    if ((status = sse_read_query(st, &has_cursor)) != 0) {
        return status;
    }
    if (!st->ring) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return sse_refuse(r, HTTP_SERVICE_UNAVAILABLE, "INTERNAL",
                          "Live events are unavailable.");
    }
    on_loop = sse_for_loop(st);
    if ((status = sse_admit(st, !on_loop)) != 0) {
        return status;
    }
    __atomic_fetch_add(&sse_counters()->streams_open, 1, __ATOMIC_RELAXED);
    sse_count(&sse_counters()->streams_total);

    apr_pool_create(&st->scratch, r->pool);
    apr_pool_tag(st->scratch, "tickets_sse_stream");
    st->bb = apr_brigade_create(r->pool, st->c->bucket_alloc);
    st->bufsize = SSE_BUF_INITIAL;
    st->buf = apr_palloc(r->pool, st->bufsize);
    st->deadline = r->request_time + apr_time_from_sec(st->conf->max_lifetime);
    if (!st->c->master) {
        st->sock = ap_get_conn_socket(st->c);
        apr_socket_timeout_get(st->sock, &old_timeout);
        apr_socket_timeout_set(st->sock, apr_time_from_sec(SSE_WRITE_TIMEOUT));
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TK10015: stream opened "
                  "for user %s%s%s", who->user, has_cursor ? " from id " : "",
                  has_cursor ? apr_psprintf(r->pool, "%" APR_UINT64_T_FMT
                                            "-%" APR_UINT64_T_FMT,
                                            (apr_uint64_t)st->pos[0],
                                            (apr_uint64_t)st->pos[1]) : "");
    if (sse_start(st) == SSE_GO && sse_position(st, has_cursor) == SSE_GO) {
        if (!on_loop) {
            why = sse_loop(st);
        }
        else if (sse_hand_off(st)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TK10051: stream "
                          "handed to the event loop");
            return OK;      /* the loop counts it out when it ends */
        }
        else {
            why = "the event loop did not take it";
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TK10016: stream closed "
                  "(%s) after %" APR_UINT64_T_FMT " events", why, st->sent);
    if (st->sock && old_timeout >= 0) {
        apr_socket_timeout_set(st->sock, old_timeout);
    }
    __atomic_fetch_sub(&sse_counters()->streams_open, 1, __ATOMIC_RELAXED);
    sse_stream_leave(!on_loop, st->user_counted ? st->viewer.user : NULL);
    return OK;
}

/* ---------------------------------------------------------------------
 * GET /api/events/stats
 * ------------------------------------------------------------------- */

static int sse_stats(request_rec *r, const tickets_identity_t *who)
{
    json_t *figures, *doc;
    char *text;

    if (strcmp(who->role, "admin") != 0) {
        return sse_refuse(r, HTTP_FORBIDDEN, "FORBIDDEN",
                          "Only administrators may do this.");
    }
    if (r->args && *r->args) {
        return sse_refuse(r, HTTP_BAD_REQUEST, "INVALID_QUERY",
                          "This endpoint takes no query parameters.");
    }
    if (!(figures = sse_figures(r->pool))) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return sse_refuse(r, HTTP_SERVICE_UNAVAILABLE, "INTERNAL",
                          "Live events are unavailable.");
    }
    doc = json_pack("{s:o}", "data", figures);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rputs(apr_pstrdup(r->pool, text), r);
    free(text);
    return OK;
}

/* ---------------------------------------------------------------------
 * The handler
 * ------------------------------------------------------------------- */

int sse_handler(request_rec *r)
{
    tickets_identity_t who;
    int status, stats, stream;

    if (!r->handler || strcmp(r->handler, SSE_HANDLER) != 0) {
        return DECLINED;
    }
    stats = strcmp(r->uri, "/api/events/stats") == 0;
    stream = strcmp(r->uri, "/api/events/stream") == 0
             || strcmp(r->uri, "/api/sse/tickets") == 0;
    if (!stats && !stream) {
        return sse_refuse(r, HTTP_NOT_FOUND, "NOT_FOUND", "No such endpoint.");
    }
    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET");
        return sse_refuse(r, HTTP_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
                          "This resource allows only GET.");
    }
    memset(&who, 0, sizeof(who));
    if ((status = sse_identify(r, &who)) != OK) {
        return status;
    }
    return stats ? sse_stats(r, &who) : sse_stream(r, &who);
}
