/* mod_tickets_events.c: mod_tickets' side of the live event streams.
 *
 * Every change that streams must hear of writes its event into the log
 * (table stream_events, sql/migrations/004_stream_events.sql) in its own
 * transaction: tk_stream_ticket, called by the handlers before they
 * commit.  So an event exists exactly when its change committed, whichever
 * host made it, and nothing is published from memory.  The relay
 * (mod_tickets_relay.c) carries committed events from the log into
 * mod_tickets_sse's ring.
 *
 * mod_tickets_sse (a separate module, possibly absent) serves the streams;
 * this file also answers its two questions, as optional functions declared
 * in mod_tickets_sse/mod_tickets_sse.h:
 *
 *   tickets_identify     who is calling, by the same authentication as
 *                        the REST API (session cookie, token, Basic, SSO);
 *   tickets_events_read  the log after a position, for a stream that
 *                        resumes from further back than the ring holds.
 *
 * Who may see an event travels with it: the organization, a staff-only
 * flag (internal notes) and the audience, the customer users allowed to
 * see it (read in the same statement that writes the event).
 */
#include <errno.h>
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
    apr_cpystrn(out->credential, c->who->credential, sizeof(out->credential));
    return OK;
}

/* ---------------------------------------------------------------------
 * Writing events (inside the change's transaction)
 * ------------------------------------------------------------------- */

int tk_stream_ticket(tk_ctx_t *c, const char *type, const char *ticket_id,
                     json_t *data, int staff_only)
{
    json_t *sent;
    const char *text;

    /* The staff view's version counts internal notes; customers share this
     * event, so it goes without one (GET gives each view its own). */
    sent = tk_json_own(c->r->pool, json_copy(data));
    if (sent && json_is_object(sent)) {
        json_object_del(sent, "version");
    }
    text = sent ? tk_json_dump(c->r->pool, sent) : NULL;
    if (!text) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, "TK00042: event %s for "
                      "ticket %s could not be serialized", type, ticket_id);
        return tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
    }
    if (TK_SQL_EXEC(c, TKQ_stream_event_ticket, NULL, ticket_id, type,
                    staff_only ? "true" : "false", text)) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    return TK_DONE;
}

int tk_stream_revoked(tk_ctx_t *c, const char *credential)
{
    json_t *doc = tk_json_own(c->r->pool,
                              json_pack("{s:s}", "credential", credential));
    const char *text = doc ? tk_json_dump(c->r->pool, doc) : NULL;

    if (!text) {
        return tk_fail(c, TK_E_INTERNAL, NULL, "An internal error occurred.");
    }
    if (TK_SQL_EXEC(c, TKQ_stream_event_revoked, NULL, c->who->org_id,
                    text)) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    return TK_DONE;
}

/* ---------------------------------------------------------------------
 * Reading the log
 * ------------------------------------------------------------------- */

static const char *tk_or_empty(const char *s)
{
    return s ? s : "";
}

int tk_parse_u64(const char *s, apr_uint64_t *out)
{
    char *end;

    if (!s || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    *out = (apr_uint64_t)apr_strtoi64(s, &end, 10);
    return errno || *end ? -1 : 0;
}

int tk_stream_rows(apr_pool_t *p, const tk_rows_t *rows,
                   apr_array_header_t **events)
{
    int i;

    *events = apr_array_make(p, rows->nrows > 0 ? rows->nrows : 1,
                             sizeof(tickets_event_t));
    for (i = 0; i < rows->nrows; ++i) {
        tickets_event_t *e = apr_array_push(*events);
        const char *data = tk_rows_get(rows, i, 10);

        memset(e, 0, sizeof(*e));
        if (tk_parse_u64(tk_rows_get(rows, i, 0), &e->pos[0])
            || tk_parse_u64(tk_rows_get(rows, i, 1), &e->pos[1])) {
            return -1;
        }
        e->ready = tk_rows_get(rows, i, 2)
                   && strcmp(tk_rows_get(rows, i, 2), "t") == 0;
        e->rec.org = tk_or_empty(tk_rows_get(rows, i, 3));
        e->rec.type = tk_or_empty(tk_rows_get(rows, i, 4));
        e->rec.ticket = tk_or_empty(tk_rows_get(rows, i, 5));
        e->rec.conversation = tk_or_empty(tk_rows_get(rows, i, 6));
        e->rec.audience[0] = tk_or_empty(tk_rows_get(rows, i, 7));
        e->rec.audience[1] = tk_or_empty(tk_rows_get(rows, i, 8));
        e->rec.staff_only = tk_rows_get(rows, i, 9)
                            && strcmp(tk_rows_get(rows, i, 9), "t") == 0;
        e->rec.data = data;
        e->rec.data_len = data ? strlen(data) : 0;
        e->written = tk_rows_get(rows, i, 11)
                     ? (apr_time_t)apr_atoi64(tk_rows_get(rows, i, 11)) : 0;
    }
    return 0;
}

const char *tk_u64_text(apr_pool_t *p, apr_uint64_t v)
{
    return apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
}

apr_status_t tickets_events_read(request_rec *r, const apr_uint64_t pos[2],
                                 int check, const char *org, int n,
                                 apr_array_header_t **events)
{
    tk_ctx_t *c = tk_ctx_get(r);
    const char *x = tk_u64_text(r->pool, pos[0]);
    const char *id = tk_u64_text(r->pool, pos[1]);
    apr_status_t rv = APR_SUCCESS;
    tk_rows_t *rows;

    if (check && TK_SQL_SELECT(c, TKQ_stream_event_exists, &rows, x, id)) {
        rv = APR_EGENERAL;
    }
    else if (check && rows->nrows == 0) {
        rv = APR_NOTFOUND;
    }
    else if (TK_SQL_SELECT(c, TKQ_stream_events_after, &rows, x, id, org,
                           apr_itoa(r->pool, n))) {
        rv = APR_EGENERAL;
    }
    else if (tk_stream_rows(r->pool, rows, events) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TK00043: the event log "
                      "returned a malformed position");
        rv = APR_EGENERAL;
    }
    /* A stream may live for an hour: give the connection back now. */
    tk_db_release(c);
    return rv;
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
