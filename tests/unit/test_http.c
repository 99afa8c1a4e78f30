/* test_http.c: the HTTP client (tk_http.c) against a small server of the
 * test's own, and Retry-After.
 *
 * The server is a thread of the test (each test is its own forked child)
 * listening on 127.0.0.1 on a port the kernel picks; it takes one
 * connection, reads one request and answers it the way the test asks:
 * a body and headers, a redirect, a body over the cap, an interim 100
 * before the answer, an echo of the request, or nothing at all.  Every
 * wait is bounded by poll, and the thread is joined before the test ends.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <apr_strings.h>
#include "tk_suites.h"
#include "http/tk_http.h"

#define SRV_WAIT_MS 2000
#define SRV_BIG 65536
#define ECHO_BODY (1536 * 1024)

typedef enum {
    SRV_OK, SRV_REDIRECT, SRV_BIG_STREAM, SRV_BIG_LENGTH, SRV_SILENT,
    SRV_ECHO, SRV_INTERIM, SRV_KEEP, SRV_FAT_HEADERS, SRV_TWO
} srv_mode_t;

typedef struct {
    int lfd;
    int port;
    srv_mode_t mode;
    char *req;                      /* the request read, NUL-terminated */
    size_t req_len, req_cap;
    int peer_closed;                /* SRV_KEEP: the client hung up */
    pthread_t thread;
} srv_t;

static void srv_send(int fd, const char *buf, size_t len)
{
    ssize_t n;

    while (len > 0 && (n = send(fd, buf, len, MSG_NOSIGNAL)) > 0) {
        buf += n;
        len -= (size_t)n;
    }
}

static void srv_say(int fd, const char *text)
{
    srv_send(fd, text, strlen(text));
}

static int srv_readable(int fd)
{
    struct pollfd pfd = { fd, POLLIN, 0 };

    return poll(&pfd, 1, SRV_WAIT_MS) == 1;
}

/* Read a request: its head, then Content-Length bytes of body. */
static void srv_read(srv_t *s, int fd)
{
    const char *end = NULL, *cl;
    size_t want = 0;
    ssize_t n;

    while (s->req_len < s->req_cap && srv_readable(fd)) {
        n = recv(fd, s->req + s->req_len, s->req_cap - s->req_len, 0);
        if (n <= 0) {
            return;
        }
        s->req_len += (size_t)n;
        s->req[s->req_len] = '\0';
        if (!end && (end = strstr(s->req, "\r\n\r\n")) != NULL) {
            cl = strcasestr(s->req, "\r\nContent-Length:");
            want = (size_t)(end + 4 - s->req)
                   + (cl && cl < end ? (size_t)atol(cl + 17) : 0);
        }
        if (end && s->req_len >= want) {
            return;
        }
    }
}

static void srv_answer(srv_t *s, int fd)
{
    char head[256], chunk[4096];
    size_t i;

    switch (s->mode) {
    case SRV_OK:
        srv_say(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                "X-Test:  yes \r\nContent-Length: 5\r\nConnection: close\r\n"
                "\r\nhello");
        break;
    case SRV_REDIRECT:
        apr_snprintf(head, sizeof(head), "HTTP/1.1 302 Found\r\nLocation: "
                     "http://127.0.0.1:%d/again\r\nContent-Length: 0\r\n\r\n",
                     s->port);
        srv_say(fd, head);
        break;
    case SRV_BIG_STREAM:        /* no length: the body ends at the close */
        srv_say(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        memset(chunk, 'x', sizeof(chunk));
        for (i = 0; i < SRV_BIG / sizeof(chunk); ++i) {
            srv_send(fd, chunk, sizeof(chunk));
        }
        break;
    case SRV_BIG_LENGTH:
        srv_say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
        break;
    case SRV_SILENT:            /* until the client gives up */
        while (srv_readable(fd) && recv(fd, chunk, sizeof(chunk), 0) > 0) {
        }
        break;
    case SRV_ECHO:
        apr_snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: "
                     "%" APR_SIZE_T_FMT "\r\n\r\n", s->req_len);
        srv_say(fd, head);
        srv_send(fd, s->req, s->req_len);
        break;
    case SRV_INTERIM:
        srv_say(fd, "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
                "HTTP/1.1 200 OK\r\nX-Final: 1\r\nContent-Length: 2\r\n\r\nok");
        break;
    case SRV_FAT_HEADERS:       /* 80 KiB of headers, 1 KiB each */
        srv_say(fd, "HTTP/1.1 200 OK\r\n");
        memset(chunk, 'h', 1024);
        memcpy(chunk, "X-Fat: ", 7);
        memcpy(chunk + 1022, "\r\n", 2);
        for (i = 0; i < 80; ++i) {
            srv_send(fd, chunk, 1024);
        }
        srv_say(fd, "Content-Length: 0\r\n\r\n");
        break;
    case SRV_TWO:               /* two requests on one connection */
        srv_say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
        s->req_len = 0;
        srv_read(s, fd);
        if (s->req_len > 0) {
            srv_say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                    "Connection: close\r\n\r\ntwo");
        }
        break;
    case SRV_KEEP:              /* a kept-alive connection, until closed */
        srv_say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        s->peer_closed = srv_readable(fd) && recv(fd, chunk, sizeof(chunk), 0) == 0;
        break;
    }
}

