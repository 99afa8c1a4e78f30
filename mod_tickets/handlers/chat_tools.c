/* chat_tools.c: seed document 002's tools, run as the user (see
 * chat_tools.h).
 *
 *   create_ticket   POST  /api/tickets (source chat, the session named)
 *   get_ticket      GET   /api/tickets/<number>
 *   update_ticket   PATCH /api/tickets/<number>/status, and POST
 *                   /api/tickets/<number>/messages for notes (internal)
 *   search_tickets  GET   /api/tickets?q=&status=&limit=
 *
 * The model is given the REST answer as the client would get it:
 * {"status": 201, "data": ...} or {"status": 403, "error": {...}}, so a
 * viewer's update fails with the reason a viewer gets over REST.
 */
#include <apr_strings.h>
#include <httpd.h>
#include "handlers/chat_tools.h"
#include "core/tk_json.h"
#include "tk_queries.h"

#define TK_TOOL_RESULT_MAX 16000    /* bytes of a result the model reads */
#define TK_SEARCH_LIMIT 10

/* The answer of one REST call, for the model; when it answers tickets
 * (tickets is 1), their ids into refs. */
static json_t *tk_tool_rest(tk_chat_run_t *run, const char *method,
                            const char *path, const char *args, json_t *body,
                            int tickets, int *ok)
{
    apr_pool_t *p = run->c->r->pool;
    json_t *doc = NULL, *data, *item, *out;
    int status = 0;
    size_t i;

    tk_call(run->c, method, path, args, body, &status, &doc);
    *ok = status >= 200 && status < 300;
    out = tk_json_own(p, json_pack("{s:i}", "status", status));
    if (json_is_object(doc)) {
        json_object_update(out, doc);
    }
    data = json_object_get(doc, "data");
    if (!tickets) {
        return out;
    }
    if (*ok && json_is_array(data)) {
        json_array_foreach(data, i, item) {
            if (tk_json_str(item, "id")) {
                APR_ARRAY_PUSH(run->refs, const char *) = tk_json_str(item,
                                                                      "id");
            }
        }
    }
    else if (*ok && tk_json_str(data, "id")) {
        APR_ARRAY_PUSH(run->refs, const char *) = tk_json_str(data, "id");
    }
    return out;
}

/* The same for a call that answers tickets. */
static json_t *tk_tool_call(tk_chat_run_t *run, const char *method,
                            const char *path, const char *args, json_t *body,
                            int *ok)
{
    return tk_tool_rest(run, method, path, args, body, 1, ok);
}

/* A ticket number the model gave (an integer, or its digits or key as a
 * string), as a path segment; NULL when there is none. */
static const char *tk_tool_ticket(apr_pool_t *p, json_t *args)
{
    json_t *v = json_object_get(args, "ticket_id");

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(v));
    }
    if (json_is_string(v) && json_string_length(v) > 0
        && !strpbrk(json_string_value(v), "/?#%")) {
        return json_string_value(v);
    }
    return NULL;
}

static json_t *tk_tool_refused(apr_pool_t *p, const char *message)
{
    return tk_json_own(p, json_pack("{s:i, s:{s:s, s:s}}", "status", 400,
                                    "error", "code", "VALIDATION_ERROR",
                                    "message", message));
}

static json_t *tk_tool_create(tk_chat_run_t *run, json_t *args, int *ok)
{
    json_t *out;

    run->c->chat_session_id = run->session_id;
    out = tk_tool_call(run, "POST", "/api/tickets", NULL, args, ok);
    run->c->chat_session_id = NULL;
    return out;
}

static json_t *tk_tool_get(tk_chat_run_t *run, json_t *args, int *ok)
{
    apr_pool_t *p = run->c->r->pool;
    const char *n = tk_tool_ticket(p, args);

    if (!n) {
        *ok = 0;
        return tk_tool_refused(p, "ticket_id (the ticket's number) is "
                               "required.");
    }
    return tk_tool_call(run, "GET", apr_pstrcat(p, "/api/tickets/", n, NULL),
                        NULL, NULL, ok);
}

static json_t *tk_tool_update(tk_chat_run_t *run, json_t *args, int *ok)
{
    apr_pool_t *p = run->c->r->pool;
    const char *n = tk_tool_ticket(p, args);
    json_t *status = json_object_get(args, "status");
    json_t *notes = json_object_get(args, "notes");
    json_t *out = tk_json_own(p, json_object());
    int ok2 = 1;

    *ok = 1;
    if (!n || (!status && !notes)) {
        *ok = 0;
        return tk_tool_refused(p, !n ? "ticket_id (the ticket's number) is "
                               "required." : "Give a status or notes.");
    }
    if (status) {
        json_object_set(out, "statusChange", tk_tool_call(run, "PATCH",
            apr_pstrcat(p, "/api/tickets/", n, "/status", NULL), NULL,
            tk_json_own(p, json_pack("{s:O}", "status", status)), ok));
    }
    if (notes && *ok) {
        json_object_set(out, "note", tk_tool_rest(run, "POST",
            apr_pstrcat(p, "/api/tickets/", n, "/messages", NULL), NULL,
            tk_json_own(p, json_pack("{s:O, s:b}", "content", notes,
                                     "internal", 1)), 0, &ok2));
        *ok = *ok && ok2;
    }
    return out;
}

