/* tk_target.c: outbound webhook URLs parsed and their addresses judged
 * (see tk_target.h). */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <apr_lib.h>
#include "http/tk_target.h"

/* ---------------------------------------------------------------------
 * The URL
 * ------------------------------------------------------------------- */

/* Printable ASCII only: no spaces, controls or bytes a URL must escape. */
static int tk_url_chars_ok(const char *url)
{
    const unsigned char *s;

    for (s = (const unsigned char *)url; *s; ++s) {
        if (*s <= 0x20 || *s >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* A DNS name: labels of letters, digits and '-' (not at either end), at
 * most 63 each and 253 in all, with or without the root's dot; the last
 * label not all digits (that would be an IPv4 address in a form inet_pton
 * refuses, as "127.1"). */
static int tk_dns_name_ok(const char *host)
{
    size_t len = strlen(host), label = 0, i;
    int digits_only = 1;

    if (len > 0 && host[len - 1] == '.') {
        --len;
    }
    if (len == 0 || len > 253) {
        return 0;
    }
    for (i = 0; i <= len; ++i) {
        char ch = i < len ? host[i] : '.';

        if (ch == '.') {
            if (label == 0 || host[i - 1] == '-') {
                return 0;
            }
            label = 0;
            digits_only = i < len ? 1 : digits_only;
            continue;
        }
        if ((!apr_isalnum(ch) && ch != '-') || (ch == '-' && label == 0)
            || ++label > 63) {
            return 0;
        }
        if (!apr_isdigit(ch)) {
            digits_only = 0;
        }
    }
    return !digits_only;
}

static int tk_refuse_why(const char **why, const char *sentence)
{
    *why = sentence;
    return -1;
}

int tk_target_parse(apr_pool_t *p, const char *url, tk_target_t *t,
                    const char **why)
{
    unsigned char addr[16];
    apr_uri_t uri;
    char *host, *d;

    memset(t, 0, sizeof(*t));
    if (!url || !*url) {
        return tk_refuse_why(why, "The URL is empty.");
    }
    if (strlen(url) > TK_TARGET_URL_MAX) {
        return tk_refuse_why(why, "The URL is longer than 2048 characters.");
    }
    if (!tk_url_chars_ok(url)) {
        return tk_refuse_why(why, "The URL has spaces, control characters or "
                            "characters that must be percent-encoded.");
    }
    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS || !uri.scheme) {
        return tk_refuse_why(why, "The URL is malformed.");
    }
    if (strcasecmp(uri.scheme, "https") == 0) {
        t->https = 1;
    }
    else if (strcasecmp(uri.scheme, "http") != 0) {
        return tk_refuse_why(why, "The URL must be https (or http where local "
                            "receivers are allowed).");
    }
    if (!uri.hostname || !*uri.hostname) {
        return tk_refuse_why(why, "The URL has no host.");
    }
    if (uri.user || uri.password) {
        return tk_refuse_why(why, "The URL must not carry a user name or "
                            "password; the signature authenticates the "
                            "delivery.");
    }
    if (uri.fragment) {
        return tk_refuse_why(why, "The URL must not have a fragment (#...).");
    }
    if (uri.port_str && *uri.port_str) {
        for (d = uri.port_str; *d; ++d) {
            if (!apr_isdigit(*d)) {
                return tk_refuse_why(why, "The URL's port is not a number.");
            }
        }
        if (strlen(uri.port_str) > 5 || atoi(uri.port_str) < 1
            || atoi(uri.port_str) > 65535) {
            return tk_refuse_why(why, "The URL's port is out of range.");
        }
        t->port = uri.port;
    }
    else if (uri.port_str) {
        return tk_refuse_why(why, "The URL's port is empty.");
    }
    else {
        t->port = t->https ? 443 : 80;
    }
    host = apr_pstrdup(p, uri.hostname);
    for (d = host; *d; ++d) {
        *d = (char)apr_tolower(*d);
    }
    if (inet_pton(AF_INET, host, addr) == 1
        || inet_pton(AF_INET6, host, addr) == 1) {
        t->literal = 1;
    }
    else if (strchr(host, ':') || !tk_dns_name_ok(host)) {
        return tk_refuse_why(why, "The URL's host is neither a DNS name nor an IP "
                            "address.");
    }
    t->host = host;
    return 0;
}

const char *tk_target_where(apr_pool_t *p, const char *url)
{
    tk_target_t t;
    const char *why;

    if (tk_target_parse(p, url, &t, &why) != 0) {
        return "an unparsable URL";
    }
    return apr_psprintf(p, strchr(t.host, ':') ? "[%s]:%u" : "%s:%u", t.host,
                        (unsigned)t.port);
}

/* ---------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------- */

static tk_addr_class_t tk_v4_class(const unsigned char *a)
{
    if (a[0] == 127) {
        return TK_ADDR_LOOPBACK;
    }
    if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16)
        || (a[0] == 192 && a[1] == 168)
        || (a[0] == 100 && (a[1] & 0xc0) == 64)) {
        return TK_ADDR_PRIVATE;
    }
    if (a[0] == 169 && a[1] == 254) {
        return TK_ADDR_LINK_LOCAL;
    }
    if (a[0] == 0 || a[0] >= 224                    /* this net, 224/4, 240/4 */
        || (a[0] == 192 && a[1] == 0 && a[2] == 0)  /* 192.0.0/24 */
        || (a[0] == 192 && a[1] == 0 && a[2] == 2)  /* TEST-NET-1 */
        || (a[0] == 198 && (a[1] & 0xfe) == 18)     /* 198.18/15 */
        || (a[0] == 198 && a[1] == 51 && a[2] == 100)
        || (a[0] == 203 && a[1] == 0 && a[2] == 113)
        || (a[0] == 192 && a[1] == 88 && a[2] == 99)) {
        return TK_ADDR_RESERVED;
    }
    return TK_ADDR_PUBLIC;
}

