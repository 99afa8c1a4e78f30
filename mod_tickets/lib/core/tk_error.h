/* tk_error.h: the error vocabulary of the API.
 *
 * Every failure a client can see is one of these codes.  Each maps to an
 * HTTP status and is sent as
 *   {"error": {"code": "UPPER_SNAKE", "message": "...", "requestId": "..."}}
 * with "field" added when one input field is to blame.  Library functions
 * report failures by filling a tk_err_t; the httpd glue turns it into the
 * response.
 */
#ifndef TK_ERROR_H
#define TK_ERROR_H

#include <jansson.h>

typedef enum {
    TK_E_NONE = 0,
    TK_E_VALIDATION,
    TK_E_INVALID_JSON,
    TK_E_INVALID_QUERY,
    TK_E_UNAUTHENTICATED,
    TK_E_FORBIDDEN,
    TK_E_NOT_FOUND,
    TK_E_METHOD_NOT_ALLOWED,
    TK_E_INVALID_TRANSITION,
    TK_E_CONFLICT,
    TK_E_PRECONDITION_FAILED,
    TK_E_PAYLOAD_TOO_LARGE,
    TK_E_UNSUPPORTED_MEDIA_TYPE,
    TK_E_INVALID_SIGNATURE,
    TK_E_RATE_LIMITED,
    TK_E_DB_UNAVAILABLE,
    TK_E_AI_UNAVAILABLE,
    TK_E_AI_BUDGET_EXCEEDED,
    TK_E_BAD_REQUEST,
    TK_E_INTERNAL,
    TK_E_COUNT
} tk_ecode_t;

typedef struct {
    tk_ecode_t code;
    const char *field;      /* input field to blame, or NULL */
    const char *message;    /* a human sentence, never a number */
} tk_err_t;

/* "VALIDATION_ERROR" etc. */
const char *tk_ecode_name(tk_ecode_t code);

/* The code of a wire name, TK_E_NONE when it is none. */
tk_ecode_t tk_ecode_parse(const char *name);

/* The HTTP status a code is sent with. */
int tk_ecode_status(tk_ecode_t code);

/* The code used for an HTTP error status that httpd itself produced. */
tk_ecode_t tk_ecode_for_status(int status);

/* A default sentence for an HTTP error status that httpd itself produced. */
const char *tk_status_sentence(int status);

/* Fill *err and return -1, so callers can `return tk_err(...)`. */
int tk_err(tk_err_t *err, tk_ecode_t code, const char *field,
           const char *message);

/* The error document; a new reference. */
json_t *tk_err_json(const tk_err_t *err, const char *request_id);

#endif
