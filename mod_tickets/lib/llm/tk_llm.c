/* tk_llm.c: Chat Completions bodies built and answers read (see
 * tk_llm.h).  Every json_t given out is either a new reference the caller
 * owns or owned by the pool given. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "llm/tk_llm.h"
#include "llm/tk_redact.h"
#include "core/tk_json.h"
#include "crypto/tk_crypto.h"
#include "http/tk_http.h"
#include "jobs/tk_backoff.h"

/* ---- requests ---------------------------------------------------------- */

json_t *tk_llm_message(const char *role, const char *content)
{
    return json_pack("{s:s, s:s}", "role", role, "content",
                     content ? content : "");
}

json_t *tk_llm_tool_result(const char *tool_call_id, const char *content)
{
    return json_pack("{s:s, s:s, s:s}", "role", "tool", "tool_call_id",
                     tool_call_id, "content", content ? content : "");
}

static json_t *tk_llm_response_format(const tk_llm_request_t *req)
{
    if (req->schema) {
        return json_pack("{s:s, s:{s:s, s:O, s:b}}", "type", "json_schema",
                         "json_schema", "name",
                         req->schema_name ? req->schema_name : "answer",
                         "schema", req->schema, "strict", 1);
    }
    return req->json_object ? json_pack("{s:s}", "type", "json_object") : NULL;
}

json_t *tk_llm_request_body(const tk_llm_request_t *req)
{
    json_t *body, *fmt;

    if (!req->model || !*req->model || !json_is_array(req->messages)
        || req->max_tokens <= 0
        || (req->tools && !json_is_array(req->tools))) {
        return NULL;
    }
    body = json_pack("{s:s, s:O, s:i}", "model", req->model, "messages",
                     req->messages, "max_tokens", req->max_tokens);
    if (!body) {
        return NULL;
    }
    if (req->tools && json_array_size(req->tools) > 0) {
        json_object_set(body, "tools", req->tools);
        if (req->tool_choice) {
            json_object_set_new(body, "tool_choice",
                                json_string(req->tool_choice));
        }
    }
    if ((fmt = tk_llm_response_format(req)) != NULL) {
        json_object_set_new(body, "response_format", fmt);
    }
    if (req->temperature >= 0) {
        json_object_set_new(body, "temperature", json_real(req->temperature));
    }
    return body;
}

/* ---- answers ----------------------------------------------------------- */

const char *tk_llm_json_text(apr_pool_t *p, const char *content)
{
    const char *s = content, *e;

    if (!s) {
        return NULL;
    }
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') {
        ++s;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r'
                     || e[-1] == '\t')) {
        --e;
    }
    if (e - s >= 6 && strncmp(s, "```", 3) == 0 && strncmp(e - 3, "```", 3) == 0) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));

        if (nl && nl < e - 3) {
            s = nl + 1;             /* the fence's line, "```json" or so */
            e -= 3;
        }
    }
    return apr_pstrmemdup(p, s, (size_t)(e - s));
}

long tk_llm_estimate_tokens(size_t bytes)
{
    return (long)(bytes / 4) + 1;
}

/* A tool call's arguments, whichever way they came. */
static void tk_llm_arguments(apr_pool_t *p, json_t *args,
                             tk_llm_tool_call_t *tc)
{
    json_error_t jerr;
    json_t *parsed;

    if (json_is_object(args)) {
        tc->arguments = tk_json_own(p, json_incref(args));
        tc->arguments_text = tk_json_dump(p, args);
        return;
    }
    if (!args || json_is_null(args)
        || (json_is_string(args) && json_string_length(args) == 0)) {
        tc->arguments = tk_json_own(p, json_object());     /* no arguments */
        tc->arguments_text = "{}";
        return;
    }
    if (!json_is_string(args)) {
        tc->arguments_text = tk_json_dump(p, args);
        tc->arguments_error = "The arguments are not a JSON object.";
        return;
    }
    tc->arguments_text = apr_pstrmemdup(p, json_string_value(args),
                                        json_string_length(args));
    parsed = json_loadb(json_string_value(args), json_string_length(args),
                        JSON_REJECT_DUPLICATES, &jerr);
    if (!parsed) {
        tc->arguments_error = apr_psprintf(p, "The arguments are not valid "
                                           "JSON: %s.", jerr.text);
        return;
    }
    tk_json_own(p, parsed);
    if (!json_is_object(parsed)) {
        tc->arguments_error = "The arguments are not a JSON object.";
        return;
    }
    tc->arguments = parsed;
}

