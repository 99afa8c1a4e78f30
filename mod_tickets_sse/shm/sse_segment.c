/* sse_segment.c: the shared segment, kept across graceful restarts (see
 * sse_segment.h).
 *
 * Every committed event, from this host or another, is appended to one
 * broadcast ring (lib/sse_ring.c) in an anonymous shared memory segment by
 * mod_tickets' relay, through the optional function tickets_sse_publish,
 * tagged with its position in the event log (docs/events.md); every
 * stream of every child reads the ring from its own cursor and waits on
 * the ring's futex word for more.
 *
 * The segment belongs to no generation of children.  It is created in
 * post_config (the pre-config pass and `httpd -t` are skipped, as
 * mod_example_ipc does) from a pool that is never cleared, and remembered
 * with ap_retained_data_create: a graceful restart finds it again and
 * attaches, so the events and the sequence (the event ids) carry on while
 * old and new children run side by side.  Children inherit the mapping
 * from the parent, so child_init has nothing to attach.  A restart that
 * changes TicketsSSERingSize makes a new, empty ring (old children keep
 * their mapping of the old one until they exit).
 *
 * Layout:
 *
 *   0            +------------------------------------------------+
 *                | sse_counters_t: streams open (and on a loop),  |
 *                | started, resumes, resets, refusals, blocked     |
 *                | writes, slow clients dropped, relay lag         |
 *                | (atomics)                                       |
 *   SSE_SEG_HDR  +------------------------------------------------+
 *                | streams per user: SSE_USERS_SLOTS slots, laid   |
 *                | out as drawn at the top of lib/sse_users.c      |
 *   + users size +------------------------------------------------+
 *                | the ring: TicketsSSERingSize bytes, laid out as |
 *                | drawn at the top of lib/sse_ring_layout.h       |
 *                +------------------------------------------------+
 */
#include <stdlib.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <http_core.h>
#include "shm/sse_segment.h"
#include "sse_record.h"
#include "mod_tickets.h"

#define SSE_RETAINED_KEY "mod_tickets_sse_ring"
#define SSE_SEG_HDR 256     /* sse_counters_t, padded; keeps what follows
                             * 8-aligned */
#define SSE_USERS_SLOTS 4096 /* users with streams at once, per host */
_Static_assert(sizeof(sse_counters_t) <= SSE_SEG_HDR,
               "the counters fit the segment's header");

#define SSE_USERS_SIZE sse_users_size(SSE_USERS_SLOTS)

typedef struct {
    apr_pool_t *pool;       /* child of the process pool: never cleared */
    apr_shm_t *shm;
    apr_size_t ring_size;
} sse_retained_t;

static sse_ring_t *sse_the_ring;
static sse_counters_t *sse_the_counters;
static sse_users_t *sse_the_users;

sse_ring_t *sse_ring(void)
{
    return sse_the_ring;
}

sse_users_t *sse_users(void)
{
    return sse_the_users;
}

sse_counters_t *sse_counters(void)
{
    return sse_the_counters;
}

/* ---------------------------------------------------------------------
 * The segment
 * ------------------------------------------------------------------- */

static apr_status_t sse_segment_create(sse_retained_t *kept, apr_size_t size,
                                       server_rec *s)
{
    apr_status_t rv;
    sse_ring_rc_t rc;
    void *base;

    if (kept->shm) {
        apr_shm_destroy(kept->shm);     /* old children keep their mapping */
        kept->shm = NULL;
    }
    rv = apr_shm_create(&kept->shm, SSE_SEG_HDR + SSE_USERS_SIZE + size, NULL,
                        kept->pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK10004: the event ring "
                     "(%" APR_SIZE_T_FMT " bytes of shared memory) could not "
                     "be created", size);
        return rv;
    }
    base = apr_shm_baseaddr_get(kept->shm);
    memset(base, 0, SSE_SEG_HDR);
    rc = sse_ring_init(&sse_the_ring,
                       (char *)base + SSE_SEG_HDR + SSE_USERS_SIZE, size);
    if (rc == SSE_RING_OK
        && sse_users_init(&sse_the_users, (char *)base + SSE_SEG_HDR,
                          SSE_USERS_SIZE) != SSE_USERS_OK) {
        rc = SSE_RING_ELOCK;
    }
    if (rc != SSE_RING_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "TK10005: the event ring "
                     "could not be initialized: %s", sse_ring_strerror(rc));
        apr_shm_destroy(kept->shm);
        kept->shm = NULL;
        sse_the_ring = NULL;
        sse_the_users = NULL;
        return APR_EGENERAL;
    }
    kept->ring_size = size;
    sse_the_counters = base;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "TK10001: event ring of "
                 "%" APR_SIZE_T_FMT " bytes created", size);
    return APR_SUCCESS;
}

