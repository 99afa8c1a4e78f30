/* tk_context.c: the per-request context, the caller's request id, and the
 * role checks every handler starts with (see tk_request.h). */
#include <apr_strings.h>
#include "request/tk_request.h"
#include "core/tk_status.h"

const char *tk_request_id(request_rec *r)
{
    const char *id;

    while (r->prev) {
        r = r->prev;
    }
    while (r->main) {
        r = r->main;
    }
    if (!r->log_id) {
        /* A request httpd refused while reading it has no id yet: the
         * error log would make one (mod_unique_id's) on its first line. */
        ap_run_generate_log_id(r->connection, r, &r->log_id);
    }
    if (r->log_id) {
        return r->log_id;
    }
    id = apr_table_get(r->subprocess_env, "UNIQUE_ID");
    return id ? id : "-";
}

tk_ctx_t *tk_ctx_get(request_rec *r)
{
    tk_ctx_t *c = ap_get_module_config(r->request_config, &tickets_module);

    if (!c) {
        c = apr_pcalloc(r->pool, sizeof(*c));
        c->r = r;
        c->sconf = tk_srv_conf(r->server);
        c->dconf = tk_dir_conf(r);
        c->request_id = tk_request_id(r);
        ap_set_module_config(r->request_config, &tickets_module, c);
    }
    return c;
}

int tk_is_customer(const tk_ctx_t *c)
{
    return c->who && strcmp(c->who->role, "customer") == 0;
}

int tk_require_staff(tk_ctx_t *c)
{
    if (!tk_role_is_staff(c->who->role)) {
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "Only staff members may do this.");
    }
    return TK_OK;
}

int tk_require_writer(tk_ctx_t *c)
{
    if (!tk_role_can_write(c->who->role)) {
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "Your role may read but not change this.");
    }
    return TK_OK;
}

int tk_require_admin(tk_ctx_t *c)
{
    if (strcmp(c->who->role, "admin") != 0) {
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "Only administrators may do this.");
    }
    return TK_OK;
}
