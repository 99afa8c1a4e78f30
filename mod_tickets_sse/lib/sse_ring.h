/* sse_ring.h: a broadcast ring of event records in one shared memory region.
 *
 * Every httpd child process maps the same region.  Writers (any thread of
 * any process) append variable-length records under a robust,
 * process-shared mutex; each record gets the next 64-bit sequence number
 * (1, 2, 3, ... never reused, kept across a re-attach).  When the ring is
 * full the oldest records are dropped.  Readers never lock: they copy a
 * record out and then check that no writer overwrote it meanwhile, so a
 * slow reader can never slow a writer; a reader that fell too far behind
 * is told it was lapped and must catch up elsewhere (the database).
 *
 * The ring knows nothing of httpd or APR: the region is plain memory (an
 * APR shared-memory segment in production, malloc or mmap in tests), and
 * the handle is the region itself, so no per-process state is needed.
 * Payloads are opaque bytes; the type is a small number the caller chooses.
 *
 * A record may also carry a tag: two 64-bit words, compared as a pair, that
 * the caller assigns in increasing order (the event's position in the
 * database).  Tagged appends that are not larger than the last tag are
 * refused, so several feeders may offer the same ordered stream and every
 * record goes in once; sse_ring_seek finds where a tag is.
 */
#ifndef SSE_RING_H
#define SSE_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct sse_ring_t sse_ring_t;

/* Results of the ring functions (0 is success). */
typedef enum {
    SSE_RING_OK = 0,
    SSE_RING_EMPTY,         /* read: nothing newer than after_seq yet */
    SSE_RING_LAPPED,        /* read: after_seq + 1 is no longer held */
    SSE_RING_TOOSMALL,      /* read: the caller's buffer cannot hold it */
    SSE_RING_TOOBIG,        /* append: the record can never fit */
    SSE_RING_EINVAL,        /* bad argument, or region too small/unaligned */
    SSE_RING_MISMATCH,      /* attach: not a ring of this layout and size */
    SSE_RING_ELOCK,         /* the writer mutex failed or is unrecoverable */
    SSE_RING_TIMEOUT,       /* wait: nothing was appended in time */
    SSE_RING_STALE          /* tagged append: tag not above the last one */
} sse_ring_rc_t;

/* A read record (payload excluded). */
typedef struct {
    uint64_t seq;           /* its sequence number */
    uint16_t type;          /* the type given to sse_ring_append */
    size_t len;             /* payload length (also set on TOOSMALL) */
    uint64_t next;          /* where the next record starts: a hint for
                             * sse_ring_read_hint */
    uint64_t tag[2];        /* its tag ({0, 0} when appended untagged) */
} sse_ring_rec_t;

/* Where sse_ring_seek found a tag. */
typedef struct {
    uint64_t seq;           /* the last record whose tag <= the one sought;
                             * EMPTY: the newest sequence number (0 before
                             * the first append) */
    uint64_t tag[2];        /* that record's tag */
    uint64_t hint;          /* where the record after it starts */
    int exact;              /* its tag is the one sought */
    int last;               /* no record after it (when seeking) */
} sse_ring_seek_t;

/* A snapshot of the ring's state, taken without the lock (the fields may
 * come from slightly different instants). */
typedef struct {
    size_t size;            /* the whole region */
    size_t data_size;       /* the record area */
    size_t used;            /* bytes of records held (and wrap padding) */
    uint64_t oldest_seq;    /* oldest record held (newest + 1 when empty) */
    uint64_t newest_seq;    /* newest record, 0 before the first append */
    uint64_t appended;      /* records appended since init */
    uint64_t bytes;         /* payload bytes appended since init */
    uint64_t wraps;         /* times the write position went back to 0 */
    uint64_t recoveries;    /* writers found dead holding the mutex */
} sse_ring_stats_t;

/* The smallest region sse_ring_init accepts. */
#define SSE_RING_MIN_SIZE 1024

/* A record's header in the ring (its payload follows, padded to 8). */
#define SSE_RING_REC_HDR 32

/* Hint meaning "no hint": sse_ring_read_hint then searches from the
 * oldest record. */
#define SSE_RING_NO_HINT UINT64_MAX