static void *srv_main(void *baton)
{
    srv_t *s = baton;
    int fd;

    if (!srv_readable(s->lfd) || (fd = accept(s->lfd, NULL, NULL)) < 0) {
        return NULL;
    }
    srv_read(s, fd);
    srv_answer(s, fd);
    close(fd);
    return NULL;
}

static srv_t *srv_start(srv_mode_t mode)
{
    srv_t *s = apr_pcalloc(tk_tp, sizeof(*s));
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    s->mode = mode;
    s->req_cap = ECHO_BODY + 4096;
    s->req = apr_palloc(tk_tp, s->req_cap + 1);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s->lfd, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(s->lfd, 4), 0);
    ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&sin, &len), 0);
    s->port = ntohs(sin.sin_port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, srv_main, s), 0);
    return s;
}

static void srv_stop(srv_t *s)
{
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

static tk_http_req_t req_make(const char *method, int port, const char *path)
{
    tk_http_req_t r;

    memset(&r, 0, sizeof(r));
    r.method = method;
    r.url = apr_psprintf(tk_tp, "http://127.0.0.1:%d%s", port, path);
    r.connect_timeout_ms = 1000;
    r.timeout_ms = 2000;
    r.max_response = 65536;
    return r;
}

/* A failure's sentence: set, and free of the URL's secret and host. */
static void assert_sentence(const tk_http_resp_t *resp)
{
    ck_assert_ptr_nonnull(resp->error);
    ck_assert_ptr_null(strstr(resp->error, "SECRET"));
    ck_assert_ptr_null(strstr(resp->error, "127.0.0.1"));
}

START_TEST(answer_and_headers)
{
    srv_t *s = srv_start(SRV_OK);
    tk_http_req_t r = req_make("GET", s->port, "/ok");
    tk_http_resp_t resp;

    ck_assert_int_eq(tk_http_global_init(), APR_SUCCESS);
    ck_assert_int_eq(tk_http_global_init(), APR_SUCCESS);
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(resp.body_len, 5);
    ck_assert_str_eq(resp.body, "hello");
    ck_assert_str_eq(apr_table_get(resp.headers, "x-test"), "yes");
    ck_assert_str_eq(apr_table_get(resp.headers, "Content-Type"), "text/plain");
    ck_assert_ptr_null(resp.error);
    ck_assert_ptr_nonnull(strstr(s->req, "GET /ok HTTP/1.1\r\n"));
}
END_TEST

START_TEST(body_at_the_cap)
{
    srv_t *s = srv_start(SRV_OK);
    tk_http_req_t r = req_make("GET", s->port, "/ok");
    tk_http_resp_t resp;

    r.max_response = 5;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_str_eq(resp.body, "hello");

    s = srv_start(SRV_OK);
    r = req_make("GET", s->port, "/ok");
    r.max_response = 4;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_ENOSPC);
    srv_stop(s);
    assert_sentence(&resp);
}
END_TEST

START_TEST(redirect_not_followed)
{
    srv_t *s = srv_start(SRV_REDIRECT);
    tk_http_req_t r = req_make("GET", s->port, "/from");
    tk_http_resp_t resp;

    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_int_eq(resp.status, 302);
    ck_assert_str_eq(apr_table_get(resp.headers, "Location"),
                     apr_psprintf(tk_tp, "http://127.0.0.1:%d/again", s->port));
    ck_assert_uint_eq(resp.body_len, 0);
    ck_assert_str_eq(resp.body, "");
}
END_TEST

