/* sse_loop.c: one event loop per child that holds the plain
 * HTTP/1.1 streams, so a stream costs a socket and a few hundred bytes
 * instead of a worker thread.
 *
 * The stream (sse_thread.c) sends the headers and the
 * retry: line through httpd's filters as on the thread path, then hands
 * the stream over (sse_loop_adopt): the loop dup()s the connection's
 * socket and keeps the stream's viewer, filter and ring cursor; the
 * handler marks the connection aborted, so httpd closes its own
 * descriptor without a lingering-close shutdown() (which would end our
 * duplicate's connection too: ap_start_lingering_close closes at once when
 * c->aborted), and returns.  From then on httpd does not know the stream:
 * its worker thread and connection are free, and the access log line
 * (written when the handler returns) shows the headers and retry: line
 * only.  TLS and HTTP/2 keep their state in httpd's filters and stay on
 * the thread path.
 *
 * Two threads per child, started in child_init and stopped by a
 * pre-cleanup of the child pool:
 *
 *   watcher   sleeps on the ring's futex word (sse_ring_wait) and writes
 *             an eventfd on every append;
 *   loop      epoll over every stream's socket (a hang-up or error closes
 *             the stream; EPOLLOUT only while a stream has unsent bytes),
 *             the ring eventfd and a hand-off eventfd (new streams wait in
 *             a mutex-protected queue).
 *
 * On a ring wake the loop reads each new record once, encodes its text
 * once, and writes it with a non-blocking send() to every stream whose
 * cursor is at that record and that may see it and asked for it
 * (sse_visible, sse_wanted).  A stream whose socket cannot take a whole
 * block keeps only the unsent tail of that block, waits for EPOLLOUT and
 * stops advancing; other streams are never slowed by it.  When it can
 * write again it reads the ring from its own cursor (as a resumed stream
 * does) until it has caught up; if the ring lapped it meanwhile it ends
 * at its cursor with a retry: line, and the client's reconnection reads
 * what it missed from the log (the thread path reads the log at once).
 * A client that takes nothing for SSE_LOOP_STALL_SEC seconds is dropped.
 *
 * A sweep twice a second sends pings (preceded by the id-only block when
 * the cursor moved past filtered events) and ends streams whose lifetime
 * passed; lifetimes are jittered to 90-100% of TicketsSSEMaxLifetime so
 * streams opened together do not end together.  When the child stops
 * (graceful restart or stop) every stream ends with its id-only block and
 * a retry: line of 1 to 5 seconds, so thousands of clients do not all
 * reconnect in the same instant.
 *
 * Linux only (epoll, eventfd), as is the ring's futex.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <ap_mpm.h>
#include "stream/sse_loop_state.h"
#include "sse_event.h"
#include "sse_record.h"

sse_loop_state_t sse_lp = { .epfd = -1, .queue_fd = -1, .ring_fd = -1 };

/* Tags of the two eventfds in epoll_event.data.ptr. */
static char sse_lp_queue_tag, sse_lp_ring_tag;
/* ---------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------- */

/* A well-mixed number from x (splitmix64), for jitter. */
static apr_uint64_t sse_lp_mix(apr_uint64_t x)
{
    x += APR_UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * APR_UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * APR_UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static void sse_lp_poke(int fd)
{
    uint64_t one = 1;

    while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

static void sse_lp_drain_eventfd(int fd)
{
    uint64_t n;

    while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR) {
    }
}

static int sse_lp_stopping(void)
{
    int state = AP_MPMQ_RUNNING;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS
           && state == AP_MPMQ_STOPPING;
}
/* ---------------------------------------------------------------------
 * Events on a stream's socket; new streams; the sweep
 * ------------------------------------------------------------------- */

static void sse_lp_socket_event(sse_lstream_t *st, uint32_t events,
                                apr_time_t now)
{
    apr_ssize_t n;

    if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        sse_lp_close(st, "client gone");
        return;
    }
    if (!(events & EPOLLOUT) || !st->pending) {
        return;
    }
    n = sse_lp_write(st->fd, st->pending, st->pending_len);
    if (n < 0) {
        sse_lp_close(st, "client gone");
        return;
    }
    if (n > 0) {
        st->last_write = now;
        st->stalled = now;
    }
    if ((apr_size_t)n < st->pending_len) {
        memmove(st->pending, st->pending + n, st->pending_len - (apr_size_t)n);
        st->pending_len -= (apr_size_t)n;
        return;
    }
    free(st->pending);
    st->pending = NULL;
    st->pending_len = 0;
    st->stalled = 0;
    if (st->ending) {
        sse_lp_close(st, "ended");
        return;
    }
    sse_lp_want_out(st, 0);
    sse_lp_catch_up(st, now);
}

