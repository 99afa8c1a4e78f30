/* fuzz_headers.c: the parsers of values taken from request headers and
 * paths: Authorization (Basic, Bearer), Cookie, If-Match, ticket ids,
 * route captures, ISO 8601 dates, the platforms' webhook signature
 * headers (the input as header and as body), and Retry-After from the
 * answers of outbound requests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "crypto/tk_crypto.h"
#include "core/tk_header.h"
#include "core/tk_etag.h"
#include "core/tk_id.h"
#include "core/tk_route.h"
#include "valid/tk_valid.h"
#include "valid/tk_query.h"
#include "valid/tk_valid_tickets.h"
#include "valid/tk_valid_auth.h"
#include "core/tk_utf8.h"
#include "platforms/tk_signature.h"
#include "http/tk_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    const char *s, *user, *pass, *params[TK_ROUTE_MAX_PARAMS];
    tk_ticket_ref_t ref;
    double wait;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    s = apr_pstrmemdup(p, (const char *)data, size);
    if (tk_basic_parse(p, s, &user, &pass) == 0 && (!*user || strchr(user, ':'))) {
        abort();
    }
    (void)tk_bearer_parse(p, s);
    (void)tk_cookie_get(p, s, "tk_session");
    (void)tk_etag_matches(s, 7);
    if (tk_ticket_ref_parse(s, &ref) == 0 && !ref.uuid && ref.number <= 0) {
        abort();
    }
    (void)tk_route_match(p, "/api/tickets/:id/events", s, params);
    (void)tk_iso8601_valid(s);
    (void)tk_sig_facebook(s, data, size, "fuzz-secret");
    (void)tk_sig_discord(s, "1700000000", data, size,
                         "3d4017c3e843895a92b70aa74d1b7ebc"
                         "9c982ccf2ec4968cc0cd55f12af4660c");
    wait = tk_http_retry_after(s, apr_time_from_sec(1700000000));
    if (wait != -1 && !(wait >= 0 && wait <= TK_HTTP_RETRY_AFTER_MAX)) {
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