START_TEST(body_over_the_cap)
{
    srv_t *s = srv_start(SRV_BIG_STREAM);
    tk_http_req_t r = req_make("GET", s->port, "/big?access_token=SECRET");
    tk_http_resp_t resp;

    r.max_response = 1000;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_ENOSPC);
    srv_stop(s);
    assert_sentence(&resp);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(resp.body_len, 0);

    /* exactly the cap, arriving in pieces, is kept */
    s = srv_start(SRV_BIG_STREAM);
    r = req_make("GET", s->port, "/big");
    r.max_response = SRV_BIG;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_uint_eq(resp.body_len, SRV_BIG);
    ck_assert_uint_eq(strlen(resp.body), SRV_BIG);

    s = srv_start(SRV_BIG_STREAM);
    r = req_make("GET", s->port, "/big");
    r.max_response = SRV_BIG - 1;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_ENOSPC);
    srv_stop(s);
}
END_TEST

START_TEST(length_over_the_cap)
{
    srv_t *s = srv_start(SRV_BIG_LENGTH);
    tk_http_req_t r = req_make("GET", s->port, "/big");
    tk_http_resp_t resp;

    r.max_response = 1000;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_ENOSPC);
    srv_stop(s);
    assert_sentence(&resp);
}
END_TEST

START_TEST(headers_over_their_cap)
{
    srv_t *s = srv_start(SRV_FAT_HEADERS);
    tk_http_req_t r = req_make("GET", s->port, "/fat");
    tk_http_resp_t resp;

    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_ENOSPC);
    srv_stop(s);
    ck_assert_str_eq(resp.error, "The answer's headers were too long.");
    ck_assert_int_eq(apr_table_elts(resp.headers)->nelts, 0);
}
END_TEST

START_TEST(silence_times_out)
{
    srv_t *s = srv_start(SRV_SILENT);
    tk_http_req_t r = req_make("GET", s->port, "/wait?access_token=SECRET");
    tk_http_resp_t resp;
    apr_time_t t0 = apr_time_now();

    r.timeout_ms = 300;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_TIMEUP);
    ck_assert_int_lt(apr_time_now() - t0, apr_time_from_msec(1500));
    srv_stop(s);
    assert_sentence(&resp);
    ck_assert_int_eq(resp.status, 0);
}
END_TEST

