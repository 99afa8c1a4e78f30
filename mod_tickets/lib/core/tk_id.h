/* tk_id.h: identifiers as clients write them.
 *
 * A ticket in a path may be named by its uuid, its per-organization number
 * ("42") or its key ("TKT-0042", any case).  Parsers here are strict: a
 * string is accepted whole or not at all.
 */
#ifndef TK_ID_H
#define TK_ID_H

#include <apr_pools.h>

/* 1 when s is a canonical 8-4-4-4-12 hexadecimal uuid. */
int tk_uuid_valid(const char *s);

typedef struct {
    const char *uuid;   /* set when named by uuid, else NULL */
    int number;         /* > 0 when named by number or key, else 0 */
} tk_ticket_ref_t;

/* 0 on success, -1 when s names no ticket. */
int tk_ticket_ref_parse(const char *s, tk_ticket_ref_t *ref);

/* Parse decimal digits only, value 0..max.  0 on success, -1 otherwise. */
int tk_parse_uint(const char *s, int max, int *out);

/* Parse decimal digits only, value 0..2^64-1 (a position's xid or id as
 * PostgreSQL writes it).  0 on success, -1 otherwise. */
int tk_parse_u64(const char *s, apr_uint64_t *out);

/* v in decimal, from p. */
const char *tk_u64_text(apr_pool_t *p, apr_uint64_t v);

#endif
