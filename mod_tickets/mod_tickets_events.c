/* mod_tickets_events.c: mod_tickets' side of the live event streams.
 *
 * mod_tickets_sse (a separate module, possibly absent) serves the streams;
 * this file is everything mod_tickets does for it, through the optional
 * functions declared in mod_tickets_sse/mod_tickets_sse.h:
 *
 *   tickets_identify   exported here: the stream handler asks who is
 *                      calling, answered by the same authentication as
 *                      the REST API (session cookie, token, Basic, SSO).
 *   tk_publish         calls tickets_sse_publish when mod_tickets_sse is
 *                      loaded (a no-op otherwise).  Handlers call it, or
 *                      tk_publish_ticket, strictly after their commit, so
 *                      a rolled-back change never emits an event.
 *
 * Who may see an event travels with it: the organization, a staff-only
 * flag (internal notes) and the audience, the customer users allowed to
 * see it (the ticket's creator when a customer, and the user linked to the
 * ticket's customer record; see ticket_audience in sql/queries.sql).
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "mod_tickets.h"
#include "mod_tickets_sse.h"
#include "tk_json.h"
#include "tk_queries.h"

/* ---------------------------------------------------------------------
 * tickets_identify
 * ------------------------------------------------------------------- */

int tickets_identify(request_rec *r, tickets_identity_t *out)
{
    tk_ctx_t *c = tk_ctx_get(r);
    int rv = tk_resolve_identity(c);

    /* The caller (a stream) may live for an hour: it must not keep the
     * database connection that identifying it took. */
    tk_db_release(c);
    if (rv != TK_DONE) {
        return tk_refuse(r, c->err.code != TK_E_NONE ? c->err.code
                                                     : TK_E_INTERNAL,
                         c->err.message);
    }
    if (!c->who) {
        return tk_refuse(r, TK_E_UNAUTHENTICATED,
                         "Sign in, or send an API token or Basic credentials.");
    }
    apr_cpystrn(out->org, c->who->org_id, sizeof(out->org));
    apr_cpystrn(out->user, c->who->user_id, sizeof(out->user));
    apr_cpystrn(out->role, c->who->role, sizeof(out->role));
    return OK;
}

/* ---------------------------------------------------------------------
 * Publishing
 * ------------------------------------------------------------------- */

void tk_publish(tk_ctx_t *c, const char *type, const char *ticket_id,
                json_t *data, int staff_only, const char *audience0,
                const char *audience1)
{
    APR_OPTIONAL_FN_TYPE(tickets_sse_publish) *publish =
        APR_RETRIEVE_OPTIONAL_FN(tickets_sse_publish);
    sse_record_t rec;
    apr_uint64_t id = 0;
    apr_status_t rv;

    if (!publish || !data) {
        return;
    }
    memset(&rec, 0, sizeof(rec));
    rec.org = c->who->org_id;
    rec.type = type;
    rec.ticket = ticket_id;
    rec.audience[0] = audience0;
    rec.audience[1] = audience1;
    rec.staff_only = staff_only;
    rec.data = tk_json_dump(c->r->pool, data);
    if (!rec.data) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, "TK00042: event %s for "
                      "ticket %s could not be serialized", type,
                      ticket_id ? ticket_id : "-");
        return;
    }
    rec.data_len = strlen(rec.data);
    rv = publish(&rec, &id);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, c->r, "TK00040: event %s "
                      "for ticket %s could not be published", type,
                      ticket_id ? ticket_id : "-");
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, c->r, "event %s for ticket %s "
                  "published as %" APR_UINT64_T_FMT, type,
                  ticket_id ? ticket_id : "-", id);
}

/* The customer users who may see the ticket's events.  Runs after the
 * commit, outside any transaction; a failure is logged and leaves the
 * request's own outcome alone (staff still get the event). */
static void tk_audience(tk_ctx_t *c, const char *ticket_id,
                        const char **a0, const char **a1)
{
    tk_err_t saved = c->err;
    int failed = c->db_failed;
    tk_rows_t *rows;

    *a0 = *a1 = NULL;
    if (TK_SQL_SELECT(c, TKQ_ticket_audience, &rows, ticket_id)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, "TK00041: the audience "
                      "of ticket %s could not be read; its event reaches "
                      "staff only", ticket_id);
        c->err = saved;
        c->db_failed = failed;
        return;
    }
    if (rows->nrows == 1) {
        *a0 = tk_rows_get(rows, 0, 0);
        *a1 = tk_rows_get(rows, 0, 1);
    }
}

void tk_publish_ticket(tk_ctx_t *c, const char *type, const char *ticket_id,
                       json_t *data, int staff_only)
{
    const char *a0, *a1;
    json_t *sent;

    if (!APR_RETRIEVE_OPTIONAL_FN(tickets_sse_publish) || !data) {
        return;
    }
    /* The staff view's version counts internal notes; customers share this
     * event, so it goes without one (GET gives each view its own). */
    sent = tk_json_own(c->r->pool, json_copy(data));
    if (sent && json_is_object(sent)) {
        json_object_del(sent, "version");
    }
    tk_audience(c, ticket_id, &a0, &a1);
    tk_publish(c, type, ticket_id, sent ? sent : data, staff_only, a0, a1);
}

/* Move each field of a tk_json_diff result ({"before": {f: x}, "after":
 * {f: y}}) into changes as {f: {"before": x, "after": y}}. */
static void tk_changes_add(json_t *changes, json_t *diff)
{
    json_t *before = json_object_get(diff, "before");
    json_t *after = json_object_get(diff, "after");
    const char *field;
    json_t *v;

    json_object_foreach(after, field, v) {
        json_t *was = json_object_get(before, field);
        json_object_set_new(changes, field,
                            json_pack("{s:O,s:O}", "before",
                                      was ? was : json_null(), "after", v));
    }
}

json_t *tk_event_changes(tk_ctx_t *c, json_t *ticket, json_t *diff0,
                         json_t *diff1)
{
    json_t *doc, *changes;

    if (!ticket) {
        return NULL;
    }
    doc = tk_json_own(c->r->pool, json_deep_copy(ticket));
    changes = json_object();
    tk_changes_add(changes, diff0);
    tk_changes_add(changes, diff1);
    json_object_set_new(doc, "changes", changes);
    return doc;
}
