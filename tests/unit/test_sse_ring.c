/* test_sse_ring.c: the shared event ring (sse_ring.c): order, wrap-around,
 * eviction and refusal, lapped readers, attach, and concurrent writers and
 * readers in several threads and several processes sharing one
 * MAP_SHARED region, including a writer killed while holding the mutex.
 *
 * Every payload carries who wrote it, its number, its length and a
 * checksum of the rest (see tr_make), so a torn or foreign copy shows.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tk_suites.h"
#include "sse_ring.h"

/* ---- shared memory and payloads ----------------------------------------- */

static void *tr_map(size_t size)
{
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    ck_assert_msg(m != MAP_FAILED, "mmap: %s", strerror(errno));
    return m;
}

static sse_ring_t *tr_ring(void *mem, size_t size)
{
    sse_ring_t *r = NULL;

    ck_assert_int_eq(sse_ring_init(&r, mem, size), SSE_RING_OK);
    return r;
}

typedef struct {
    uint32_t writer;
    uint32_t counter;
    uint32_t len;
    uint32_t sum;
} tr_head_t;

static uint32_t tr_fnv(uint32_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    size_t i;

    for (i = 0; i < n; ++i) {
        h = (h ^ c[i]) * 16777619u;
    }
    return h;
}

static uint32_t tr_sum(const tr_head_t *h, const unsigned char *body, size_t n)
{
    uint32_t v = tr_fnv(2166136261u, &h->writer, sizeof(h->writer));

    v = tr_fnv(v, &h->counter, sizeof(h->counter));
    v = tr_fnv(v, &h->len, sizeof(h->len));
    return tr_fnv(v, body, n);
}

/* A payload length that varies with writer and counter: 16..16+span-1. */
static size_t tr_len(uint32_t writer, uint32_t counter, size_t span)
{
    uint32_t x = writer * 2654435761u ^ counter * 40503u;

    x ^= x >> 13;
    return sizeof(tr_head_t) + (x * 2246822519u >> 7) % span;
}

static size_t tr_make(unsigned char *buf, uint32_t writer, uint32_t counter,
                      size_t len)
{
    tr_head_t h;
    size_t i;

    for (i = sizeof(h); i < len; ++i) {
        buf[i] = (unsigned char)(writer * 131 + counter * 7 + i);
    }
    h.writer = writer;
    h.counter = counter;
    h.len = (uint32_t)len;
    h.sum = tr_sum(&h, buf + sizeof(h), len - sizeof(h));
    memcpy(buf, &h, sizeof(h));
    return len;
}

/* 1 when buf[0..len) is an intact payload; its head goes to *h. */
static int tr_check(const unsigned char *buf, size_t len, tr_head_t *h)
{
    size_t i;

    if (len < sizeof(*h)) {
        return 0;
    }
    memcpy(h, buf, sizeof(*h));
    if (h->len != len || h->sum != tr_sum(h, buf + sizeof(*h), len - sizeof(*h))) {
        return 0;
    }
    for (i = sizeof(*h); i < len; ++i) {
        if (buf[i] != (unsigned char)(h->writer * 131 + h->counter * 7 + i)) {
            return 0;
        }
    }
    return 1;
}

/* ---- basics ---------------------------------------------------------------- */

START_TEST(init_refuses_bad_regions)
{
    static uint64_t mem[1024];
    sse_ring_t *r = NULL;

    ck_assert_int_eq(sse_ring_init(&r, NULL, sizeof(mem)), SSE_RING_EINVAL);
    ck_assert_int_eq(sse_ring_init(&r, mem, 64), SSE_RING_EINVAL);
    ck_assert_int_eq(sse_ring_init(&r, (char *)mem + 4, sizeof(mem) - 8),
                     SSE_RING_EINVAL);
    ck_assert_int_eq(sse_ring_init(NULL, mem, sizeof(mem)), SSE_RING_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(sse_ring_init(&r, mem, sizeof(mem)), SSE_RING_OK);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(sse_ring_strerror(SSE_RING_LAPPED),
                     "record no longer held (reader lapped)");
}
END_TEST

START_TEST(empty_ring)
{
    static uint64_t mem[1024];
    sse_ring_t *r = tr_ring(mem, sizeof(mem));
    sse_ring_stats_t st;
    sse_ring_rec_t rec;
    char buf[16];

    ck_assert_int_eq(sse_ring_read(r, 0, buf, sizeof(buf), &rec), SSE_RING_EMPTY);
    ck_assert_int_eq(sse_ring_read(r, 41, buf, sizeof(buf), &rec), SSE_RING_EMPTY);
    ck_assert_int_eq(sse_ring_read(r, UINT64_MAX, buf, sizeof(buf), &rec),
                     SSE_RING_EMPTY);
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.size, sizeof(mem));
    ck_assert_uint_gt(st.data_size, sizeof(mem) - 1024);
    ck_assert_uint_eq(st.used, 0);
    ck_assert_uint_eq(st.oldest_seq, 1);
    ck_assert_uint_eq(st.newest_seq, 0);
    ck_assert_uint_eq(st.appended, 0);
    ck_assert_uint_eq(sse_ring_max_payload(r), st.data_size - SSE_RING_REC_HDR);
}
END_TEST

