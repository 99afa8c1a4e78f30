/* tk_target.h: where an outbound webhook may be sent.
 *
 * A subscription's URL is outside input that makes the module connect
 * somewhere; a careless one reaches what only the host can reach (the
 * cloud's metadata address, the database, the module's own listener).
 * So a URL is parsed strictly (tk_target_parse: http or https, a host
 * that is a DNS name or an IP address written plainly, no credentials,
 * no fragment), every address its host resolves to is classified
 * (tk_addr_class), and tk_target_allowed says whether the pair may be
 * used: public addresses over https always, loopback and private ones
 * (and http, to them only) when the operator allows local receivers,
 * link-local and reserved ones never.  The resolving and the comparison with
 * the module's own listeners are the glue's (work/tk_deliver.c), which
 * judges each address as curl opens a socket to it.
 */
#ifndef TK_TARGET_H
#define TK_TARGET_H

#include <apr_pools.h>
#include <apr_network_io.h>

#define TK_TARGET_URL_MAX 2048

typedef struct {
    int https;                  /* 1: https, 0: http */
    const char *host;           /* lowercased; an IPv6 address unbracketed */
    apr_port_t port;            /* the URL's, or the scheme's */
    int literal;                /* host is an IP address */
} tk_target_t;

/* Parse url into *t (strings from p): 0, or -1 with *why a sentence. */
int tk_target_parse(apr_pool_t *p, const char *url, tk_target_t *t,
                    const char **why);

/* "host:port" of url, for a log line: a path or query may carry the
 * receiver's own token, so no more of a URL is logged. */
const char *tk_target_where(apr_pool_t *p, const char *url);

typedef enum {
    TK_ADDR_PUBLIC = 0,
    TK_ADDR_LOOPBACK,           /* 127/8, ::1 */
    TK_ADDR_PRIVATE,            /* 10/8, 172.16/12, 192.168/16,
                                 * 100.64/10, fc00::/7 */
    TK_ADDR_LINK_LOCAL,         /* 169.254/16, fe80::/10 */
    TK_ADDR_RESERVED            /* unspecified, multicast, broadcast,
                                 * documentation, benchmarking, 240/4,
                                 * 192.0.0/24, NAT64 and the like */
} tk_addr_class_t;

/* The class of an address: family APR_INET (addr 4 bytes) or APR_INET6
 * (16 bytes; an IPv4-mapped one is classed as its IPv4 address). */
tk_addr_class_t tk_addr_class(int family, const unsigned char *addr);
const char *tk_addr_class_name(tk_addr_class_t c);

/* Whether t may be sent to an address of class c: 0, or -1 with *why. */
int tk_target_allowed(const tk_target_t *t, tk_addr_class_t c,
                      int allow_local, const char **why);

#endif