/* Make a fresh, empty ring in mem (size bytes, 8-byte aligned, at least
 * SSE_RING_MIN_SIZE); whatever mem held is lost.  mem must stay mapped
 * (at any address) in every process that uses the ring. */
sse_ring_rc_t sse_ring_init(sse_ring_t **ring, void *mem, size_t size);

/* Use the ring an earlier sse_ring_init made in mem, with its records and
 * sequence.  SSE_RING_MISMATCH when mem is not such a ring of this layout
 * version and this size. */
sse_ring_rc_t sse_ring_attach(sse_ring_t **ring, void *mem, size_t size);

/* The largest payload sse_ring_append accepts. */
size_t sse_ring_max_payload(const sse_ring_t *ring);

/* Append a record, dropping the oldest ones as needed, and wake waiters.
 * seq (may be NULL) receives its sequence number.  SSE_RING_TOOBIG when
 * len > sse_ring_max_payload(); the ring is then unchanged. */
sse_ring_rc_t sse_ring_append(sse_ring_t *ring, uint16_t type,
                              const void *payload, size_t len, uint64_t *seq);

/* The same with a tag: STALE (nothing appended) unless tag is larger than
 * every tag appended to this ring before.  tag NULL: untagged, as
 * sse_ring_append. */
sse_ring_rc_t sse_ring_append_tagged(sse_ring_t *ring, uint16_t type,
                                     const uint64_t tag[2],
                                     const void *payload, size_t len,
                                     uint64_t *seq);

/* Compare two tags: <0, 0 or >0. */
int sse_ring_tag_cmp(const uint64_t a[2], const uint64_t b[2]);

/* The largest tag appended so far ({0, 0} before the first). */
sse_ring_rc_t sse_ring_last_tag(sse_ring_t *ring, uint64_t tag[2]);

/* Find tag among the held records (all of them tagged): OK with out set to
 * the last record whose tag <= tag (reading after out->seq, with hint
 * out->hint, gives the records after it); EMPTY when no record is held
 * (out->seq is the newest sequence number, so reading after it gives every
 * later append); LAPPED when the oldest record held is already past tag.
 * Reads record headers only, never the writer mutex. */
sse_ring_rc_t sse_ring_seek(sse_ring_t *ring, const uint64_t tag[2],
                            sse_ring_seek_t *out);

/* Copy the record with sequence after_seq + 1 (the first one newer than
 * after_seq) into buf.  OK: rec and buf filled.  EMPTY: none yet.
 * LAPPED: it was dropped already (also when after_seq + 1 is dropped while
 * being copied).  TOOSMALL: bufsize < rec->len; rec->seq and rec->len are
 * set and nothing is consumed.  Never takes the writer mutex; cost grows
 * with the number of records held (see sse_ring_read_hint). */
sse_ring_rc_t sse_ring_read(sse_ring_t *ring, uint64_t after_seq,
                            void *buf, size_t bufsize, sse_ring_rec_t *rec);

/* The same, starting at hint: the rec.next of the read that returned
 * after_seq (O(1) then), or SSE_RING_NO_HINT.  A stale hint costs a
 * search, never a wrong record. */
sse_ring_rc_t sse_ring_read_hint(sse_ring_t *ring, uint64_t after_seq,
                                 uint64_t hint, void *buf, size_t bufsize,
                                 sse_ring_rec_t *rec);

/* The wake word: it changes on every append.  Take it before reading,
 * read until EMPTY, then sse_ring_wait on the value taken. */
uint32_t sse_ring_wake_word(const sse_ring_t *ring);

/* Sleep until the wake word differs from seen, at most timeout_ms
 * (negative: no limit).  OK or TIMEOUT; may return OK spuriously. */
sse_ring_rc_t sse_ring_wait(sse_ring_t *ring, uint32_t seen, int timeout_ms);

void sse_ring_stats(const sse_ring_t *ring, sse_ring_stats_t *st);

/* A short English text for a result. */
const char *sse_ring_strerror(sse_ring_rc_t rc);

/* For tests only: when set, called by sse_ring_append with the mutex held
 * at each stage of an append (1: oldest records dropped, 2: record
 * written, 3: record published), so a test can kill the writer there. */
extern void (*sse_ring_test_hook)(int stage);

#endif
