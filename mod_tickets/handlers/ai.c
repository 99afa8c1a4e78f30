/* ai.c: /api/ai, what the organization's AI use costs (docs/ai.md).
 *
 *   GET /api/ai/usage?month=YYYY-MM   the ledger of one month (UTC; this
 *                                     month by default): calls, cached
 *                                     calls, errors and tokens, in all and
 *                                     by purpose, model and user, and the
 *                                     budget
 *   GET /api/ai/budget                {monthlyTokens, usedThisMonth}
 *   PUT /api/ai/budget                {monthlyTokens: n | null}
 *
 * Admins only.  A budget is checked before every call to the provider:
 * once this month's tokens reach it, AI features answer 429
 * AI_BUDGET_EXCEEDED until the month ends or an admin raises it.
 */
#include <apr_strings.h>
#include <apr_lib.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "ai/tk_ai.h"
#include "core/tk_json.h"
#include "valid/tk_valid.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

#define TK_BUDGET_MAX 1000000000000LL   /* tokens a month at most */

int tk_ai_ready(tk_ctx_t *c)
{
    const char *why;

    if (!tk_ai_configured()) {
        return tk_fail(c, TK_E_AI_UNAVAILABLE, NULL, "No AI provider is "
                       "configured on this server.");
    }
    if (!tk_db(c)) {
        return TK_FAIL;
    }
    switch (tk_ai_budget_ok(c->r->pool, c->db, c->who->org_id, &why)) {
    case 0:
        return TK_OK;
    case -1:
        return tk_fail(c, TK_E_AI_BUDGET_EXCEEDED, NULL, why);
    default:
        return tk_fail(c, TK_E_DB_UNAVAILABLE, NULL, why);
    }
}

/* ?month=YYYY-MM, or this month (UTC). */
static int tk_usage_month(tk_ctx_t *c, const char **month)
{
    static const char *const params[] = { "month", NULL };
    const char *m;
    apr_time_exp_t now;

    if (tk_query_only(c->query, params, &c->err)) {
        return TK_FAIL;
    }
    if (!(m = apr_table_get(c->query, "month"))) {
        apr_time_exp_gmt(&now, apr_time_now());
        *month = apr_psprintf(c->r->pool, "%04d-%02d", now.tm_year + 1900,
                              now.tm_mon + 1);
        return TK_OK;
    }
    if (strlen(m) != 7 || !apr_isdigit(m[0]) || !apr_isdigit(m[1])
        || !apr_isdigit(m[2]) || !apr_isdigit(m[3]) || m[4] != '-'
        || !apr_isdigit(m[5]) || !apr_isdigit(m[6]) || atoi(m + 5) < 1
        || atoi(m + 5) > 12 || atoi(m) < 2000) {
        return tk_fail(c, TK_E_INVALID_QUERY, "month", "month is YYYY-MM, "
                       "as 2026-12.");
    }
    *month = m;
    return TK_OK;
}

int tk_handle_ai_usage(tk_ctx_t *c)
{
    const char *month = NULL;
    tk_rows_t *rows;

    if (tk_require_admin(c) || tk_usage_month(c, &month)
        || TK_SQL_SELECT(c, ai_usage, &rows, c->who->org_id, month)) {
        return TK_FAIL;
    }
    return tk_send_data(c, HTTP_OK, tk_json_load(c->r->pool,
                                                 tk_rows_get(rows, 0, 0)),
                        NULL);
}

int tk_handle_ai_budget_get(tk_ctx_t *c)
{
    tk_rows_t *rows;

    if (tk_require_admin(c)
        || TK_SQL_SELECT(c, ai_budget_get, &rows, c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_send_data(c, HTTP_OK, tk_json_load(c->r->pool,
                                                 tk_rows_get(rows, 0, 0)),
                        NULL);
}

int tk_handle_ai_budget_set(tk_ctx_t *c)
{
    static const char *const fields[] = { "monthlyTokens", NULL };
    json_t *v = json_object_get(c->body, "monthlyTokens");
    const char *tokens = NULL;
    tk_rows_t *rows;

    if (tk_require_admin(c) || tk_only_fields(c->body, fields, &c->err)) {
        return TK_FAIL;
    }
    if (!v || (!json_is_null(v) && (!json_is_integer(v)
                                    || json_integer_value(v) < 0
                                    || json_integer_value(v) > TK_BUDGET_MAX))) {
        return tk_fail(c, TK_E_VALIDATION, "monthlyTokens", "monthlyTokens "
                       "is a whole number of tokens a month from 0 to "
                       "1000000000000, or null for no budget.");
    }
    if (json_is_integer(v)) {
        tokens = apr_psprintf(c->r->pool, "%" APR_INT64_T_FMT,
                              (apr_int64_t)json_integer_value(v));
    }
    if (TK_SQL_SELECT(c, ai_budget_set, &rows, tokens, c->who->org_id)) {
        return TK_FAIL;
    }
    return tk_send_data(c, HTTP_OK, tk_json_load(c->r->pool,
                                                 tk_rows_get(rows, 0, 0)),
                        NULL);
}
