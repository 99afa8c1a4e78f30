/* sse_ring.c: the shared broadcast ring of event records (see sse_ring.h).
 *
 * Layout of the region (offsets from its start; it only needs 8-byte
 * alignment, so positions are byte offsets, never pointers):
 *
 *   0 +---------------------------------------------------------------+
 *     | magic "SSER" | version | size | hdr_size | mutex_size          |
 *     | data_size | max_payload                     (set once by init) |
 *     +---------------------------------------------------------------+
 *     | lock: pthread mutex, PROCESS_SHARED + ROBUST    (writers only) |
 *     +---------------------------------------------------------------+
 *     | next_seq | head | tail | oldest_seq         (published atomics) |
 *     +---------------------------------------------------------------+
 *     | wake (u32) | waiters (u32)                      (futex word)   |
 *     +---------------------------------------------------------------+
 *     | appended | bytes | wraps | recoveries             (counters)   |
 *     +---------------------------------------------------------------+
 *     | last_tag[2]                                   (writers only)   |
 *   hdr_size +-------------------------------------------------------+
 *     | data: data_size bytes (a multiple of 8)                        |
 *     |  ... | rec | rec | rec | wrap |  free  | rec | rec | ...      |
 *     |            ^tail                 ^head                          |
 *     +---------------------------------------------------------------+
 *
 *   record:  +-----------+----------+----------+---------+--------+--------+
 *            | len (u32) | type u16 | kind u16 | seq u64 | tag[0] | tag[1] |
 *            +-----------+----------+----------+---------+--------+--------+
 *            |<------- word 0 ---------------->|<-word 1>|<word 2>|<word 3>|
 *            | payload, padded to 8 ...                                    |
 *
 *   wrap:    word 0 with kind WRAP: the rest of the area up to its end is
 *            unused and the next record starts at offset 0.
 *
 * head and tail are logical positions that only grow: the byte offset in
 * data is position % data_size, and a wrap moves the position to the next
 * multiple of data_size.  So "the record at position p may have been
 * overwritten" is simply tail > p, with no ABA, and a record never
 * straddles the end.  Records in [tail, head) are complete; sequence
 * numbers in it run without a gap from oldest_seq to next_seq - 1.
 * The data area is an array of 64-bit atomic words, copied word by word
 * with relaxed loads and stores, so that concurrent overwrite while a
 * reader copies is a race the language defines (and the race detectors
 * accept), not undefined behaviour.
 *
 * Memory ordering.  A writer, holding the mutex, (1) drops records by
 * storing a larger tail (release), (2) issues a release fence, (3) writes
 * the new record's words (relaxed), (4) publishes it by storing head and
 * then next_seq (release).  A reader loads next_seq, tail and head
 * (acquire), copies words (relaxed), issues an acquire fence and loads
 * tail again.  Publication: a reader that sees next_seq > s (or a head
 * past a record) through an acquire load also sees every word written
 * before that release store, so the record is complete.  Validation: if
 * any word the reader copied came from a later writer's step (3), that
 * writer's release fence (2) and the reader's acquire fence synchronize,
 * so the reader's second load of tail sees the tail that writer stored in
 * (1), which is past the record: the reader discards the copy.  If instead
 * the second load of tail is still <= the record's position, no word it
 * copied can have been overwritten: every overwrite of a position is
 * preceded by a tail moving past it.  The writer mutex only orders writers
 * among themselves; readers never touch it.
 *
 * Tags.  A record may carry a 128-bit tag (two words, compared as a
 * pair): the caller's own position for it, such as the place of the event
 * in a database.  A tagged append is refused (STALE) unless its tag is
 * larger than every tag appended before (last_tag, kept under the mutex),
 * so several feeders may offer the same ordered stream and each record
 * goes in once, in tag order; sse_ring_seek then finds a tag by walking
 * record headers only.
 *
 * A writer that dies holding the mutex (kill -9 mid-append) leaves the
 * mutex owner-dead; the next writer gets EOWNERDEAD, re-derives oldest_seq
 * and next_seq by walking [tail, head) (see sse_ring_repair) and marks
 * the mutex consistent.  The steps above are ordered so that any prefix
 * of them leaves a ring that walk can repair.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "sse_ring.h"
#include "sse_mutex.h"

#define SSE_RING_MAGIC   0x52455353u    /* "SSER" read little-endian */
#define SSE_RING_VERSION 2u

#define SSE_KIND_EVENT 0xE5u
#define SSE_KIND_WRAP  0x57u

/* Give up re-reading after this many times a writer overtook the reader. */
#define SSE_READ_RETRIES 64

