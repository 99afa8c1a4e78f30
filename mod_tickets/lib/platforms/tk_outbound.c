/* tk_outbound.c: a reply as each platform's send request, and the
 * platform's answer as a verdict (see tk_platform.h).
 *
 * Requests are built with jansson and apr_escape; nothing is sent here.
 * The verdict is in three parts: sent, try again, failed for good.  What
 * is worth trying again: the transport failing (timeouts, refused or
 * unresolved peers, TLS and protocol errors, an answer too long to be a
 * send API's), HTTP 408, 429 and 5xx, and the codes each platform uses in
 * its error documents for a rate limit or a failure of its own.  Anything
 * else the platform refused is failed for good, with its own message.
 *
 * A 2xx answer without the message id we expect is still SENT, with
 * message_id NULL: the platform took the request, and sending it again
 * would show the customer the same reply twice, which is worse than not
 * knowing the platform's id for it.  Zalo and TikTok answer HTTP 200 for
 * their refusals too; there the envelope's code decides.
 *
 * No error sentence carries a token: our own never name one, tk_http's
 * never carry the URL (Facebook's has the token), and a platform's
 * message, which may echo what it was sent ("Malformed access token
 * ..."), is cut to TK_OUT_MSG_MAX bytes, stripped of control characters,
 * and has every run of TK_OUT_SECRET_RUN or more token characters
 * replaced by "[redacted]" (ids and trace ids are shorter).
 */
#include <math.h>
#include <string.h>
#include <apr_date.h>
#include <apr_escape.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "core/tk_json.h"
#include "platforms/tk_platform.h"

#define TK_OUT_MSG_MAX      300
#define TK_OUT_SECRET_RUN   24
#define TK_OUT_ID_MAX       128

/* ---------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------- */

const char *tk_send_default_base(tk_platform_t platform)
{
    switch (platform) {
    case TK_PLATFORM_FACEBOOK:
        return "https://graph.facebook.com";
    case TK_PLATFORM_ZALO:
        return "https://openapi.zalo.me";
    case TK_PLATFORM_TIKTOK:
        return "https://business-api.tiktok.com";
    case TK_PLATFORM_DISCORD:
        return "https://discord.com";
    default:
        return NULL;
    }
}

/* 1 when s is a non-empty value that can go into a header line. */
static int tk_out_header_safe(const char *s)
{
    return s && *s && !strpbrk(s, "\r\n");
}

static void tk_out_header(apr_array_header_t *h, apr_pool_t *p,
                          const char *name, const char *value)
{
    *(const char **)apr_array_push(h) = apr_pstrcat(p, name, ": ", value,
                                                    NULL);
}