/* Streams handed over since the last look join the loop. */
static void sse_lp_take_queue(apr_time_t now)
{
    sse_lstream_t *st, *next;
    struct epoll_event ev;

    pthread_mutex_lock(&sse_lp.qlock);
    st = sse_lp.queue;
    sse_lp.queue = NULL;
    pthread_mutex_unlock(&sse_lp.qlock);
    for (; st; st = next) {
        next = st->next;
        st->prev = NULL;
        st->next = sse_lp.head;
        if (sse_lp.head) sse_lp.head->prev = st;
        sse_lp.head = st;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLRDHUP;
        ev.data.ptr = st;
        if (epoll_ctl(sse_lp.epfd, EPOLL_CTL_ADD, st->fd, &ev) != 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, sse_lp.s, "TK10049: "
                         "a stream could not join the event loop");
            sse_lp_close(st, "epoll failed");
            continue;
        }
        if (st->cur.seq < sse_lp.cursor) {
            sse_lp_catch_up(st, now);
        }
    }
}

static void sse_lp_sweep(apr_time_t now)
{
    sse_lstream_t *st, *next;

    for (st = sse_lp.head; st; st = next) {
        next = st->next;
        if (st->pending) {
            if (now - st->stalled >= apr_time_from_sec(SSE_LOOP_STALL_SEC)) {
                sse_count(&sse_counters()->slow_dropped);
                sse_lp_close(st, "client takes nothing");
            }
            continue;
        }
        if (now >= st->deadline) {
            const char *text = sse_lp_tell(st, sse_lp.scratch);

            sse_lp_finish(st, text, strlen(text), now, "lifetime reached");
        }
        else if (now - st->last_write >= st->keepalive) {
            const char *text = apr_pstrcat(sse_lp.scratch,
                                           sse_lp_tell(st, sse_lp.scratch),
                                           SSE_EVENT_PING, NULL);

            if (sse_lp_send(st, text, strlen(text), now) != 0) {
                sse_lp_close(st, "client gone");
            }
        }
        apr_pool_clear(sse_lp.scratch);
    }
}

/* The child stops: every stream ends at its cursor with a retry: of 1 to
 * 5 seconds, written if the socket takes it now, and is closed. */
static void sse_lp_end_all(void)
{
    apr_uint64_t seed = (apr_uint64_t)apr_time_now() ^ (apr_uint64_t)getpid();
    apr_time_t now = apr_time_now();
    unsigned n = 0;

    sse_lp_take_queue(now);
    while (sse_lp.head) {
        sse_lstream_t *st = sse_lp.head;
        long ms = SSE_LOOP_END_RETRY_MIN
                  + (long)(sse_lp_mix(seed + ++n) % SSE_LOOP_END_RETRY_SPAN);

        if (!st->pending) {
            const char *text = sse_lp_goodbye(st, ms, sse_lp.scratch);

            sse_lp_write(st->fd, text, strlen(text));
            apr_pool_clear(sse_lp.scratch);
        }
        sse_lp_close(st, "server stopping");
    }
    if (n) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, sse_lp.s, "TK10050: %u "
                     "streams of the event loop ended: the child is stopping",
                     n);
    }
}

/* ---------------------------------------------------------------------
 * The threads
 * ------------------------------------------------------------------- */

