/* tk_route.h: matching request paths against route patterns.
 *
 * A pattern is a path whose segments are literal or ":name"; a ":name"
 * segment matches one non-empty segment and is captured.  Matching is
 * exact: no prefixes, no trailing slash.
 */
#ifndef TK_ROUTE_H
#define TK_ROUTE_H

#include <apr_pools.h>

#define TK_ROUTE_MAX_PARAMS 4

/* Number of captured segments (0..TK_ROUTE_MAX_PARAMS) when path matches
 * pattern, -1 otherwise.  path is already percent-decoded (httpd's
 * r->uri), so captures are copied into p as they are: decoding again would
 * let "%2541" smuggle a different value past httpd's own checks. */
int tk_route_match(apr_pool_t *p, const char *pattern, const char *path,
                   const char **params);

#endif
