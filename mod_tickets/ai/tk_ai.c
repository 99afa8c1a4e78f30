/* tk_ai.c: one call to the language model provider (see tk_ai.h).
 *
 *   1. a provider must be configured (else AI_UNAVAILABLE) and the
 *      organization's monthly budget not spent (else AI_BUDGET_EXCEEDED);
 *   2. every message is redacted (lib/llm/tk_redact.c) and the body
 *      built; its cache key is the SHA-256 of model and body, so the
 *      cache, the ledger and the logs only ever see redacted text;
 *   3. an answer kept for the same key is taken, costing no tokens (a
 *      ledger row marked cached);
 *   4. else the body is posted to <endpoint>/chat/completions, tried
 *      again on 408, 409, 429 (not insufficient_quota) and 5xx, or no
 *      answer, after retry-after-ms, retry-after or a backoff with
 *      jitter, while TicketsLLMTimeout lasts; a 400 to a json_schema
 *      request is tried once with json_object instead (providers that
 *      know only that);
 *   5. the ledger row records the outcome, and a good answer is cached.
 *
 * The API key is read from TicketsLLMKeyFile once, by the parent at
 * start-up, and goes only into the Authorization header: no error, log
 * line or answer holds it, nor any text of the provider's (which may echo
 * part of a key); failures are sentences of our own with the status and
 * the provider's error code.
 */
#include <apr_strings.h>
#include <apr_file_io.h>
#include <http_main.h>
#include "ai/tk_ai.h"
#include "core/tk_json.h"
#include "llm/tk_redact.h"
#include "http/tk_http.h"
#include "crypto/tk_crypto.h"
#include "tk_queries.h"

static const char *tk_ai_key;       /* the provider's key, or NULL */

static const tk_srv_conf_t *tk_ai_conf(void)
{
    return tk_srv_conf(ap_server_conf);
}

int tk_ai_configured(void)
{
    const tk_srv_conf_t *conf = tk_ai_conf();

    return conf->llm_endpoint && *conf->llm_endpoint && conf->llm_model
           && *conf->llm_model;
}

int tk_ai_budget_ok(apr_pool_t *p, tk_db_t *db, const char *org_id,
                    const char **why)
{
    tk_rows_t *rows;
    const char *budget, *used;

    if (TK_SELECT(db, ai_budget_left, &rows, org_id) != 0 || rows->nrows != 1) {
        *why = "The organization's AI budget could not be read; try again.";
        return -2;
    }
    budget = tk_rows_get(rows, 0, 0);
    used = tk_rows_get(rows, 0, 1);
    if (budget && apr_atoi64(used) >= apr_atoi64(budget)) {
        *why = apr_psprintf(p, "The organization's monthly AI budget of %s "
                            "tokens is spent (%s used); an admin can raise "
                            "it.", budget, used);
        return -1;
    }
    return 0;
}

/* ---- the ledger ---------------------------------------------------------- */

typedef struct {
    apr_time_t started;
    int attempts;
} tk_ai_try_t;

static void tk_ai_ledger(apr_pool_t *p, tk_db_t *db, const tk_ai_call_t *call,
                         const tk_ai_result_t *res, const tk_ai_try_t *t,
                         int ok)
{
    const tk_llm_answer_t *a = &res->answer;
    tk_rows_t *rows;
    long ms = (long)apr_time_as_msec(apr_time_now() - t->started);

    (void)TK_SELECT(db, ai_call_record, &rows, call->org_id, call->user_id,
                    call->ticket_id, call->conversation_id,
                    call->chat_session_id, call->purpose, res->model,
                    apr_ltoa(p, ok && !res->cached ? a->prompt_tokens : 0),
                    apr_ltoa(p, ok && !res->cached ? a->completion_tokens : 0),
                    ok && a->usage_estimated ? "true" : "false",
                    res->cached ? "true" : "false", apr_ltoa(p, ms),
                    apr_itoa(p, t->attempts), ok ? "ok" : "error",
                    ok ? NULL : res->error);
}

static int tk_ai_fail(tk_ai_result_t *res, tk_ecode_t code, const char *why)
{
    res->code = code;
    res->error = why;
    return -1;
}

/* ---- one attempt -------------------------------------------------------- */

static apr_array_header_t *tk_ai_headers(apr_pool_t *p)
{
    apr_array_header_t *h = apr_array_make(p, 2, sizeof(const char *));

    APR_ARRAY_PUSH(h, const char *) = "Content-Type: application/json";
    if (tk_ai_key) {
        APR_ARRAY_PUSH(h, const char *) = apr_pstrcat(p, "Authorization: "
                                                      "Bearer ", tk_ai_key,
                                                      NULL);
    }
    return h;
}