START_TEST(append_read_in_order)
{
    static uint64_t mem[2048];
    sse_ring_t *r = tr_ring(mem, sizeof(mem));
    unsigned char in[300], out[300];
    sse_ring_rec_t rec;
    sse_ring_stats_t st;
    uint64_t seq, hint = SSE_RING_NO_HINT;
    tr_head_t h;
    uint32_t i;

    for (i = 0; i < 10; ++i) {
        size_t len = tr_make(in, 1, i, tr_len(1, i, 200));

        ck_assert_int_eq(sse_ring_append(r, (uint16_t)(100 + i), in, len, &seq),
                         SSE_RING_OK);
        ck_assert_uint_eq(seq, i + 1);
    }
    /* without and with hints, the same records in order */
    for (i = 0; i < 10; ++i) {
        memset(&rec, 0, sizeof(rec));
        ck_assert_int_eq(sse_ring_read(r, i, out, sizeof(out), &rec), SSE_RING_OK);
        ck_assert_uint_eq(rec.seq, i + 1);
        ck_assert_uint_eq(rec.type, 100 + i);
        ck_assert_uint_eq(rec.len, tr_len(1, i, 200));
        ck_assert(tr_check(out, rec.len, &h));
        ck_assert_uint_eq(h.counter, i);

        ck_assert_int_eq(sse_ring_read_hint(r, i, hint, out, sizeof(out), &rec),
                         SSE_RING_OK);
        ck_assert_uint_eq(rec.seq, i + 1);
        hint = rec.next;
    }
    ck_assert_int_eq(sse_ring_read_hint(r, 10, hint, out, sizeof(out), &rec),
                     SSE_RING_EMPTY);
    /* a wrong hint costs a search, never a wrong record */
    ck_assert_int_eq(sse_ring_read_hint(r, 2, hint, out, sizeof(out), &rec),
                     SSE_RING_OK);
    ck_assert_uint_eq(rec.seq, 3);
    ck_assert_int_eq(sse_ring_read_hint(r, 8, 0, out, sizeof(out), &rec),
                     SSE_RING_OK);
    ck_assert_uint_eq(rec.seq, 9);

    /* an empty payload is a record too */
    ck_assert_int_eq(sse_ring_append(r, 7, NULL, 0, &seq), SSE_RING_OK);
    ck_assert_uint_eq(seq, 11);
    ck_assert_int_eq(sse_ring_read_hint(r, 10, hint, NULL, 0, &rec), SSE_RING_OK);
    ck_assert_uint_eq(rec.len, 0);
    ck_assert_uint_eq(rec.type, 7);
    ck_assert_int_eq(sse_ring_append(r, 7, NULL, 5, &seq), SSE_RING_EINVAL);

    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.appended, 11);
    ck_assert_uint_eq(st.oldest_seq, 1);
    ck_assert_uint_eq(st.newest_seq, 11);
    ck_assert_uint_eq(st.wraps, 0);
    ck_assert_uint_gt(st.used, 10 * (16 + 16));
}
END_TEST

START_TEST(buffer_too_small)
{
    static uint64_t mem[1024];
    sse_ring_t *r = tr_ring(mem, sizeof(mem));
    unsigned char in[100], out[100];
    sse_ring_rec_t rec;

    tr_make(in, 2, 0, 100);
    ck_assert_int_eq(sse_ring_append(r, 1, in, 100, NULL), SSE_RING_OK);
    ck_assert_int_eq(sse_ring_read(r, 0, out, 99, &rec), SSE_RING_TOOSMALL);
    ck_assert_uint_eq(rec.seq, 1);
    ck_assert_uint_eq(rec.len, 100);
    ck_assert_int_eq(sse_ring_read(r, 0, out, 100, &rec), SSE_RING_OK);
    ck_assert_int_eq(memcmp(in, out, 100), 0);
}
END_TEST

/* Thousands of appends of varying sizes through a small ring: each record
 * reads back right after it is written, the held ones are always a
 * gap-free run ending at the newest, and the write position wraps often. */
START_TEST(wrap_around_many_times)
{
    static uint64_t mem[512];           /* 4 KiB, under 4000 bytes of data */
    sse_ring_t *r = tr_ring(mem, sizeof(mem));
    unsigned char in[400], out[400];
    sse_ring_stats_t st;
    sse_ring_rec_t rec;
    uint64_t seq, hint = SSE_RING_NO_HINT;
    tr_head_t h;
    uint32_t i;

    for (i = 0; i < 20000; ++i) {
        size_t len = tr_make(in, 3, i, tr_len(3, i, i % 5 == 0 ? 380 : 60));

        ck_assert_int_eq(sse_ring_append(r, (uint16_t)i, in, len, &seq), SSE_RING_OK);
        ck_assert_uint_eq(seq, i + 1);
        ck_assert_int_eq(sse_ring_read_hint(r, i, hint, out, sizeof(out), &rec),
                         SSE_RING_OK);
        ck_assert_uint_eq(rec.seq, seq);
        ck_assert_uint_eq(rec.type, (uint16_t)i);
        ck_assert(tr_check(out, rec.len, &h) && h.counter == i);
        hint = rec.next;

        sse_ring_stats(r, &st);
        ck_assert_uint_le(st.used, st.data_size);
        ck_assert_uint_eq(st.newest_seq, seq);
        if (i % 101 == 0) {
            uint64_t s, after = st.oldest_seq - 1, hint2 = SSE_RING_NO_HINT;

            ck_assert_int_eq(sse_ring_read(r, after - (after > 0), out,
                                           sizeof(out), &rec),
                             after > 0 ? SSE_RING_LAPPED : SSE_RING_OK);
            for (s = st.oldest_seq; s <= seq; ++s) {
                ck_assert_int_eq(sse_ring_read_hint(r, s - 1, hint2, out,
                                                    sizeof(out), &rec),
                                 SSE_RING_OK);
                ck_assert_uint_eq(rec.seq, s);
                ck_assert(tr_check(out, rec.len, &h) && h.counter == s - 1);
                hint2 = rec.next;
            }
        }
    }
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.appended, 20000);
    ck_assert_uint_gt(st.wraps, 300);
    ck_assert_uint_gt(st.oldest_seq, 19900);
}
END_TEST

