/* sse_loop_io.c: the event loop's writing to its streams and reading of
 * the ring for them (see sse_loop.c for the whole loop). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include "stream/sse_loop_state.h"
#include "sse_event.h"
#include "sse_record.h"

/* The text sent for a record: its event block when ev is given, else the
 * id-only block that moves the client's cursor to it.  The id on the wire
 * is the event's position (the ring record's tag). */
static const char *sse_lp_text(apr_pool_t *p, const uint64_t id[2],
                               const sse_record_t *ev, apr_size_t *len)
{
    if (ev) {
        return sse_event_pencode(p, id, ev->type, ev->data, ev->data_len,
                                 len);
    }
    return sse_event_pid(p, id, len);
}

/* ---------------------------------------------------------------------
 * Streams: writing and closing
 * ------------------------------------------------------------------- */

void sse_lp_close(sse_lstream_t *st, const char *why)
{
    char sink[512];
    int i;

    epoll_ctl(sse_lp.epfd, EPOLL_CTL_DEL, st->fd, NULL);
    /* Unread bytes from the client would turn the close into a reset that
     * may destroy the last block in flight. */
    for (i = 0; i < 8 && recv(st->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0;
         ++i) {
    }
    close(st->fd);
    if (st->prev) st->prev->next = st->next;
    else sse_lp.head = st->next;
    if (st->next) st->next->prev = st->prev;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, sse_lp.s, "TK10045: stream of "
                 "user %s closed on the event loop (%s) after %"
                 APR_UINT64_T_FMT " events", st->cur.viewer.user, why, st->sent);
    if (sse_counters()) {
        __atomic_fetch_sub(&sse_counters()->streams_open, 1, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&sse_counters()->streams_loop, 1, __ATOMIC_RELAXED);
    }
    apr_atomic_dec32(&sse_lp.count);
    sse_stream_leave(0, st->user_counted ? st->cur.viewer.user : NULL);
    free(st->pending);
    free(st);
}

void sse_lp_want_out(sse_lstream_t *st, int on)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLRDHUP | (on ? EPOLLOUT : 0);
    ev.data.ptr = st;
    epoll_ctl(sse_lp.epfd, EPOLL_CTL_MOD, st->fd, &ev);
}

/* Write as much of text as the socket takes now, without waiting. */
apr_ssize_t sse_lp_write(int fd, const char *text, apr_size_t len)
{
    apr_size_t done = 0;

    while (done < len) {
        ssize_t n = send(fd, text + done, len - done,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n > 0) {
            done += (apr_size_t)n;
        }
        else if (n < 0 && errno == EINTR) {
            continue;
        }
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        else {
            return -1;
        }
    }
    return (apr_ssize_t)done;
}

/* Send one block to a stream with nothing pending.  What the socket does
 * not take now is kept (only this block's tail) and EPOLLOUT armed.
 * 0, or -1 when the client is gone (the caller closes the stream). */
int sse_lp_send(sse_lstream_t *st, const char *text, apr_size_t len,
                       apr_time_t now)
{
    apr_ssize_t n = sse_lp_write(st->fd, text, len);

    if (n < 0) {
        return -1;
    }
    st->last_write = now;
    if ((apr_size_t)n < len) {
        st->pending_len = len - (apr_size_t)n;
        st->pending = malloc(st->pending_len);
        if (!st->pending) {
            return -1;
        }
        memcpy(st->pending, text + n, st->pending_len);
        st->stalled = now;
        sse_lp_want_out(st, 1);
        sse_count(&sse_counters()->writes_blocked);
    }
    return 0;
}

/* Send the last text of a stream and close it once that is written. */
void sse_lp_finish(sse_lstream_t *st, const char *text, apr_size_t len,
                          apr_time_t now, const char *why)
{
    if (len && sse_lp_send(st, text, len, now) == 0 && st->pending) {
        st->ending = 1;
        return;
    }
    sse_lp_close(st, why);
}

