/* sse_handler.c: the endpoints of mod_tickets_sse.
 *
 *   GET /api/events/stream   every event the caller may see, filtered by
 *                            the query parameters types, ticket and
 *                            conversation; lastEventId as the header
 *                            Last-Event-ID
 *   GET /api/sse/tickets     the same, ticket events only
 *   GET /api/events/stats    (admins) the organization's streams, as JSON
 *
 * A stream starts after the caller is identified (mod_tickets'
 * tickets_identify: cookie, token, Basic or SSO) and its query is valid;
 * refusals are returned as statuses with the error notes set, which the
 * /api ErrorDocument of mod_tickets renders as JSON.  The stream itself
 * is stream/sse_thread.c's.
 *
 * Where the client resumes from may come two ways, the Last-Event-ID
 * header (what browsers send) and the lastEventId parameter (for clients
 * that cannot set headers); both are checked, a malformed one is refused
 * whichever it is, and when both are given the header wins.  An empty one
 * is no id (a reset's `id:` leaves a client just that): the stream starts
 * at the newest event.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <jansson.h>
#include "handlers/sse_handlers.h"
#include "stream/sse_stream.h"
#include "status/sse_status.h"
#include "sse_event.h"
#include "mod_tickets.h"

static int sse_refuse(request_rec *r, int status, const char *code,
                      const char *message)
{
    apr_table_setn(r->notes, TICKETS_NOTE_ERROR_CODE, code);
    apr_table_setn(r->notes, TICKETS_NOTE_ERROR_MESSAGE, message);
    return status;
}

static int sse_identify(request_rec *r, tickets_identity_t *who)
{
    APR_OPTIONAL_FN_TYPE(tickets_identify) *identify =
        APR_RETRIEVE_OPTIONAL_FN(tickets_identify);

    if (!identify) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TK10010: mod_tickets is "
                      "not loaded: the caller cannot be identified");
        return sse_refuse(r, HTTP_INTERNAL_SERVER_ERROR, TICKETS_E_INTERNAL,
                          "An internal error occurred.");
    }
    return identify(r, who);
}

/* ---------------------------------------------------------------------
 * The query
 * ------------------------------------------------------------------- */

typedef struct {
    const char *types, *ticket, *conversation, *last_id;
} sse_query_t;

/* Split r->args into the known parameters; unknown or repeated ones are
 * refused, as the REST API does. */
static const char *sse_parse_args(request_rec *r, sse_query_t *q)
{
    char *args, *pair, *state;

    memset(q, 0, sizeof(*q));
    if (!r->args || !*r->args) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (pair = apr_strtok(args, "&", &state); pair;
         pair = apr_strtok(NULL, "&", &state)) {
        char *value = strchr(pair, '=');
        const char **slot;

        if (value) {
            *value++ = '\0';
        }
        else {
            value = "";
        }
        for (char *p = value; *p; ++p) {
            if (*p == '+') *p = ' ';
        }
        if (ap_unescape_url(value) != OK) {
            return apr_psprintf(r->pool, "The value of %s is not valid "
                                "percent-encoding.",
                                ap_escape_html(r->pool, pair));
        }
        if (!strcmp(pair, "types")) slot = &q->types;
        else if (!strcmp(pair, "ticket")) slot = &q->ticket;
        else if (!strcmp(pair, "conversation")) slot = &q->conversation;
        else if (!strcmp(pair, "lastEventId")) slot = &q->last_id;
        else {
            return apr_psprintf(r->pool, "Unknown query parameter: %s.",
                                ap_escape_html(r->pool, pair));
        }
        if (*slot) {
            return apr_psprintf(r->pool, "The query parameter %s is given "
                                "more than once.", pair);
        }
        *slot = value;
    }
    return NULL;
}

/* Filters and the resume point into cur; 0, or an HTTP status after
 * noting why. */
