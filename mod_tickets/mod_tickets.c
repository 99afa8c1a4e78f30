/* mod_tickets.c: the module record and its hooks.
 *
 * mod_tickets serves the helpdesk REST API under `SetHandler tickets`.  At
 * start-up it registers every statement of sql/queries.sql with mod_dbd
 * (before mod_dbd's own post_config, which prepares them on each new
 * connection); each child makes its verified-credential cache and starts
 * the live-event relay (mod_tickets_relay.c); requests go to the router.  Authentication hooks in as `AuthType Tickets`.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include "mod_tickets.h"
#include "tk_queries.h"
#include "mod_tickets_nofile.h"
#include "mod_tickets_sse.h"

#define TK_ERROR_PATH "/api/_error"

#define TK_QUERY(label, sql) { label, sql },
static const tk_query_t tk_queries[] = { TK_QUERY_LIST };
#undef TK_QUERY

const tk_query_t *tk_query_catalogue(int *n)
{
    *n = (int)(sizeof(tk_queries) / sizeof(tk_queries[0]));
    return tk_queries;
}

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *tk_dbd_prepare;

static int tk_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    server_rec *sp;
    size_t i;

    (void)plog; (void)ptemp;
    tk_dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    if (!tk_dbd_prepare) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "TK00002: mod_dbd is not loaded; mod_tickets needs it");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (sp = s; sp; sp = sp->next) {
        tk_srv_conf_finish(sp);
        for (i = 0; i < sizeof(tk_queries) / sizeof(tk_queries[0]); ++i) {
            tk_dbd_prepare(sp, tk_queries[i].sql, tk_queries[i].label);
        }
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "TK00001: %lu statements registered with mod_dbd",
                 (unsigned long)(sizeof(tk_queries) / sizeof(tk_queries[0])));
    if (tk_auth_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return tk_relay_post_config(pconf, s);
}

static int tk_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp)
{
    (void)plog; (void)ptemp;
    tk_relay_pre_config(pconf);
    return OK;
}

static void tk_child_init(apr_pool_t *pchild, server_rec *s)
{
    tk_auth_child_init(pchild, s);
    tk_relay_child_init(pchild, s);
}

/* The API names no file: see mod_tickets_nofile.h. */
#define TK_FILENAME_PREFIX "tickets:"

static int tk_translate_name(request_rec *r)
{
    return tickets_claim_nofile(r, "tickets", TK_FILENAME_PREFIX);
}

static int tk_map_to_storage(request_rec *r)
{
    return tickets_claimed_nofile(r, TK_FILENAME_PREFIX);
}

static int tk_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "tickets") != 0) {
        return DECLINED;
    }
    if (strcmp(r->uri, TK_ERROR_PATH) == 0) {
        return tk_error_document(r);
    }
    return tk_route(tk_ctx_get(r));
}

static void tk_register_hooks(apr_pool_t *p)
{
    static const char *const dbd[] = { "mod_dbd.c", NULL };

    (void)p;
    ap_hook_pre_config(tk_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* statements registered before mod_dbd's post_config prepares them */
    ap_hook_post_config(tk_post_config, NULL, dbd, APR_HOOK_MIDDLE);
    /* child_init after mod_dbd's, so that the relay, stopped by a cleanup
     * registered here, is gone before mod_dbd's connections are */
    ap_hook_child_init(tk_child_init, dbd, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(tk_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_translate_name(tk_translate_name, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(tk_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(tk_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_REGISTER_OPTIONAL_FN(tickets_identify);
    APR_REGISTER_OPTIONAL_FN(tickets_events_read);
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
