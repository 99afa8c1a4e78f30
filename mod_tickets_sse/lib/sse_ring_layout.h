/* sse_ring_layout.h: the ring's memory, for its two halves (sse_ring.c:
 * making, appending, waking; sse_ring_read.c: reading and seeking).  Not
 * for anyone else: the public interface is sse_ring.h.
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
#ifndef SSE_RING_LAYOUT_H
#define SSE_RING_LAYOUT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "sse_ring.h"

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

/* ---- records ----------------------------------------------------------- */

static inline uint64_t sse_rec_word(uint32_t len, uint16_t type, unsigned kind)
{
    return (uint64_t)len | (uint64_t)type << 32 | (uint64_t)kind << 48;
}

static inline uint32_t sse_rec_len(uint64_t w)
{
    return (uint32_t)w;
}

static inline uint16_t sse_rec_type(uint64_t w)
{
    return (uint16_t)(w >> 32);
}

static inline unsigned sse_rec_kind(uint64_t w)
{
    return (unsigned)(w >> 48);
}

/* Bytes a record of payload len takes in the ring. */
static inline uint64_t sse_rec_size(uint64_t len)
{
    return SSE_RING_REC_HDR + ((len + 7) & ~(uint64_t)7);
}

/* The same for a tag read as two words. */
static inline int sse_tag_cmp(uint64_t a0, uint64_t a1, const uint64_t b[2])
{
    const uint64_t a[2] = { a0, a1 };

    return sse_ring_tag_cmp(a, b);
}

/* The word at logical position pos (a multiple of 8). */
static inline sse_word_t *sse_word_at(sse_ring_t *r, uint64_t pos)
{
    return &r->data[(pos % r->data_size) / 8];
}

/* Relaxed load of the data word at pos. */
static inline uint64_t sse_peek(sse_ring_t *r, uint64_t pos)
{
    return atomic_load_explicit(sse_word_at(r, pos), memory_order_relaxed);
}

/* The first position of the next lap after pos. */
static inline uint64_t sse_next_lap(const sse_ring_t *r, uint64_t pos)
{
    return pos - pos % r->data_size + r->data_size;
}

/* Whether word 0 read at pos describes a record that fits where it is. */
static inline int sse_rec_sane(const sse_ring_t *r, uint64_t pos, uint64_t w0)
{
    return sse_rec_kind(w0) == SSE_KIND_EVENT
        && sse_rec_len(w0) <= r->max_payload
        && pos % r->data_size + sse_rec_size(sse_rec_len(w0)) <= r->data_size;
}

/* Whether the tail has not passed pos (relaxed: after a fence). */
static inline int sse_tail_before(sse_ring_t *r, uint64_t pos)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed) <= pos;
}

#endif
