/* tk_error.c: error codes, their HTTP statuses and the error document.
 *
 * One table maps each code to its wire name and status; another gives the
 * code and a sentence for the statuses httpd may produce on its own (a
 * request body over LimitRequestBody, an unknown method, a failed module),
 * so those answers look like every other error of the API.  The wire
 * names are the public header's (include/mod_tickets.h), which the stream
 * module uses too.
 */
#include <string.h>
#include "core/tk_error.h"
#include "mod_tickets.h"

typedef struct {
    const char *name;
    int status;
} tk_ecode_info_t;

static const tk_ecode_info_t tk_ecodes[TK_E_COUNT] = {
    [TK_E_NONE]                   = { "NONE", 200 },
    [TK_E_VALIDATION]             = { TICKETS_E_VALIDATION, 400 },
    [TK_E_INVALID_JSON]           = { TICKETS_E_INVALID_JSON, 400 },
    [TK_E_INVALID_QUERY]          = { TICKETS_E_INVALID_QUERY, 400 },
    [TK_E_UNAUTHENTICATED]        = { TICKETS_E_UNAUTHENTICATED, 401 },
    [TK_E_FORBIDDEN]              = { TICKETS_E_FORBIDDEN, 403 },
    [TK_E_NOT_FOUND]              = { TICKETS_E_NOT_FOUND, 404 },
    [TK_E_METHOD_NOT_ALLOWED]     = { TICKETS_E_METHOD_NOT_ALLOWED, 405 },
    [TK_E_INVALID_TRANSITION]     = { TICKETS_E_INVALID_TRANSITION, 409 },
    [TK_E_CONFLICT]               = { TICKETS_E_CONFLICT, 409 },
    [TK_E_PRECONDITION_FAILED]    = { TICKETS_E_PRECONDITION_FAILED, 412 },
    [TK_E_PAYLOAD_TOO_LARGE]      = { TICKETS_E_PAYLOAD_TOO_LARGE, 413 },
    [TK_E_UNSUPPORTED_MEDIA_TYPE] = { TICKETS_E_UNSUPPORTED_MEDIA_TYPE, 415 },
    [TK_E_INVALID_SIGNATURE]      = { TICKETS_E_INVALID_SIGNATURE, 401 },
    [TK_E_RATE_LIMITED]           = { TICKETS_E_RATE_LIMITED, 429 },
    [TK_E_DB_UNAVAILABLE]         = { TICKETS_E_DB_UNAVAILABLE, 503 },
    [TK_E_AI_UNAVAILABLE]         = { TICKETS_E_AI_UNAVAILABLE, 503 },
    [TK_E_AI_BUDGET_EXCEEDED]     = { TICKETS_E_AI_BUDGET_EXCEEDED, 429 },
    [TK_E_BAD_REQUEST]            = { TICKETS_E_BAD_REQUEST, 400 },
    [TK_E_INTERNAL]               = { TICKETS_E_INTERNAL, 500 },
};

typedef struct {
    int status;
    tk_ecode_t code;
    const char *sentence;
} tk_status_info_t;

static const tk_status_info_t tk_status_infos[] = {
    { 400, TK_E_BAD_REQUEST, "The request could not be understood." },
    { 401, TK_E_UNAUTHENTICATED, "Authentication is required." },
    { 403, TK_E_FORBIDDEN, "You are not allowed to do this." },
    { 404, TK_E_NOT_FOUND, "No such resource." },
    { 405, TK_E_METHOD_NOT_ALLOWED, "This method is not allowed here." },
    { 408, TK_E_BAD_REQUEST, "The request took too long to arrive." },
    { 409, TK_E_CONFLICT, "The request conflicts with the current state of the resource." },
    { 411, TK_E_BAD_REQUEST, "A Content-Length header is required." },
    { 412, TK_E_PRECONDITION_FAILED, "The resource was changed by someone else." },
    { 413, TK_E_PAYLOAD_TOO_LARGE, "The request body is too large." },
    { 414, TK_E_BAD_REQUEST, "The request URI is too long." },
    { 415, TK_E_UNSUPPORTED_MEDIA_TYPE, "This content type is not supported." },
    { 429, TK_E_RATE_LIMITED, "Too many requests; retry later." },
    { 501, TK_E_METHOD_NOT_ALLOWED, "The server does not support this method." },
    { 503, TK_E_DB_UNAVAILABLE, "The service is temporarily unavailable." },
    { 0, TK_E_INTERNAL, "An internal error occurred." },
};

const char *tk_ecode_name(tk_ecode_t code)
{
    if (code <= TK_E_NONE || code >= TK_E_COUNT) {
        code = TK_E_INTERNAL;
    }
    return tk_ecodes[code].name;
}

int tk_ecode_status(tk_ecode_t code)
{
    if (code <= TK_E_NONE || code >= TK_E_COUNT) {
        code = TK_E_INTERNAL;
    }
    return tk_ecodes[code].status;
}

tk_ecode_t tk_ecode_parse(const char *name)
{
    tk_ecode_t e;

    for (e = TK_E_VALIDATION; name && e < TK_E_COUNT; ++e) {
        if (strcmp(tk_ecodes[e].name, name) == 0) {
            return e;
        }
    }
    return TK_E_NONE;
}

static const tk_status_info_t *tk_status_info(int status)
{
    const tk_status_info_t *i;

    for (i = tk_status_infos; i->status; ++i) {
        if (i->status == status) {
            break;
        }
    }
    return i;
}

tk_ecode_t tk_ecode_for_status(int status)
{
    return tk_status_info(status)->code;
}

const char *tk_status_sentence(int status)
{
    return tk_status_info(status)->sentence;
}

int tk_err(tk_err_t *err, tk_ecode_t code, const char *field,
           const char *message)
{
    err->code = code;
    err->field = field;
    err->message = message;
    return -1;
}

json_t *tk_err_json(const tk_err_t *err, const char *request_id)
{
    json_t *inner = json_object();
    json_t *message = err->message ? json_string(err->message) : NULL;

    json_object_set_new(inner, "code", json_string(tk_ecode_name(err->code)));
    if (!message) {
        /* Absent, or not UTF-8 (it may quote client input): the default. */
        message = json_string(tk_status_sentence(tk_ecode_status(err->code)));
    }
    json_object_set_new(inner, "message", message);
    if (err->field) {
        json_t *field = json_string(err->field);
        json_object_set_new(inner, "field", field ? field : json_string("?"));
    }
    json_object_set_new(inner, "requestId",
                        request_id ? json_string(request_id) : json_null());
    return json_pack("{s:o}", "error", inner);
}