/* The segment a previous generation made, when it still fits. */
static int sse_segment_attach(sse_retained_t *kept, apr_size_t size,
                              server_rec *s)
{
    void *base;
    sse_ring_stats_t st;

    if (!kept->shm || kept->ring_size != size) {
        if (kept->shm) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "TK10003: "
                         "TicketsSSERingSize changed from %" APR_SIZE_T_FMT
                         " to %" APR_SIZE_T_FMT ": a new, empty event ring "
                         "is made", kept->ring_size, size);
        }
        return 0;
    }
    base = apr_shm_baseaddr_get(kept->shm);
    if (sse_ring_attach(&sse_the_ring,
                        (char *)base + SSE_SEG_HDR + SSE_USERS_SIZE, size)
        != SSE_RING_OK
        || sse_users_attach(&sse_the_users, (char *)base + SSE_SEG_HDR,
                            SSE_USERS_SIZE) != SSE_USERS_OK) {
        sse_the_ring = NULL;
        sse_the_users = NULL;
        return 0;
    }
    sse_the_counters = base;
    sse_ring_stats(sse_the_ring, &st);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "TK10002: event ring kept "
                 "across the restart (newest id %" APR_UINT64_T_FMT ")",
                 (apr_uint64_t)st.newest_seq);
    return 1;
}

/* ---------------------------------------------------------------------
 * Publishing (the optional function)
 * ------------------------------------------------------------------- */

/* The relay's figures: events appended, and how old the last one was
 * (from its transaction's start) when it was. */
static void sse_relay_note(apr_time_t written)
{
    sse_counters_t *k = sse_the_counters;
    apr_uint64_t lag, max;

    if (!k) {
        return;
    }
    __atomic_fetch_add(&k->relayed, 1, __ATOMIC_RELAXED);
    if (written <= 0) {
        return;
    }
    lag = (apr_uint64_t)(apr_time_now() > written ? apr_time_now() - written
                                                  : 0);
    __atomic_store_n(&k->relay_lag_us, lag, __ATOMIC_RELAXED);
    max = __atomic_load_n(&k->relay_lag_max_us, __ATOMIC_RELAXED);
    while (lag > max
           && !__atomic_compare_exchange_n(&k->relay_lag_max_us, &max, lag, 0,
                                           __ATOMIC_RELAXED,
                                           __ATOMIC_RELAXED)) {
    }
}

static apr_status_t tickets_sse_publish(const tickets_event_t *ev)
{
    sse_record_t rec;
    apr_ssize_t n;
    const uint64_t tag[2] = { ev->pos[0], ev->pos[1] };
    sse_ring_rc_t rc;
    void *buf;

    memset(&rec, 0, sizeof(rec));
    rec.org = ev->org;
    rec.type = ev->type;
    rec.ticket = ev->ticket;
    rec.conversation = ev->conversation;
    rec.audience[0] = ev->audience[0];
    rec.audience[1] = ev->audience[1];
    rec.staff_only = ev->staff_only;
    rec.data = ev->data;
    rec.data_len = ev->data_len;
    n = sse_record_encode(NULL, 0, &rec);
    if (n < 0) {
        return APR_EINVAL;
    }
    if (!sse_the_ring) {
        return APR_EGENERAL;
    }
    if ((apr_size_t)n > sse_ring_max_payload(sse_the_ring)) {
        return APR_ENOSPC;
    }
    buf = malloc((size_t)n);
    if (!buf) {
        return APR_ENOMEM;
    }
    sse_record_encode(buf, (apr_size_t)n, &rec);
    rc = sse_ring_append_tagged(sse_the_ring, SSE_RECORD_RING_TYPE, tag, buf,
                                (size_t)n, NULL);
    free(buf);
    switch (rc) {
    case SSE_RING_OK:       sse_relay_note(ev->written); return APR_SUCCESS;
    case SSE_RING_STALE:    return APR_EEXIST;
    case SSE_RING_TOOBIG:   return APR_ENOSPC;
    default:                return APR_EGENERAL;
    }
}

static apr_status_t tickets_sse_position(apr_uint64_t pos[2])
{
    uint64_t tag[2];

    if (!sse_the_ring || sse_ring_last_tag(sse_the_ring, tag) != SSE_RING_OK) {
        return APR_EGENERAL;
    }
    pos[0] = tag[0];
    pos[1] = tag[1];
    return APR_SUCCESS;
}

static int sse_segment_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    sse_retained_t *kept;
    apr_size_t size;

    (void)pconf; (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST) {
        return OK;
    }
    size = (apr_size_t)sse_srv_conf(s)->ring_size;
    kept = ap_retained_data_get(SSE_RETAINED_KEY);
    if (!kept) {
        kept = ap_retained_data_create(SSE_RETAINED_KEY, sizeof(*kept));
        memset(kept, 0, sizeof(*kept));
    }
    if (!kept->pool) {
        apr_pool_create(&kept->pool, s->process->pool);
        apr_pool_tag(kept->pool, "tickets_sse_ring");
    }
    if (sse_segment_attach(kept, size, s)) {
        return OK;
    }
    return sse_segment_create(kept, size, s) == APR_SUCCESS
           ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

void sse_segment_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(sse_segment_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    APR_REGISTER_OPTIONAL_FN(tickets_sse_publish);
    APR_REGISTER_OPTIONAL_FN(tickets_sse_position);
}