/* Why an attempt failed, in our words. */
static const char *tk_ai_why(apr_pool_t *p, apr_status_t rv,
                             const tk_http_resp_t *resp,
                             const tk_llm_error_t *e)
{
    if (rv != APR_SUCCESS) {
        return apr_pstrcat(p, "The AI provider could not be reached: ",
                           resp->error ? resp->error : "the request failed.",
                           NULL);
    }
    return apr_psprintf(p, "The AI provider answered %d%s%s%s.", resp->status,
                        e->code ? " (" : "", e->code ? e->code : "",
                        e->code ? ")" : "");
}

/* Posts body; 0 with resp a 2xx, 1 to try again after *wait seconds, -1
 * for a failure that another attempt would not mend; *why either way. */
static int tk_ai_attempt(apr_pool_t *p, const tk_ai_call_t *call,
                         const char *body, apr_time_t deadline, int attempt,
                         tk_http_resp_t *resp, tk_llm_error_t *e,
                         double *wait, const char **why)
{
    const tk_srv_conf_t *conf = tk_ai_conf();
    long left = (long)apr_time_as_msec(deadline - apr_time_now());
    tk_http_req_t req;
    apr_status_t rv;
    apr_uint64_t r = 0;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = apr_pstrcat(p, conf->llm_endpoint,
                          conf->llm_endpoint[strlen(conf->llm_endpoint) - 1]
                          == '/' ? "" : "/", "chat/completions", NULL);
    req.headers = tk_ai_headers(p);
    req.body = body;
    req.body_len = strlen(body);
    req.timeout_ms = left > 0 ? left : 1;
    req.connect_timeout_ms = conf->http_connect_timeout * 1000L < req.timeout_ms
                             ? conf->http_connect_timeout * 1000L
                             : req.timeout_ms;
    req.max_response = (apr_size_t)conf->http_max_response;
    req.conns = call->conns;
    rv = tk_http_perform(p, &req, resp);
    memset(e, 0, sizeof(*e));
    if (rv == APR_SUCCESS && resp->status >= 200 && resp->status < 300) {
        return 0;
    }
    if (rv == APR_SUCCESS) {
        tk_llm_parse_error(p, resp->status, resp->body, resp->body_len, e);
    }
    *why = tk_ai_why(p, rv, resp, e);
    if (rv == APR_EINVAL || !tk_llm_retryable(e)) {
        return -1;
    }
    apr_generate_random_bytes((unsigned char *)&r, sizeof(r));
    *wait = tk_llm_retry_delay(apr_table_get(resp->headers, "retry-after-ms"),
                               apr_table_get(resp->headers, "retry-after"),
                               attempt, apr_time_now(), r,
                               (double)conf->llm_timeout);
    return 1;
}

/* ---- the call ----------------------------------------------------------- */

/* Step 2: the redacted body, and its text. */
static json_t *tk_ai_body(apr_pool_t *p, tk_ai_call_t *call, const char **text)
{
    json_t *messages = tk_json_own(p, json_deep_copy(call->req.messages));
    tk_llm_request_t req = call->req;
    json_t *body;

    if (!messages || tk_redact_json(p, messages, NULL) != 0) {
        return NULL;
    }
    req.messages = messages;
    body = tk_json_own(p, tk_llm_request_body(&req));
    *text = body ? tk_json_dump(p, body) : NULL;
    return *text ? body : NULL;
}

/* Step 3: 1 when a kept answer was taken into res. */
static int tk_ai_cached(apr_pool_t *p, tk_db_t *db, const tk_ai_call_t *call,
                        const char *key, size_t prompt_bytes,
                        tk_ai_result_t *res)
{
    tk_rows_t *rows;
    const char *answer, *why;

    if (!key || TK_SELECT(db, ai_cache_get, &rows, call->org_id, key) != 0
        || rows->nrows != 1 || !(answer = tk_rows_get(rows, 0, 0))) {
        return 0;
    }
    if (tk_llm_parse_answer(p, answer, strlen(answer), prompt_bytes,
                            &res->answer, &why) != 0) {
        return 0;
    }
    res->cached = 1;
    return 1;
}

