/* tk_etag.h: entity tags from row versions.
 *
 * Each ticket row carries a version that every change increments.  Its
 * ETag is "v<version>"; a customer's view omits internal notes, so theirs
 * is "v<version>-c".  If-Match compares the version alone, so either form
 * of a current tag matches.
 */
#ifndef TK_ETAG_H
#define TK_ETAG_H

#include <apr_pools.h>

const char *tk_etag_make(apr_pool_t *p, long version, int customer_view);

/* For an If-Match (or If-None-Match) header: 1 when it lists "*" or a tag
 * of this version, 0 when it does not. */
int tk_etag_matches(const char *header, long version);

#endif
