/* mod_tickets_nofile.h: requests that name no file, for both modules.
 *
 * The API (handler "tickets") and the event streams (handler
 * "tickets-sse") map to no file, yet core's map_to_storage would walk the
 * directories of DocumentRoot/api/... and stat them on every request.
 * translate_name still sees the <Location> config (map_to_storage runs
 * with it reset), so a module claims its requests there by giving them a
 * filename "<prefix><uri>", and its map_to_storage hook then skips the
 * walks for that prefix, as mod_proxy does.  Static functions in a header
 * because the two modules load independently and share no code at run
 * time.
 */
#ifndef MOD_TICKETS_NOFILE_H
#define MOD_TICKETS_NOFILE_H

#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_core.h>
#include <ap_expr.h>

/* translate_name: OK (claimed) when the <Location> handler is handler. */
static APR_INLINE int tickets_claim_nofile(request_rec *r, const char *handler,
                                           const char *prefix)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *h, *err = NULL;

    if (!d || !d->expr_handler) {
        return DECLINED;
    }
    h = ap_expr_str_exec(r, d->expr_handler, &err);
    if (err || !h || strcmp(h, handler) != 0) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, prefix, r->uri, NULL);
    return OK;
}

/* map_to_storage: OK (no walks) for a request claimed with prefix. */
static APR_INLINE int tickets_claimed_nofile(const request_rec *r,
                                             const char *prefix)
{
    return r->filename && strncmp(r->filename, prefix, strlen(prefix)) == 0
           ? OK : DECLINED;
}

#endif
