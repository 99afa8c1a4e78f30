/* handle_health.c: GET /api/health, 200 when the database answers and 503
 * DB_UNAVAILABLE when it does not (for load balancers and monitors). */
#include "mod_tickets.h"
#include "tk_json.h"
#include "tk_queries.h"

int tk_handle_health(tk_ctx_t *c)
{
    tk_rows_t *rows;
    json_t *doc;

    if (TK_SQL_SELECT(c, TKQ_health, &rows)) {
        return tk_fail(c, TK_E_DB_UNAVAILABLE, NULL,
                       "The database is not answering.");
    }
    doc = tk_json_own(c->r->pool, json_pack("{s:s,s:s}", "status", "ok",
                                            "database", "ok"));
    return tk_send_json(c, HTTP_OK, doc);
}