/* Shared between processes: these must be real lock-free instructions,
 * not a lock hidden in one process's memory. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");
_Static_assert(sizeof(_Atomic uint64_t) == 8, "atomic words are 8 bytes");

typedef _Atomic uint64_t sse_word_t;

struct sse_ring_t {
    /* identity, written once by sse_ring_init (magic last) */
    _Atomic uint32_t magic;
    uint32_t version;
    uint64_t size;
    uint32_t hdr_size;
    uint32_t mutex_size;
    uint64_t data_size;
    uint64_t max_payload;

    /* writers only */
    char pad0[64];
    pthread_mutex_t lock;

    /* published; read by everyone */
    char pad1[64];
    _Atomic uint64_t next_seq;
    _Atomic uint64_t head;
    _Atomic uint64_t tail;
    _Atomic uint64_t oldest_seq;

    /* the futex word and the number of sleepers on it */
    char pad2[64];
    _Atomic uint32_t wake;
    _Atomic uint32_t waiters;

    /* statistics, relaxed */
    char pad3[64];
    _Atomic uint64_t appended;
    _Atomic uint64_t bytes;
    _Atomic uint64_t wraps;
    _Atomic uint64_t recoveries;

    /* the largest tag appended; writers only, under the mutex */
    uint64_t last_tag[2];

    char pad4[64];
    sse_word_t data[];
};

void (*sse_ring_test_hook)(int stage) = NULL;

/* ---- records ----------------------------------------------------------- */

static uint64_t sse_rec_word(uint32_t len, uint16_t type, unsigned kind)
{
    return (uint64_t)len | (uint64_t)type << 32 | (uint64_t)kind << 48;
}

static uint32_t sse_rec_len(uint64_t w)
{
    return (uint32_t)w;
}

static uint16_t sse_rec_type(uint64_t w)
{
    return (uint16_t)(w >> 32);
}

static unsigned sse_rec_kind(uint64_t w)
{
    return (unsigned)(w >> 48);
}

/* Bytes a record of payload len takes in the ring. */
static uint64_t sse_rec_size(uint64_t len)
{
    return SSE_RING_REC_HDR + ((len + 7) & ~(uint64_t)7);
}

int sse_ring_tag_cmp(const uint64_t a[2], const uint64_t b[2])
{
    if (a[0] != b[0]) {
        return a[0] < b[0] ? -1 : 1;
    }
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* The same for a tag read as two words. */
static int sse_tag_cmp(uint64_t a0, uint64_t a1, const uint64_t b[2])
{
    const uint64_t a[2] = { a0, a1 };

    return sse_ring_tag_cmp(a, b);
}

/* The word at logical position pos (a multiple of 8). */
static sse_word_t *sse_word_at(sse_ring_t *r, uint64_t pos)
{
    return &r->data[(pos % r->data_size) / 8];
}

/* Relaxed load of the data word at pos. */
static uint64_t sse_peek(sse_ring_t *r, uint64_t pos)
{
    return atomic_load_explicit(sse_word_at(r, pos), memory_order_relaxed);
}

/* The first position of the next lap after pos. */
static uint64_t sse_next_lap(const sse_ring_t *r, uint64_t pos)
{
    return pos - pos % r->data_size + r->data_size;
}

/* Whether word 0 read at pos describes a record that fits where it is. */
static int sse_rec_sane(const sse_ring_t *r, uint64_t pos, uint64_t w0)
{
    return sse_rec_kind(w0) == SSE_KIND_EVENT
        && sse_rec_len(w0) <= r->max_payload
        && pos % r->data_size + sse_rec_size(sse_rec_len(w0)) <= r->data_size;
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

/* Whether the tail has not passed pos (relaxed: after a fence). */
static int sse_tail_before(sse_ring_t *r, uint64_t pos)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed) <= pos;
}

/* After relaxed loads of the record at pos: were they all from before any
 * writer reused the position?  (The reader side of the seqlock.) */
static int sse_ring_still_held(sse_ring_t *r, uint64_t pos)
{
    atomic_thread_fence(memory_order_acquire);
    return sse_tail_before(r, pos);
}

/* One attempt: look for want from pos on, below head; pos is the tail or
 * (from_hint) a record boundary past it.  -1 means a writer overtook the
 * reader or the hint was past want: try again from the tail. */
static int sse_ring_find(sse_ring_t *r, uint64_t want, uint64_t pos,
                         int from_hint, uint64_t head, unsigned char *buf,
                         size_t bufsize, sse_ring_rec_t *rec)
{
    while (pos < head) {
        uint64_t w0 = sse_peek(r, pos);
        uint64_t s = sse_peek(r, pos + 8);
        size_t len;

        if (!sse_ring_still_held(r, pos)) {
            return -1;
        }
        if (sse_rec_kind(w0) == SSE_KIND_WRAP) {
            pos = sse_next_lap(r, pos);
            continue;
        }
        if (!sse_rec_sane(r, pos, w0)) {
            return -1;              /* cannot happen in a sound ring */
        }
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
    int found = 0;

    while (pos < head) {
        uint64_t w0 = sse_peek(r, pos);
        uint64_t s = sse_peek(r, pos + 8);
        uint64_t t0 = sse_peek(r, pos + 16);
        uint64_t t1 = sse_peek(r, pos + 24);

        if (!sse_ring_still_held(r, pos)) {
            return -1;
        }
        if (sse_rec_kind(w0) == SSE_KIND_WRAP) {
            pos = sse_next_lap(r, pos);
            continue;
        }
        if (!sse_rec_sane(r, pos, w0)) {
            return -1;
        }
        if (sse_tag_cmp(t0, t1, tag) > 0) {
            break;
        }
        found = 1;
        out->seq = s;
        out->tag[0] = t0;
        out->tag[1] = t1;
        pos += sse_rec_size(sse_rec_len(w0));
        out->hint = pos;
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