static int tk_llm_tool_calls(apr_pool_t *p, json_t *calls, tk_llm_answer_t *a)
{
    size_t i;
    json_t *c;
    int n = 0;

    if (!json_is_array(calls) || json_array_size(calls) == 0) {
        return 0;
    }
    a->tool_calls = apr_pcalloc(p, json_array_size(calls)
                                   * sizeof(*a->tool_calls));
    json_array_foreach(calls, i, c) {
        json_t *fn = json_object_get(c, "function");
        const char *name = json_string_value(json_object_get(fn, "name"));
        const char *id = json_string_value(json_object_get(c, "id"));
        tk_llm_tool_call_t *tc = &a->tool_calls[n];

        if (!name || !*name) {
            continue;               /* nothing to call */
        }
        tc->name = apr_pstrdup(p, name);
        tc->id = id && *id ? apr_pstrdup(p, id)
                           : apr_psprintf(p, "call_%d", n + 1);
        tk_llm_arguments(p, json_object_get(fn, "arguments"), tc);
        ++n;
    }
    a->ntool_calls = n;
    return n;
}

static const char *tk_llm_str(apr_pool_t *p, json_t *j)
{
    return json_is_string(j) ? apr_pstrmemdup(p, json_string_value(j),
                                              json_string_length(j))
                             : NULL;
}

static void tk_llm_usage(json_t *usage, size_t prompt_bytes,
                         tk_llm_answer_t *a)
{
    json_t *pt = json_object_get(usage, "prompt_tokens");
    json_t *ct = json_object_get(usage, "completion_tokens");
    size_t out = a->content ? strlen(a->content) : 0;
    int i;

    if (json_is_integer(pt) && json_is_integer(ct)
        && json_integer_value(pt) >= 0 && json_integer_value(ct) >= 0) {
        a->prompt_tokens = (long)json_integer_value(pt);
        a->completion_tokens = (long)json_integer_value(ct);
        return;
    }
    for (i = 0; i < a->ntool_calls; ++i) {
        out += strlen(a->tool_calls[i].name)
               + strlen(a->tool_calls[i].arguments_text);
    }
    a->prompt_tokens = tk_llm_estimate_tokens(prompt_bytes);
    a->completion_tokens = tk_llm_estimate_tokens(out);
    a->usage_estimated = 1;
}

int tk_llm_parse_answer(apr_pool_t *p, const char *body, size_t len,
                        size_t prompt_bytes, tk_llm_answer_t *a,
                        const char **why)
{
    json_t *root, *choice, *msg, *content;

    memset(a, 0, sizeof(*a));
    root = tk_json_own(p, json_loadb(body, len, 0, NULL));
    if (!json_is_object(root)) {
        *why = "The provider's answer is not a JSON object.";
        return -1;
    }
    choice = json_array_get(json_object_get(root, "choices"), 0);
    msg = json_object_get(choice, "message");
    if (!json_is_object(msg)) {
        *why = "The provider's answer has no message.";
        return -1;
    }
    a->id = tk_llm_str(p, json_object_get(root, "id"));
    a->model = tk_llm_str(p, json_object_get(root, "model"));
    a->finish_reason = tk_llm_str(p, json_object_get(choice, "finish_reason"));
    content = json_object_get(msg, "content");
    a->content = tk_llm_str(p, content);
    tk_llm_tool_calls(p, json_object_get(msg, "tool_calls"), a);
    if (!a->content && a->ntool_calls == 0) {
        *why = "The provider's answer has neither text nor a tool call.";
        return -1;
    }
    tk_llm_usage(json_object_get(root, "usage"), prompt_bytes, a);
    return 0;
}