START_TEST(request_sent_as_given)
{
    srv_t *s = srv_start(SRV_ECHO);
    tk_http_req_t r = req_make("POST", s->port, "/echo?access_token=SECRET");
    apr_array_header_t *h = apr_array_make(tk_tp, 2, sizeof(const char *));
    tk_http_resp_t resp;
    char *body = apr_palloc(tk_tp, ECHO_BODY), *end;

    memset(body, 'a', ECHO_BODY);
    body[ECHO_BODY - 1] = 'z';
    APR_ARRAY_PUSH(h, const char *) = "Content-Type: application/json";
    APR_ARRAY_PUSH(h, const char *) = "X-Custom: abc";
    r.headers = h;
    r.body = body;
    r.body_len = ECHO_BODY;
    r.max_response = 2 * ECHO_BODY;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_int_eq(resp.status, 200);
    end = strstr(resp.body, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    *end = '\0';
    ck_assert_ptr_nonnull(strstr(resp.body,
                                 "POST /echo?access_token=SECRET HTTP/1.1\r\n"));
    ck_assert_ptr_nonnull(strstr(resp.body, "\r\nX-Custom: abc"));
    ck_assert_ptr_nonnull(strstr(resp.body, "\r\nContent-Type: application/json"));
    ck_assert_ptr_nonnull(strstr(resp.body,
                                 apr_psprintf(tk_tp, "\r\nContent-Length: %d",
                                              ECHO_BODY)));
    ck_assert_ptr_null(strcasestr(resp.body, "Expect:"));
    ck_assert_ptr_null(strcasestr(resp.body, "100-continue"));
    ck_assert_uint_eq(resp.body_len, (apr_size_t)(end + 4 - resp.body) + ECHO_BODY);
    ck_assert_int_eq(memcmp(end + 4, body, ECHO_BODY), 0);
}
END_TEST

START_TEST(other_methods)
{
    srv_t *s = srv_start(SRV_ECHO);
    tk_http_req_t r = req_make("PUT", s->port, "/x");
    tk_http_resp_t resp;
    apr_size_t n;

    r.body = "{}";
    r.body_len = 2;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_ptr_nonnull(strstr(resp.body, "PUT /x HTTP/1.1\r\n"));
    ck_assert_ptr_nonnull(strstr(resp.body, "\r\nContent-Length: 2\r\n"));
    n = resp.body_len;
    ck_assert_str_eq(resp.body + n - 6, "\r\n\r\n{}");

    s = srv_start(SRV_ECHO);
    r = req_make("POST", s->port, "/empty");
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_ptr_nonnull(strstr(resp.body, "POST /empty HTTP/1.1\r\n"));
    ck_assert_ptr_nonnull(strstr(resp.body, "\r\nContent-Length: 0\r\n"));

    s = srv_start(SRV_ECHO);
    r = req_make("DELETE", s->port, "/gone");
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_ptr_nonnull(strstr(resp.body, "DELETE /gone HTTP/1.1\r\n"));
}
END_TEST

START_TEST(interim_headers_dropped)
{
    srv_t *s = srv_start(SRV_INTERIM);
    tk_http_req_t r = req_make("GET", s->port, "/");
    tk_http_resp_t resp;

    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(resp.body, "ok");
    ck_assert_ptr_null(apr_table_get(resp.headers, "X-Interim"));
    ck_assert_str_eq(apr_table_get(resp.headers, "X-Final"), "1");
}
END_TEST

/* The pool's cleanup frees the handle: curl closes the connection it
 * kept alive when the pool goes, not before. */
START_TEST(pool_owns_the_handle)
{
    srv_t *s = srv_start(SRV_KEEP);
    tk_http_req_t r = req_make("GET", s->port, "/");
    tk_http_resp_t resp;
    apr_pool_t *p;
    struct pollfd pfd;

    ck_assert_int_eq(apr_pool_create(&p, tk_tp), APR_SUCCESS);
    ck_assert_int_eq(tk_http_perform(p, &r, &resp), APR_SUCCESS);
    ck_assert_str_eq(resp.body, "ok");
    pfd.fd = s->lfd;
    pfd.events = POLLIN;
    ck_assert_int_eq(poll(&pfd, 1, 50), 0);     /* no second connection */
    apr_pool_destroy(p);
    srv_stop(s);
    ck_assert_int_eq(s->peer_closed, 1);
}
END_TEST

/* Two requests sharing conns go over one connection: the server accepts
 * one, and answers "two" only to a second request on it. */
START_TEST(conns_keep_the_connection)
{
    srv_t *s = srv_start(SRV_TWO);
    tk_http_conns_t *conns = tk_http_conns_make(tk_tp);
    tk_http_req_t r = req_make("POST", s->port, "/");
    tk_http_resp_t resp;
    apr_pool_t *p;
    int i;

    ck_assert_ptr_nonnull(conns);
    r.conns = conns;
    r.body = "{}";
    r.body_len = 2;
    for (i = 0; i < 2; ++i) {
        ck_assert_int_eq(apr_pool_create(&p, tk_tp), APR_SUCCESS);
        ck_assert_int_eq(tk_http_perform(p, &r, &resp), APR_SUCCESS);
        ck_assert_str_eq(resp.body, i == 0 ? "one" : "two");
        apr_pool_destroy(p);        /* the handle goes; the connection stays */
    }
    srv_stop(s);
}
END_TEST

START_TEST(connection_refused)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    tk_http_req_t r;
    tk_http_resp_t resp;

    /* a port just bound and closed again: no one listens there */
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    r = req_make("GET", ntohs(sin.sin_port), "/?access_token=SECRET");
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_ECONNREFUSED);
    assert_sentence(&resp);
    ck_assert_int_eq(resp.status, 0);
}
END_TEST

/* An address judge that records what it saw and says yes or no. */
typedef struct {
    int allow;
    int calls;
    int family;
    unsigned char addr[16];
    unsigned port;
} judge_t;

static int judge(void *baton, int family, const unsigned char *addr,
                 unsigned port, const char **why)
{
    judge_t *j = baton;

    ++j->calls;
    j->family = family;
    memcpy(j->addr, addr, family == APR_INET ? 4 : 16);
    j->port = port;
    *why = "Not there.";
    return j->allow ? 0 : -1;
}

