/* sse_ring.c: the shared broadcast ring of event records: making it,
 * appending, waking readers (see sse_ring.h; the layout and the memory
 * ordering argument are at the top of sse_ring_layout.h, the readers in
 * sse_ring_read.c). */
#include <limits.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "sse_ring_layout.h"
#include "sse_mutex.h"

void (*sse_ring_test_hook)(int stage) = NULL;

int sse_ring_tag_cmp(const uint64_t a[2], const uint64_t b[2])
{
    if (a[0] != b[0]) {
        return a[0] < b[0] ? -1 : 1;
    }
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* ---- futex ------------------------------------------------------------- */

/* The only two places that sleep or wake: a platform without futexes
 * polls instead. */
static void sse_futex_wake(_Atomic uint32_t *word)
{
#ifdef __linux__
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
#else
    (void)word;
#endif
}

/* Sleep while *word == seen, at most ms milliseconds (ms >= 0). */
static void sse_futex_wait(_Atomic uint32_t *word, uint32_t seen, long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
#ifdef __linux__
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, seen, &ts, NULL, 0);
#else
    (void)word;
    (void)seen;
    if (ms > 2) {
        ts.tv_sec = 0;
        ts.tv_nsec = 2000000L;
    }
    nanosleep(&ts, NULL);
#endif
}

static long sse_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

/* ---- init and attach ----------------------------------------------------- */

static sse_ring_rc_t sse_ring_check_region(void *mem, size_t size)
{
    if (mem == NULL || (uintptr_t)mem % 8 != 0 || size < SSE_RING_MIN_SIZE
        || size < sizeof(sse_ring_t) + 256) {
        return SSE_RING_EINVAL;
    }
    return SSE_RING_OK;
}

sse_ring_rc_t sse_ring_init(sse_ring_t **ring, void *mem, size_t size)
{
    sse_ring_t *r = mem;
    sse_ring_rc_t rc = sse_ring_check_region(mem, size);

    if (ring == NULL || rc != SSE_RING_OK) {
        return ring == NULL ? SSE_RING_EINVAL : rc;
    }
    memset(r, 0, sizeof(*r));
    r->version = SSE_RING_VERSION;
    r->size = size;
    r->hdr_size = (uint32_t)sizeof(*r);
    r->mutex_size = (uint32_t)sizeof(pthread_mutex_t);
    r->data_size = (size - sizeof(*r)) & ~(uint64_t)7;
    r->max_payload = r->data_size - SSE_RING_REC_HDR;
    if (r->max_payload > UINT32_MAX) {
        r->max_payload = UINT32_MAX & ~(uint64_t)7;
    }
    if (sse_mutex_init(&r->lock) != 0) {
        return SSE_RING_ELOCK;
    }
    atomic_init(&r->next_seq, 1);
    atomic_init(&r->oldest_seq, 1);
    /* Everything above is visible to whoever sees the magic. */
    atomic_store_explicit(&r->magic, SSE_RING_MAGIC, memory_order_release);
    *ring = r;
    return SSE_RING_OK;
}

sse_ring_rc_t sse_ring_attach(sse_ring_t **ring, void *mem, size_t size)
{
    sse_ring_t *r = mem;
    sse_ring_rc_t rc = sse_ring_check_region(mem, size);
    uint64_t head, tail;

    if (ring == NULL || rc != SSE_RING_OK) {
        return ring == NULL ? SSE_RING_EINVAL : rc;
    }
    if (atomic_load_explicit(&r->magic, memory_order_acquire) != SSE_RING_MAGIC
        || r->version != SSE_RING_VERSION || r->size != size
        || r->hdr_size != sizeof(*r)
        || r->mutex_size != sizeof(pthread_mutex_t)
        || r->data_size != ((size - sizeof(*r)) & ~(uint64_t)7)) {
        return SSE_RING_MISMATCH;
    }
    tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (head < tail || head - tail > r->data_size || head % 8 || tail % 8) {
        return SSE_RING_MISMATCH;
    }
    *ring = r;
    return SSE_RING_OK;
}

size_t sse_ring_max_payload(const sse_ring_t *ring)
{
    return (size_t)ring->max_payload;
}

/* ---- writers ----------------------------------------------------------- */

/* After a writer died holding the mutex: make oldest_seq and next_seq
 * agree with the records in [tail, head) again.  A record that does not
 * check out ends the ring there (head is pulled back to it). */
