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

/* For an If-Match header: 1 when it lists "*" or a tag of this version
 * (either view), 0 when it does not. */
int tk_etag_matches(const char *header, long version);

/* For an If-None-Match header: 1 when it lists "*" or exactly etag (a W/
 * prefix is ignored: weak comparison), 0 when it does not. */
int tk_etag_list_has(const char *header, const char *etag);

#endif
