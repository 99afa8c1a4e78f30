/* tk_http.c: outbound HTTP on libcurl (see tk_http.h).
 *
 * Each call makes one easy handle, sends one request and reads one answer
 * on the caller's thread; the handle and the header list belong to the
 * caller's pool, so a worker's request pool frees them whatever path the
 * call takes.  Nothing here is shared between calls but curl's global
 * state, set up once by tk_http_global_init; signals are never used
 * (CURLOPT_NOSIGNAL), so worker threads may send at the same time.
 *
 * What every request gets: a connect and a total timeout, no redirects,
 * http and https only, TLS peer and host verification, no
 * "Expect: 100-continue", and no proxy: CURLOPT_PROXY is "" so that
 * http_proxy, https_proxy and all_proxy in httpd's environment are never
 * used (a proxy, when one is needed, will be configured, not inherited).
 * A request may name a judge of the addresses it connects to, called as
 * each socket is opened, so that a check of where a request may go is a
 * check of where it went (outbound webhooks, tk_target.h); the name is
 * resolved by curl's threaded resolver, within the connect timeout.
 * The answer's body is kept in pool memory up to max_response bytes (a
 * Content-Length over it stops the transfer before the body, a longer
 * body stops it when it arrives); the headers kept are the final
 * response's, up to TK_HTTP_MAX_HEADER_BYTES.
 *
 * Errors are fixed sentences chosen by class of failure.  curl's error
 * buffer and curl_easy_strerror are not used: neither the URL (Facebook's
 * carries the access token), nor a header, nor a body can reach a log.
 */
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_date.h>
#include "http/tk_http.h"

/* Bytes of response header lines kept at most, over all the responses of
 * one exchange (interim 1xx ones included). */
#define TK_HTTP_MAX_HEADER_BYTES (64 * 1024)

/* ---- global init ------------------------------------------------------ */

static pthread_once_t tk_http_once = PTHREAD_ONCE_INIT;
static CURLcode tk_http_init_rc = CURLE_FAILED_INIT;

static void tk_http_init_once(void)
{
    tk_http_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

apr_status_t tk_http_global_init(void)
{
    pthread_once(&tk_http_once, tk_http_init_once);
    return tk_http_init_rc == CURLE_OK ? APR_SUCCESS : APR_EGENERAL;
}

/* ---- one exchange ----------------------------------------------------- */

typedef struct {
    apr_pool_t *pool;
    CURL *curl;
    struct curl_slist *headers;
    const tk_http_req_t *req;
    const char *refused;            /* addr_check's why, for the first it
                                     * refused */
    int addrs_seen;                 /* addresses offered to open_socket */
    int addrs_refused;              /* of which addr_check refused */
    /* the answer */
    char *body;
    apr_size_t body_len;
    apr_size_t body_cap;            /* bytes allocated for body */
    apr_size_t max_response;
    int body_over;                  /* the body passed max_response */
    apr_table_t *resp_headers;
    apr_size_t header_bytes;
    int headers_over;               /* the headers passed their cap */
} tk_http_xfer_t;

/* ---- connections kept between requests ---------------------------------- */

struct tk_http_conns_t {
    CURLSH *share;
};

static apr_status_t tk_http_conns_cleanup(void *data)
{
    tk_http_conns_t *c = data;

    if (c->share) {
        curl_share_cleanup(c->share);
        c->share = NULL;
    }
    return APR_SUCCESS;
}

tk_http_conns_t *tk_http_conns_make(apr_pool_t *p)
{
    tk_http_conns_t *c = apr_pcalloc(p, sizeof(*c));

    if (!(c->share = curl_share_init())) {
        return NULL;
    }
    apr_pool_cleanup_register(p, c, tk_http_conns_cleanup,
                              apr_pool_cleanup_null);
    /* One thread at a time: no lock functions are needed. */
    if (curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT)
        != CURLSHE_OK
        || curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS)
           != CURLSHE_OK) {
        return NULL;
    }
    return c;
}