START_TEST(addresses_judged_as_they_are_connected_to)
{
    static const unsigned char lo[4] = { 127, 0, 0, 1 };
    srv_t *s = srv_start(SRV_OK);
    tk_http_req_t r = req_make("GET", s->port, "/ok");
    judge_t j = { 0, 0, 0, { 0 }, 0 };
    tk_http_resp_t resp;

    r.addr_check = judge;
    r.addr_baton = &j;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_EACCES);
    ck_assert_str_eq(resp.error, "Not there.");
    ck_assert_int_eq(j.calls, 1);
    ck_assert_int_eq(j.family, APR_INET);
    ck_assert_mem_eq(j.addr, lo, 4);
    ck_assert_uint_eq(j.port, (unsigned)s->port);
    j.allow = 1;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    srv_stop(s);
    ck_assert_int_eq(j.calls, 2);
    ck_assert_str_eq(resp.body, "hello");
}
END_TEST

START_TEST(resolve_only_connects_to_nothing)
{
    srv_t *s = srv_start(SRV_OK);
    tk_http_req_t r = req_make("POST", s->port, "/");
    judge_t j = { 1, 0, 0, { 0 }, 0 };
    tk_http_resp_t resp;

    r.addr_check = judge;
    r.addr_baton = &j;
    r.resolve_only = 1;
    r.body = "{}";
    r.body_len = 2;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_SUCCESS);
    ck_assert_int_eq(j.calls, 1);
    j.allow = 0;
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_EACCES);
    ck_assert_str_eq(resp.error, "Not there.");
    srv_stop(s);                    /* it waited for a connection in vain */
    ck_assert_uint_eq(s->req_len, 0);
}
END_TEST

START_TEST(malformed_requests)
{
    apr_array_header_t *h = apr_array_make(tk_tp, 1, sizeof(const char *));
    apr_array_header_t *bad = apr_array_make(tk_tp, 1, sizeof(int));
    tk_http_req_t r;
    tk_http_resp_t resp;

#define EINVAL_WITH(change) \
    do { \
        r = req_make("GET", 1, "/?access_token=SECRET"); \
        change; \
        ck_assert_int_eq(tk_http_perform(tk_tp, &r, &resp), APR_EINVAL); \
        assert_sentence(&resp); \
    } while (0)

    EINVAL_WITH(r.url = NULL);
    EINVAL_WITH(r.url = "");
    EINVAL_WITH(r.timeout_ms = 0);
    EINVAL_WITH(r.connect_timeout_ms = 0);
    EINVAL_WITH(r.connect_timeout_ms = -5);
    EINVAL_WITH(r.method = NULL);
    EINVAL_WITH(r.method = "GE T");
    EINVAL_WITH(r.method = "GET\r\nX: y");
    EINVAL_WITH(r.body_len = 3);
    APR_ARRAY_PUSH(h, const char *) = "X-A: b\r\nX-Injected: c";
    EINVAL_WITH(r.headers = h);
    APR_ARRAY_IDX(h, 0, const char *) = "no colon";
    EINVAL_WITH(r.headers = h);
    APR_ARRAY_IDX(h, 0, const char *) = ": no name";
    EINVAL_WITH(r.headers = h);
    APR_ARRAY_IDX(h, 0, const char *) = NULL;
    EINVAL_WITH(r.headers = h);
    APR_ARRAY_PUSH(bad, int) = 1;
    EINVAL_WITH(r.headers = bad);
    EINVAL_WITH(r.url = "file:///etc/passwd?SECRET");
    EINVAL_WITH(r.url = "ftp://127.0.0.1/?SECRET");
    EINVAL_WITH(r.url = "http://[::1/?SECRET");
#undef EINVAL_WITH
    ck_assert_int_eq(tk_http_perform(tk_tp, NULL, &resp), APR_EINVAL);
    ck_assert_ptr_nonnull(resp.error);
    ck_assert_ptr_nonnull(resp.headers);
    ck_assert_int_eq(tk_http_perform(tk_tp, &r, NULL), APR_EINVAL);
}
END_TEST

/* Worker threads send at once, each with its own pool. */
typedef struct {
    apr_pool_t *pool;
    int port;
    apr_status_t rv;
    tk_http_resp_t resp;
} par_t;

static void *par_main(void *baton)
{
    par_t *t = baton;
    tk_http_req_t r;

    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.url = apr_psprintf(t->pool, "http://127.0.0.1:%d/ok", t->port);
    r.connect_timeout_ms = 1000;
    r.timeout_ms = 2000;
    r.max_response = 100;
    t->rv = tk_http_perform(t->pool, &r, &t->resp);
    return NULL;
}