int tk_send_request(apr_pool_t *p, tk_platform_t platform,
                    const tk_send_t *in, tk_http_req_t *req)
{
    const char *base = tk_send_default_base(platform), *body;
    apr_array_header_t *headers;
    json_t *j = NULL;
    apr_size_t n;

    if (!base || !in || !tk_out_header_safe(in->token)
        || !tk_out_header_safe(in->recipient) || !in->text) {
        return -1;
    }
    if (in->base && *in->base) {
        base = in->base;
    }
    n = strlen(base);
    while (n && base[n - 1] == '/') {
        --n;
    }
    base = apr_pstrmemdup(p, base, n);
    headers = apr_array_make(p, 3, sizeof(const char *));
    tk_out_header(headers, p, "Content-Type", "application/json");

    switch (platform) {
    case TK_PLATFORM_FACEBOOK:
        req->url = apr_pstrcat(p, base, "/",
            apr_pescape_path_segment(p, in->version && *in->version
                                        ? in->version
                                        : TK_FACEBOOK_GRAPH_VERSION),
            "/me/messages?access_token=",
            apr_pescape_urlencoded(p, in->token), NULL);
        j = json_pack("{s:{s:s},s:s,s:{s:s}}", "recipient", "id",
                      in->recipient, "messaging_type", "RESPONSE", "message",
                      "text", in->text);
        break;
    case TK_PLATFORM_ZALO:
        req->url = apr_pstrcat(p, base, "/v3.0/oa/message/cs", NULL);
        tk_out_header(headers, p, "access_token", in->token);
        j = json_pack("{s:{s:s},s:{s:s}}", "recipient", "user_id",
                      in->recipient, "message", "text", in->text);
        break;
    case TK_PLATFORM_TIKTOK:
        if (!in->account_id || !*in->account_id) {
            return -1;
        }
        req->url = apr_pstrcat(p, base,
                               "/open_api/v1.3/business/message/send/", NULL);
        tk_out_header(headers, p, "Access-Token", in->token);
        j = json_pack("{s:s,s:s,s:s,s:s,s:{s:s}}", "business_id",
                      in->account_id, "recipient_type", "CONVERSATION",
                      "recipient", in->recipient, "message_type", "TEXT",
                      "text", "body", in->text);
        break;
    default:    /* TK_PLATFORM_DISCORD */
        req->url = apr_pstrcat(p, base, "/api/v10/channels/",
                               apr_pescape_path_segment(p, in->recipient),
                               "/messages", NULL);
        tk_out_header(headers, p, "Authorization",
                      apr_pstrcat(p, "Bot ", in->token, NULL));
        /* An agent's reply may quote "@everyone" or a role from the
         * customer: it mentions no one. */
        j = json_pack("{s:s,s:{s:[]}}", "content", in->text,
                      "allowed_mentions", "parse");
        break;
    }
    /* json_pack refuses text that is not UTF-8. */
    if (!tk_json_own(p, j) || !(body = tk_json_dump(p, j))) {
        return -1;
    }
    req->method = "POST";
    req->headers = headers;
    req->body = body;
    req->body_len = strlen(body);
    return 0;
}

/* ---------------------------------------------------------------------
 * Reading answers
 * ------------------------------------------------------------------- */

/* Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date, as
 * seconds from now; -1 when absent or malformed, 0 for a past date.
 * tk_http_retry_after says the same; this one keeps the library's
 * platforms layer free of the HTTP client's code. */
static double tk_out_retry_after(const char *value, apr_time_t now)
{
    apr_time_t when;
    const char *s;
    double secs = 0;

    if (!value) {
        return -1;
    }
    while (*value == ' ' || *value == '\t') {
        ++value;
    }
    if (apr_isdigit(*value)) {
        for (s = value; apr_isdigit(*s); ++s) {
            secs = secs * 10 + (*s - '0');
        }
        while (*s == ' ' || *s == '\t') {
            ++s;
        }
        /* more than 30 years is no delay a server means */
        return *s || secs > 1e9 ? -1 : secs;
    }
    when = apr_date_parse_http(value);
    if (when == APR_DATE_BAD) {
        return -1;
    }
    return when <= now ? 0 : (double)(when - now) / APR_USEC_PER_SEC;
}

/* An id from an answer: a string of 1 to TK_OUT_ID_MAX bytes, or an
 * integer; NULL otherwise. */
static const char *tk_out_id(apr_pool_t *p, json_t *v)
{
    if (json_is_integer(v)) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(v));
    }
    if (!json_is_string(v) || json_string_length(v) == 0
        || json_string_length(v) > TK_OUT_ID_MAX) {
        return NULL;
    }
    return apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
}

static int tk_out_secret_char(unsigned char c)
{
    return apr_isalnum(c) || c == '.' || c == '_' || c == '-' || c == '~'
           || c == '+' || c == '=';
}