START_TEST(large_records_evict_or_are_refused)
{
    static uint64_t mem[1024];
    sse_ring_t *r = tr_ring(mem, sizeof(mem));
    size_t max = sse_ring_max_payload(r);
    unsigned char *in = apr_palloc(tk_tp, max + 8), *out = apr_palloc(tk_tp, max + 8);
    sse_ring_stats_t st, st2;
    sse_ring_rec_t rec;
    uint64_t seq;
    tr_head_t h;
    uint32_t i;

    for (i = 0; i < 100; ++i) {
        tr_make(in, 4, i, 40);
        ck_assert_int_eq(sse_ring_append(r, 1, in, 40, NULL), SSE_RING_OK);
    }
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.oldest_seq, 1);            /* all 100 still held */

    /* larger than the free space: the oldest make room */
    tr_make(in, 4, 100, max / 2);
    ck_assert_int_eq(sse_ring_append(r, 2, in, max / 2, &seq), SSE_RING_OK);
    ck_assert_uint_eq(seq, 101);
    sse_ring_stats(r, &st);
    ck_assert_uint_gt(st.oldest_seq, 1);
    ck_assert_uint_le(st.used, st.data_size);
    ck_assert_int_eq(sse_ring_read(r, 0, out, max, &rec), SSE_RING_LAPPED);
    ck_assert_int_eq(sse_ring_read(r, st.oldest_seq - 2, out, max, &rec),
                     SSE_RING_LAPPED);
    ck_assert_int_eq(sse_ring_read(r, st.oldest_seq - 1, out, max, &rec),
                     SSE_RING_OK);
    ck_assert_int_eq(sse_ring_read(r, 100, out, max, &rec), SSE_RING_OK);
    ck_assert(tr_check(out, rec.len, &h) && h.counter == 100);

    /* exactly the largest: everything else goes */
    tr_make(in, 4, 101, max);
    ck_assert_int_eq(sse_ring_append(r, 3, in, max, &seq), SSE_RING_OK);
    ck_assert_uint_eq(seq, 102);
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.oldest_seq, 102);
    ck_assert_uint_eq(st.newest_seq, 102);
    ck_assert_int_eq(sse_ring_read(r, 100, out, max, &rec), SSE_RING_LAPPED);
    ck_assert_int_eq(sse_ring_read(r, 101, out, max, &rec), SSE_RING_OK);
    ck_assert(tr_check(out, rec.len, &h) && h.counter == 101);

    /* larger than the ring: refused, nothing changes */
    ck_assert_int_eq(sse_ring_append(r, 3, in, max + 1, &seq), SSE_RING_TOOBIG);
    ck_assert_int_eq(sse_ring_append(r, 3, in, (size_t)1 << 40, &seq),
                     SSE_RING_TOOBIG);
    sse_ring_stats(r, &st2);
    ck_assert_int_eq(memcmp(&st, &st2, sizeof(st)), 0);
    ck_assert_int_eq(sse_ring_read(r, 101, out, max, &rec), SSE_RING_OK);
    ck_assert(tr_check(out, rec.len, &h) && h.counter == 101);

    /* and small ones carry on after it */
    for (i = 102; i < 120; ++i) {
        tr_make(in, 4, i, 100);
        ck_assert_int_eq(sse_ring_append(r, 1, in, 100, &seq), SSE_RING_OK);
        ck_assert_uint_eq(seq, i + 1);
    }
    ck_assert_int_eq(sse_ring_read(r, 119, out, max, &rec), SSE_RING_OK);
    ck_assert(tr_check(out, rec.len, &h) && h.counter == 119);
}
END_TEST

/* A reader that stopped at some sequence while writers went around the
 * ring gets "lapped", never another record, and can resume from the
 * oldest held. */
START_TEST(lapped_reader)
{
    static uint64_t mem[512];
    sse_ring_t *r = tr_ring(mem, sizeof(mem));
    unsigned char in[100], out[100];
    sse_ring_stats_t st;
    sse_ring_rec_t rec, first;
    uint32_t i;

    for (i = 0; i < 5; ++i) {
        tr_make(in, 5, i, 64);
        sse_ring_append(r, 1, in, 64, NULL);
    }
    ck_assert_int_eq(sse_ring_read(r, 2, out, sizeof(out), &first), SSE_RING_OK);
    for (; i < 500; ++i) {
        tr_make(in, 5, i, 64);
        sse_ring_append(r, 1, in, 64, NULL);
    }
    /* the old hint now points at reused space */
    ck_assert_int_eq(sse_ring_read_hint(r, 3, first.next, out, sizeof(out), &rec),
                     SSE_RING_LAPPED);
    ck_assert_int_eq(sse_ring_read(r, 3, out, sizeof(out), &rec), SSE_RING_LAPPED);
    sse_ring_stats(r, &st);
    ck_assert_int_eq(sse_ring_read(r, st.oldest_seq - 1, out, sizeof(out), &rec),
                     SSE_RING_OK);
    ck_assert_uint_eq(rec.seq, st.oldest_seq);
}
END_TEST

