/* mod_tickets_sse.h: what mod_tickets and mod_tickets_sse offer each other.
 *
 * The two modules never link against each other: each exports APR
 * optional functions, retrieved by the other when needed, so either module
 * loads and works without the other.
 *
 *   tickets_sse_publish   (exported by mod_tickets_sse)  append an event,
 *                         with its position in the event log, to the
 *                         shared ring; every stream of every child sees it.
 *                         mod_tickets' relay calls it for each committed
 *                         event, in position order.
 *   tickets_sse_position  (exported by mod_tickets_sse)  the position of
 *                         the last event in the ring: where the relay goes
 *                         on from.
 *   tickets_identify      (exported by mod_tickets)  who is calling, as the
 *                         REST API's authentication found them; the stream
 *                         handler uses it to decide what a stream may see.
 *   tickets_events_read   (exported by mod_tickets)  events of the log
 *                         (PostgreSQL) after a position: how a stream
 *                         catches up when the ring has moved past it.
 *
 * A position is two numbers, the writing transaction and the row (see
 * sql/migrations/004_stream_events.sql); it is also the event's id on the
 * wire ("X-N", sse_event.h).
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
    char credential[24];        /* what authenticated the caller, when it
                                 * can be revoked: "s:<16 hex>" for a
                                 * session cookie, "t:<16 hex>" for an API
                                 * token (the start of its SHA-256), else
                                 * "".  A credential_revoked event naming
                                 * it ends the caller's streams. */
} tickets_identity_t;

/* Encode rec and append it to the ring at position pos; written is when
 * its transaction wrote it (for the relay-lag figures; 0: unknown).
 * APR_SUCCESS;
 * APR_EEXIST when the ring already holds pos or a later position (another
 * feeder appended it: nothing to do); APR_EINVAL when rec is not a valid
 * record (sse_record_encode refused it), APR_ENOSPC when it can never fit
 * the ring, APR_EGENERAL when the ring is not available. */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_sse_publish,
                        (const sse_record_t *rec, const apr_uint64_t pos[2],
                         apr_time_t written));

/* The position of the last event appended to the ring ({0, 0} when none
 * ever was).  APR_EGENERAL when the ring is not available. */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_sse_position,
                        (apr_uint64_t pos[2]));

/* One event of the log, as tickets_events_read returns it. */
typedef struct {
    apr_uint64_t pos[2];        /* its position, the event id */
    apr_time_t written;         /* when its transaction wrote it */
    int ready;                  /* 0: an earlier event may still commit;
                                 * this one and every later one must be
                                 * read again later */
    sse_record_t rec;           /* rec.data is NULL (and data_len 0) for an
                                 * event of another organization than the
                                 * one asked for */
} tickets_event_t;

/* Resolve who is calling r.  OK with *out filled; otherwise an HTTP
 * status (401 anonymous, 403, 503 database unavailable, 500), with
 * nothing written to the client and r->notes "tickets-error-code" and
 * "tickets-error-message" set for the /api error document. */
APR_DECLARE_OPTIONAL_FN(int, tickets_identify,
                        (request_rec *r, tickets_identity_t *out));

/* Up to n events after position pos, in order, for r (the connection is
 * given back before returning); org: only that organization's events
 * carry their contents.  With check set, first make sure pos itself is
 * still in the log.  APR_SUCCESS with *events (tickets_event_t, from
 * r->pool; fewer than n when the log ends there); APR_NOTFOUND when
 * check is set and pos is not in the log (purged, or never an event);
 * APR_EGENERAL when the database failed (logged). */
APR_DECLARE_OPTIONAL_FN(apr_status_t, tickets_events_read,
                        (request_rec *r, const apr_uint64_t pos[2], int check,
                         const char *org, int n,
                         apr_array_header_t **events));

/* The implementations, for the module that registers each one with
 * APR_REGISTER_OPTIONAL_FN; every other caller goes through
 * APR_RETRIEVE_OPTIONAL_FN and must cope with NULL. */
apr_status_t tickets_sse_publish(const sse_record_t *rec,
                                 const apr_uint64_t pos[2],
                                 apr_time_t written);
apr_status_t tickets_sse_position(apr_uint64_t pos[2]);
int tickets_identify(request_rec *r, tickets_identity_t *out);
apr_status_t tickets_events_read(request_rec *r, const apr_uint64_t pos[2],
                                 int check, const char *org, int n,
                                 apr_array_header_t **events);

#endif
