/* mod_tickets.c: the module record, and the list of areas that hook in.
 *
 * mod_tickets serves the helpdesk REST API under `SetHandler tickets`
 * (the areas of the glue, and where each endpoint is, are drawn in
 * docs/layout.md).  Each area registers its own hooks:
 *
 *   config    defaults applied in post_config
 *   request   the error filter for httpd's own refusals
 *   events    tickets_events_read, for mod_tickets_sse
 *   auth      AuthType Tickets, the credential cache, the revocation log,
 *             tickets_identify
 *   work      the worker facility, the relay, the job queue, the purges
 *   handlers  the router and its handler hook
 *
 * and post_config here registers every statement of sql/queries.sql with
 * mod_dbd (before mod_dbd's own post_config, which prepares them on each
 * new connection).
 */
#include "tk_glue.h"
#include "config/tk_config.h"
#include "request/tk_request.h"
#include "events/tk_events.h"
#include "auth/tk_auth.h"
#include "work/tk_work.h"
#include "ai/tk_ai.h"
#include "handlers/tk_handlers.h"

static int tk_prepare_statements(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    const tk_query_t *q;
    server_rec *sp;
    int i, n;

    (void)pconf; (void)plog; (void)ptemp;
    if (!prepare) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "TK00002: mod_dbd is not loaded; mod_tickets needs it");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    q = tk_query_catalogue(&n);
    for (sp = s; sp; sp = sp->next) {
        for (i = 0; i < n; ++i) {
            prepare(sp, q[i].sql, q[i].label);
        }
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "TK00001: %d statements registered with mod_dbd", n);
    return OK;
}

static void tk_register_hooks(apr_pool_t *p)
{
    static const char *const dbd[] = { "mod_dbd.c", NULL };

    /* statements registered before mod_dbd's post_config prepares them */
    ap_hook_post_config(tk_prepare_statements, NULL, dbd, APR_HOOK_MIDDLE);
    tk_config_register_hooks(p);
    tk_reply_register_hooks(p);
    tk_limit_register_hooks(p);
    tk_events_register_hooks(p);
    tk_auth_register_hooks(p);
    tk_worker_register_hooks(p);
    tk_relay_register_hooks(p);
    tk_jobs_register_hooks(p);
    tk_purge_register_hooks(p);
    tk_outbound_register_hooks(p);
    tk_send_register_hooks(p);
    tk_deliver_register_hooks(p);
    tk_ai_register_hooks(p);
    tk_copilot_register_hooks(p);
    tk_customer_chat_register_hooks(p);
    tk_handlers_register_hooks(p);
}

module AP_MODULE_DECLARE_DATA tickets_module = {
    STANDARD20_MODULE_STUFF,
    tk_create_dir_conf,
    tk_merge_dir_conf,
    tk_create_srv_conf,
    tk_merge_srv_conf,
    tk_cmds,
    tk_register_hooks,
    AP_MODULE_FLAG_ALWAYS_MERGE
};
