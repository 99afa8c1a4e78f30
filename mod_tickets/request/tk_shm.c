/* tk_shm.c: shared memory of the host, kept across graceful restarts (see
 * tk_request.h).
 *
 * Old and new children run side by side after a graceful restart, so what
 * every child of the host shares (the revocation log, the job workers'
 * wake word) must belong to no generation: it is made once, in
 * post_config, from a pool that is never cleared, remembered with
 * ap_retained_data_create, and found again by the next generation, as
 * mod_tickets_sse keeps its ring.  Children inherit the mapping.
 */
#include <apr_shm.h>
#include <apr_strings.h>
#include "request/tk_request.h"

typedef struct {
    apr_pool_t *pool;           /* child of the process pool: never cleared */
    apr_shm_t *shm;
    int fresh;                  /* made by this call */
} tk_shm_kept_t;

void *tk_shm_host(server_rec *s, const char *key, apr_size_t size,
                  int *fresh)
{
    tk_shm_kept_t *kept = ap_retained_data_get(key);
    apr_status_t rv;

    *fresh = 0;
    if (!kept) {
        kept = ap_retained_data_create(key, sizeof(*kept));
        memset(kept, 0, sizeof(*kept));
    }
    if (!kept->shm) {
        apr_pool_create(&kept->pool, s->process->pool);
        apr_pool_tag(kept->pool, key);
        rv = apr_shm_create(&kept->shm, size, NULL, kept->pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TK00004: shared "
                         "memory (%s, %" APR_SIZE_T_FMT " bytes) could not be "
                         "created", key, size);
            apr_pool_destroy(kept->pool);
            kept->pool = NULL;
            kept->shm = NULL;
            return NULL;
        }
        memset(apr_shm_baseaddr_get(kept->shm), 0, size);
        *fresh = 1;
    }
    return apr_shm_baseaddr_get(kept->shm);
}