/* A graceful restart: the new generation attaches to the same memory and
 * carries on; a region of another size or layout is refused. */
START_TEST(attach_keeps_events_and_sequence)
{
    size_t size = 64 * 1024;
    uint64_t *mem = tr_map(size);
    sse_ring_t *r = tr_ring(mem, size), *r2 = NULL;
    unsigned char in[100], out[100];
    sse_ring_rec_t rec;
    uint64_t seq;
    tr_head_t h;
    uint32_t i;

    for (i = 0; i < 5; ++i) {
        tr_make(in, 6, i, 50);
        sse_ring_append(r, 1, in, 50, NULL);
    }
    ck_assert_int_eq(sse_ring_attach(&r2, mem, size - 8), SSE_RING_MISMATCH);
    ck_assert_int_eq(sse_ring_attach(&r2, mem, size + 8), SSE_RING_MISMATCH);
    ck_assert_ptr_null(r2);
    ck_assert_int_eq(sse_ring_attach(&r2, mem, size), SSE_RING_OK);
    ck_assert_ptr_eq(r2, (void *)mem);
    tr_make(in, 6, 5, 50);
    ck_assert_int_eq(sse_ring_append(r2, 1, in, 50, &seq), SSE_RING_OK);
    ck_assert_uint_eq(seq, 6);
    for (i = 0; i < 6; ++i) {
        ck_assert_int_eq(sse_ring_read(r2, i, out, sizeof(out), &rec), SSE_RING_OK);
        ck_assert(tr_check(out, rec.len, &h) && h.counter == i);
    }

    /* the same region seen at another address (another process's map) */
    {
        uint64_t *copy = tr_map(size);

        memcpy(copy, mem, size);
        ck_assert_int_eq(sse_ring_attach(&r2, copy, size), SSE_RING_OK);
        ck_assert_int_eq(sse_ring_read(r2, 5, out, sizeof(out), &rec), SSE_RING_OK);
        ck_assert_uint_eq(rec.seq, 6);
        munmap(copy, size);
    }

    /* wrong magic, wrong version, never initialised */
    mem[0] ^= 1;
    ck_assert_int_eq(sse_ring_attach(&r2, mem, size), SSE_RING_MISMATCH);
    mem[0] ^= 1;
    mem[0] += (uint64_t)1 << 32;
    ck_assert_int_eq(sse_ring_attach(&r2, mem, size), SSE_RING_MISMATCH);
    mem[0] -= (uint64_t)1 << 32;
    ck_assert_int_eq(sse_ring_attach(&r2, mem, size), SSE_RING_OK);
    memset(mem, 0, size);
    ck_assert_int_eq(sse_ring_attach(&r2, mem, size), SSE_RING_MISMATCH);
    munmap(mem, size);
}
END_TEST

/* ---- concurrency ---------------------------------------------------------------- */

#define TR_WRITERS   4          /* threads, and processes */
#define TR_PER       4000       /* appends by each */

typedef struct {
    sse_ring_t *ring;
    uint32_t writer;
    uint32_t count;
    size_t span;                /* payload lengths 16..16+span-1 */
    uint64_t *seqs;             /* count entries: the seq each append got */
    int errors;
} tr_writer_t;

static void *tr_write(void *arg)
{
    tr_writer_t *w = arg;
    unsigned char buf[600];
    uint32_t c;

    for (c = 0; c < w->count; ++c) {
        size_t len = tr_make(buf, w->writer, c, tr_len(w->writer, c, w->span));
        uint64_t seq = 0;

        if (sse_ring_append(w->ring, (uint16_t)(w->writer % 7), buf, len, &seq)
            != SSE_RING_OK) {
            ++w->errors;
        }
        if (w->seqs) {
            w->seqs[c] = seq;
        }
    }
    return NULL;
}

static void tr_threads(tr_writer_t *w, int n)
{
    pthread_t t[16];
    int i;

    for (i = 0; i < n; ++i) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, tr_write, &w[i]), 0);
    }
    for (i = 0; i < n; ++i) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(w[i].errors, 0);
    }
}

/* Fork a process running tr_write(w); exit status 0 when all went well. */
static pid_t tr_fork_writer(tr_writer_t *w)
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        tr_write(w);
        _exit(w->errors ? 1 : 0);
    }
    return pid;
}

static void tr_reap(pid_t pid)
{
    int status;

    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child %d ended with status 0x%x", (int)pid, status);
}

/* After nw writers of count appends each into a ring that holds them all:
 * the sequences handed out are exactly 1..N, and reading the ring gives
 * every payload intact under the sequence its writer was told. */
static void tr_verify_all(sse_ring_t *r, uint64_t *seqs, int nw, uint32_t count)
{
    uint64_t n = (uint64_t)nw * count, s, hint = SSE_RING_NO_HINT;
    unsigned char *seen = apr_pcalloc(tk_tp, n + 1);
    unsigned char buf[600];
    sse_ring_stats_t st;
    sse_ring_rec_t rec;
    tr_head_t h;

    for (s = 0; s < n; ++s) {
        ck_assert_uint_ge(seqs[s], 1);
        ck_assert_uint_le(seqs[s], n);
        ck_assert_msg(!seen[seqs[s]], "sequence %llu handed out twice",
                      (unsigned long long)seqs[s]);
        seen[seqs[s]] = 1;
    }
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.oldest_seq, 1);
    ck_assert_uint_eq(st.newest_seq, n);
    ck_assert_uint_eq(st.appended, n);
    for (s = 0; s < n; ++s) {
        ck_assert_int_eq(sse_ring_read_hint(r, s, hint, buf, sizeof(buf), &rec),
                         SSE_RING_OK);
        ck_assert_uint_eq(rec.seq, s + 1);
        ck_assert_msg(tr_check(buf, rec.len, &h), "record %llu is damaged",
                      (unsigned long long)rec.seq);
        ck_assert_int_lt(h.writer, nw);
        ck_assert_int_lt(h.counter, count);
        ck_assert_uint_eq(seqs[(uint64_t)h.writer * count + h.counter], rec.seq);
        ck_assert_uint_eq(rec.type, h.writer % 7);
        hint = rec.next;
    }
    ck_assert_int_eq(sse_ring_read_hint(r, n, hint, buf, sizeof(buf), &rec),
                     SSE_RING_EMPTY);
}