START_TEST(threads_at_once)
{
    srv_t *s[4];
    par_t t[4];
    pthread_t th[4];
    int i;

    for (i = 0; i < 4; ++i) {
        s[i] = srv_start(SRV_OK);
        ck_assert_int_eq(apr_pool_create(&t[i].pool, tk_tp), APR_SUCCESS);
        t[i].port = s[i]->port;
    }
    for (i = 0; i < 4; ++i) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, par_main, &t[i]), 0);
    }
    for (i = 0; i < 4; ++i) {
        pthread_join(th[i], NULL);
        srv_stop(s[i]);
        ck_assert_int_eq(t[i].rv, APR_SUCCESS);
        ck_assert_str_eq(t[i].resp.body, "hello");
        apr_pool_destroy(t[i].pool);
    }
}
END_TEST

START_TEST(retry_after)
{
    /* Wed, 21 Oct 2015 07:28:00 GMT */
    apr_time_t now = apr_time_from_sec(1445412480);

    ck_assert_double_eq(tk_http_retry_after("120", now), 120);
    ck_assert_double_eq(tk_http_retry_after("0", now), 0);
    ck_assert_double_eq(tk_http_retry_after("007", now), 7);
    ck_assert_double_eq(tk_http_retry_after("  5\t", now), 5);
    ck_assert_double_eq(tk_http_retry_after("86401", now), TK_HTTP_RETRY_AFTER_MAX);
    ck_assert_double_eq(tk_http_retry_after("99999999999999999999999", now),
                        TK_HTTP_RETRY_AFTER_MAX);
    /* IMF-fixdate, RFC 850, asctime */
    ck_assert_double_eq(tk_http_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
                        120);
    ck_assert_double_eq(tk_http_retry_after("Wednesday, 21-Oct-15 07:30:00 GMT",
                                            now), 120);
    ck_assert_double_eq(tk_http_retry_after("Wed Oct 21 07:30:00 2015", now), 120);
    ck_assert_double_eq(tk_http_retry_after(" Wed, 21 Oct 2015 07:28:01 GMT ",
                                            now + apr_time_from_msec(500)), 0.5);
    ck_assert_double_eq(tk_http_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
    ck_assert_double_eq(tk_http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 0);
    ck_assert_double_eq(tk_http_retry_after("Fri, 21 Oct 2016 07:28:00 GMT", now),
                        TK_HTTP_RETRY_AFTER_MAX);
}
END_TEST

START_TEST(retry_after_malformed)
{
    static const char *const bad[] = {
        "", "   ", "soon", "-5", "+5", "5.5", "5s", "1 2", "0x10", "Wed",
        "Wed, 32 Oct 2015 07:30:00 GMT", "Wed, 21 Foo 2015 07:30:00 GMT",
        "Wed, 21 Oct 2015 25:30:00 GMT",
        "Wed, 21 Oct 2015 07:30:00 GMT and a long tail past forty characters",
    };
    apr_time_t now = apr_time_from_sec(1445412480);
    size_t i;

    ck_assert_double_eq(tk_http_retry_after(NULL, now), -1);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        ck_assert_msg(tk_http_retry_after(bad[i], now) == -1, "\"%s\"", bad[i]);
    }
}
END_TEST

Suite *tk_suite_http(void)
{
    Suite *s = suite_create("tk_http");
    TCase *tc = tk_tcase("http");

    tcase_add_test(tc, answer_and_headers);
    tcase_add_test(tc, body_at_the_cap);
    tcase_add_test(tc, redirect_not_followed);
    tcase_add_test(tc, body_over_the_cap);
    tcase_add_test(tc, length_over_the_cap);
    tcase_add_test(tc, headers_over_their_cap);
    tcase_add_test(tc, silence_times_out);
    tcase_add_test(tc, request_sent_as_given);
    tcase_add_test(tc, other_methods);
    tcase_add_test(tc, interim_headers_dropped);
    tcase_add_test(tc, pool_owns_the_handle);
    tcase_add_test(tc, conns_keep_the_connection);
    tcase_add_test(tc, connection_refused);
    tcase_add_test(tc, addresses_judged_as_they_are_connected_to);
    tcase_add_test(tc, resolve_only_connects_to_nothing);
    tcase_add_test(tc, malformed_requests);
    tcase_add_test(tc, threads_at_once);
    tcase_add_test(tc, retry_after);
    tcase_add_test(tc, retry_after_malformed);
    suite_add_tcase(s, tc);
    return s;
}