/* A platform's message made fit for our sentences (see the top). */
static const char *tk_out_clean(apr_pool_t *p, const char *msg)
{
    apr_size_t n, i, run;
    char *out, *o;

    if (!msg || !*msg) {
        return NULL;
    }
    n = strlen(msg);
    if (n > TK_OUT_MSG_MAX) {
        n = TK_OUT_MSG_MAX;
        /* back to a character's first byte (jansson gave us UTF-8) */
        while (n && ((unsigned char)msg[n] & 0xc0) == 0x80) {
            --n;
        }
    }
    /* "[redacted]" is shorter than the run it stands for: n + 1 holds it */
    o = out = apr_palloc(p, n + 1);
    for (i = 0; i < n; i += run ? run : 1) {
        run = 0;
        while (i + run < n && tk_out_secret_char((unsigned char)msg[i + run])) {
            ++run;
        }
        if (run >= TK_OUT_SECRET_RUN) {
            memcpy(o, "[redacted]", sizeof("[redacted]") - 1);
            o += sizeof("[redacted]") - 1;
        }
        else if (run) {
            memcpy(o, msg + i, run);
            o += run;
        }
        else {
            unsigned char c = (unsigned char)msg[i];

            *o++ = c < 0x20 || c == 0x7f ? ' ' : (char)c;
        }
    }
    *o = '\0';
    return out;
}

static const char *tk_out_pname(tk_platform_t platform)
{
    switch (platform) {
    case TK_PLATFORM_FACEBOOK:
        return "Facebook";
    case TK_PLATFORM_ZALO:
        return "Zalo";
    case TK_PLATFORM_TIKTOK:
        return "TikTok";
    default:
        return "Discord";
    }
}

/* Facebook's Graph API error codes that mean "later": 1 unknown (often
 * downtime), 2 service unavailable, 4 application request limit, 17 user
 * request limit, 32 page request limit, 341 application limit, 613 calls
 * within an hour, 80001-80014 the business use case limits (80006 is
 * Messenger's).  Graph also marks an error "is_transient". */
static int tk_out_facebook_transient(json_int_t code)
{
    return code == 1 || code == 2 || code == 4 || code == 17 || code == 32
           || code == 341 || code == 613 || (code >= 80001 && code <= 80014);
}

/* TikTok's Business API codes that mean "later": 40100 too many requests
 * (the QPS limit), 40064 messages sent too fast, and 5xxxx, TikTok's own
 * failures (50000 system error, 50002 service error, ...). */
static int tk_out_tiktok_transient(json_int_t code)
{
    return code == 40100 || code == 40064 || (code >= 50000 && code <= 59999);
}

/* What one answer said, platform by platform. */
typedef struct {
    int refused;            /* the platform's own document says no */
    int transient;          /* ... and that later may be yes */
    json_int_t code;        /* its code, when refused with one */
    const char *message;    /* its message, cleaned, or NULL */
    const char *id;         /* the message id, on success */
    double retry_after;     /* a delay asked in the body, or -1 */
} tk_out_read_t;

static void tk_out_read(apr_pool_t *p, tk_platform_t platform, json_t *j,
                        tk_out_read_t *r)
{
    json_t *err, *code;

    memset(r, 0, sizeof(*r));
    r->retry_after = -1;
    switch (platform) {
    case TK_PLATFORM_FACEBOOK:
        err = json_object_get(j, "error");
        if (json_is_object(err)) {
            r->refused = 1;
            r->code = json_integer_value(json_object_get(err, "code"));
            r->transient = tk_out_facebook_transient(r->code)
                           || json_is_true(json_object_get(err,
                                                           "is_transient"));
            r->message = json_string_value(json_object_get(err, "message"));
        }
        r->id = tk_out_id(p, json_object_get(j, "message_id"));
        break;
    case TK_PLATFORM_ZALO:
        code = json_object_get(j, "error");
        if (json_is_integer(code) && json_integer_value(code) != 0) {
            r->refused = 1;
            r->code = json_integer_value(code);
        }
        r->message = json_string_value(json_object_get(j, "message"));
        r->id = tk_out_id(p, json_object_get(json_object_get(j, "data"),
                                             "message_id"));
        break;
    case TK_PLATFORM_TIKTOK:
        code = json_object_get(j, "code");
        if (json_is_integer(code) && json_integer_value(code) != 0) {
            r->refused = 1;
            r->code = json_integer_value(code);
            r->transient = tk_out_tiktok_transient(r->code);
        }
        r->message = json_string_value(json_object_get(j, "message"));
        r->id = tk_out_id(p, json_object_get(json_object_get(json_object_get(
                    j, "data"), "message"), "message_id"));
        break;
    default:    /* Discord: {"code","message"} on errors, the message
                 * object on success, {"retry_after"} on 429 */
        code = json_object_get(j, "code");
        if (json_is_integer(code)) {
            r->code = json_integer_value(code);
        }
        r->message = json_string_value(json_object_get(j, "message"));
        r->id = tk_out_id(p, json_object_get(j, "id"));
        if (json_is_number(json_object_get(j, "retry_after"))) {
            double ra = json_number_value(json_object_get(j, "retry_after"));

            if (isfinite(ra) && ra >= 0 && ra < 1e9) {
                r->retry_after = ra;
            }
        }
        break;
    }
    r->message = tk_out_clean(p, r->message);
}