static void sse_lp_block_signals(void)
{
    sigset_t all;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static void *sse_lp_watch(void *unused)
{
    uint32_t seen = sse_ring_wake_word(sse_lp.ring);

    (void)unused;
    sse_lp_block_signals();
    while (!apr_atomic_read32(&sse_lp.stop)) {
        uint32_t now;

        sse_ring_wait(sse_lp.ring, seen, SSE_LOOP_WATCH_MS);
        now = sse_ring_wake_word(sse_lp.ring);
        if (now != seen) {
            seen = now;
            sse_lp_poke(sse_lp.ring_fd);
        }
    }
    return NULL;
}

static void *sse_lp_run(void *unused)
{
    struct epoll_event evs[SSE_LOOP_EVENTS];
    apr_time_t next_sweep = apr_time_now()
                            + apr_time_from_msec(SSE_LOOP_SWEEP_MS);

    (void)unused;
    sse_lp_block_signals();
    while (!apr_atomic_read32(&sse_lp.stop)) {
        apr_time_t now = apr_time_now();
        int timeout = next_sweep > now
                      ? (int)apr_time_as_msec(next_sweep - now) + 1 : 0;
        int ring = 0, queue = 0, i;
        int n = epoll_wait(sse_lp.epfd, evs, SSE_LOOP_EVENTS, timeout);

        now = apr_time_now();
        /* Sockets first: only a socket's own event may close it while
         * evs[] still points at streams. */
        for (i = 0; i < n; ++i) {
            void *tag = evs[i].data.ptr;

            if (tag == &sse_lp_ring_tag) {
                sse_lp_drain_eventfd(sse_lp.ring_fd);
                ring = 1;
            }
            else if (tag == &sse_lp_queue_tag) {
                sse_lp_drain_eventfd(sse_lp.queue_fd);
                queue = 1;
            }
            else {
                sse_lp_socket_event(tag, evs[i].events, now);
            }
        }
        if (queue) {
            sse_lp_take_queue(now);
        }
        if (ring) {
            sse_lp_ring_moved(now);
        }
        if (now >= next_sweep) {
            if (sse_lp_stopping()) {
                apr_atomic_set32(&sse_lp.taking, 0);
                sse_lp_end_all();
            }
            sse_lp_sweep(now);
            next_sweep = now + apr_time_from_msec(SSE_LOOP_SWEEP_MS);
        }
    }
    apr_atomic_set32(&sse_lp.taking, 0);
    sse_lp_end_all();
    return NULL;
}

/* ---------------------------------------------------------------------
 * Start, stop, adopt
 * ------------------------------------------------------------------- */

static apr_status_t sse_lp_cleanup(void *unused)
{
    (void)unused;
    apr_atomic_set32(&sse_lp.taking, 0);
    apr_atomic_set32(&sse_lp.stop, 1);
    if (sse_lp.started) {
        sse_lp_poke(sse_lp.queue_fd);
        pthread_join(sse_lp.loop_thread, NULL);
        pthread_join(sse_lp.watch_thread, NULL);
        sse_lp.started = 0;
    }
    if (sse_lp.epfd >= 0) close(sse_lp.epfd);
    if (sse_lp.queue_fd >= 0) close(sse_lp.queue_fd);
    if (sse_lp.ring_fd >= 0) close(sse_lp.ring_fd);
    sse_lp.epfd = sse_lp.queue_fd = sse_lp.ring_fd = -1;
    free(sse_lp.buf);
    sse_lp.buf = NULL;
    if (sse_lp.scratch) {
        apr_pool_destroy(sse_lp.scratch);
        sse_lp.scratch = NULL;
    }
    if (sse_lp.alloc) {
        apr_allocator_destroy(sse_lp.alloc);
        sse_lp.alloc = NULL;
    }
    return APR_SUCCESS;
}

static int sse_lp_wanted(server_rec *s)
{
    for (; s; s = s->next) {
        if (sse_srv_conf(s)->event_loop) {
            return 1;
        }
    }
    return 0;
}

static void sse_loop_child_init(apr_pool_t *pchild, server_rec *s)
{
    struct epoll_event ev;
    sse_ring_stats_t rs;

    if (!sse_lp_wanted(s) || !(sse_lp.ring = sse_ring())) {
        return;
    }
    sse_lp.s = s;
    apr_pool_pre_cleanup_register(pchild, NULL, sse_lp_cleanup);
    pthread_mutex_init(&sse_lp.qlock, NULL);
    sse_lp.bufsize = SSE_LOOP_BUF_INITIAL;
    sse_lp.buf = malloc(sse_lp.bufsize);
    /* The loop thread's own pool, on its own allocator: no other thread
     * ever shares it. */
    if (apr_allocator_create(&sse_lp.alloc) != APR_SUCCESS
        || apr_pool_create_unmanaged_ex(&sse_lp.scratch, NULL, sse_lp.alloc)
           != APR_SUCCESS) {
        sse_lp.scratch = NULL;
    }
    sse_lp.epfd = epoll_create1(EPOLL_CLOEXEC);
    sse_lp.queue_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    sse_lp.ring_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!sse_lp.buf || !sse_lp.scratch || sse_lp.epfd < 0
        || sse_lp.queue_fd < 0 || sse_lp.ring_fd < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "TK10042: the event "
                     "loop could not be set up: every stream holds a thread");
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = &sse_lp_queue_tag;
    epoll_ctl(sse_lp.epfd, EPOLL_CTL_ADD, sse_lp.queue_fd, &ev);
    ev.data.ptr = &sse_lp_ring_tag;
    epoll_ctl(sse_lp.epfd, EPOLL_CTL_ADD, sse_lp.ring_fd, &ev);
    sse_ring_stats(sse_lp.ring, &rs);
    sse_lp.cursor = rs.newest_seq;
    sse_lp.hint = SSE_RING_NO_HINT;
    if (pthread_create(&sse_lp.loop_thread, NULL, sse_lp_run, NULL) != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "TK10043: the event loop "
                     "thread could not start: every stream holds a thread");
        return;
    }
    if (pthread_create(&sse_lp.watch_thread, NULL, sse_lp_watch, NULL) != 0) {
        apr_atomic_set32(&sse_lp.stop, 1);
        sse_lp_poke(sse_lp.queue_fd);
        pthread_join(sse_lp.loop_thread, NULL);
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "TK10052: the event loop's "
                     "ring watcher could not start: every stream holds a "
                     "thread");
        return;
    }
    sse_lp.started = 1;
    apr_atomic_set32(&sse_lp.taking, 1);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "TK10044: event loop "
                 "started");
}

