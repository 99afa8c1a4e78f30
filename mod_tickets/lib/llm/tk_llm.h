/* tk_llm.h: the OpenAI Chat Completions wire format, as any compatible
 * provider (OpenAI, Ollama, vLLM, llama.cpp's server) speaks it.
 *
 * This layer builds request bodies and reads answers; it sends nothing
 * (the glue posts the body with tk_http and keeps the ledger).  Answers
 * are read as real servers write them, not as the reference says they
 * should: a tool call's `arguments` may be a JSON string, an object, or
 * text that is not JSON at all (then the call carries the parse error, to
 * be told to the model so it can try again); `id` and `usage` may be
 * missing (then the tokens are estimated and marked so); `error` may be
 * an object whose `code` is a string, a number or null, or a plain
 * string.  Which failures are worth another attempt, and how long to wait
 * before it, are decided here too.
 */
#ifndef TK_LLM_H
#define TK_LLM_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

/* ---- requests ---------------------------------------------------------- */

typedef struct {
    const char *model;
    json_t *messages;           /* [{role, content, ...}], borrowed */
    json_t *tools;              /* [{type: function, function: {...}}] or NULL */
    const char *tool_choice;    /* "auto", "none", "required" or NULL */
    /* A JSON Schema the answer must follow (response_format json_schema,
     * strict), named schema_name; NULL: free text. */
    json_t *schema;
    const char *schema_name;
    int json_object;            /* the fallback: response_format json_object */
    int max_tokens;             /* > 0 */
    double temperature;         /* < 0: the provider's default */
} tk_llm_request_t;

/* The request body, a new reference; NULL on a malformed request. */
json_t *tk_llm_request_body(const tk_llm_request_t *req);

/* Message helpers: new references. */
json_t *tk_llm_message(const char *role, const char *content);
json_t *tk_llm_tool_result(const char *tool_call_id, const char *content);

/* ---- answers ----------------------------------------------------------- */

typedef struct {
    const char *id;             /* the provider's, or "call_<n>" made up */
    const char *name;           /* the function's name */
    json_t *arguments;          /* an object (owned by the pool) or NULL */
    const char *arguments_text; /* as the provider sent them, compact */
    const char *arguments_error; /* why they are unusable, or NULL */
} tk_llm_tool_call_t;

typedef struct {
    const char *id;             /* NULL when the provider gave none */
    const char *model;          /* the provider's, or NULL */
    const char *content;        /* the assistant's text, or NULL */
    const char *finish_reason;  /* or NULL */
    int ntool_calls;
    tk_llm_tool_call_t *tool_calls;
    long prompt_tokens;
    long completion_tokens;
    int usage_estimated;        /* 1: usage was missing; estimated */
} tk_llm_answer_t;

/* Read a 2xx answer's body.  prompt_bytes is the request body's length,
 * for the estimate when usage is missing.  0, or -1 with *why a sentence
 * (not JSON, no choices, no message). */
int tk_llm_parse_answer(apr_pool_t *p, const char *body, size_t len,
                        size_t prompt_bytes, tk_llm_answer_t *a,
                        const char **why);

/* The assistant message of an answer, as it goes back into the history:
 * {role: assistant, content, tool_calls: [{id, type, function: {name,
 * arguments (a string)}}]}.  A new reference. */
json_t *tk_llm_assistant_message(const tk_llm_answer_t *a);

/* The JSON an answer's text holds: the text without the blanks around
 * it and without the Markdown code fence (```json ... ```) that models
 * asked for JSON often wrap it in. */
const char *tk_llm_json_text(apr_pool_t *p, const char *content);

/* Tokens of text, estimated (four bytes a token, at least one). */
long tk_llm_estimate_tokens(size_t bytes);

/* ---- failures ------------------------------------------------------------ */

typedef struct {
    int status;                 /* HTTP status; 0: none came */
    const char *code;           /* error.code as text (a number's digits,
                                 * or a word of [A-Za-z0-9_.-], at most
                                 * 64), or NULL */
    const char *type;           /* error.type, or NULL */
    const char *message;        /* error.message, or the plain string */
} tk_llm_error_t;

/* What an error answer says, whatever its shape (never fails: an
 * unreadable body leaves code, type and message NULL). */
void tk_llm_parse_error(apr_pool_t *p, int status, const char *body,
                        size_t len, tk_llm_error_t *e);

/* Whether a failed attempt is worth another: 408, 409, 429 (but not for
 * insufficient_quota) and 5xx, and no answer at all (status 0: a timeout
 * or a broken connection); never 400, 401, 403, 404 or other 4xx. */
int tk_llm_retryable(const tk_llm_error_t *e);

/* Seconds to wait before attempt `attempt` + 1: retry-after-ms, else
 * retry-after (seconds or an HTTP date), else exponential backoff from
 * half a second with jitter (random: any 64-bit number); never more than
 * cap.  Either header may be NULL. */
double tk_llm_retry_delay(const char *retry_after_ms, const char *retry_after,
                          int attempt, apr_time_t now, uint64_t random,
                          double cap);

/* The answer cache's key: lower-case hex SHA-256 of the model, a newline
 * and the request body with its keys sorted (so the same request always
 * has the same key). */
const char *tk_llm_cache_key(apr_pool_t *p, const char *model,
                             const json_t *body);

#endif