static int sse_read_query(request_rec *r, sse_cursor_t *cur, int *has_cursor)
{
    static const char bad_id[] = "Last-Event-ID (or lastEventId) must be an "
                                 "event id as this server sends them.";
    const char *header = apr_table_get(r->headers_in, "Last-Event-ID");
    uint64_t pos[2];
    sse_query_t q;
    const char *err = sse_parse_args(r, &q);

    if (!err && sse_filter_parse(r->pool, q.types, q.ticket, q.conversation,
                                 &cur->filter, &err) != 0 && !err) {
        err = "The query is not valid.";
    }
    if (err) {
        return sse_refuse(r, HTTP_BAD_REQUEST, TICKETS_E_INVALID_QUERY, err);
    }
    cur->filter.tickets_only = strcmp(r->uri, "/api/sse/tickets") == 0;
    *has_cursor = 0;
    if (header && !*header) {
        header = NULL;
    }
    if (q.last_id && !*q.last_id) {
        q.last_id = NULL;
    }
    if ((q.last_id && sse_event_parse_id(q.last_id, pos) != 0)
        || (header && sse_event_parse_id(header, pos) != 0)) {
        return sse_refuse(r, HTTP_BAD_REQUEST, TICKETS_E_INVALID_QUERY,
                          bad_id);
    }
    if (header || q.last_id) {
        sse_event_parse_id(header ? header : q.last_id, cur->pos);
        *has_cursor = 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * GET /api/events/stats
 * ------------------------------------------------------------------- */

static int sse_stats(request_rec *r, const tickets_identity_t *who)
{
    json_t *figures, *doc;
    char *text;

    if (strcmp(who->role, "admin") != 0) {
        return sse_refuse(r, HTTP_FORBIDDEN, TICKETS_E_FORBIDDEN,
                          "Only administrators may do this.");
    }
    if (r->args && *r->args) {
        return sse_refuse(r, HTTP_BAD_REQUEST, TICKETS_E_INVALID_QUERY,
                          "This endpoint takes no query parameters.");
    }
    if (!(figures = sse_org_figures(who->org))) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return sse_refuse(r, HTTP_SERVICE_UNAVAILABLE, TICKETS_E_INTERNAL,
                          "Live events are unavailable.");
    }
    doc = json_pack("{s:o}", "data", figures);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rputs(apr_pstrdup(r->pool, text), r);
    free(text);
    return OK;
}

/* ---------------------------------------------------------------------
 * The handler
 * ------------------------------------------------------------------- */

static int sse_stream(request_rec *r, const tickets_identity_t *who)
{
    sse_cursor_t *cur = apr_pcalloc(r->pool, sizeof(*cur));
    int has_cursor, status;

    cur->viewer.org = who->org;
    cur->viewer.user = who->user;
    cur->viewer.role = who->role;
    cur->credential = who->credential;
    if ((status = sse_read_query(r, cur, &has_cursor)) != 0) {
        return status;
    }
    return sse_stream_serve(r, cur, has_cursor);
}

static int sse_handler(request_rec *r)
{
    tickets_identity_t *who;
    int status, stats, stream;

    if (!r->handler || strcmp(r->handler, TICKETS_SSE_HANDLER) != 0) {
        return DECLINED;
    }
    stats = strcmp(r->uri, "/api/events/stats") == 0;
    stream = strcmp(r->uri, "/api/events/stream") == 0
             || strcmp(r->uri, "/api/sse/tickets") == 0;
    if (!stats && !stream) {
        return sse_refuse(r, HTTP_NOT_FOUND, TICKETS_E_NOT_FOUND,
                          "No such endpoint.");
    }
    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET");
        return sse_refuse(r, HTTP_METHOD_NOT_ALLOWED,
                          TICKETS_E_METHOD_NOT_ALLOWED,
                          "This resource allows only GET.");
    }
    who = apr_pcalloc(r->pool, sizeof(*who));
    if ((status = sse_identify(r, who)) != OK) {
        return status;
    }
    return stats ? sse_stats(r, who) : sse_stream(r, who);
}

void sse_handlers_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(sse_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