static json_t *tk_tool_search(tk_chat_run_t *run, json_t *args, int *ok)
{
    apr_pool_t *p = run->c->r->pool;
    const char *query = tk_json_str(args, "query");
    const char *status = tk_json_str(args, "status");
    json_t *limit = json_object_get(args, "limit");
    const char *q;

    if (!query) {
        *ok = 0;
        return tk_tool_refused(p, "query (a string) is required.");
    }
    q = apr_pstrcat(p, "q=", ap_escape_urlencoded(p, query), NULL);
    if (status && strcmp(status, "all") != 0) {
        q = apr_pstrcat(p, q, "&status=", ap_escape_urlencoded(p, status),
                        NULL);
    }
    q = apr_psprintf(p, "%s&limit=%" APR_INT64_T_FMT, q,
                     json_is_integer(limit) && json_integer_value(limit) > 0
                     ? (apr_int64_t)json_integer_value(limit)
                     : (apr_int64_t)TK_SEARCH_LIMIT);
    return tk_tool_call(run, "GET", "/api/tickets", q, NULL, ok);
}

/* tk_chat_tools_t.run */
static const char *tk_tool_run(void *baton, const char *name, json_t *args,
                               apr_array_header_t *refs, int *ok)
{
    tk_chat_run_t *run = baton;
    apr_pool_t *p = run->c->r->pool;
    json_t *out;
    const char *text;

    (void)refs;                     /* run->refs is the same array */
    if (strcmp(name, "create_ticket") == 0) {
        out = tk_tool_create(run, args, ok);
    }
    else if (strcmp(name, "get_ticket") == 0) {
        out = tk_tool_get(run, args, ok);
    }
    else if (strcmp(name, "update_ticket") == 0) {
        out = tk_tool_update(run, args, ok);
    }
    else if (strcmp(name, "search_tickets") == 0) {
        out = tk_tool_search(run, args, ok);
    }
    else {
        *ok = 0;
        out = tk_tool_refused(p, apr_psprintf(p, "There is no tool named "
                                              "%s.", name));
    }
    text = tk_json_dump(p, out);
    if (!text || strlen(text) > TK_TOOL_RESULT_MAX) {
        return "{\"status\":500,\"error\":{\"code\":\"TOO_LONG\",\"message\":"
               "\"The result was too long to show; narrow the request.\"}}";
    }
    return text;
}

void tk_chat_step(tk_chat_run_t *run, const char *step, const char *tool,
                  json_t *args, int ok)
{
    tk_ctx_t *c = run->c;
    json_t *data = tk_json_own(c->r->pool, json_pack("{s:s}", "step", step));
    tk_rows_t *rows;

    if (tool) {
        json_object_set_new(data, "tool", json_string(tool));
    }
    if (args && !json_is_null(args)) {
        json_object_set(data, "arguments", args);
    }
    if (ok >= 0) {
        json_object_set_new(data, "ok", json_boolean(ok));
    }
    if (TK_SQL_SELECT(c, chat_progress, &rows, tk_json_dump(c->r->pool, data),
                      run->session_id) == 0) {
        c->stream_written = 1;
        tk_sql_committed(c);
        c->stream_written = 0;
    }
}

/* tk_chat_tools_t.progress */
static void tk_tool_progress(void *baton, const char *step, const char *tool,
                             json_t *args, int ok)
{
    tk_chat_step(baton, step, tool, args, ok);
}

void tk_chat_run_init(tk_chat_run_t *run, tk_ctx_t *c, const char *session)
{
    run->c = c;
    run->session_id = session;
    run->refs = apr_array_make(c->r->pool, 8, sizeof(const char *));
    run->tools.baton = run;
    run->tools.run = tk_tool_run;
    run->tools.progress = tk_tool_progress;
}

const char *tk_chat_attached_context(tk_chat_run_t *run, const char *attached)
{
    apr_pool_t *p = run->c->r->pool;
    char *list = apr_pstrdup(p, attached ? attached : ""), *id, *last;
    const char *out = "";
    int ok, named = run->refs->nelts;

    for (id = apr_strtok(list, "{},", &last); id;
         id = apr_strtok(NULL, "{},", &last)) {
        json_t *doc = tk_tool_call(run, "GET", apr_pstrcat(p, "/api/tickets/",
                                                           id, NULL),
                                   NULL, NULL, &ok);
        json_t *t = json_object_get(doc, "data");

        if (ok) {
            out = apr_pstrcat(p, out, tk_json_dump(p, t), "\n", NULL);
        }
    }
    run->refs->nelts = named;       /* attached is not referred to */
    return *out ? out : "(none)\n";
}
