/* sse_filter.h: who may see an event, and which events a stream asked for.
 *
 * Two separate questions, asked of every record a stream reads:
 *
 *   sse_visible(viewer, rec)   may this user see it at all?  (SPEC §9:
 *                              only the own organization; a customer only
 *                              events naming them in the audience, never
 *                              staff-only ones such as internal notes;
 *                              a private event, as an agent's chat with
 *                              the assistant, only the users it names,
 *                              staff included)
 *   sse_wanted(filter, rec)    did this stream ask for it?  (the `types`,
 *                              `ticket` and `conversation` query parameters,
 *                              and the ticket-only stream /api/sse/tickets)
 *
 * A stream sends an event only when both say yes; otherwise it sends only
 * the id, so the client's Last-Event-ID still moves past it.
 */
#ifndef SSE_FILTER_H
#define SSE_FILTER_H

#include <apr_pools.h>
#include "sse_record.h"

/* The event types a stream may ask for (SPEC §9), in this order: bit i of
 * sse_filter_t.types stands for sse_filter_types[i]. */
#define SSE_FILTER_NTYPES 13
extern const char *const sse_filter_types[SSE_FILTER_NTYPES];

/* The user holding a stream, as authentication found them. */
typedef struct {
    const char *org;            /* organization uuid */
    const char *user;           /* user uuid */
    const char *role;           /* "admin", "agent", "viewer" or "customer";
                                 * anything else sees nothing */
} sse_viewer_t;

typedef struct {
    unsigned types;             /* bit i: sse_filter_types[i]; 0: any type */
    const char *ticket;         /* lowercase uuid, or NULL: any */
    const char *conversation;   /* lowercase uuid, or NULL: any */
    int tickets_only;           /* only types starting with "ticket_" (the
                                 * /api/sse/tickets stream); the caller sets
                                 * it after parsing */
} sse_filter_t;

/* Index of type in sse_filter_types, or -1. */
int sse_filter_type_index(const char *type);

/* Parse a stream's query parameters (each NULL when absent) into out:
 * types is a comma-separated list of known event types, without empty
 * items or duplicates; ticket and conversation are uuids (any case; kept
 * lowercased).  0 on success; -1 with *error (may be NULL) set to a
 * sentence naming the parameter and the refused value, from p. */
int sse_filter_parse(apr_pool_t *p, const char *types, const char *ticket,
                     const char *conversation, sse_filter_t *out,
                     const char **error);

/* 1 when viewer may see rec (never a revocation, SSE_REVOKED_TYPE). */
int sse_visible(const sse_viewer_t *viewer, const sse_record_t *rec);

/* 1 when the stream filtered by f asked for rec. */
int sse_wanted(const sse_filter_t *f, const sse_record_t *rec);

/* The event type that revokes credentials: never sent to any client; its
 * data is exactly {"credential":"<name>"} (one session or token) or
 * {"user":"<uuid>"} (every credential of a user whose account changed),
 * in compact JSON. */
#define SSE_REVOKED_TYPE "credential_revoked"

/* 1 when rec revokes the credential (a session's or token's name, see
 * tickets_identity_t) that opened a stream of viewer, or names the viewer
 * themself: the stream ends.  An empty credential (Basic, SSO) is revoked
 * only through the user. */
int sse_revokes(const sse_viewer_t *viewer, const char *credential,
                const sse_record_t *rec);

#endif
