/* sse_load.c: a load generator for the event streams (bench/sse.sh).
 *
 *   sse_load -p PORT -n STREAMS -H 'Authorization: ...' [-c INFLIGHT]
 *            [-P PATH]
 *
 * Opens STREAMS text/event-stream connections to 127.0.0.1:PORT (at most
 * INFLIGHT being set up at once), keeps them open with one epoll thread,
 * parses every block, and reconnects a stream that ends after its retry:
 * delay with Last-Event-ID, as a browser does.  It prints "READY <s>" once
 * every stream has its retry: line, then obeys commands read from stdin,
 * one per line:
 *
 *   post RATE SECS   create tickets through the API (POST /api/tickets on
 *                    one keep-alive connection, its own thread) at RATE per
 *                    second for SECS seconds; each title carries its number.
 *                    When every stream has every ticket (or 15 s after the
 *                    last POST) print
 *                    RESULT posted= expected= received= missing= p50_ms=
 *                    p99_ms= max_ms= gaps= resets= open=
 *                    where latency is from sending the POST to reading the
 *                    event on a stream, expected = streams x posted, and a
 *                    gap is a bench ticket whose number is not the one
 *                    after the last the stream had (across reconnections,
 *                    which send the last id as Last-Event-ID).
 *   drop             close every stream and reconnect them all at once
 *                    with Last-Event-ID (a reconnect storm); prints DROPPED
 *   waitopen SECS    print "OPEN <seconds> <open>" when every stream is
 *                    open again (or at SECS)
 *   status           print STATUS open= reconnects= failures= gaps= resets=
 *   quit
 *
 * Only libc; Linux (epoll).  The streams must see every event posted
 * (an admin of the organization the tickets are created in), so that the
 * bench tickets a stream receives are numbered without holes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LD_MAX_POSTS    4096            /* tickets per post command */
#define LD_CARRY        8192            /* partial line kept per stream */
#define LD_HIST_US      100             /* histogram bucket: 0.1 ms */
#define LD_HIST_N       300000          /* up to 30 s */
#define LD_TITLE        "\"title\":\"ssebench "

enum { LD_IDLE, LD_CONNECTING, LD_HEADERS, LD_STREAM, LD_WAIT };

typedef struct {
    int fd;
    int state;
    double reconnect_at;        /* LD_WAIT: when to connect again */
    char last_id[48];           /* the last id: line ("" none yet) */
    long last_seq;              /* number of the last bench ticket seen;
                                 * -1 none yet */
    long retry_ms;
    unsigned got;               /* events of the current post round */
    unsigned char *seen;        /* bitmap of the current round */
    size_t len;
    char *carry;                /* bytes of an unfinished line */
    int in_event;               /* a data: line of the block was counted */
} ld_conn_t;

static int ld_port, ld_n, ld_inflight_max = 256;
static const char *ld_auth = "", *ld_path = "/api/events/stream";
static ld_conn_t *ld_conns;
static int ld_epfd;
static int ld_open, ld_inflight;
static int ld_waiting;                      /* streams idle or waiting to reconnect */
static unsigned long ld_reconnects, ld_failures, ld_gaps, ld_resets;

/* The post round. */
static int64_t ld_send_at[LD_MAX_POSTS];    /* µs, written by the poster */
static volatile int ld_posted;              /* tickets posted so far */
static int ld_round_base, ld_round_total, ld_round_active, ld_post_done;
static double ld_post_end;
static unsigned long ld_received;
static unsigned *ld_hist;
static double ld_max_lat;
static int ld_next_title;
static int ld_rate, ld_secs;

static double ld_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ld_die(const char *what)
{
    perror(what);
    exit(1);
}

/* ---- streams ---------------------------------------------------------- */

