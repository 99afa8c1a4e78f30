/* mod_tickets_sse.c: the module record, and the list of areas that hook in.
 *
 * mod_tickets_sse serves live event streams (text/event-stream) under
 * `SetHandler tickets-sse` (docs/realtime.md; the areas are drawn in
 * docs/layout.md).  Each area registers its own hooks:
 *
 *   config    defaults applied in post_config
 *   shm       the shared segment (counters, streams per user, the ring),
 *             tickets_sse_publish and tickets_sse_position
 *   stream    the stream limits, and each child's event loop
 *   status    the mod_status section
 *   handlers  /api/events/stream, /api/sse/tickets, /api/events/stats
 *
 * The requests of its <Location>s name no file: mod_tickets claims them
 * (handlers/tk_router.c), so core does not walk the document root.
 */
#include <http_core.h>
#include "sse_glue.h"
#include "config/sse_config.h"
#include "shm/sse_segment.h"
#include "stream/sse_stream.h"
#include "status/sse_status.h"
#include "handlers/sse_handlers.h"

static int sse_check_tickets(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG
        && !APR_RETRIEVE_OPTIONAL_FN(tickets_identify)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "TK10006: mod_tickets "
                     "is not loaded: event streams will answer 500");
    }
    return OK;
}

static void sse_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(sse_check_tickets, NULL, NULL, APR_HOOK_MIDDLE);
    sse_config_register_hooks(p);
    sse_segment_register_hooks(p);
    sse_admit_register_hooks(p);
    sse_loop_register_hooks(p);
    sse_status_register_hooks(p);
    sse_handlers_register_hooks(p);
}

module AP_MODULE_DECLARE_DATA tickets_sse_module = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    sse_create_srv_conf,
    sse_merge_srv_conf,
    sse_cmds,
    sse_register_hooks,
    AP_MODULE_FLAG_NONE
};