static int tk_all_zero(const unsigned char *a, int n)
{
    int i;

    for (i = 0; i < n; ++i) {
        if (a[i]) {
            return 0;
        }
    }
    return 1;
}

static tk_addr_class_t tk_v6_class(const unsigned char *a)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                              0xff, 0xff };

    if (memcmp(a, mapped, 12) == 0) {
        return tk_v4_class(a + 12);
    }
    if (tk_all_zero(a, 15)) {
        return a[15] == 1 ? TK_ADDR_LOOPBACK : TK_ADDR_RESERVED; /* ::1, :: */
    }
    if ((a[0] & 0xfe) == 0xfc) {
        return TK_ADDR_PRIVATE;                     /* fc00::/7 */
    }
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
        return TK_ADDR_LINK_LOCAL;                  /* fe80::/10 */
    }
    if (a[0] == 0xff                                /* multicast */
        || (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)  /* fec0::/10, old site */
        || tk_all_zero(a, 12)                       /* ::a.b.c.d, old */
        || (tk_all_zero(a, 8) && a[8] == 0xff && a[9] == 0xff
            && a[10] == 0 && a[11] == 0)            /* ::ffff:0:0/96 */
        || (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
        || (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] == 0x02
            && a[4] == 0 && a[5] == 0)              /* 2001:2::/48 benchmarking */
        || (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00
            && (a[3] & 0xf0) == 0x20)               /* 2001:20::/28 ORCHIDv2 */
        || (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0) /* 3fff::/20 */
        || (a[0] == 0x5f && a[1] == 0x00)           /* 5f00::/16 SRv6 */
        || (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b)
        || (a[0] == 0x01 && tk_all_zero(a + 1, 7))  /* 100::/64 discard */
        || (a[0] == 0x20 && a[1] == 0x02)           /* 6to4 */
        || (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0)) {
        return TK_ADDR_RESERVED;                    /* Teredo, the rest */
    }
    return TK_ADDR_PUBLIC;
}

tk_addr_class_t tk_addr_class(int family, const unsigned char *addr)
{
    return family == APR_INET ? tk_v4_class(addr) : tk_v6_class(addr);
}

const char *tk_addr_class_name(tk_addr_class_t c)
{
    switch (c) {
    case TK_ADDR_PUBLIC:        return "public";
    case TK_ADDR_LOOPBACK:      return "loopback";
    case TK_ADDR_PRIVATE:       return "private";
    case TK_ADDR_LINK_LOCAL:    return "link-local";
    default:                    return "reserved";
    }
}

int tk_target_allowed(const tk_target_t *t, tk_addr_class_t c,
                      int allow_local, const char **why)
{
    switch (c) {
    case TK_ADDR_PUBLIC:
        if (!t->https) {
            return tk_refuse_why(why, "The URL must be https: only a local "
                                "receiver may take plain http.");
        }
        return 0;
    case TK_ADDR_LOOPBACK:
    case TK_ADDR_PRIVATE:
        if (!allow_local) {
            return tk_refuse_why(why, "The URL's host is a loopback or private "
                                "address, which this server does not send "
                                "webhooks to.");
        }
        return 0;
    case TK_ADDR_LINK_LOCAL:
        return tk_refuse_why(why, "The URL's host is a link-local address (as "
                            "a cloud's metadata service), which no webhook is "
                            "sent to.");
    default:
        return tk_refuse_why(why, "The URL's host is a reserved address (this "
                            "network, multicast, documentation or the "
                            "like), which no webhook is sent to.");
    }
}
