/* fuzz_target.c: a webhook subscription's URL through the strict parser
 * (tk_target.c), and the input's bytes as addresses to class.  A refused
 * URL always says why; a parsed one has a host that is lowercase, holds
 * only what a DNS name or an IP address may, and a port in range; every
 * address has a class with a name, and every class an answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "http/tk_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tk_check_host(const tk_target_t *t)
{
    const char *s;

    if (!t->host || !*t->host || t->port == 0) {
        abort();
    }
    for (s = t->host; *s; ++s) {
        if (apr_isupper(*s)
            || !(apr_isalnum(*s) || *s == '.' || *s == '-' || *s == ':'
                 || (*s == '%' && t->literal))) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    tk_target_t t;
    const char *why = NULL;
    unsigned char addr[16] = { 0 };
    tk_addr_class_t c;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    if (tk_target_parse(p, apr_pstrmemdup(p, (const char *)data, size), &t,
                        &why) == 0) {
        tk_check_host(&t);
    }
    else if (!why) {
        abort();
    }
    memcpy(addr, data, size < 16 ? size : 16);
    c = tk_addr_class(size % 2 ? APR_INET : APR_INET6, addr);
    if (!tk_addr_class_name(c)) {
        abort();
    }
    why = NULL;
    t.https = (int)(size & 1);
    if (tk_target_allowed(&t, c, (int)(size & 2), &why) != 0 && !why) {
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
