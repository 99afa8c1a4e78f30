/* tk_outbound.c: what the jobs that call out over HTTP share (the replies
 * to the platforms, tk_send.c; the webhook deliveries, tk_deliver.c):
 * libcurl set up once per process, each worker thread's open connections,
 * and the rule that a call must end within its job's lease.
 */
#include <stddef.h>
#include "work/tk_work.h"
#include "http/tk_http.h"

tk_http_conns_t *tk_job_conns(tickets_job_t *job, const char *key)
{
    void *conns = NULL;

    if (!job->worker_pool) {
        return NULL;
    }
    apr_pool_userdata_get(&conns, key, job->worker_pool);
    if (!conns && (conns = tk_http_conns_make(job->worker_pool))) {
        apr_pool_userdata_setn(conns, key, NULL, job->worker_pool);
    }
    return conns;
}

server_rec *tk_job_outlasting(server_rec *main, size_t timeout_offset)
{
    server_rec *s;

    for (s = main; s; s = s->next) {
        const tk_srv_conf_t *conf = tk_srv_conf(s);
        int timeout = *(const int *)((const char *)conf + timeout_offset);

        if (conf->job_workers > 0 && timeout >= conf->job_lease) {
            return s;
        }
    }
    return NULL;
}

static int tk_outbound_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                   apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    if (tk_http_global_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "TK00072: libcurl could "
                     "not be initialized");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void tk_outbound_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_outbound_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
