/* tk_events.c: live events, written in the transaction of their change,
 * and read back from the log (see tk_events.h).
 *
 * Every change that streams must hear of writes its event into the log
 * (table stream_events, sql/migrations/004_stream_events.sql) before it
 * commits, so an event exists exactly when its change committed, whichever
 * host made it, and nothing is published from memory.  The relay
 * (work/tk_relay.c) carries committed events from the log into
 * mod_tickets_sse's ring; a stream that resumes from further back than
 * the ring holds reads the log through tickets_events_read.
 *
 * Who may see an event travels with it: the organization, a staff-only
 * flag (internal notes) and the audience, the customer users allowed to
 * see it (read in the same statement that writes the event).
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "events/tk_events.h"
#include "core/tk_json.h"
#include "core/tk_id.h"
#include "tk_queries.h"

/* ---------------------------------------------------------------------
 * Writing events (inside the change's transaction)
 * ------------------------------------------------------------------- */

int tk_event_ticket(tk_ctx_t *c, const char *type, const char *ticket_id,
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
        return tk_internal(c);
    }
    if (TK_SQL_EXEC(c, stream_event_ticket, NULL, ticket_id, type,
                    tk_bool(staff_only), text)) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    return TK_OK;
}

int tk_event_revoked(tk_ctx_t *c, const char *kind, const char *value)
{
    json_t *doc = tk_json_own(c->r->pool, json_pack("{s:s}", kind, value));
    const char *text = doc ? tk_json_dump(c->r->pool, doc) : NULL;

    if (!text) {
        return tk_internal(c);
    }
    if (TK_SQL_EXEC(c, stream_event_revoked, NULL, c->who->org_id, text)) {
        return TK_FAIL;
    }
    c->stream_written = 1;
    return TK_OK;
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

/* ---------------------------------------------------------------------
 * Reading the log
 * ------------------------------------------------------------------- */

static const char *tk_or_empty(const char *s)
{
    return s ? s : "";
}

int tk_event_rows(apr_pool_t *p, const tk_rows_t *rows,
                  apr_array_header_t **events)
{
    int i;

    *events = apr_array_make(p, rows->nrows > 0 ? rows->nrows : 1,
                             sizeof(tickets_event_t));
    for (i = 0; i < rows->nrows; ++i) {
        tickets_event_t *e = apr_array_push(*events);
        const char *data = tk_rows_get(rows, i, 10);
        const char *written = tk_rows_get(rows, i, 11);

        memset(e, 0, sizeof(*e));
        if (tk_parse_u64(tk_rows_get(rows, i, 0), &e->pos[0])
            || tk_parse_u64(tk_rows_get(rows, i, 1), &e->pos[1])) {
            return -1;
        }
        e->ready = tk_rows_true(rows, i, 2);
        e->org = tk_or_empty(tk_rows_get(rows, i, 3));
        e->type = tk_or_empty(tk_rows_get(rows, i, 4));
        e->ticket = tk_or_empty(tk_rows_get(rows, i, 5));
        e->conversation = tk_or_empty(tk_rows_get(rows, i, 6));
        e->audience[0] = tk_or_empty(tk_rows_get(rows, i, 7));
        e->audience[1] = tk_or_empty(tk_rows_get(rows, i, 8));
        e->staff_only = tk_rows_true(rows, i, 9);
        e->data = data;
        e->data_len = data ? strlen(data) : 0;
        e->written = written ? (apr_time_t)apr_atoi64(written) : 0;
    }
    return 0;
}

static apr_status_t tickets_events_read(request_rec *r, apr_pool_t *p,
                                        const apr_uint64_t pos[2], int check,
                                        const char *org, int n,
                                        apr_size_t max_bytes,
                                        apr_array_header_t **events)
{
    const char *x = tk_u64_text(p, pos[0]), *id = tk_u64_text(p, pos[1]);
    apr_status_t rv = APR_SUCCESS;
    ap_dbd_t *dbd;
    tk_db_t *db = tk_db_open(r->server, p, &dbd);
    tk_rows_t *rows;

    if (!db) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TK00045: no database "
                      "connection to read the event log");
        return APR_EGENERAL;
    }
    if (check && TK_SELECT(db, stream_event_exists, &rows, x, id) != 0) {
        rv = APR_EGENERAL;
    }
    else if (check && rows->nrows == 0) {
        rv = APR_NOTFOUND;
    }
    else if (TK_SELECT(db, stream_events_after, &rows, x, id, org,
                       apr_itoa(p, n),
                       apr_psprintf(p, "%" APR_SIZE_T_FMT, max_bytes)) != 0) {
        rv = APR_EGENERAL;
    }
    else if (tk_event_rows(p, rows, events) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TK00043: the event log "
                      "returned a malformed position");
        rv = APR_EGENERAL;
    }
    if (rv == APR_EGENERAL && db->error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TK00046: reading the "
                      "event log failed: %s", db->error);
    }
    ap_dbd_close(r->server, dbd);
    return rv;
}

static apr_status_t tickets_events_newest(request_rec *r, const char *org,
                                          apr_uint64_t pos[2])
{
    apr_pool_t *p;
    apr_status_t rv = APR_NOTFOUND;
    ap_dbd_t *dbd;
    tk_db_t *db;
    tk_rows_t *rows;

    apr_pool_create(&p, r->pool);
    if (!(db = tk_db_open(r->server, p, &dbd))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TK00079: no database "
                      "connection to read the event log");
        apr_pool_destroy(p);
        return APR_EGENERAL;
    }
    if (TK_SELECT(db, stream_event_newest_of, &rows, org) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TK00080: reading the "
                      "event log failed: %s", db->error ? db->error : "?");
        rv = APR_EGENERAL;
    }
    else if (rows->nrows == 1) {
        rv = tk_parse_u64(tk_rows_get(rows, 0, 0), &pos[0]) == 0
             && tk_parse_u64(tk_rows_get(rows, 0, 1), &pos[1]) == 0
             ? APR_SUCCESS : APR_EGENERAL;
    }
    ap_dbd_close(r->server, dbd);
    apr_pool_destroy(p);
    return rv;
}

void tk_events_register_hooks(apr_pool_t *p)
{
    (void)p;
    APR_REGISTER_OPTIONAL_FN(tickets_events_read);
    APR_REGISTER_OPTIONAL_FN(tickets_events_newest);
}