START_TEST(threads_append)
{
    size_t size = 8 << 20;
    void *mem = tr_map(size);
    sse_ring_t *r = tr_ring(mem, size);
    uint64_t *seqs = apr_pcalloc(tk_tp, sizeof(uint64_t) * TR_WRITERS * TR_PER);
    tr_writer_t w[TR_WRITERS];
    int i;

    for (i = 0; i < TR_WRITERS; ++i) {
        w[i] = (tr_writer_t){ r, (uint32_t)i, TR_PER, 300, seqs + i * TR_PER, 0 };
    }
    tr_threads(w, TR_WRITERS);
    tr_verify_all(r, seqs, TR_WRITERS, TR_PER);
    munmap(mem, size);
}
END_TEST

/* Several processes, each with two threads, append to one MAP_SHARED
 * ring; the sequence numbers they got come back through shared memory. */
START_TEST(processes_append)
{
    size_t size = 8 << 20, ssize = sizeof(uint64_t) * 2 * TR_WRITERS * TR_PER;
    void *mem = tr_map(size);
    uint64_t *seqs = tr_map(ssize);
    sse_ring_t *r = tr_ring(mem, size);
    pid_t pid[TR_WRITERS];
    int i;

    for (i = 0; i < TR_WRITERS; ++i) {
        pid[i] = fork();
        ck_assert_int_ge(pid[i], 0);
        if (pid[i] == 0) {
            tr_writer_t w[2];
            int j;

            for (j = 0; j < 2; ++j) {
                uint32_t id = (uint32_t)(2 * i + j);

                w[j] = (tr_writer_t){ r, id, TR_PER, 300, seqs + id * TR_PER, 0 };
            }
            tr_threads(w, 2);
            _exit(0);
        }
    }
    for (i = 0; i < TR_WRITERS; ++i) {
        tr_reap(pid[i]);
    }
    tr_verify_all(r, seqs, 2 * TR_WRITERS, TR_PER);
    munmap(seqs, ssize);
    munmap(mem, size);
}
END_TEST

/* Readers follow a small ring that writers (threads and processes) wrap
 * over and over: every record a reader accepts is intact and the next
 * sequence after the previous one, or the reader is told it was lapped. */

typedef struct {
    _Atomic int stop;
    _Atomic uint64_t reads, laps, bad, empties;
} tr_shared_t;

typedef struct {
    sse_ring_t *ring;
    tr_shared_t *sh;
} tr_reader_t;

static void *tr_read(void *arg)
{
    tr_reader_t *rd = arg;
    unsigned char buf[600];
    uint64_t after, hint = SSE_RING_NO_HINT;
    uint64_t reads = 0, laps = 0, bad = 0, empties = 0;
    sse_ring_stats_t st;
    sse_ring_rec_t rec;
    tr_head_t h;

    sse_ring_stats(rd->ring, &st);
    after = st.newest_seq;
    for (;;) {
        uint32_t wake = sse_ring_wake_word(rd->ring);
        int stop = atomic_load(&rd->sh->stop);
        sse_ring_rc_t rc = sse_ring_read_hint(rd->ring, after, hint, buf,
                                              sizeof(buf), &rec);

        if (rc == SSE_RING_OK) {
            bad += !tr_check(buf, rec.len, &h) || rec.seq != after + 1
                || rec.type != h.writer % 7;
            after = rec.seq;
            hint = rec.next;
            ++reads;
        }
        else if (rc == SSE_RING_LAPPED) {
            sse_ring_stats(rd->ring, &st);
            after = st.oldest_seq > after + 1 ? st.oldest_seq - 1 : after;
            hint = SSE_RING_NO_HINT;
            ++laps;
        }
        else if (rc == SSE_RING_EMPTY) {
            if (stop) {
                break;
            }
            ++empties;
            sse_ring_wait(rd->ring, wake, 20);
        }
        else {
            ++bad;
        }
    }
    atomic_fetch_add(&rd->sh->reads, reads);
    atomic_fetch_add(&rd->sh->laps, laps);
    atomic_fetch_add(&rd->sh->bad, bad);
    atomic_fetch_add(&rd->sh->empties, empties);
    return NULL;
}