static void sse_ring_repair(sse_ring_t *r)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t next = atomic_load_explicit(&r->next_seq, memory_order_relaxed);
    uint64_t pos, first = 0, last = 0, tag0 = 0, tag1 = 0;

    if (head < tail || head - tail > r->data_size) {
        tail = head;
        atomic_store_explicit(&r->tail, tail, memory_order_release);
    }
    pos = tail;
    while (pos < head) {
        uint64_t w0 = sse_peek(r, pos);
        uint64_t s;

        if (sse_rec_kind(w0) == SSE_KIND_WRAP && sse_next_lap(r, pos) <= head) {
            pos = sse_next_lap(r, pos);
            continue;
        }
        if (!sse_rec_sane(r, pos, w0)
            || pos + sse_rec_size(sse_rec_len(w0)) > head) {
            break;
        }
        s = sse_peek(r, pos + 8);
        if (last != 0 && s != last + 1) {
            break;
        }
        if (first == 0) {
            first = s;
        }
        last = s;
        tag0 = sse_peek(r, pos + 16);
        tag1 = sse_peek(r, pos + 24);
        pos += sse_rec_size(sse_rec_len(w0));
    }
    if (pos != head) {
        atomic_store_explicit(&r->head, pos, memory_order_release);
    }
    if (last != 0 && last + 1 > next) {
        next = last + 1;
    }
    if (last != 0 && sse_tag_cmp(tag0, tag1, r->last_tag) > 0) {
        r->last_tag[0] = tag0;      /* died after publishing, before this */
        r->last_tag[1] = tag1;
    }
    atomic_store_explicit(&r->oldest_seq, last != 0 ? first : next,
                          memory_order_relaxed);
    atomic_store_explicit(&r->next_seq, next, memory_order_release);
}

static sse_ring_rc_t sse_ring_lock(sse_ring_t *r)
{
    int recovered;

    if (sse_mutex_lock(&r->lock, &recovered) != 0) {
        return SSE_RING_ELOCK;
    }
    if (recovered) {
        sse_ring_repair(r);
        atomic_fetch_add_explicit(&r->recoveries, 1, memory_order_relaxed);
    }
    return SSE_RING_OK;
}

static void sse_ring_stage(int stage)
{
    if (sse_ring_test_hook) {
        sse_ring_test_hook(stage);
    }
}

/* Drop records from the tail until [tail, end) fits in the ring; start is
 * where the new record goes, head the current head. */
static void sse_ring_evict(sse_ring_t *r, uint64_t head, uint64_t start,
                           uint64_t end, uint64_t seq)
{
    uint64_t tail0 = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t tail = tail0;
    uint64_t oldest = atomic_load_explicit(&r->oldest_seq,
                                           memory_order_relaxed);

    while (end - tail > r->data_size) {
        uint64_t w0;

        if (tail >= head) {             /* everything goes */
            tail = start;
            oldest = seq;
            break;
        }
        w0 = sse_peek(r, tail);
        if (sse_rec_kind(w0) == SSE_KIND_WRAP) {
            tail = sse_next_lap(r, tail);
            continue;
        }
        oldest = sse_peek(r, tail + 8) + 1;
        tail += sse_rec_size(sse_rec_len(w0));
    }
    if (tail == tail0) {
        return;
    }
    atomic_store_explicit(&r->tail, tail, memory_order_release);
    atomic_store_explicit(&r->oldest_seq, oldest, memory_order_relaxed);
    /* The seqlock writer's fence: the stores that reuse the dropped space
     * come after it, so a reader that sees any of them sees this tail. */
    atomic_thread_fence(memory_order_release);
}

/* Write the record's words at start (relaxed: published by head). */
static void sse_ring_put(sse_ring_t *r, uint64_t start, uint16_t type,
                         uint64_t seq, const uint64_t tag[2],
                         const unsigned char *payload, size_t len)
{
    sse_word_t *d = sse_word_at(r, start);
    size_t off;

    atomic_store_explicit(&d[0],
                          sse_rec_word((uint32_t)len, type, SSE_KIND_EVENT),
                          memory_order_relaxed);
    atomic_store_explicit(&d[1], seq, memory_order_relaxed);
    atomic_store_explicit(&d[2], tag[0], memory_order_relaxed);
    atomic_store_explicit(&d[3], tag[1], memory_order_relaxed);
    for (off = 0; off < len; off += 8) {
        uint64_t w = 0;

        memcpy(&w, payload + off, len - off < 8 ? len - off : 8);
        atomic_store_explicit(&d[4 + off / 8], w, memory_order_relaxed);
    }
}

static void sse_ring_wake(sse_ring_t *r)
{
    /* Dekker with sse_ring_wait: bump the word, then look for sleepers;
     * a sleeper counts itself, then the kernel compares the word. */
    atomic_fetch_add_explicit(&r->wake, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&r->waiters, memory_order_seq_cst) != 0) {
        sse_futex_wake(&r->wake);
    }
}

sse_ring_rc_t sse_ring_append(sse_ring_t *r, uint16_t type,
                              const void *payload, size_t len, uint64_t *seqp)
{
    return sse_ring_append_tagged(r, type, NULL, payload, len, seqp);
}