static void ld_close(ld_conn_t *c, double now, int failed)
{
    if (c->fd >= 0) {
        epoll_ctl(ld_epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    if (c->state == LD_STREAM) {
        --ld_open;
        ++ld_reconnects;
    }
    else if (c->state == LD_CONNECTING || c->state == LD_HEADERS) {
        --ld_inflight;
    }
    if (failed) {
        ++ld_failures;
    }
    if (c->state != LD_WAIT && c->state != LD_IDLE) {
        ++ld_waiting;
    }
    c->state = LD_WAIT;
    c->len = 0;
    c->reconnect_at = now + (failed ? 1.0 : (double)c->retry_ms / 1000.0);
}

static void ld_connect(ld_conn_t *c)
{
    struct sockaddr_in sa;
    struct epoll_event ev;

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        ld_die("socket");
    }
    --ld_waiting;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)ld_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0
        && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        c->state = LD_WAIT;
        c->reconnect_at = ld_now() + 1.0;
        ++ld_failures;
        ++ld_waiting;
        return;
    }
    c->state = LD_CONNECTING;
    ++ld_inflight;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = c;
    epoll_ctl(ld_epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void ld_send_request(ld_conn_t *c, double now)
{
    char req[1024];
    char last[96] = "";
    struct epoll_event ev;
    int n;

    if (c->last_id[0]) {
        snprintf(last, sizeof(last), "Last-Event-ID: %s\r\n", c->last_id);
    }
    n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Accept: text/event-stream\r\n%s\r\n%s\r\n", ld_path,
                 ld_auth, last);
    if (write(c->fd, req, (size_t)n) != n) {
        ld_close(c, now, 1);
        return;
    }
    c->state = LD_HEADERS;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = c;
    epoll_ctl(ld_epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* One complete line of the stream. */
static void ld_line(ld_conn_t *c, const char *line, size_t len, double now)
{
    if (len == 0) {
        c->in_event = 0;
        return;
    }
    if (len > 4 && !memcmp(line, "id: ", 4)) {
        /* Ids are event positions ("X-N"): ordered, not consecutive, so
         * gaps are found by the tickets' own numbers (below). */
        if (len - 4 < sizeof(c->last_id)) {
            memcpy(c->last_id, line + 4, len - 4);
            c->last_id[len - 4] = '\0';
        }
    }
    else if (len > 7 && !memcmp(line, "retry: ", 7)) {
        c->retry_ms = strtol(line + 7, NULL, 10);
    }
    else if (len == 12 && !memcmp(line, "event: reset", 12)) {
        ++ld_resets;
    }
    else if (len > 6 && !memcmp(line, "data: ", 6) && !c->in_event) {
        const char *t = memmem(line, len, LD_TITLE, sizeof(LD_TITLE) - 1);
        long num;
        int k;

        c->in_event = 1;
        if (!t) {
            return;
        }
        /* the bench's tickets are numbered in the order they are posted
         * (one poster): a stream that skips a number missed an event */
        num = atol(t + sizeof(LD_TITLE) - 1);
        if (c->last_seq >= 0 && num > c->last_seq + 1) {
            ++ld_gaps;
        }
        if (num > c->last_seq) {
            c->last_seq = num;
        }
        if (!ld_round_active) {
            return;
        }
        k = (int)num - ld_round_base;
        if (k < 0 || k >= ld_round_total || (c->seen[k / 8] & (1 << (k % 8)))) {
            return;
        }
        c->seen[k / 8] |= (unsigned char)(1 << (k % 8));
        ++c->got;
        ++ld_received;
        {
            int64_t sent = __atomic_load_n(&ld_send_at[k], __ATOMIC_ACQUIRE);
            double lat = sent > 0 ? now - (double)sent / 1e6 : 0;
            long b = (long)(lat * 1e6 / LD_HIST_US);

            if (b >= LD_HIST_N) b = LD_HIST_N - 1;
            if (b < 0) b = 0;
            ++ld_hist[b];
            if (lat > ld_max_lat) ld_max_lat = lat;
        }
    }
}

static void ld_readable(ld_conn_t *c, double now)
{
    char buf[65536];

    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof(buf));
        size_t i, start = 0;

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            ld_close(c, now, c->state != LD_STREAM);
            return;
        }
        if (n < 0) {
            return;
        }
        if (c->state == LD_HEADERS) {
            /* Headers are kept in carry until the blank line; what
             * follows them in this read is the start of the stream. */
            size_t before = c->len, take = (size_t)n, hdr;
            char *end;

            if (before + take > LD_CARRY) take = LD_CARRY - before;
            memcpy(c->carry + before, buf, take);
            c->len += take;
            end = memmem(c->carry, c->len, "\r\n\r\n", 4);
            if (!end) {
                if (c->len == LD_CARRY) {
                    ld_close(c, now, 1);
                    return;
                }
                continue;
            }
            if (c->len < 12 || memcmp(c->carry + 9, "200", 3) != 0) {
                ld_close(c, now, 1);
                return;
            }
            c->state = LD_STREAM;
            --ld_inflight;
            ++ld_open;
            hdr = (size_t)(end + 4 - c->carry) - before;   /* of this read */
            memmove(buf, buf + hdr, (size_t)n - hdr);
            n -= (ssize_t)hdr;
            c->len = 0;
        }
        for (i = 0; i < (size_t)n; ++i) {
            if (buf[i] != '\n') {
                continue;
            }
            if (c->len) {
                size_t add = i - start;

                if (c->len + add > LD_CARRY) add = LD_CARRY - c->len;
                memcpy(c->carry + c->len, buf + start, add);
                ld_line(c, c->carry, c->len + add, now);
                c->len = 0;
            }
            else {
                ld_line(c, buf + start, i - start, now);
            }
            start = i + 1;
        }
        if (start < (size_t)n) {
            size_t add = (size_t)n - start;

            if (c->len + add > LD_CARRY) add = LD_CARRY - c->len;
            memcpy(c->carry + c->len, buf + start, add);
            c->len += add;
        }
        if ((size_t)n < sizeof(buf) && c->state == LD_STREAM) {
            return;     /* level-triggered: epoll says when there is more */
        }
    }
}

