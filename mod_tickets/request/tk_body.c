/* tk_body.c: the request body, read into pool memory within
 * TicketsMaxBodySize before it is parsed: as JSON for the API, as bytes
 * for the webhooks, whose signatures are over the body as sent (see
 * tk_request.h). */
#include <apr_strings.h>
#include <http_protocol.h>
#include "request/tk_request.h"
#include "core/tk_json.h"

/* "application/json", any case, alone or followed by parameters
 * ("; charset=utf-8"), with optional white space before the ';'. */
static int tk_is_json_type(const char *ct)
{
    size_t n = sizeof("application/json") - 1;

    if (!ct || strncasecmp(ct, "application/json", n) != 0) {
        return 0;
    }
    for (ct += n; *ct == ' ' || *ct == '\t'; ++ct) {
    }
    return *ct == '\0' || *ct == ';';
}

static int tk_too_large(tk_ctx_t *c, apr_off_t limit)
{
    return tk_fail(c, TK_E_PAYLOAD_TOO_LARGE, NULL,
                   apr_psprintf(c->r->pool, "The request body is larger than "
                                "the limit of %" APR_OFF_T_FMT " bytes.", limit));
}

static int tk_unreadable(tk_ctx_t *c)
{
    return tk_fail(c, TK_E_BAD_REQUEST, NULL,
                   "The request body could not be read.");
}

/* ap_setup_client_block, dechunking: TK_OK or TK_FAIL. */
static int tk_body_open(tk_ctx_t *c)
{
    return ap_setup_client_block(c->r, REQUEST_CHUNKED_DECHUNK) == OK
           ? TK_OK : tk_unreadable(c);
}

/* Read the whole body into pool memory, never more than limit bytes: a
 * declared length is allocated once; a chunked body grows by doubling. */
static int tk_read_body(tk_ctx_t *c, apr_off_t declared, apr_off_t limit)
{
    request_rec *r = c->r;
    apr_size_t cap = declared >= 0 ? (apr_size_t)declared + 1 : 8192;
    apr_size_t len = 0;
    char *buf = apr_palloc(r->pool, cap);
    long n;

    if (tk_body_open(c) != TK_OK) {
        return TK_FAIL;
    }
    if (ap_should_client_block(r)) {
        for (;;) {
            if (declared >= 0 && (apr_off_t)len == declared) {
                break;          /* all of it: no need to grow and look */
            }
            if (len + 1 >= cap) {
                /* Room for limit + 1 bytes tells "too large" from "full". */
                apr_size_t want = cap * 2;
                char *bigger;
                if ((apr_off_t)want > limit + 2) {
                    want = (apr_size_t)limit + 2;
                }
                if (want <= cap) {
                    return tk_too_large(c, limit);
                }
                bigger = apr_palloc(r->pool, want);
                memcpy(bigger, buf, len);
                buf = bigger;
                cap = want;
            }
            n = ap_get_client_block(r, buf + len, cap - 1 - len);
            if (n <= 0) {
                break;
            }
            len += (apr_size_t)n;
            if ((apr_off_t)len > limit) {
                return tk_too_large(c, limit);
            }
        }
        if (n < 0) {
            return tk_unreadable(c);
        }
    }
    buf[len] = '\0';
    c->raw_body = buf;
    c->raw_len = len;
    return TK_OK;
}

int tk_body_declared(tk_ctx_t *c, apr_off_t limit, const char *field,
                     const char *too_large, apr_off_t *declared)
{
    const char *clen = apr_table_get(c->r->headers_in, "Content-Length");
    apr_int64_t v;
    char *end;

    *declared = -1;
    if (!clen) {
        return TK_OK;
    }
    v = apr_strtoi64(clen, &end, 10);
    if (*end || end == clen || v < 0) {
        return tk_fail(c, TK_E_BAD_REQUEST, NULL,
                       "The Content-Length header is malformed.");
    }
    if (v > limit) {
        return too_large ? tk_fail(c, TK_E_PAYLOAD_TOO_LARGE, field, too_large)
                         : tk_too_large(c, limit);
    }
    *declared = (apr_off_t)v;
    return TK_OK;
}

int tk_read_chunks(tk_ctx_t *c, tk_chunk_fn *fn, void *baton)
{
    request_rec *r = c->r;
    char *buf = apr_palloc(r->pool, TK_CHUNK_SIZE);
    long n = 0;

    if (tk_body_open(c) != TK_OK) {
        return TK_FAIL;
    }
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf, TK_CHUNK_SIZE)) > 0) {
            if (fn(baton, buf, (apr_size_t)n, &c->err)) {
                return TK_FAIL;
            }
        }
    }
    return n < 0 ? tk_unreadable(c) : TK_OK;
}

int tk_read_raw(tk_ctx_t *c)
{
    apr_off_t declared;

    if (tk_body_declared(c, c->dconf->max_body, NULL, NULL, &declared)) {
        return TK_FAIL;
    }
    return tk_read_body(c, declared, c->dconf->max_body);
}

int tk_read_json(tk_ctx_t *c)
{
    if (!tk_is_json_type(apr_table_get(c->r->headers_in, "Content-Type"))) {
        return tk_fail(c, TK_E_UNSUPPORTED_MEDIA_TYPE, NULL,
                       "Send the request body as application/json.");
    }
    if (tk_read_raw(c) != TK_OK) {
        return TK_FAIL;
    }
    c->body = tk_json_parse_object(c->r->pool, c->raw_body, c->raw_len,
                                   &c->err);
    return c->body ? TK_OK : TK_FAIL;
}
