/* sse_admit.c: how many streams a child holds, and how many of them hold
 * a worker thread (see sse_stream.h).
 *
 * A stream on the event loop costs a socket; a stream on a worker thread
 * (TLS, HTTP/2, TicketsSSEEventLoop Off, and every stream while it
 * catches up from the database) holds the thread.  Those never take more
 * than three quarters of a child's threads (at least two are left), or
 * the API would hang; a stream that would pass the cap is refused with
 * 503.  Of those, no more than a sixteenth of the threads (at least two)
 * catch up from the database at once: each reads the log and writes to a
 * client that may take nothing, and a crowd of them would take the
 * database from the API.  The user's limit on the host is counted in the shared segment
 * (lib/sse_users.c).
 */
#include <sys/resource.h>
#include <unistd.h>
#include <apr_atomic.h>
#include <ap_mpm.h>
#include <http_core.h>
#include "stream/sse_stream.h"

static apr_uint32_t sse_child_open;         /* this child's open streams */
static apr_uint32_t sse_child_threads;      /* of which on a thread */
static apr_uint32_t sse_child_replays;      /* ... catching up from the log */
static int sse_replay_cap = 2;

apr_uint32_t sse_child_streams(void)
{
    return apr_atomic_read32(&sse_child_open);
}

/* Streams hold worker threads on this path: never let them take the last
 * quarter of a child's threads (at least two), or the API would hang. */
static int sse_thread_cap = -1;

static void sse_admit_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threads = 0;

    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS
        || threads <= 0) {
        threads = 1;
    }
    sse_thread_cap = threads - (threads / 4 > 2 ? threads / 4 : 2);
    if (sse_thread_cap < 1) {
        sse_thread_cap = 1;
    }
    (void)pchild;
    sse_replay_cap = threads / 16 > 2 ? threads / 16 : 2;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "TK10030: at most %d streams "
                 "per child on the thread path, %d of them catching up from "
                 "the database", sse_thread_cap, sse_replay_cap);
}

sse_enter_t sse_stream_enter(const sse_srv_conf_t *conf, int on_thread,
                             const char *user, const char *org,
                             int *user_counted)
{
    sse_users_rc_t rc;

    *user_counted = 0;
    if (apr_atomic_inc32(&sse_child_open) >= (apr_uint32_t)conf->max_streams) {
        apr_atomic_dec32(&sse_child_open);
        return SSE_ENTER_FULL;
    }
    if (on_thread && sse_thread_cap > 0
        && apr_atomic_inc32(&sse_child_threads) >= (apr_uint32_t)sse_thread_cap) {
        apr_atomic_dec32(&sse_child_threads);
        apr_atomic_dec32(&sse_child_open);
        return SSE_ENTER_FULL;
    }
    rc = sse_users() ? sse_users_enter(sse_users(), user, org,
                                       (unsigned)conf->max_per_user)
                     : SSE_USERS_FULL;
    if (rc == SSE_USERS_LIMIT) {
        sse_stream_leave(on_thread, NULL);
        return SSE_ENTER_USER;
    }
    /* A full table (thousands of users at once) does not refuse anyone:
     * that user's stream is just not counted. */
    *user_counted = rc == SSE_USERS_OK;
    return SSE_ENTER_OK;
}

void sse_stream_leave(int on_thread, const char *user)
{
    if (user && sse_users()) {
        sse_users_leave(sse_users(), user);
    }
    if (on_thread) {
        sse_stream_leave_thread();
    }
    apr_atomic_dec32(&sse_child_open);
}

int sse_replay_enter(void)
{
    if (apr_atomic_inc32(&sse_child_replays) >= (apr_uint32_t)sse_replay_cap) {
        apr_atomic_dec32(&sse_child_replays);
        return -1;
    }
    return 0;
}

void sse_replay_leave(void)
{
    apr_atomic_dec32(&sse_child_replays);
}

void sse_stream_leave_thread(void)
{
    if (sse_thread_cap > 0) {
        apr_atomic_dec32(&sse_child_threads);
    }
}

/* Every stream on the loop keeps a socket open in its child: raise the
 * soft limit on descriptors to the hard limit (children inherit it from
 * the parent, which may raise the hard limit too when started as root). */
static int sse_raise_nofile(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)sse_srv_conf(s)->max_streams + 1024;

    (void)pconf; (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return OK;
    }
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want && geteuid() == 0) {
        struct rlimit up = { want, want };

        if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
            rl = up;
        }
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
        rlim_t before = rl.rlim_cur;

        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "TK10040: open files "
                         "limit raised from %lu to %lu", (unsigned long)before,
                         (unsigned long)rl.rlim_cur);
        }
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "TK10041: open files "
                     "limit %lu is below TicketsSSEMaxStreams + 1024 (%lu): "
                     "raise it (ulimit -n) before starting httpd",
                     (unsigned long)rl.rlim_cur, (unsigned long)want);
    }
    return OK;
}

void sse_admit_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(sse_raise_nofile, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(sse_admit_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
