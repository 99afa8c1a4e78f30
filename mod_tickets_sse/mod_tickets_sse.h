/* mod_tickets_sse.h: what mod_tickets and mod_tickets_sse offer each other.
 *
 * The two modules never link against each other: each exports one APR
 * optional function, retrieved by the other in post_config, so either
 * module loads and works without the other.
 *
 *   tickets_sse_publish   (exported by mod_tickets_sse)  append an event to
 *                         the shared ring; every stream of every child sees
 *                         it.  mod_tickets calls it after a commit.
 *   tickets_identify      (exported by mod_tickets)  who is calling, as the
 *                         REST API's authentication found them; the stream
 *                         handler uses it to decide what a stream may see.
 */
#ifndef MOD_TICKETS_SSE_H
#define MOD_TICKETS_SSE_H

#include <httpd.h>
#include <apr_optional.h>
#include "sse_record.h"

/* The caller of a request, as mod_tickets resolved them (NUL-terminated
 * copies, so they outlive nothing but the struct). */
typedef struct {
    char org[40];               /* organization uuid */
    char user[40];              /* user uuid */
    char role[16];              /* "admin", "agent", "viewer", "customer" */
} tickets_identity_t;

/* Encode rec and append it to the ring.  APR_SUCCESS with *id (may be
 * NULL) set to the event's id (its ring sequence number); APR_EINVAL when
 * rec is not a valid record (sse_record_encode refused it), APR_ENOSPC
 * when it can never fit the ring, APR_EGENERAL when the ring is not
 * available. */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_sse_publish,
                        (const sse_record_t *rec, apr_uint64_t *id));

/* Resolve who is calling r.  OK with *out filled; otherwise an HTTP
 * status (401 anonymous, 403, 503 database unavailable, 500), with
 * nothing written to the client and r->notes "tickets-error-code" and
 * "tickets-error-message" set for the /api error document. */
APR_DECLARE_OPTIONAL_FN(int, tickets_identify,
                        (request_rec *r, tickets_identity_t *out));

/* The implementations, for the module that registers each one with
 * APR_REGISTER_OPTIONAL_FN; every other caller goes through
 * APR_RETRIEVE_OPTIONAL_FN and must cope with NULL. */
apr_status_t tickets_sse_publish(const sse_record_t *rec, apr_uint64_t *id);
int tickets_identify(request_rec *r, tickets_identity_t *out);

#endif
