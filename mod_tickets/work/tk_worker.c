/* tk_worker.c: the worker facility (see tk_work.h and docs/jobs.md).
 *
 * A worker is a function that runs on threads of its own in the child
 * processes, outside any request.  Every child starts its workers' threads
 * in child_init and stops them in a pre-cleanup of the child pool, which
 * runs before the pool's subpools go (mod_dbd's connection pool among
 * them), so a worker never outlives the connections it uses.  To stop, a
 * flag is set and a byte written to a pipe whose read end every nap of the
 * worker polls: a worker blocked on a socket wakes at once.
 *
 * A singleton worker (the relay) runs on one thread per host at a time:
 * every child's thread tries a global mutex named after it once a second,
 * and the one that holds it works while the others stand by.  A child that
 * exits or dies releases it (the kernel does, for a dead one), and another
 * takes over within a second.  Other workers (the job workers) run
 * TicketsJobWorkers threads in every child: they share the work through
 * the database, not through the facility.
 *
 * Why not mod_watchdog, which mod_md uses: its callbacks run on one thread
 * per watchdog at multiples of a 100 ms tick, so a relay woken by a
 * notification would wait up to a tick, and a callback that blocks (a
 * LISTEN, a 30 s job) holds every other callback of its watchdog.  The
 * measurements behind the choice are in docs/jobs.md.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <apr_atomic.h>
#include <apr_global_mutex.h>
#include <apr_strings.h>
#include <util_mutex.h>
#include <http_core.h>
#include "work/tk_work.h"
#include "tk_queries.h"

#define TK_WORKERS_MAX      8       /* kinds of workers */
#define TK_WORKER_THREADS   64      /* threads of one worker in a child */
#define TK_WORKER_STANDBY_MS 1000   /* between tries for the mutex */
#define TK_WORKER_RETRY_MS  1000    /* after a run returned early */

/* One thread of a worker. */
struct tk_worker_t {
    const tk_worker_spec_t *spec;
    struct tk_worker_kind_t *kind;
    int index;
    apr_thread_t *thread;
};

/* A declared worker and its threads in this child. */
typedef struct tk_worker_kind_t {
    const tk_worker_spec_t *spec;
    char mutex_name[32];            /* singletons: "tickets-<name>" */
    apr_global_mutex_t *mutex;
    server_rec *s;
    int wake[2];                    /* a byte written: stop */
    apr_uint32_t stop;
    int nthreads;
    tk_worker_t threads[TK_WORKER_THREADS];
} tk_worker_kind_t;

static tk_worker_kind_t tk_kinds[TK_WORKERS_MAX];
static int tk_nkinds;

void tk_worker_declare(const tk_worker_spec_t *spec)
{
    if (tk_nkinds < TK_WORKERS_MAX) {
        tk_kinds[tk_nkinds].spec = spec;
        apr_snprintf(tk_kinds[tk_nkinds].mutex_name,
                     sizeof(tk_kinds[tk_nkinds].mutex_name), "tickets-%s",
                     spec->name);
        ++tk_nkinds;
    }
}

/* ---------------------------------------------------------------------
 * For the workers
 * ------------------------------------------------------------------- */

int tk_worker_stopping(const tk_worker_t *w)
{
    return apr_atomic_read32(&w->kind->stop) != 0;
}

int tk_worker_nap(const tk_worker_t *w, int ms, int fd)
{
    struct pollfd p[2];

    p[0].fd = w->kind->wake[0];
    p[0].events = POLLIN;
    p[0].revents = 0;
    p[1].fd = fd;
    p[1].events = POLLIN;
    p[1].revents = 0;
    if (poll(p, fd >= 0 ? 2 : 1, ms) <= 0 || tk_worker_stopping(w)) {
        return 0;
    }
    return fd >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
}

server_rec *tk_worker_server(const tk_worker_t *w)
{
    return w->kind->s;
}

int tk_worker_index(const tk_worker_t *w)
{
    return w->index;
}

tk_db_t *tk_worker_db(const tk_worker_t *w, apr_pool_t *p, ap_dbd_t **dbd)
{
    return tk_db_open(w->kind->s, p, dbd);
}

/* ---------------------------------------------------------------------
 * The threads
 * ------------------------------------------------------------------- */

