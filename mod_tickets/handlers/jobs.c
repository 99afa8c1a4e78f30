/* jobs.c: GET /api/jobs/stats, the organization's background jobs by kind
 * and state (admins only).  The host's jobs, every organization's and its
 * own (the purges), are on mod_status (work/tk_jobs.c). */
#include "handlers/tk_handlers.h"
#include "work/tk_work.h"

int tk_handle_jobs_stats(tk_ctx_t *c)
{
    json_t *figures;

    if (tk_require_admin(c) || !(figures = tk_jobs_stats(c))) {
        return TK_FAIL;
    }
    return tk_send_data(c, HTTP_OK, figures, NULL);
}