json_t *tk_llm_assistant_message(const tk_llm_answer_t *a)
{
    json_t *m = json_pack("{s:s}", "role", "assistant"), *calls;
    int i;

    if (!m) {
        return NULL;
    }
    json_object_set_new(m, "content", a->content ? json_string(a->content)
                                                 : json_null());
    if (a->ntool_calls == 0) {
        return m;
    }
    calls = json_array();
    for (i = 0; i < a->ntool_calls; ++i) {
        const tk_llm_tool_call_t *tc = &a->tool_calls[i];

        json_array_append_new(calls, json_pack("{s:s, s:s, s:{s:s, s:s}}",
                                               "id", tc->id, "type",
                                               "function", "function", "name",
                                               tc->name, "arguments",
                                               tc->arguments_text));
    }
    json_object_set_new(m, "tool_calls", calls);
    return m;
}

/* ---- failures ------------------------------------------------------------ */

/* error.code as text, when it is a code: letters, digits, '_', '.' and
 * '-', at most 64 (free text there is not shown anywhere). */
static const char *tk_llm_code(apr_pool_t *p, json_t *code)
{
    if (json_is_string(code)) {
        const char *s = json_string_value(code);
        size_t n = json_string_length(code);

        const char *r;
        size_t out;

        if (n == 0 || n > 64
            || strspn(s, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n) {
            return NULL;
        }
        /* a word that is a key is no code */
        r = tk_redact(p, s, n, &out, NULL);
        return out == n && memcmp(r, s, n) == 0 ? apr_pstrmemdup(p, s, n)
                                                : NULL;
    }
    if (json_is_integer(code)) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(code));
    }
    return NULL;
}

void tk_llm_parse_error(apr_pool_t *p, int status, const char *body,
                        size_t len, tk_llm_error_t *e)
{
    json_t *root, *err;

    memset(e, 0, sizeof(*e));
    e->status = status;
    root = body && len ? tk_json_own(p, json_loadb(body, len, 0, NULL)) : NULL;
    err = json_object_get(root, "error");
    if (json_is_string(err)) {
        e->message = tk_llm_str(p, err);
        return;
    }
    if (!json_is_object(err)) {
        e->message = tk_llm_str(p, json_object_get(root, "message"));
        return;
    }
    e->code = tk_llm_code(p, json_object_get(err, "code"));
    e->type = tk_llm_str(p, json_object_get(err, "type"));
    e->message = tk_llm_str(p, json_object_get(err, "message"));
}

int tk_llm_retryable(const tk_llm_error_t *e)
{
    if (e->status == 429) {
        return !((e->code && strcmp(e->code, "insufficient_quota") == 0)
                 || (e->type && strcmp(e->type, "insufficient_quota") == 0));
    }
    return e->status == 0 || e->status == 408 || e->status == 409
           || (e->status >= 500 && e->status <= 599);
}

double tk_llm_retry_delay(const char *retry_after_ms, const char *retry_after,
                          int attempt, apr_time_t now, uint64_t random,
                          double cap)
{
    double d = -1;

    if (retry_after_ms && *retry_after_ms) {
        char *end;
        double ms = strtod(retry_after_ms, &end);

        if (end != retry_after_ms && *end == '\0' && ms >= 0) {
            d = ms / 1000.0;
        }
    }
    if (d < 0 && retry_after) {
        d = tk_http_retry_after(retry_after, now);
    }
    if (d < 0) {
        d = tk_backoff(attempt, 0.5, cap, random);
    }
    return d > cap ? cap : d;
}

const char *tk_llm_cache_key(apr_pool_t *p, const char *model,
                             const json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    const char *key;

    if (!text) {
        return NULL;
    }
    key = tk_sha256_strs(p, model, "\n", text, NULL);
    free(text);
    return key;
}