int sse_loop_running(void)
{
    return apr_atomic_read32(&sse_lp.taking) != 0;
}

apr_uint32_t sse_loop_streams(void)
{
    return apr_atomic_read32(&sse_lp.count);
}

static char *sse_lp_keep(char **at, const char *s)
{
    char *out = *at;
    apr_size_t n = strlen(s) + 1;

    memcpy(out, s, n);
    *at += n;
    return out;
}

apr_status_t sse_loop_adopt(const sse_handoff_t *h)
{
    const sse_cursor_t *c = h->cur;
    const char *org = c->viewer.org ? c->viewer.org : "";
    const char *user = c->viewer.user ? c->viewer.user : "";
    const char *role = c->viewer.role ? c->viewer.role : "";
    const char *cred = c->credential ? c->credential : "";
    apr_size_t size = strlen(org) + strlen(user) + strlen(role)
        + strlen(cred) + 4
        + (c->filter.ticket ? strlen(c->filter.ticket) + 1 : 0)
        + (c->filter.conversation ? strlen(c->filter.conversation) + 1 : 0);
    sse_lstream_t *st;
    apr_time_t now = apr_time_now();
    apr_uint64_t r;
    char *at;
    int fd, flags;

    if (!sse_loop_running()) {
        return APR_EGENERAL;
    }
    fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0
        || !(st = calloc(1, sizeof(*st) + size))) {
        close(fd);
        return APR_ENOMEM;
    }
    st->fd = fd;
    st->cur = *c;
    at = st->strings;
    st->cur.viewer.org = sse_lp_keep(&at, org);
    st->cur.viewer.user = sse_lp_keep(&at, user);
    st->cur.viewer.role = sse_lp_keep(&at, role);
    st->cur.credential = sse_lp_keep(&at, cred);
    if (c->filter.ticket) {
        st->cur.filter.ticket = sse_lp_keep(&at, c->filter.ticket);
    }
    if (c->filter.conversation) {
        st->cur.filter.conversation = sse_lp_keep(&at, c->filter.conversation);
    }
    st->user_counted = h->user_counted;
    st->keepalive = apr_time_from_sec(h->keepalive);
    st->last_write = now;
    /* 90% to 100% of the lifetime, from the start of the request. */
    r = sse_lp_mix((apr_uint64_t)now ^ ((apr_uint64_t)fd << 32));
    st->deadline = h->r->request_time
        + apr_time_from_sec(h->max_lifetime) / 10 * 9
        + (apr_time_t)(r % (apr_uint64_t)(apr_time_from_sec(h->max_lifetime)
                                          / 10 + 1));
    pthread_mutex_lock(&sse_lp.qlock);
    if (!apr_atomic_read32(&sse_lp.taking)) {
        pthread_mutex_unlock(&sse_lp.qlock);
        close(fd);
        free(st);
        return APR_EGENERAL;
    }
    apr_atomic_inc32(&sse_lp.count);
    if (sse_counters()) {
        __atomic_fetch_add(&sse_counters()->streams_loop, 1, __ATOMIC_RELAXED);
    }
    st->next = sse_lp.queue;
    sse_lp.queue = st;
    pthread_mutex_unlock(&sse_lp.qlock);
    sse_lp_poke(sse_lp.queue_fd);
    return APR_SUCCESS;
}

void sse_loop_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_child_init(sse_loop_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
