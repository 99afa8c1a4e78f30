/* sse_status.h: the module's figures, for operators and for an
 * organization's admins.
 *
 *   sse_figures       the host's: every stream, every event (mod_status)
 *   sse_org_figures   one organization's: its streams and users streaming
 *                     (GET /api/events/stats), nothing of another
 */
#ifndef SSE_STATUS_H
#define SSE_STATUS_H

#include <jansson.h>
#include "stream/sse_stream.h"

/* The host's figures as a JSON object (the caller owns it), or NULL when
 * the shared segment is not there; p for text values. */
json_t *sse_figures(apr_pool_t *p);
/* The figures of organization org (the caller owns it), or NULL. */
json_t *sse_org_figures(const char *org);

/* The mod_status section. */
void sse_status_register_hooks(apr_pool_t *p);

#endif