static void tk_out_error(apr_pool_t *p, tk_platform_t platform, int status,
                         const tk_out_read_t *r, tk_send_outcome_t *out)
{
    const char *what = r->code
        ? apr_psprintf(p, "HTTP %d, code %" APR_INT64_T_FMT, status,
                       (apr_int64_t)r->code)
        : apr_psprintf(p, "HTTP %d", status);

    out->error = r->message
        ? apr_psprintf(p, "%s answered %s: %s", tk_out_pname(platform), what,
                       r->message)
        : apr_psprintf(p, "%s answered %s.", tk_out_pname(platform), what);
}

void tk_send_judge(apr_pool_t *p, tk_platform_t platform, apr_status_t rv,
                   const tk_http_resp_t *resp, apr_time_t now,
                   tk_send_outcome_t *out)
{
    tk_out_read_t r;
    json_error_t jerr;
    json_t *j = NULL;
    double header_ra;
    int status;

    memset(out, 0, sizeof(*out));
    out->verdict = TK_SEND_FAILED;
    out->retry_after = -1;
    if (!tk_send_default_base(platform)) {
        out->error = "The web platform has no send API.";
        return;
    }
    if (rv != APR_SUCCESS || !resp) {
        /* EINVAL is our own request's fault: another try is the same.
         * Anything else failed on the way; ENOSPC included, since a send
         * API's answer is small and a long one is a proxy's error page. */
        out->verdict = rv == APR_EINVAL ? TK_SEND_FAILED : TK_SEND_RETRY;
        out->error = resp && resp->error ? resp->error
                     : rv == APR_EINVAL ? "The send request is malformed."
                     : "The platform could not be reached.";
        return;
    }
    status = resp->status;
    if (status < 100 || status > 599) {
        out->verdict = TK_SEND_RETRY;
        out->error = apr_psprintf(p, "%s sent no HTTP status.",
                                  tk_out_pname(platform));
        return;
    }
    if (resp->body && resp->body_len) {
        j = tk_json_own(p, json_loadb(resp->body, resp->body_len, 0, &jerr));
    }
    tk_out_read(p, platform, json_is_object(j) ? j : NULL, &r);

    if (status == 408 || status == 429 || status >= 500 || r.transient) {
        out->verdict = TK_SEND_RETRY;
        header_ra = tk_out_retry_after(resp->headers
                                       ? apr_table_get(resp->headers,
                                                       "Retry-After")
                                       : NULL, now);
        out->retry_after = header_ra > r.retry_after ? header_ra
                                                     : r.retry_after;
        tk_out_error(p, platform, status, &r, out);
        return;
    }
    if (status >= 200 && status < 300 && !r.refused) {
        out->verdict = TK_SEND_SENT;
        out->message_id = r.id;
        return;
    }
    /* 4xx, 1xx and 3xx (no redirect is followed: a moved API is a
     * configuration to fix), and refusals at 2xx. */
    tk_out_error(p, platform, status, &r, out);
}