/* ---- the poster ----------------------------------------------------------- */

static int ld_http_fd = -1;

static int ld_http_connect(void)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)ld_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* One POST; 0 when it answered 201. */
static int ld_post(int number)
{
    char body[256], req[2048], resp[16384];
    int blen, rlen, tries;

    blen = snprintf(body, sizeof(body), "{\"title\":\"ssebench %d\","
                    "\"description\":\"sse benchmark\"}", number);
    rlen = snprintf(req, sizeof(req), "POST /api/tickets HTTP/1.1\r\n"
                    "Host: 127.0.0.1\r\n%s\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\n\r\n%s", ld_auth, blen, body);
    for (tries = 0; tries < 2; ++tries) {
        size_t got = 0;
        char *hdr_end = NULL;
        long clen = -1;

        if (ld_http_fd < 0 && (ld_http_fd = ld_http_connect()) < 0) {
            return -1;
        }
        if (write(ld_http_fd, req, (size_t)rlen) != rlen) {
            close(ld_http_fd);
            ld_http_fd = -1;
            continue;
        }
        for (;;) {
            ssize_t n = read(ld_http_fd, resp + got, sizeof(resp) - 1 - got);

            if (n <= 0) {
                break;
            }
            got += (size_t)n;
            resp[got] = '\0';
            if (!hdr_end && (hdr_end = strstr(resp, "\r\n\r\n"))) {
                char *cl = strcasestr(resp, "\r\nContent-Length:");

                clen = cl && cl < hdr_end ? strtol(cl + 17, NULL, 10) : 0;
            }
            if (hdr_end && got >= (size_t)(hdr_end + 4 - resp) + (size_t)clen) {
                break;
            }
        }
        if (!hdr_end) {
            close(ld_http_fd);
            ld_http_fd = -1;
            continue;
        }
        if (strcasestr(resp, "\r\nConnection: close")) {
            close(ld_http_fd);
            ld_http_fd = -1;
        }
        return strncmp(resp + 9, "201", 3) == 0 ? 0 : -1;
    }
    return -1;
}