sse_ring_rc_t sse_ring_append_tagged(sse_ring_t *r, uint16_t type,
                                     const uint64_t tag[2],
                                     const void *payload, size_t len,
                                     uint64_t *seqp)
{
    static const uint64_t untagged[2] = { 0, 0 };
    uint64_t need, head, start, end, seq;
    sse_ring_rc_t rc;

    if (r == NULL || (len != 0 && payload == NULL)) {
        return SSE_RING_EINVAL;
    }
    if (len > r->max_payload) {
        return SSE_RING_TOOBIG;
    }
    need = sse_rec_size(len);
    rc = sse_ring_lock(r);
    if (rc != SSE_RING_OK) {
        return rc;
    }
    if (tag != NULL && sse_tag_cmp(tag[0], tag[1], r->last_tag) <= 0) {
        pthread_mutex_unlock(&r->lock);
        return SSE_RING_STALE;
    }
    head = atomic_load_explicit(&r->head, memory_order_relaxed);
    seq = atomic_load_explicit(&r->next_seq, memory_order_relaxed);
    start = head;
    if (r->data_size - head % r->data_size < need) {
        start = sse_next_lap(r, head);
    }
    end = start + need;

    sse_ring_evict(r, head, start, end, seq);
    sse_ring_stage(1);
    if (start != head) {
        atomic_store_explicit(sse_word_at(r, head),
                              sse_rec_word(0, 0, SSE_KIND_WRAP),
                              memory_order_relaxed);
        atomic_fetch_add_explicit(&r->wraps, 1, memory_order_relaxed);
    }
    sse_ring_put(r, start, type, seq, tag ? tag : untagged, payload, len);
    sse_ring_stage(2);
    atomic_store_explicit(&r->head, end, memory_order_release);
    sse_ring_stage(3);
    atomic_store_explicit(&r->next_seq, seq + 1, memory_order_release);
    if (tag != NULL) {
        r->last_tag[0] = tag[0];
        r->last_tag[1] = tag[1];
    }
    atomic_fetch_add_explicit(&r->appended, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->bytes, len, memory_order_relaxed);
    pthread_mutex_unlock(&r->lock);

    sse_ring_wake(r);
    if (seqp) {
        *seqp = seq;
    }
    return SSE_RING_OK;
}

sse_ring_rc_t sse_ring_last_tag(sse_ring_t *r, uint64_t tag[2])
{
    sse_ring_rc_t rc;

    if (r == NULL || tag == NULL) {
        return SSE_RING_EINVAL;
    }
    if ((rc = sse_ring_lock(r)) != SSE_RING_OK) {
        return rc;
    }
    tag[0] = r->last_tag[0];
    tag[1] = r->last_tag[1];
    pthread_mutex_unlock(&r->lock);
    return SSE_RING_OK;
}

/* ---- waiting ----------------------------------------------------------- */

uint32_t sse_ring_wake_word(const sse_ring_t *r)
{
    return atomic_load_explicit(&((sse_ring_t *)r)->wake, memory_order_seq_cst);
}

sse_ring_rc_t sse_ring_wait(sse_ring_t *r, uint32_t seen, int timeout_ms)
{
    long deadline = timeout_ms >= 0 ? sse_now_ms() + timeout_ms : 0;
    sse_ring_rc_t rc = SSE_RING_TIMEOUT;

    atomic_fetch_add_explicit(&r->waiters, 1, memory_order_seq_cst);
    for (;;) {
        long left = timeout_ms >= 0 ? deadline - sse_now_ms() : 60000;

        if (atomic_load_explicit(&r->wake, memory_order_seq_cst) != seen) {
            rc = SSE_RING_OK;
            break;
        }
        if (left <= 0) {
            break;
        }
        sse_futex_wait(&r->wake, seen, left);
    }
    atomic_fetch_sub_explicit(&r->waiters, 1, memory_order_seq_cst);
    return rc;
}

/* ---- stats ------------------------------------------------------------- */

void sse_ring_stats(const sse_ring_t *ring, sse_ring_stats_t *st)
{
    sse_ring_t *r = (sse_ring_t *)ring;
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t next = atomic_load_explicit(&r->next_seq, memory_order_acquire);

    memset(st, 0, sizeof(*st));
    st->size = (size_t)r->size;
    st->data_size = (size_t)r->data_size;
    st->used = head >= tail ? (size_t)(head - tail) : 0;
    st->oldest_seq = atomic_load_explicit(&r->oldest_seq, memory_order_relaxed);
    st->newest_seq = next - 1;
    st->appended = atomic_load_explicit(&r->appended, memory_order_relaxed);
    st->bytes = atomic_load_explicit(&r->bytes, memory_order_relaxed);
    st->wraps = atomic_load_explicit(&r->wraps, memory_order_relaxed);
    st->recoveries = atomic_load_explicit(&r->recoveries, memory_order_relaxed);
}

const char *sse_ring_strerror(sse_ring_rc_t rc)
{
    switch (rc) {
    case SSE_RING_OK:       return "success";
    case SSE_RING_EMPTY:    return "no newer record yet";
    case SSE_RING_LAPPED:   return "record no longer held (reader lapped)";
    case SSE_RING_TOOSMALL: return "buffer too small for the record";
    case SSE_RING_TOOBIG:   return "record larger than the ring can hold";
    case SSE_RING_EINVAL:   return "invalid argument or region";
    case SSE_RING_MISMATCH: return "no ring of this layout and size there";
    case SSE_RING_ELOCK:    return "ring writer mutex failed";
    case SSE_RING_TIMEOUT:  return "nothing appended before the timeout";
    case SSE_RING_STALE:    return "tag not larger than the last one appended";
    }
    return "unknown ring result";
}
