/* sse_ring_read.c: reading the ring without its lock, and seeking a tag
 * (see sse_ring.h; the seqlock argument is at the top of
 * sse_ring_layout.h). */
#include <string.h>
#include "sse_ring_layout.h"

/* ---- readers ----------------------------------------------------------- */

/* Copy len payload bytes of the record at pos into buf (relaxed words). */
static void sse_ring_get(sse_ring_t *r, uint64_t pos, unsigned char *buf,
                         size_t len)
{
    sse_word_t *d = sse_word_at(r, pos);
    size_t off;

    for (off = 0; off < len; off += 8) {
        uint64_t w = atomic_load_explicit(&d[4 + off / 8],
                                          memory_order_relaxed);

        memcpy(buf + off, &w, len - off < 8 ? len - off : 8);
    }
}

/* After relaxed loads of the record at pos: were they all from before any
 * writer reused the position?  (The reader side of the seqlock.) */
static int sse_ring_still_held(sse_ring_t *r, uint64_t pos)
{
    atomic_thread_fence(memory_order_acquire);
    return sse_tail_before(r, pos);
}

/* One step of a walk over the records from *pos to head: a wrap marker is
 * stepped over; 1 with the record's first word, sequence number and (when
 * tag is given) tag read before the check that no writer reused the
 * place, 0 at head, -1 when a writer overtook the walk or the record is
 * not sane (which cannot happen in a sound ring). */
static int sse_ring_at(sse_ring_t *r, uint64_t *pos, uint64_t head,
                       uint64_t *w0, uint64_t *seq, uint64_t tag[2])
{
    while (*pos < head) {
        *w0 = sse_peek(r, *pos);
        *seq = sse_peek(r, *pos + 8);
        if (tag) {
            tag[0] = sse_peek(r, *pos + 16);
            tag[1] = sse_peek(r, *pos + 24);
        }
        if (!sse_ring_still_held(r, *pos)) {
            return -1;
        }
        if (sse_rec_kind(*w0) == SSE_KIND_WRAP) {
            *pos = sse_next_lap(r, *pos);
            continue;
        }
        return sse_rec_sane(r, *pos, *w0) ? 1 : -1;
    }
    return 0;
}

/* One attempt: look for want from pos on, below head; pos is the tail or
 * (from_hint) a record boundary past it.  -1 means a writer overtook the
 * reader or the hint was past want: try again from the tail. */
static int sse_ring_find(sse_ring_t *r, uint64_t want, uint64_t pos,
                         int from_hint, uint64_t head, unsigned char *buf,
                         size_t bufsize, sse_ring_rec_t *rec)
{
    uint64_t w0, s;
    int at;

    while ((at = sse_ring_at(r, &pos, head, &w0, &s, NULL)) > 0) {
        size_t len;

        if (s > want) {
            /* From the tail: want is gone.  From a hint: search again. */
            return from_hint ? -1 : SSE_RING_LAPPED;
        }
        len = sse_rec_len(w0);
        if (s < want) {
            pos += sse_rec_size(len);
            continue;
        }
        rec->seq = s;
        rec->type = sse_rec_type(w0);
        rec->len = len;
        rec->next = pos + sse_rec_size(len);
        rec->tag[0] = sse_peek(r, pos + 16);
        rec->tag[1] = sse_peek(r, pos + 24);
        if (len > bufsize) {
            return SSE_RING_TOOSMALL;
        }
        sse_ring_get(r, pos, buf, len);
        atomic_thread_fence(memory_order_acquire);
        if (sse_peek(r, pos + 8) != s || !sse_tail_before(r, pos)) {
            return SSE_RING_LAPPED;     /* dropped while we copied it */
        }
        return SSE_RING_OK;
    }
    if (at < 0) {
        return -1;          /* overtaken, or (never in a sound ring) a bad
                             * record: try again from the tail */
    }
    /* want was published (want < next_seq) but is not in [tail, head),
     * or not after the hint. */
    return from_hint ? -1 : SSE_RING_LAPPED;
}