static void *APR_THREAD_FUNC tk_worker_main(apr_thread_t *thread, void *data)
{
    tk_worker_t *w = data;
    tk_worker_kind_t *k = w->kind;
    apr_pool_t *p;
    int leading = !w->spec->singleton;

    apr_pool_create(&p, apr_thread_pool_get(thread));
    apr_pool_tag(p, k->mutex_name);
    while (!tk_worker_stopping(w)) {
        if (!leading) {
            if (apr_global_mutex_trylock(k->mutex) != APR_SUCCESS) {
                tk_worker_nap(w, TK_WORKER_STANDBY_MS, -1);
                continue;
            }
            leading = 1;
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, k->s, "TK00060: this "
                         "child runs the %s for the host", w->spec->name);
        }
        w->spec->run(w, p);
        apr_pool_clear(p);
        if (!tk_worker_stopping(w)) {
            tk_worker_nap(w, TK_WORKER_RETRY_MS, -1);
        }
    }
    if (leading && w->spec->singleton) {
        apr_global_mutex_unlock(k->mutex);
    }
    apr_pool_destroy(p);
    return NULL;        /* not apr_thread_exit: a plain return ends the
                         * thread the same, and unwinds its stack */
}

static apr_status_t tk_worker_stop(void *data)
{
    tk_worker_kind_t *k = data;
    apr_status_t rv;
    int i;

    apr_atomic_set32(&k->stop, 1);
    if (write(k->wake[1], "x", 1) < 0) {
        /* the threads still see stop within a second */
    }
    for (i = 0; i < k->nthreads; ++i) {
        apr_thread_join(&rv, k->threads[i].thread);
    }
    close(k->wake[0]);
    close(k->wake[1]);
    k->nthreads = 0;
    return APR_SUCCESS;
}

static void tk_worker_start(tk_worker_kind_t *k, apr_pool_t *pchild,
                            server_rec *s)
{
    const tk_worker_spec_t *spec = k->spec;
    int want = spec->singleton ? 1 : spec->threads(s);
    apr_status_t rv;
    int i;

    k->s = s;
    k->nthreads = 0;
    apr_atomic_set32(&k->stop, 0);
    if (want <= 0 || (spec->wanted && !spec->wanted(s))) {
        return;
    }
    if (spec->singleton) {
        if (!k->mutex) {
            return;
        }
        rv = apr_global_mutex_child_init(&k->mutex,
                                         apr_global_mutex_lockfile(k->mutex),
                                         pchild);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00057: the %s "
                         "could not start in this child", spec->name);
            return;
        }
    }
    if (pipe(k->wake) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, APR_FROM_OS_ERROR(errno), s,
                     "TK00057: the %s could not start in this child",
                     spec->name);
        return;
    }
    if (want > TK_WORKER_THREADS) {
        want = TK_WORKER_THREADS;
    }
    for (i = 0; i < want; ++i) {
        tk_worker_t *w = &k->threads[i];

        w->spec = spec;
        w->kind = k;
        w->index = i;
        rv = apr_thread_create(&w->thread, NULL, tk_worker_main, w, pchild);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00057: the %s "
                         "could not start in this child", spec->name);
            break;
        }
        ++k->nthreads;
    }
    /* a pre-cleanup: it runs before pchild's subpools go, mod_dbd's
     * connection pool among them */
    apr_pool_pre_cleanup_register(pchild, k, tk_worker_stop);
}

/* ---------------------------------------------------------------------
 * Hooks
 * ------------------------------------------------------------------- */

static int tk_worker_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp)
{
    int i;

    (void)plog; (void)ptemp;
    for (i = 0; i < tk_nkinds; ++i) {
        if (tk_kinds[i].spec->singleton) {
            ap_mutex_register(pconf, tk_kinds[i].mutex_name, NULL,
                              APR_LOCK_DEFAULT, 0);
        }
    }
    return OK;
}

static int tk_worker_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    apr_status_t rv;
    int i;

    (void)plog; (void)ptemp;
    for (i = 0; i < tk_nkinds; ++i) {
        tk_kinds[i].mutex = NULL;
    }
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST) {
        return OK;
    }
    for (i = 0; i < tk_nkinds; ++i) {
        tk_worker_kind_t *k = &tk_kinds[i];

        if (!k->spec->singleton) {
            continue;
        }
        rv = ap_global_mutex_create(&k->mutex, NULL, k->mutex_name, NULL, s,
                                    pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00050: the mutex "
                         "of the %s could not be created", k->spec->name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

static void tk_worker_child_init(apr_pool_t *pchild, server_rec *s)
{
    int i;

    for (i = 0; i < tk_nkinds; ++i) {
        tk_worker_start(&tk_kinds[i], pchild, s);
    }
}

void tk_worker_register_hooks(apr_pool_t *p)
{
    static const char *const dbd[] = { "mod_dbd.c", NULL };

    (void)p;
    ap_hook_pre_config(tk_worker_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(tk_worker_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* after mod_dbd's child_init, so that the workers, stopped by a
     * cleanup registered here, are gone before mod_dbd's connections */
    ap_hook_child_init(tk_worker_child_init, dbd, NULL, APR_HOOK_MIDDLE);
}