/* The id-only block when the cursor moved past events the client was not
 * sent ("" otherwise). */
const char *sse_lp_tell(sse_lstream_t *st, apr_pool_t *p)
{
    return sse_cursor_tell(&st->cur, p, NULL);
}

const char *sse_lp_goodbye(sse_lstream_t *st, long ms, apr_pool_t *p)
{
    return apr_pstrcat(p, sse_lp_tell(st, p), sse_event_pretry(p, ms, NULL),
                       NULL);
}

/* The ring lapped the stream: it ends at its cursor (the id-only block
 * when it passed events it did not send) with a retry: line, and the
 * client's reconnection reads what it missed from the log, as a resumed
 * stream does; nothing is lost. */
static void sse_lp_lapped(sse_lstream_t *st, apr_time_t now)
{
    const char *text = sse_lp_goodbye(st, SSE_LOOP_LAPPED_RETRY,
                                      sse_lp.scratch);

    ap_log_error(APLOG_MARK, APLOG_INFO, 0, sse_lp.s, "TK10046: stream of "
                 "user %s lapped at id %" APR_UINT64_T_FMT "-%"
                 APR_UINT64_T_FMT " on the event loop; it ends, and resumes "
                 "from the log", st->cur.viewer.user,
                 (apr_uint64_t)st->cur.pos[0], (apr_uint64_t)st->cur.pos[1]);
    sse_lp_finish(st, text, strlen(text), now, "lapped");
    apr_pool_clear(sse_lp.scratch);
}

/* ---------------------------------------------------------------------
 * Reading the ring
 * ------------------------------------------------------------------- */

/* Read the record after `after` into the loop's buffer.  OK, EMPTY,
 * LAPPED or an error; TOOSMALL is handled here by growing the buffer. */
static sse_ring_rc_t sse_lp_read(apr_uint64_t after, uint64_t hint,
                                 sse_ring_rec_t *rec)
{
    sse_ring_rc_t rc;

    for (;;) {
        rc = sse_ring_read_hint(sse_lp.ring, after, hint, sse_lp.buf,
                                sse_lp.bufsize, rec);
        if (rc != SSE_RING_TOOSMALL) {
            return rc;
        }
        while (sse_lp.bufsize < rec->len) {
            sse_lp.bufsize *= 2;
        }
        free(sse_lp.buf);
        sse_lp.buf = malloc(sse_lp.bufsize);
        if (!sse_lp.buf) {
            sse_lp.bufsize = 0;
            return SSE_RING_EINVAL;
        }
    }
}

/* The event a record holds, or 0 when it is not an event record. */
static int sse_lp_decode(const sse_ring_rec_t *rec, sse_record_t *ev)
{
    if (rec->type != SSE_RECORD_RING_TYPE) {
        return 0;
    }
    if (sse_record_decode(sse_lp.buf, rec->len, ev) != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, sse_lp.s, "TK10047: event "
                     "%" APR_UINT64_T_FMT " in the ring is not a valid "
                     "record; skipped", (apr_uint64_t)rec->seq);
        return 0;
    }
    return 1;
}

/* What a record means to a stream, whose position moves past it: 1 send
 * it, 0 nothing to send, -1 it revokes what opened the stream. */
static int sse_lp_judge(sse_lstream_t *st, const sse_ring_rec_t *rec,
                        int event, const sse_record_t *ev)
{
    switch (sse_cursor_judge(&st->cur, rec->tag, event ? ev : NULL)) {
    case SSE_SEND:  return 1;
    case SSE_END:   return -1;
    default:        return 0;
    }
}

static void sse_lp_revoked(sse_lstream_t *st)
{
    sse_count(&sse_counters()->revoked);
    sse_lp_close(st, "credential revoked");
}

/* One stream reads the ring from its own cursor up to where the shared
 * read stands (a resumed stream, or one that could write again). */