sse_ring_rc_t sse_ring_read_hint(sse_ring_t *r, uint64_t after_seq,
                                 uint64_t hint, void *buf, size_t bufsize,
                                 sse_ring_rec_t *rec)
{
    uint64_t want = after_seq + 1;
    int attempt, rv = -1;

    if (r == NULL || rec == NULL || (bufsize != 0 && buf == NULL)) {
        return SSE_RING_EINVAL;
    }
    if (want == 0
        || want >= atomic_load_explicit(&r->next_seq, memory_order_acquire)) {
        return SSE_RING_EMPTY;
    }
    if (want < atomic_load_explicit(&r->oldest_seq, memory_order_relaxed)) {
        return SSE_RING_LAPPED;
    }
    for (attempt = 0; attempt < SSE_READ_RETRIES; ++attempt) {
        /* tail first: head, loaded after, is never behind it */
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        int from_hint = hint >= tail && hint < head;

        rv = sse_ring_find(r, want, from_hint ? hint : tail, from_hint, head,
                           buf, bufsize, rec);
        if (rv >= 0) {
            return (sse_ring_rc_t)rv;
        }
        hint = SSE_RING_NO_HINT;
    }
    /* Writers kept overtaking this reader: it is as good as lapped. */
    return SSE_RING_LAPPED;
}

sse_ring_rc_t sse_ring_read(sse_ring_t *r, uint64_t after_seq,
                            void *buf, size_t bufsize, sse_ring_rec_t *rec)
{
    return sse_ring_read_hint(r, after_seq, SSE_RING_NO_HINT, buf, bufsize,
                              rec);
}

/* ---- seeking by tag ------------------------------------------------------ */

/* One walk over the record headers from the tail; -1 when a writer
 * overtook the walk (try again). */
static int sse_ring_seek_walk(sse_ring_t *r, const uint64_t tag[2],
                              uint64_t pos, uint64_t head,
                              sse_ring_seek_t *out)
{
    uint64_t w0, s, t[2];
    int found = 0, at;

    while ((at = sse_ring_at(r, &pos, head, &w0, &s, t)) > 0) {
        if (sse_ring_tag_cmp(t, tag) > 0) {
            break;
        }
        found = 1;
        out->seq = s;
        out->tag[0] = t[0];
        out->tag[1] = t[1];
        pos += sse_rec_size(sse_rec_len(w0));
        out->hint = pos;
    }
    if (at < 0) {
        return -1;
    }
    if (!found) {
        return pos < head ? SSE_RING_LAPPED : SSE_RING_EMPTY;
    }
    out->exact = sse_tag_cmp(out->tag[0], out->tag[1], tag) == 0;
    out->last = pos >= head;
    return SSE_RING_OK;
}

sse_ring_rc_t sse_ring_seek(sse_ring_t *r, const uint64_t tag[2],
                            sse_ring_seek_t *out)
{
    int attempt;

    if (r == NULL || tag == NULL || out == NULL) {
        return SSE_RING_EINVAL;
    }
    for (attempt = 0; attempt < SSE_READ_RETRIES; ++attempt) {
        /* next_seq before head: a record published after this load has a
         * larger sequence, so "newest" below never skips one. */
        uint64_t next = atomic_load_explicit(&r->next_seq,
                                             memory_order_acquire);
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        int rv;

        memset(out, 0, sizeof(*out));
        out->seq = next - 1;
        out->hint = SSE_RING_NO_HINT;
        rv = sse_ring_seek_walk(r, tag, tail, head, out);
        if (rv >= 0) {
            if (rv == SSE_RING_EMPTY) {
                out->seq = next - 1;
                out->hint = SSE_RING_NO_HINT;
            }
            return (sse_ring_rc_t)rv;
        }
    }
    return SSE_RING_LAPPED;
}
