/* health.c: GET /api/health, 200 when the database answers and 503
 * DB_UNAVAILABLE when it does not (for load balancers and monitors). */
#include "handlers/tk_handlers.h"
#include "core/tk_json.h"
#include "tk_queries.h"

int tk_handle_health(tk_ctx_t *c)
{
    tk_rows_t *rows;
    json_t *doc;

    if (TK_SQL_SELECT(c, health, &rows)) {
        return tk_fail(c, TK_E_DB_UNAVAILABLE, NULL,
                       "The database is not answering.");
    }
    doc = tk_json_own(c->r->pool, json_pack("{s:s,s:s}", "status", "ok",
                                            "database", "ok"));
    return tk_send_json(c, HTTP_OK, doc);
}