int tk_ai_complete(apr_pool_t *p, tk_db_t *db, tk_ai_call_t *call,
                   tk_ai_result_t *res)
{
    const tk_srv_conf_t *conf = tk_ai_conf();
    tk_ai_try_t t = { apr_time_now(), 0 };
    apr_time_t deadline = t.started + apr_time_from_sec(conf->llm_timeout);

    const char *text, *key = NULL, *why = NULL;
    tk_http_resp_t resp;
    tk_llm_error_t e;
    json_t *body;
    double wait = 0;
    int rc;

    memset(res, 0, sizeof(*res));
    if (call->deadline && call->deadline < deadline) {
        deadline = call->deadline;
    }
    if (deadline <= t.started) {
        return tk_ai_fail(res, TK_E_AI_UNAVAILABLE, "There was no time left "
                          "for the AI provider to answer.");
    }
    if (!tk_ai_configured()) {
        return tk_ai_fail(res, TK_E_AI_UNAVAILABLE, "No AI provider is "
                          "configured on this server.");
    }
    res->model = call->req.model = conf->llm_model;
    call->req.max_tokens = call->req.max_tokens > 0 ? call->req.max_tokens
                                                    : conf->llm_max_tokens;
    switch (tk_ai_budget_ok(p, db, call->org_id, &why)) {
    case 0:
        break;
    case -1:
        return tk_ai_fail(res, TK_E_AI_BUDGET_EXCEEDED, why);
    default:
        return tk_ai_fail(res, TK_E_DB_UNAVAILABLE, why);
    }
    if (!(body = tk_ai_body(p, call, &text))) {
        return tk_ai_fail(res, TK_E_INTERNAL, "The request to the AI provider "
                          "could not be built.");
    }
    if (conf->llm_cache_ttl > 0 && !call->no_cache) {
        key = tk_llm_cache_key(p, conf->llm_model, body);
        if (tk_ai_cached(p, db, call, key, strlen(text), res)) {
            tk_ai_ledger(p, db, call, res, &t, 1);
            return 0;
        }
    }
    for (;;) {
        ++t.attempts;
        rc = tk_ai_attempt(p, call, text, deadline, t.attempts, &resp, &e,
                           &wait, &why);
        if (rc == 0) {
            break;
        }
        if (rc < 0 && resp.status == 400 && call->req.schema
            && !call->req.json_object) {
            call->req.schema = NULL;      /* json_schema refused: fall back */
            call->req.json_object = 1;
            res->json_object = 1;
            if (!tk_ai_body(p, call, &text)) {
                break;
            }
            continue;
        }
        if (rc < 0 || t.attempts >= conf->llm_attempts
            || apr_time_now() + apr_time_from_msec((apr_int64_t)(wait * 1000))
               >= deadline) {
            res->error = why;
            tk_ai_ledger(p, db, call, res, &t, 0);
            return tk_ai_fail(res, TK_E_AI_UNAVAILABLE, why);
        }
        apr_sleep(apr_time_from_msec((apr_int64_t)(wait * 1000)));
    }
    if (rc != 0 || tk_llm_parse_answer(p, resp.body, resp.body_len,
                                       strlen(text), &res->answer, &why) != 0) {
        res->error = rc != 0 ? "The request to the AI provider could not be "
                               "built." : why;
        tk_ai_ledger(p, db, call, res, &t, 0);
        return tk_ai_fail(res, TK_E_AI_UNAVAILABLE, res->error);
    }
    tk_ai_ledger(p, db, call, res, &t, 1);
    if (key) {
        tk_rows_t *rows;

        (void)TK_SELECT(db, ai_cache_put, &rows, call->org_id, key, resp.body,
                        apr_ltoa(p, res->answer.prompt_tokens),
                        apr_ltoa(p, res->answer.completion_tokens),
                        apr_itoa(p, conf->llm_cache_ttl));
    }
    return 0;
}

/* ---- start-up ------------------------------------------------------------ */

/* The first line of the key file, trimmed; NULL with a log line when it
 * cannot be read, others than its owner may read it, or its first line
 * is no key (each stops the server). */
static const char *tk_ai_read_key(apr_pool_t *p, server_rec *s,
                                  const char *path)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char line[1024];
    size_t n;

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_PROT, f) != APR_SUCCESS
        || apr_file_gets(line, sizeof(line), f) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TK00101: "
                     "TicketsLLMKeyFile %s cannot be read", path);
        return NULL;
    }
    apr_file_close(f);
    if (!tk_secret_file_private(fi.protection)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TK00105: "
                     "TicketsLLMKeyFile %s may be read or written by others "
                     "than its owner (chmod 0600 it)", path);
        return NULL;
    }
    if (strlen(line) == sizeof(line) - 1 && line[sizeof(line) - 2] != '\n') {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TK00102: "
                     "TicketsLLMKeyFile %s: its first line is longer than a "
                     "key", path);
        return NULL;
    }
    for (n = strlen(line); n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'
                                     || line[n - 1] == ' '); --n) {
        line[n - 1] = '\0';
    }
    if (n == 0 || strpbrk(line, " \t") != NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TK00102: "
                     "TicketsLLMKeyFile %s holds no key on its first line",
                     path);
        return NULL;
    }
    return apr_pstrdup(p, line);
}

static int tk_ai_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    const tk_srv_conf_t *conf = tk_srv_conf(s);
    server_rec *late;

    (void)plog; (void)ptemp;
    tk_ai_key = NULL;
    if (conf->llm_key_file && *conf->llm_key_file
        && !(tk_ai_key = tk_ai_read_key(pconf, s, conf->llm_key_file))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    late = tk_job_outlasting(s, offsetof(tk_srv_conf_t, llm_timeout));
    if (late && tk_ai_configured()) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, late, "TK00103: "
                     "TicketsLLMTimeout (%d s) must be shorter than "
                     "TicketsJobLease (%d s)", tk_srv_conf(late)->llm_timeout,
                     tk_srv_conf(late)->job_lease);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void tk_ai_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_ai_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