void sse_lp_catch_up(sse_lstream_t *st, apr_time_t now)
{
    sse_ring_rec_t rec;
    sse_record_t ev;
    sse_ring_rc_t rc;
    int verdict;

    while (!st->pending && st->cur.seq < sse_lp.cursor) {
        rc = sse_lp_read(st->cur.seq, st->cur.hint, &rec);
        if (rc == SSE_RING_EMPTY) {
            return;
        }
        if (rc == SSE_RING_LAPPED) {
            sse_lp_lapped(st, now);
            return;
        }
        if (rc != SSE_RING_OK) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, sse_lp.s, "TK10048: "
                         "reading the event ring failed: %s",
                         sse_ring_strerror(rc));
            sse_lp_close(st, "ring error");
            return;
        }
        st->cur.seq = rec.seq;
        st->cur.hint = rec.next;
        verdict = sse_lp_judge(st, &rec, sse_lp_decode(&rec, &ev), &ev);
        if (verdict < 0) {
            sse_lp_revoked(st);
            return;
        }
        if (verdict > 0) {
            apr_size_t len;
            const char *text = sse_lp_text(sse_lp.scratch, rec.tag, &ev, &len);
            int rv = text ? sse_lp_send(st, text, len, now) : 0;

            apr_pool_clear(sse_lp.scratch);
            if (rv != 0) {
                sse_lp_close(st, "client gone");
                return;
            }
            if (text) {
                sse_cursor_sent(&st->cur, rec.tag);
                ++st->sent;
            }
        }
    }
}

/* One record to every stream standing right before it. */
static void sse_lp_fan_out(const sse_ring_rec_t *rec, apr_time_t now)
{
    sse_record_t ev;
    sse_lstream_t *st, *next;
    const char *text = NULL;
    apr_size_t len = 0;
    int event = sse_lp_decode(rec, &ev), verdict;

    for (st = sse_lp.head; st; st = next) {
        next = st->next;
        if (st->pending || st->cur.seq + 1 != rec->seq) {
            continue;
        }
        st->cur.seq = rec->seq;
        st->cur.hint = rec->next;
        verdict = sse_lp_judge(st, rec, event, &ev);
        if (verdict < 0) {
            sse_lp_revoked(st);
            continue;
        }
        if (verdict == 0) {
            continue;
        }
        if (!text) {
            text = sse_lp_text(sse_lp.scratch, rec->tag, &ev, &len);
            if (!text) {
                event = 0;
                continue;
            }
        }
        sse_cursor_sent(&st->cur, rec->tag);
        ++st->sent;
        if (sse_lp_send(st, text, len, now) != 0) {
            sse_lp_close(st, "client gone");
        }
    }
    apr_pool_clear(sse_lp.scratch);
}

/* The ring moved: read what is new once, for every stream. */
void sse_lp_ring_moved(apr_time_t now)
{
    sse_ring_rec_t rec;
    sse_ring_rc_t rc;
    sse_lstream_t *st, *next;

    for (;;) {
        rc = sse_lp_read(sse_lp.cursor, sse_lp.hint, &rec);
        if (rc == SSE_RING_OK) {
            sse_lp.cursor = rec.seq;
            sse_lp.hint = rec.next;
            sse_lp_fan_out(&rec, now);
        }
        else if (rc == SSE_RING_LAPPED) {
            /* The loop itself fell behind (it never should): go on from
             * the oldest record; each stream finds out for itself. */
            sse_ring_stats_t rs;

            sse_ring_stats(sse_lp.ring, &rs);
            sse_lp.cursor = rs.oldest_seq - 1;
            sse_lp.hint = SSE_RING_NO_HINT;
        }
        else {
            if (rc != SSE_RING_EMPTY) {
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, sse_lp.s, "TK10053: "
                             "the event loop could not read the ring: %s",
                             sse_ring_strerror(rc));
            }
            break;
        }
    }
    for (st = sse_lp.head; st; st = next) {
        next = st->next;
        if (!st->pending && st->cur.seq < sse_lp.cursor) {
            sse_lp_catch_up(st, now);
        }
    }
}
