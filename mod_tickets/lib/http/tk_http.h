/* tk_http.h: outbound HTTP on libcurl, for the chat platforms' send APIs
 * webhook subscribers (and, later, the LLM provider).
 *
 * One call, one request, one answer, on the caller's thread.  The curl
 * handle and its header list belong to the pool given (a cleanup frees
 * them), as mod_md's md_curl.c does.  Every request has a connect and a
 * total timeout, a cap on the answer's size, no redirects, and TLS
 * verification on.  A CURLcode becomes an apr_status_t and a sentence of
 * our own: no URL (Facebook's carries the access token), header or body
 * ever goes into an error or a log line.
 */
#ifndef TK_HTTP_H
#define TK_HTTP_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_errno.h>
#include <apr_network_io.h>
#include <apr_time.h>

/* Connections kept open between requests, and the names they resolved:
 * curl's connection and DNS caches in a share, for the requests of one
 * thread at a time (a job worker's).  A send to a platform then costs no
 * new TCP and TLS handshake while the platform keeps the connection
 * alive. */
typedef struct tk_http_conns_t tk_http_conns_t;

/* A share owned by p (freed with it, after the requests that used it);
 * NULL when curl cannot make one. */
tk_http_conns_t *tk_http_conns_make(apr_pool_t *p);

/* Judges an address a request is about to connect to (family APR_INET or
 * APR_INET6, its 4 or 16 bytes, the port): 0 lets the connection be
 * made, -1 refuses it with a sentence in *why. */
typedef int tk_http_addr_check_fn(void *baton, int family,
                                  const unsigned char *addr, unsigned port,
                                  const char **why);

typedef struct {
    const char *method;             /* "GET", "POST", ... */
    const char *url;
    /* Request headers, "Name: value" (const char *); NULL: none. */
    const apr_array_header_t *headers;
    const char *body;               /* NULL: none */
    apr_size_t body_len;
    long connect_timeout_ms;        /* > 0 */
    long timeout_ms;                /* > 0: the whole exchange */
    apr_size_t max_response;        /* bytes of body kept at most */
    tk_http_conns_t *conns;         /* NULL: a connection of its own,
                                     * closed after */
    /* Called for every address a new connection would be made to, as the
     * socket is opened (CURLOPT_OPENSOCKETFUNCTION): what is judged is
     * what is connected to, whatever the name resolved to a moment
     * before.  NULL: any address.  A connection kept in conns was judged
     * when it was made, by the judge of the request that made it: the
     * requests that share conns must share their judge too. */
    tk_http_addr_check_fn *addr_check;
    void *addr_baton;
    /* Non-zero: resolve the URL's host and judge every address curl
     * offers (each refused socket makes it offer the next), but connect
     * to none and send nothing. */
    int resolve_only;
} tk_http_req_t;

typedef struct {
    int status;                     /* HTTP status; 0 when none came */
    apr_table_t *headers;           /* the answer's headers */
    const char *body;               /* NUL-terminated, body_len bytes */
    apr_size_t body_len;
    const char *error;              /* when the call failed: a sentence */
} tk_http_resp_t;

/* Once per process, before any thread sends (curl_global_init). */
apr_status_t tk_http_global_init(void);

/* Send req and read the answer into *resp (allocated in p):
 *   APR_SUCCESS      an answer came, whatever its status
 *   APR_TIMEUP       the connect or total timeout ran out
 *   APR_ECONNREFUSED the peer could not be reached
 *   APR_EHOSTUNREACH its name did not resolve
 *   APR_EACCES       addr_check refused every address offered (with
 *                    resolve_only: any); resp->error is the first why.  An
 *                    address refused beside one that could not be reached
 *                    is that failure, not this one
 *   APR_ENOSPC       the answer was longer than max_response
 *   APR_EINVAL       req is malformed (no URL, a bad timeout)
 *   APR_EGENERAL     anything else (TLS, protocol)
 * resp->error is set for every failure.  With resolve_only, APR_SUCCESS
 * means the host resolved and addr_check let every address pass. */
apr_status_t tk_http_perform(apr_pool_t *p, const tk_http_req_t *req,
                             tk_http_resp_t *resp);

/* Retry-After (RFC 9110 10.2.3) as seconds from now: delay-seconds, or an
 * HTTP-date; -1 when absent or malformed; 0 for a date in the past.
 * Whitespace around the value is ignored; a longer wait than
 * TK_HTTP_RETRY_AFTER_MAX comes back as TK_HTTP_RETRY_AFTER_MAX. */
#define TK_HTTP_RETRY_AFTER_MAX 86400.0
double tk_http_retry_after(const char *value, apr_time_t now);

#endif
