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
 * every child's thread tries, every TK_WORKER_STANDBY_MS, an exclusive
 * flock() on a file of the runtime directory named after the worker, and
 * the one that holds it works while the others stand by.  The file, unlike
 * a mutex made from pconf, is the same for every generation of children:
 * during a graceful restart the old leader keeps leading until its child
 * exits and a new child takes over after it, never both at once.  A child
 * that exits or dies releases the lock (the kernel does, for a dead one).
 * Other workers (the job workers) run TicketsJobWorkers threads in every
 * child: they share the work through the database, not through the
 * facility, and stop taking work as soon as their child is told to stop.
 *
 * Why not mod_watchdog, which mod_md uses: its callbacks run on one thread
 * per watchdog at multiples of a 100 ms tick, so a relay woken by a
 * notification would wait up to a tick; a callback that blocks (a LISTEN,
 * a 30 s job) holds every other callback of its watchdog; its singleton
 * takes 10 s to take over from a dead child; and a child's exit kills a
 * running callback without its STOPPING call.  The measurements are in
 * docs/jobs.md.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <apr_atomic.h>
#include <fcntl.h>
#include <sys/file.h>
#include <apr_allocator.h>
#include <apr_strings.h>
#include <http_core.h>
#include <ap_mpm.h>
#include <unixd.h>
#include "work/tk_work.h"
#include "tk_queries.h"

#define TK_WORKERS_MAX      8       /* kinds of workers */
#define TK_WORKER_THREADS   64      /* threads of one worker in a child */
#define TK_WORKER_STANDBY_MS 200    /* between tries for the lock */
#define TK_WORKER_RETRY_MS  1000    /* after a run returned early */
#define TK_WORKER_MAX_FREE  (1024 * 1024)   /* bytes a thread keeps free */

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
    char name[32];                  /* "tickets-<name>" */
    const char *lock_path;          /* singletons: the lock file */
    int lock_fd;                    /* this child's open of it */
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
        apr_snprintf(tk_kinds[tk_nkinds].name, sizeof(tk_kinds[tk_nkinds].name),
                     "tickets-%s", spec->name);
        tk_kinds[tk_nkinds].lock_fd = -1;
        ++tk_nkinds;
    }
}

/* ---------------------------------------------------------------------
 * For the workers
 * ------------------------------------------------------------------- */

/* The child was told to stop (graceful restart or stop). */
static int tk_worker_child_stopping(void)
{
    int state = AP_MPMQ_RUNNING;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS
           && state == AP_MPMQ_STOPPING;
}

int tk_worker_stopping(const tk_worker_t *w)
{
    /* A singleton leads until its child exits: the next leader starts
     * only once it has. */
    return apr_atomic_read32(&w->kind->stop) != 0
           || (!w->spec->singleton && tk_worker_child_stopping());
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

/* A pool of the thread's own, with an allocator of its own: the pool of
 * an apr_thread_t shares the child's allocator, which has no lock, and
 * these threads allocate while the child's other threads do.  Destroyed
 * by the thread when it ends (the child joins it first). */
static apr_pool_t *tk_worker_pool(const tk_worker_kind_t *k)
{
    apr_allocator_t *alloc;
    apr_pool_t *p;

    if (apr_allocator_create(&alloc) != APR_SUCCESS) {
        return NULL;
    }
    if (apr_pool_create_unmanaged_ex(&p, NULL, alloc) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return NULL;
    }
    apr_allocator_owner_set(alloc, p);
    apr_allocator_max_free_set(alloc, TK_WORKER_MAX_FREE);
    apr_pool_tag(p, k->name);
    return p;
}

static void *APR_THREAD_FUNC tk_worker_main(apr_thread_t *thread, void *data)
{
    tk_worker_t *w = data;
    tk_worker_kind_t *k = w->kind;
    apr_pool_t *p;
    int leading = !w->spec->singleton;

    (void)thread;
    if (!(p = tk_worker_pool(k))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, APR_ENOMEM, k->s, "TK00058: a "
                     "thread of the %s could not make its pool; it does not "
                     "run", w->spec->name);
        return NULL;
    }
    while (!tk_worker_stopping(w)) {
        if (!leading) {
            if (tk_worker_child_stopping()
                || flock(k->lock_fd, LOCK_EX | LOCK_NB) != 0) {
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
        flock(k->lock_fd, LOCK_UN);
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
    if (k->lock_fd >= 0) {
        close(k->lock_fd);
        k->lock_fd = -1;
    }
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
        /* each child its own open file description: flock() is held by
         * the description, and a description inherited from the parent
         * would be every child's at once */
        k->lock_fd = k->lock_path ? open(k->lock_path, O_RDWR | O_CLOEXEC)
                                  : -1;
        if (k->lock_fd < 0) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, APR_FROM_OS_ERROR(errno), s,
                         "TK00057: the %s could not start in this child: "
                         "its lock file %s cannot be opened", spec->name,
                         k->lock_path ? k->lock_path : "(none)");
            return;
        }
    }
    if (pipe(k->wake) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, APR_FROM_OS_ERROR(errno), s,
                     "TK00081: the %s could not start in this child (no "
                     "wake pipe)", spec->name);
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
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00082: the %s "
                         "could not start in this child (no thread)", spec->name);
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

/* The singletons' lock files, made (as root, owned by the children's
 * user) before the children start. */
static int tk_worker_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    int i, fd;

    (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST) {
        return OK;
    }
    for (i = 0; i < tk_nkinds; ++i) {
        tk_worker_kind_t *k = &tk_kinds[i];

        k->lock_path = NULL;
        if (!k->spec->singleton) {
            continue;
        }
        k->lock_path = ap_runtime_dir_relative(
            pconf, apr_pstrcat(pconf, k->name, ".lock", NULL));
        fd = open(k->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || (geteuid() == 0
                       && fchown(fd, ap_unixd_config.user_id,
                                 ap_unixd_config.group_id) != 0)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, APR_FROM_OS_ERROR(errno), s,
                         "TK00050: the lock file %s of the %s could not be "
                         "made", k->lock_path, k->spec->name);
            if (fd >= 0) {
                close(fd);
            }
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        close(fd);
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
    ap_hook_post_config(tk_worker_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* after mod_dbd's child_init, so that the workers, stopped by a
     * cleanup registered here, are gone before mod_dbd's connections */
    ap_hook_child_init(tk_worker_child_init, dbd, NULL, APR_HOOK_MIDDLE);
}