static void *ld_poster(void *unused)
{
    double t0 = ld_now();
    int k;

    (void)unused;
    for (k = 0; k < ld_round_total; ++k) {
        double at = t0 + (double)k / ld_rate, now = ld_now();

        if (at > now) {
            struct timespec ts = { (time_t)(at - now),
                                   (long)((at - now - (double)(time_t)(at - now)) * 1e9) };
            nanosleep(&ts, NULL);
        }
        __atomic_store_n(&ld_send_at[k], (int64_t)(ld_now() * 1e6), __ATOMIC_RELEASE);
        if (ld_post(ld_round_base + k) != 0) {
            fprintf(stderr, "sse_load: POST %d failed\n", ld_round_base + k);
        }
        __atomic_store_n(&ld_posted, k + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static pthread_t ld_poster_thread;

static void ld_start_round(int rate, int secs)
{
    int i;

    ld_rate = rate > 0 ? rate : 1;
    ld_secs = secs;
    ld_round_total = ld_rate * secs;
    if (ld_round_total > LD_MAX_POSTS) ld_round_total = LD_MAX_POSTS;
    ld_round_base = ld_next_title;
    ld_next_title += ld_round_total;
    memset(ld_send_at, 0, sizeof(ld_send_at));
    memset(ld_hist, 0, sizeof(unsigned) * LD_HIST_N);
    ld_received = 0;
    ld_max_lat = 0;
    ld_posted = 0;
    ld_post_done = 0;
    for (i = 0; i < ld_n; ++i) {
        memset(ld_conns[i].seen, 0, LD_MAX_POSTS / 8);
        ld_conns[i].got = 0;
    }
    ld_round_active = 1;
    if (pthread_create(&ld_poster_thread, NULL, ld_poster, NULL) != 0) {
        ld_die("pthread_create");
    }
}

static double ld_pct(double q)
{
    unsigned long want = (unsigned long)(q * (double)ld_received), seen = 0;
    long b;

    if (!ld_received) return 0;
    for (b = 0; b < LD_HIST_N; ++b) {
        seen += ld_hist[b];
        if (seen > want) {
            return (double)(b + 1) * LD_HIST_US / 1000.0;
        }
    }
    return (double)LD_HIST_N * LD_HIST_US / 1000.0;
}

static void ld_check_round(double now)
{
    unsigned long expected;

    if (!ld_round_active) return;
    if (!ld_post_done && __atomic_load_n(&ld_posted, __ATOMIC_ACQUIRE) == ld_round_total) {
        pthread_join(ld_poster_thread, NULL);
        ld_post_done = 1;
        ld_post_end = now;
    }
    if (!ld_post_done) return;
    expected = (unsigned long)ld_n * (unsigned long)ld_round_total;
    if (ld_received < expected && now - ld_post_end < 15.0) return;
    printf("RESULT posted=%d expected=%lu received=%lu missing=%lu p50_ms=%.1f "
           "p99_ms=%.1f max_ms=%.1f gaps=%lu resets=%lu open=%d\n",
           ld_round_total, expected, ld_received, expected - ld_received,
           ld_pct(0.50), ld_pct(0.99), ld_max_lat * 1000.0, ld_gaps, ld_resets,
           ld_open);
    ld_round_active = 0;
}

/* ---- commands --------------------------------------------------------------- */

static double ld_waitopen_until;
static double ld_waitopen_from;

static void ld_command(char *line, double now)
{
    int a, b, i;

    if (sscanf(line, "post %d %d", &a, &b) == 2) {
        ld_start_round(a, b);
    }
    else if (!strncmp(line, "drop", 4)) {
        for (i = 0; i < ld_n; ++i) {
            ld_conn_t *c = &ld_conns[i];

            ld_close(c, now, 0);
            c->reconnect_at = now;
        }
        printf("DROPPED\n");
    }
    else if (sscanf(line, "waitopen %d", &a) == 1) {
        ld_waitopen_from = now;
        ld_waitopen_until = now + a;
    }
    else if (!strncmp(line, "status", 6)) {
        printf("STATUS open=%d reconnects=%lu failures=%lu gaps=%lu resets=%lu\n",
               ld_open, ld_reconnects, ld_failures, ld_gaps, ld_resets);
    }
    else if (!strncmp(line, "quit", 4)) {
        exit(0);
    }
}

static void ld_stdin(double now)
{
    static char buf[4096];
    static size_t len;
    ssize_t n = read(0, buf + len, sizeof(buf) - 1 - len);
    char *nl;

    if (n == 0) {
        exit(0);
    }
    if (n < 0) {
        return;
    }
    len += (size_t)n;
    buf[len] = '\0';
    while ((nl = strchr(buf, '\n'))) {
        *nl = '\0';
        ld_command(buf, now);
        memmove(buf, nl + 1, len - (size_t)(nl + 1 - buf) + 1);
        len -= (size_t)(nl + 1 - buf);
    }
}

int main(int argc, char **argv)
{
    struct epoll_event evs[1024], ev;
    int opt, i, ready = 0, next = 0;
    static char auth_line[1024];
    double start;

    while ((opt = getopt(argc, argv, "p:n:H:c:P:")) != -1) {
        switch (opt) {
        case 'p': ld_port = atoi(optarg); break;
        case 'n': ld_n = atoi(optarg); break;
        case 'H': snprintf(auth_line, sizeof(auth_line), "%s", optarg);
                  ld_auth = auth_line; break;
        case 'c': ld_inflight_max = atoi(optarg); break;
        case 'P': ld_path = optarg; break;
        default:
            fprintf(stderr, "usage: sse_load -p PORT -n STREAMS -H HEADER "
                    "[-c INFLIGHT] [-P PATH]\n");
            return 2;
        }
    }
    if (ld_port <= 0 || ld_n <= 0) {
        fprintf(stderr, "sse_load: -p and -n are required\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    ld_conns = calloc((size_t)ld_n, sizeof(*ld_conns));
    ld_hist = calloc(LD_HIST_N, sizeof(unsigned));
    if (!ld_conns || !ld_hist) ld_die("calloc");
    for (i = 0; i < ld_n; ++i) {
        ld_conns[i].fd = -1;
        ld_conns[i].state = LD_IDLE;
        ++ld_waiting;
        ld_conns[i].retry_ms = 1000;
        ld_conns[i].last_seq = -1;
        ld_conns[i].seen = calloc(LD_MAX_POSTS / 8, 1);
        ld_conns[i].carry = malloc(LD_CARRY);
        if (!ld_conns[i].seen || !ld_conns[i].carry) ld_die("calloc");
    }
    ld_next_title = (int)(time(NULL) % 100000) * 1000;
    ld_epfd = epoll_create1(EPOLL_CLOEXEC);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(ld_epfd, EPOLL_CTL_ADD, 0, &ev);
    start = ld_now();
    for (;;) {
        double now = ld_now();
        int n;

        /* Open what is due, a few at a time (a scan only while some
         * stream waits). */
        for (i = 0; ld_waiting > 0 && i < ld_n && ld_inflight < ld_inflight_max; ++i) {
            ld_conn_t *c = &ld_conns[(next + i) % ld_n];

            if (c->state == LD_IDLE || (c->state == LD_WAIT && c->reconnect_at <= now)) {
                ld_connect(c);
            }
        }
        next = (next + i) % ld_n;
        n = epoll_wait(ld_epfd, evs, 1024, 20);
        now = ld_now();
        for (i = 0; i < n; ++i) {
            ld_conn_t *c = evs[i].data.ptr;

            if (!c) {
                ld_stdin(now);
                continue;
            }
            if (c->fd < 0) {
                continue;
            }
            if (c->state == LD_CONNECTING) {
                int err = 0;
                socklen_t l = sizeof(err);

                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err || (evs[i].events & (EPOLLERR | EPOLLHUP))) {
                    ld_close(c, now, 1);
                    continue;
                }
                ld_send_request(c, now);
                continue;
            }
            ld_readable(c, now);
        }
        if (!ready && ld_open == ld_n) {
            ready = 1;
            printf("READY %.2f\n", now - start);
        }
        if (ld_waitopen_until > 0 && (ld_open == ld_n || now >= ld_waitopen_until)) {
            printf("OPEN %.2f %d\n", now - ld_waitopen_from, ld_open);
            ld_waitopen_until = 0;
        }
        ld_check_round(now);
    }
}