START_TEST(readers_while_writers_wrap)
{
    size_t size = 16 * 1024;
    void *mem = tr_map(size);
    tr_shared_t *sh = tr_map(sizeof(*sh));
    sse_ring_t *r = tr_ring(mem, size);
    tr_reader_t rd = { r, sh };
    tr_writer_t w[2];
    pthread_t rt[3];
    pid_t wp[2], rp;
    sse_ring_stats_t st;
    int i;

    /* processes first: a reader, two writers */
    rp = fork();
    ck_assert_int_ge(rp, 0);
    if (rp == 0) {
        tr_read(&rd);
        _exit(0);
    }
    for (i = 0; i < 2; ++i) {
        tr_writer_t pw = { r, (uint32_t)(10 + i), 4 * TR_PER, 500, NULL, 0 };

        wp[i] = tr_fork_writer(&pw);
    }
    for (i = 0; i < 3; ++i) {
        ck_assert_int_eq(pthread_create(&rt[i], NULL, tr_read, &rd), 0);
    }
    for (i = 0; i < 2; ++i) {
        w[i] = (tr_writer_t){ r, (uint32_t)i, 4 * TR_PER, 500, NULL, 0 };
    }
    tr_threads(w, 2);
    for (i = 0; i < 2; ++i) {
        tr_reap(wp[i]);
    }
    atomic_store(&sh->stop, 1);
    for (i = 0; i < 3; ++i) {
        ck_assert_int_eq(pthread_join(rt[i], NULL), 0);
    }
    tr_reap(rp);

    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.appended, 4 * 4 * TR_PER);
    ck_assert_uint_gt(st.wraps, 100);
    ck_assert_msg(atomic_load(&sh->bad) == 0,
                  "%llu bad reads of %llu (%llu laps)",
                  (unsigned long long)atomic_load(&sh->bad),
                  (unsigned long long)atomic_load(&sh->reads),
                  (unsigned long long)atomic_load(&sh->laps));
    ck_assert_uint_gt(atomic_load(&sh->reads), 1000);
    munmap(sh, sizeof(*sh));
    munmap(mem, size);
}
END_TEST


/* ---- tags ---------------------------------------------------------------- */

START_TEST(tagged_appends_in_order_only)
{
    size_t size = 8192;
    void *mem = tr_map(size);
    sse_ring_t *r = tr_ring(mem, size);
    uint64_t t[2] = { 0, 0 }, last[2], seq;
    sse_ring_rec_t rec;
    char out[16];

    ck_assert_int_eq(sse_ring_last_tag(r, last), SSE_RING_OK);
    ck_assert(last[0] == 0 && last[1] == 0);
    t[0] = 7; t[1] = 3;
    ck_assert_int_eq(sse_ring_append_tagged(r, 1, t, "a", 1, &seq), SSE_RING_OK);
    ck_assert_uint_eq(seq, 1);
    /* equal or smaller: refused, nothing appended */
    ck_assert_int_eq(sse_ring_append_tagged(r, 1, t, "b", 1, &seq), SSE_RING_STALE);
    t[1] = 2;
    ck_assert_int_eq(sse_ring_append_tagged(r, 1, t, "b", 1, &seq), SSE_RING_STALE);
    t[0] = 6; t[1] = 99;
    ck_assert_int_eq(sse_ring_append_tagged(r, 1, t, "b", 1, &seq), SSE_RING_STALE);
    /* the second word orders records of the same first word */
    t[0] = 7; t[1] = 4;
    ck_assert_int_eq(sse_ring_append_tagged(r, 1, t, "c", 1, &seq), SSE_RING_OK);
    ck_assert_uint_eq(seq, 2);
    ck_assert_int_eq(sse_ring_last_tag(r, last), SSE_RING_OK);
    ck_assert(last[0] == 7 && last[1] == 4);
    ck_assert_int_eq(sse_ring_read(r, 1, out, sizeof(out), &rec), SSE_RING_OK);
    ck_assert(rec.tag[0] == 7 && rec.tag[1] == 4 && out[0] == 'c');
    /* untagged appends neither check nor move the last tag */
    ck_assert_int_eq(sse_ring_append(r, 1, "d", 1, &seq), SSE_RING_OK);
    ck_assert_int_eq(sse_ring_read(r, 2, out, sizeof(out), &rec), SSE_RING_OK);
    ck_assert(rec.tag[0] == 0 && rec.tag[1] == 0);
    ck_assert_int_eq(sse_ring_last_tag(r, last), SSE_RING_OK);
    ck_assert(last[0] == 7 && last[1] == 4);
    munmap(mem, size);
}
END_TEST