/* ---- one request ------------------------------------------------------- */

static apr_status_t tk_http_xfer_cleanup(void *data)
{
    tk_http_xfer_t *x = data;

    if (x->curl) {
        curl_easy_cleanup(x->curl);
        x->curl = NULL;
    }
    if (x->headers) {
        curl_slist_free_all(x->headers);
        x->headers = NULL;
    }
    return APR_SUCCESS;
}

/* Every socket curl opens for the exchange: its address judged first. */
static curl_socket_t tk_http_open_socket(void *baton, curlsocktype purpose,
                                         struct curl_sockaddr *a)
{
    tk_http_xfer_t *x = baton;
    const tk_http_req_t *req = x->req;
    const unsigned char *bytes;
    const char *why = "The address is refused.";
    unsigned port;

    (void)purpose;
    if (a->family == AF_INET
        && a->addrlen >= (unsigned)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&a->addr;

        bytes = (const unsigned char *)&in->sin_addr;
        port = ntohs(in->sin_port);
    }
    else if (a->family == AF_INET6
             && a->addrlen >= (unsigned)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->addr;

        bytes = (const unsigned char *)&in6->sin6_addr;
        port = ntohs(in6->sin6_port);
    }
    else {
        x->refused = x->refused ? x->refused
                                : "The address is neither IPv4 nor IPv6.";
        ++x->addrs_seen;
        ++x->addrs_refused;
        return CURL_SOCKET_BAD;
    }
    ++x->addrs_seen;
    if (req->addr_check
        && req->addr_check(req->addr_baton, a->family == AF_INET ? APR_INET
                                                                 : APR_INET6,
                           bytes, port, &why) != 0) {
        x->refused = x->refused ? x->refused : why;
        ++x->addrs_refused;
        return CURL_SOCKET_BAD;
    }
    if (req->resolve_only) {
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t tk_http_write_cb(char *data, size_t size, size_t nmemb,
                               void *baton)
{
    tk_http_xfer_t *x = baton;
    size_t n = size * nmemb;
    apr_size_t cap;
    char *grown;

    if (n > x->max_response - x->body_len) {
        x->body_over = 1;
        return 0;                       /* curl stops: CURLE_WRITE_ERROR */
    }
    if (x->body_len + n + 1 > x->body_cap) {
        /* doubling, never past max_response + 1 (the NUL) */
        cap = x->body_cap ? x->body_cap : 4096;
        if (cap > x->max_response + 1) {
            cap = x->max_response + 1;
        }
        while (cap < x->body_len + n + 1 && cap <= x->max_response / 2) {
            cap *= 2;
        }
        if (cap < x->body_len + n + 1) {
            cap = x->max_response + 1;
        }
        grown = apr_palloc(x->pool, cap);
        if (x->body_len) {
            memcpy(grown, x->body, x->body_len);
        }
        x->body = grown;
        x->body_cap = cap;
    }
    memcpy(x->body + x->body_len, data, n);
    x->body_len += n;
    return n;
}

/* One header line, CRLF included.  A status line starts a new response:
 * what an interim one (100 Continue, 103 Early Hints) left is dropped. */
static size_t tk_http_header_cb(char *data, size_t size, size_t nmemb,
                                void *baton)
{
    tk_http_xfer_t *x = baton;
    size_t n = size * nmemb, len = n, i, v;

    x->header_bytes += n;
    if (x->header_bytes > TK_HTTP_MAX_HEADER_BYTES) {
        x->headers_over = 1;
        return 0;
    }
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        apr_table_clear(x->resp_headers);
        return n;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) {
        --len;
    }
    /* no name (the blank line, an obsolete folded line): nothing kept */
    if (!len || data[0] == ' ' || data[0] == '\t') {
        return n;
    }
    for (i = 0; i < len && data[i] != ':'; ++i) {
    }
    if (i == 0 || i == len) {
        return n;
    }
    for (v = i + 1; v < len && (data[v] == ' ' || data[v] == '\t'); ++v) {
    }
    while (len > v && (data[len - 1] == ' ' || data[len - 1] == '\t')) {
        --len;
    }
    apr_table_add(x->resp_headers, apr_pstrmemdup(x->pool, data, i),
                  apr_pstrmemdup(x->pool, data + v, len - v));
    return n;
}

/* RFC 9110's tchar: what a method and a header's name are made of. */
static const char tk_http_tchar[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "0123456789!#$%&'*+-.^_`|~";

static int tk_http_token(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    return n > 0 && n <= 32 && strspn(s, tk_http_tchar) == n;
}

/* "Name: value" with a token for a name and no line break anywhere. */
static int tk_http_header_line(const char *h)
{
    const char *colon = h ? strchr(h, ':') : NULL;

    return colon && colon > h && !strpbrk(h, "\r\n")
           && strspn(h, tk_http_tchar) == (size_t)(colon - h);
}

static apr_status_t tk_http_fail(tk_http_resp_t *resp, apr_status_t rv,
                                 const char *sentence)
{
    resp->error = sentence;
    return rv;
}

/* The request's own checks, before curl sees it. */
static apr_status_t tk_http_check(const tk_http_req_t *req,
                                  tk_http_resp_t *resp)
{
    int i;

    if (!req->url || !*req->url) {
        return tk_http_fail(resp, APR_EINVAL, "The request has no URL.");
    }
    if (!tk_http_token(req->method)) {
        return tk_http_fail(resp, APR_EINVAL,
                            "The request's method is not a valid token.");
    }
    if (req->connect_timeout_ms <= 0 || req->timeout_ms <= 0) {
        return tk_http_fail(resp, APR_EINVAL,
                            "The request's timeouts must be positive.");
    }
    if (!req->body && req->body_len) {
        return tk_http_fail(resp, APR_EINVAL,
                            "The request has a body length but no body.");
    }
    if (req->headers) {
        if (req->headers->elt_size != (int)sizeof(const char *)) {
            return tk_http_fail(resp, APR_EINVAL,
                                "The request's headers are not strings.");
        }
        for (i = 0; i < req->headers->nelts; ++i) {
            if (!tk_http_header_line(APR_ARRAY_IDX(req->headers, i,
                                                   const char *))) {
                return tk_http_fail(resp, APR_EINVAL,
                                    "A request header is malformed.");
            }
        }
    }
    return APR_SUCCESS;
}

#define TK_SETOPT(h, opt, val) \
    do { \
        CURLcode tk_rc_ = curl_easy_setopt((h), (opt), (val)); \
        if (tk_rc_ != CURLE_OK) { \
            return tk_rc_; \
        } \
    } while (0)

/* Everything but the method and the body: the same for every request. */
static CURLcode tk_http_setup(tk_http_xfer_t *x, const tk_http_req_t *req)
{
    CURL *h = x->curl;

    TK_SETOPT(h, CURLOPT_URL, req->url);
    TK_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    TK_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    TK_SETOPT(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    TK_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500     /* 7.85.0 */
    TK_SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    TK_SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    TK_SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
    TK_SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
    TK_SETOPT(h, CURLOPT_PROXY, "");
    TK_SETOPT(h, CURLOPT_NOPROGRESS, 1L);
    TK_SETOPT(h, CURLOPT_WRITEFUNCTION, tk_http_write_cb);
    TK_SETOPT(h, CURLOPT_WRITEDATA, x);
    TK_SETOPT(h, CURLOPT_HEADERFUNCTION, tk_http_header_cb);
    TK_SETOPT(h, CURLOPT_HEADERDATA, x);
    if (req->max_response > 0) {
        TK_SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_response);
    }
    if (x->headers) {
        TK_SETOPT(h, CURLOPT_HTTPHEADER, x->headers);
    }
    if (req->conns) {
        TK_SETOPT(h, CURLOPT_SHARE, req->conns->share);
    }
    TK_SETOPT(h, CURLOPT_OPENSOCKETFUNCTION, tk_http_open_socket);
    TK_SETOPT(h, CURLOPT_OPENSOCKETDATA, x);
    return CURLE_OK;
}

/* GET and HEAD without a body are curl's own; any other request has a
 * body (an empty one for a bare POST) and, but for POST, a custom
 * method. */
static CURLcode tk_http_method(CURL *h, const tk_http_req_t *req)
{
    const char *body = req->body ? req->body : "";

    if (!req->body && strcmp(req->method, "GET") == 0) {
        TK_SETOPT(h, CURLOPT_HTTPGET, 1L);
        return CURLE_OK;
    }
    if (!req->body && strcmp(req->method, "HEAD") == 0) {
        TK_SETOPT(h, CURLOPT_NOBODY, 1L);
        return CURLE_OK;
    }
    if (req->body || strcmp(req->method, "POST") == 0) {
        TK_SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        TK_SETOPT(h, CURLOPT_POSTFIELDS, body);
    }
    if (strcmp(req->method, "POST") != 0) {
        TK_SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    return CURLE_OK;
}

#undef TK_SETOPT

/* The request's headers, then "Expect:" (no 100-continue round trip). */
static apr_status_t tk_http_headers(tk_http_xfer_t *x, const tk_http_req_t *req)
{
    struct curl_slist *l;
    int i, n = req->headers ? req->headers->nelts : 0;

    for (i = 0; i <= n; ++i) {
        l = curl_slist_append(x->headers, i < n ? APR_ARRAY_IDX(req->headers, i,
                                                                const char *)
                                                : "Expect:");
        if (!l) {
            return APR_ENOMEM;
        }
        x->headers = l;
    }
    return APR_SUCCESS;
}

static apr_status_t tk_http_status(const tk_http_xfer_t *x, CURLcode rc,
                                   tk_http_resp_t *resp)
{
    if (x->req->resolve_only && rc == CURLE_COULDNT_CONNECT
        && x->addrs_seen > 0) {
        return x->refused ? tk_http_fail(resp, APR_EACCES, x->refused)
                          : APR_SUCCESS;
    }
    if ((rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT)
        && x->addrs_refused > 0 && x->addrs_refused == x->addrs_seen) {
        return tk_http_fail(resp, APR_EACCES, x->refused);
    }
    switch (rc) {
    case CURLE_OK:
        return APR_SUCCESS;
    case CURLE_OPERATION_TIMEDOUT:
        return tk_http_fail(resp, APR_TIMEUP, "The request timed out.");
    case CURLE_COULDNT_CONNECT:
        return tk_http_fail(resp, APR_ECONNREFUSED,
                            "The server could not be reached.");
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return tk_http_fail(resp, APR_EHOSTUNREACH,
                            "The server's name did not resolve.");
    case CURLE_FILESIZE_EXCEEDED:
        return tk_http_fail(resp, APR_ENOSPC,
                            "The answer was longer than allowed.");
    case CURLE_WRITE_ERROR:
        if (x->body_over) {
            return tk_http_fail(resp, APR_ENOSPC,
                                "The answer was longer than allowed.");
        }
        if (x->headers_over) {
            return tk_http_fail(resp, APR_ENOSPC,
                                "The answer's headers were too long.");
        }
        return tk_http_fail(resp, APR_EGENERAL,
                            "The answer could not be stored.");
    case CURLE_URL_MALFORMAT:
        return tk_http_fail(resp, APR_EINVAL, "The URL is malformed.");
    case CURLE_UNSUPPORTED_PROTOCOL:
        return tk_http_fail(resp, APR_EINVAL,
                            "The URL's scheme is not http or https.");
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return tk_http_fail(resp, APR_EGENERAL,
                            "The TLS handshake or the server's certificate "
                            "check failed.");
    case CURLE_GOT_NOTHING:
        return tk_http_fail(resp, APR_EGENERAL,
                            "The server closed the connection without an "
                            "answer.");
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        return tk_http_fail(resp, APR_EGENERAL,
                            "The connection broke during the exchange.");
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        return tk_http_fail(resp, APR_EGENERAL,
                            "The server's answer is not valid HTTP.");
    case CURLE_OUT_OF_MEMORY:
        return tk_http_fail(resp, APR_EGENERAL,
                            "The HTTP client ran out of memory.");
    default:
        return tk_http_fail(resp, APR_EGENERAL, "The request failed.");
    }
}

apr_status_t tk_http_perform(apr_pool_t *p, const tk_http_req_t *req,
                             tk_http_resp_t *resp)
{
    tk_http_xfer_t *x;
    apr_status_t rv;
    CURLcode rc;
    long code = 0;

    if (!resp) {
        return APR_EINVAL;
    }
    memset(resp, 0, sizeof(*resp));
    resp->body = "";
    resp->headers = apr_table_make(p, 8);
    if (!req) {
        return tk_http_fail(resp, APR_EINVAL, "There is no request.");
    }
    if ((rv = tk_http_check(req, resp)) != APR_SUCCESS) {
        return rv;
    }

    x = apr_pcalloc(p, sizeof(*x));
    x->pool = p;
    x->req = req;
    /* one byte under the largest size, so that max_response + 1 fits */
    x->max_response = req->max_response < APR_SIZE_MAX ? req->max_response
                                                        : APR_SIZE_MAX - 1;
    x->resp_headers = resp->headers;
    x->curl = curl_easy_init();
    if (!x->curl) {
        return tk_http_fail(resp, APR_EGENERAL,
                            "The HTTP client could not be set up.");
    }
    apr_pool_cleanup_register(p, x, tk_http_xfer_cleanup,
                              apr_pool_cleanup_null);
    if (tk_http_headers(x, req) != APR_SUCCESS
        || tk_http_setup(x, req) != CURLE_OK
        || tk_http_method(x->curl, req) != CURLE_OK) {
        return tk_http_fail(resp, APR_EGENERAL,
                            "The HTTP client could not be set up.");
    }

    rc = curl_easy_perform(x->curl);
    if (curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK
        && code > 0 && code < 1000) {
        resp->status = (int)code;
    }
    if ((rv = tk_http_status(x, rc, resp)) != APR_SUCCESS) {
        apr_table_clear(resp->headers);
        return rv;
    }
    if (x->body) {
        x->body[x->body_len] = '\0';
        resp->body = x->body;
        resp->body_len = x->body_len;
    }
    return APR_SUCCESS;
}

/* ---- Retry-After ------------------------------------------------------- */

double tk_http_retry_after(const char *value, apr_time_t now)
{
    const char *s, *e;
    char date[40];
    apr_time_t when;
    double secs = 0;

    if (!value) {
        return -1;
    }
    /* the field's optional whitespace around the value */
    for (s = value; *s == ' ' || *s == '\t'; ++s) {
    }
    for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); --e) {
    }
    if (s == e) {
        return -1;
    }
    if (strspn(s, "0123456789") == (size_t)(e - s)) {
        for (; s < e && secs <= TK_HTTP_RETRY_AFTER_MAX; ++s) {
            secs = secs * 10 + (*s - '0');
        }
        return secs > TK_HTTP_RETRY_AFTER_MAX ? TK_HTTP_RETRY_AFTER_MAX : secs;
    }
    /* An HTTP-date: IMF-fixdate is 29 characters, RFC 850's longest 33. */
    if ((size_t)(e - s) >= sizeof(date)) {
        return -1;
    }
    memcpy(date, s, (size_t)(e - s));
    date[e - s] = '\0';
    when = apr_date_parse_http(date);
    if (when == APR_DATE_BAD) {
        return -1;
    }
    if (when <= now) {
        return 0;
    }
    secs = (double)(when - now) / APR_USEC_PER_SEC;
    return secs > TK_HTTP_RETRY_AFTER_MAX ? TK_HTTP_RETRY_AFTER_MAX : secs;
}