START_TEST(seek_finds_tags)
{
    size_t size = 4096;
    void *mem = tr_map(size);
    sse_ring_t *r = tr_ring(mem, size);
    uint64_t t[2], q[2];
    sse_ring_seek_t at;
    sse_ring_rec_t rec;
    unsigned char in[100], out[100];
    sse_ring_stats_t st;
    int i;

    q[0] = 5; q[1] = 5;
    ck_assert_int_eq(sse_ring_seek(r, q, &at), SSE_RING_EMPTY);
    ck_assert_uint_eq(at.seq, 0);
    /* tags 10-1, 10-3, 12-1, 12-3, ... (odd second words only) */
    memset(in, 'x', sizeof(in));
    for (i = 0; i < 100; ++i) {
        t[0] = 10 + 2 * (uint64_t)(i / 2);
        t[1] = 1 + 2 * (uint64_t)(i % 2);
        ck_assert_int_eq(sse_ring_append_tagged(r, 1, t, in, sizeof(in), NULL),
                         SSE_RING_OK);
    }
    sse_ring_stats(r, &st);
    ck_assert_uint_gt(st.oldest_seq, 1);        /* the early ones are gone */

    /* before the oldest held: lapped */
    q[0] = 10; q[1] = 1;
    ck_assert_int_eq(sse_ring_seek(r, q, &at), SSE_RING_LAPPED);
    /* an exact tag: reading after it gives the next record */
    q[0] = 10 + 2 * 49; q[1] = 1;                /* record 99 of 100 */
    ck_assert_int_eq(sse_ring_seek(r, q, &at), SSE_RING_OK);
    ck_assert(at.exact && !at.last);
    ck_assert_uint_eq(at.seq, 99);
    ck_assert_int_eq(sse_ring_read_hint(r, at.seq, at.hint, out, sizeof(out),
                                        &rec), SSE_RING_OK);
    ck_assert_uint_eq(rec.seq, 100);
    ck_assert(rec.tag[0] == 108 && rec.tag[1] == 3);
    /* between two records: the one before, not exact */
    q[0] = 108; q[1] = 2;
    ck_assert_int_eq(sse_ring_seek(r, q, &at), SSE_RING_OK);
    ck_assert(!at.exact && !at.last);
    ck_assert_uint_eq(at.seq, 99);
    /* the newest, and past the newest */
    q[0] = 108; q[1] = 3;
    ck_assert_int_eq(sse_ring_seek(r, q, &at), SSE_RING_OK);
    ck_assert(at.exact && at.last);
    ck_assert_uint_eq(at.seq, 100);
    q[0] = 500; q[1] = 0;
    ck_assert_int_eq(sse_ring_seek(r, q, &at), SSE_RING_OK);
    ck_assert(!at.exact && at.last);
    ck_assert_uint_eq(at.seq, 100);
    ck_assert(at.tag[0] == 108 && at.tag[1] == 3);
    ck_assert_int_eq(sse_ring_read_hint(r, at.seq, at.hint, out, sizeof(out),
                                        &rec), SSE_RING_EMPTY);
    munmap(mem, size);
}
END_TEST

/* Several feeders (threads of several processes) offer the same ordered
 * stream of tags, as every host's relay would: each tag goes in once, in
 * order. */
#define TR_FEED 3000

static void tr_feed(sse_ring_t *r)
{
    uint64_t t[2], last[2];
    int i;

    for (i = 1; i <= TR_FEED; ++i) {
        t[0] = (uint64_t)i / 10;
        t[1] = (uint64_t)i;
        if (sse_ring_last_tag(r, last) == SSE_RING_OK && last[1] >= t[1]) {
            continue;
        }
        sse_ring_rc_t rc = sse_ring_append_tagged(r, 1, t, &t[1], 8, NULL);
        ck_assert(rc == SSE_RING_OK || rc == SSE_RING_STALE);
    }
}

static void *tr_feed_thread(void *arg)
{
    tr_feed(arg);
    return NULL;
}

START_TEST(feeders_append_each_tag_once)
{
    size_t size = 1 << 20;
    void *mem = tr_map(size);
    sse_ring_t *r = tr_ring(mem, size);
    pthread_t th[2];
    pid_t pid[2];
    sse_ring_stats_t st;
    sse_ring_rec_t rec;
    uint64_t s, v;
    int i, status;

    for (i = 0; i < 2; ++i) {
        pid[i] = fork();
        ck_assert_int_ge(pid[i], 0);
        if (pid[i] == 0) {
            tr_feed(r);
            _exit(0);
        }
    }
    for (i = 0; i < 2; ++i) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, tr_feed_thread, r), 0);
    }
    for (i = 0; i < 2; ++i) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.appended, TR_FEED);
    for (s = 1; s <= TR_FEED; ++s) {
        ck_assert_int_eq(sse_ring_read(r, s - 1, &v, sizeof(v), &rec), SSE_RING_OK);
        ck_assert_uint_eq(v, s);
        ck_assert_uint_eq(rec.tag[1], s);
    }
    munmap(mem, size);
}
END_TEST

/* ---- a writer dying with the mutex held ---------------------------------------- */

static int tr_die_stage;

static void tr_die(int stage)
{
    if (stage == tr_die_stage) {
        raise(SIGKILL);
    }
}

/* Append from a child that SIGKILLs itself at stage of the append; the
 * dead child's record is visible afterwards only if it was published. */
static void tr_kill_at(int stage)
{
    size_t size = 8192;
    void *mem = tr_map(size);
    sse_ring_t *r = tr_ring(mem, size);
    unsigned char in[300], out[300];
    sse_ring_stats_t st;
    sse_ring_rec_t rec;
    uint64_t seq, s, expect_next;
    int status;
    pid_t pid;
    tr_head_t h;
    uint32_t i;

    /* enough that the dying append has to evict */
    for (i = 0; i < 64; ++i) {
        tr_make(in, 1, i, 100);
        ck_assert_int_eq(sse_ring_append(r, 1, in, 100, NULL), SSE_RING_OK);
    }
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        tr_die_stage = stage;
        sse_ring_test_hook = tr_die;
        tr_make(in, 2, 0, 250);
        sse_ring_append(r, 2, in, 250, NULL);
        _exit(3);                       /* not reached */
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.newest_seq, 64);   /* next_seq was never stored */
    ck_assert_uint_gt(st.oldest_seq, 1);    /* but room was made */

    /* the next writer recovers and carries on */
    alarm(10);
    expect_next = stage == 3 ? 66 : 65;
    tr_make(in, 1, 64, 100);
    ck_assert_int_eq(sse_ring_append(r, 1, in, 100, &seq), SSE_RING_OK);
    ck_assert_uint_eq(seq, expect_next);
    alarm(0);
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.recoveries, 1);
    ck_assert_uint_eq(st.newest_seq, expect_next);
    ck_assert_uint_le(st.used, st.data_size);

    /* what is held is gap-free and intact; the dead writer's record shows
     * only when it had been published */
    for (s = st.oldest_seq; s <= st.newest_seq; ++s) {
        ck_assert_int_eq(sse_ring_read(r, s - 1, out, sizeof(out), &rec), SSE_RING_OK);
        ck_assert_uint_eq(rec.seq, s);
        ck_assert(tr_check(out, rec.len, &h));
        ck_assert_uint_eq(h.writer, s == 65 && stage == 3 ? 2 : 1);
    }
    /* a second append takes the mutex normally */
    ck_assert_int_eq(sse_ring_append(r, 1, in, 100, &seq), SSE_RING_OK);
    ck_assert_uint_eq(seq, expect_next + 1);
    sse_ring_stats(r, &st);
    ck_assert_uint_eq(st.recoveries, 1);
    munmap(mem, size);
}

START_TEST(writer_killed_after_evicting)
{
    tr_kill_at(1);
}
END_TEST

START_TEST(writer_killed_after_writing)
{
    tr_kill_at(2);
}
END_TEST

START_TEST(writer_killed_after_publishing)
{
    tr_kill_at(3);
}
END_TEST

/* Children appending in a loop are killed at random moments, several of
 * them while holding the mutex; the survivors' view stays sound. */
START_TEST(writers_killed_at_random)
{
    size_t size = 8192;
    void *mem = tr_map(size);
    sse_ring_t *r = tr_ring(mem, size);
    unsigned char out[600];
    sse_ring_stats_t st;
    sse_ring_rec_t rec;
    uint64_t s;
    tr_head_t h;
    int round;

    for (round = 0; round < 20; ++round) {
        tr_writer_t w = { r, (uint32_t)round, UINT32_MAX, 500, NULL, 0 };
        struct timespec ts = { 0, 2000000L + round * 150000L };
        pid_t pid = tr_fork_writer(&w);
        int status;

        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    }
    alarm(10);
    {
        tr_writer_t w = { r, 99, 200, 500, NULL, 0 };

        tr_write(&w);
        ck_assert_int_eq(w.errors, 0);
    }
    alarm(0);
    sse_ring_stats(r, &st);
    for (s = st.oldest_seq; s <= st.newest_seq; ++s) {
        ck_assert_int_eq(sse_ring_read(r, s - 1, out, sizeof(out), &rec), SSE_RING_OK);
        ck_assert_uint_eq(rec.seq, s);
        ck_assert(tr_check(out, rec.len, &h));
    }
    ck_assert(tr_check(out, rec.len, &h) && h.writer == 99);
    munmap(mem, size);
}
END_TEST

/* ---- waiting ---------------------------------------------------------------------- */

static long tr_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

START_TEST(wait_times_out_and_wakes)
{
    size_t size = 8192;
    void *mem = tr_map(size);
    sse_ring_t *r = tr_ring(mem, size);
    uint32_t w = sse_ring_wake_word(r);
    long t0 = tr_ms();
    int status;
    pid_t pid;

    ck_assert_int_eq(sse_ring_wait(r, w, 50), SSE_RING_TIMEOUT);
    ck_assert_int_ge(tr_ms() - t0, 45);
    ck_assert_int_eq(sse_ring_append(r, 1, "x", 1, NULL), SSE_RING_OK);
    ck_assert_uint_ne(sse_ring_wake_word(r), w);
    ck_assert_int_eq(sse_ring_wait(r, w, 5000), SSE_RING_OK);    /* at once */

    /* another process sleeps until this one appends */
    w = sse_ring_wake_word(r);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        long t = tr_ms();
        sse_ring_rc_t rc = sse_ring_wait(r, w, 5000);

        _exit(rc == SSE_RING_OK && tr_ms() - t < 4000 ? 0 : 1);
    }
    {
        struct timespec ts = { 0, 100000000L };

        nanosleep(&ts, NULL);
    }
    t0 = tr_ms();
    ck_assert_int_eq(sse_ring_append(r, 1, "y", 1, NULL), SSE_RING_OK);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_lt(tr_ms() - t0, 2000);
    munmap(mem, size);
}
END_TEST

Suite *tk_suite_sse_ring(void)
{
    Suite *s = suite_create("sse_ring");
    TCase *tc = tk_tcase("ring");

    tcase_add_test(tc, init_refuses_bad_regions);
    tcase_add_test(tc, empty_ring);
    tcase_add_test(tc, append_read_in_order);
    tcase_add_test(tc, buffer_too_small);
    tcase_add_test(tc, wrap_around_many_times);
    tcase_add_test(tc, large_records_evict_or_are_refused);
    tcase_add_test(tc, lapped_reader);
    tcase_add_test(tc, attach_keeps_events_and_sequence);
    tcase_add_test(tc, tagged_appends_in_order_only);
    tcase_add_test(tc, seek_finds_tags);
    suite_add_tcase(s, tc);

    tc = tk_tcase("concurrency");
    tcase_add_test(tc, threads_append);
    tcase_add_test(tc, processes_append);
    tcase_add_test(tc, readers_while_writers_wrap);
    tcase_add_test(tc, wait_times_out_and_wakes);
    tcase_add_test(tc, feeders_append_each_tag_once);
    suite_add_tcase(s, tc);

    tc = tk_tcase("robust");
    tcase_add_test(tc, writer_killed_after_evicting);
    tcase_add_test(tc, writer_killed_after_writing);
    tcase_add_test(tc, writer_killed_after_publishing);
    tcase_add_test(tc, writers_killed_at_random);
    suite_add_tcase(s, tc);
    return s;
}
