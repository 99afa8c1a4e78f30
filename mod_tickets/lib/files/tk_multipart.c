/* tk_multipart.c: the streaming multipart/form-data parser (see
 * tk_multipart.h).
 *
 * The body is read as a stream of bytes by a small state machine.  The
 * delimiter of parts is CRLF "--" boundary; a body may also start with
 * "--" boundary, so the parser begins as if a CRLF had just been read.
 * Delimiters are found with the Knuth-Morris-Pratt automaton, so a
 * delimiter split across any two chunks is found and the bytes of a
 * partial match that turn out to be content are given back in order.
 * Content goes out through a small buffer, flushed when full and at the
 * end of each chunk.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "files/tk_multipart.h"
#include "core/tk_utf8.h"

typedef enum {
    TK_MP_PREAMBLE,     /* before the first delimiter: ignored */
    TK_MP_AFTER,        /* just after a delimiter: "--" or CRLF */
    TK_MP_AFTER_DASH,   /* one '-' of the closing "--" */
    TK_MP_AFTER_CR,     /* the CR of the CRLF */
    TK_MP_HEADERS,      /* a part's header block */
    TK_MP_BODY,         /* a part's content */
    TK_MP_EPILOGUE,     /* after the closing delimiter: ignored */
    TK_MP_FAILED
} tk_mp_state_t;

#define TK_MP_DELIM_MAX (4 + TK_MULTIPART_BOUNDARY_MAX)
#define TK_MP_OUT 4096

struct tk_multipart_t {
    apr_pool_t *pool;
    const tk_multipart_cb_t *cb;
    void *baton;
    tk_mp_state_t state;
    char delim[TK_MP_DELIM_MAX + 1];    /* CRLF "--" boundary */
    size_t dlen;
    size_t fail[TK_MP_DELIM_MAX];       /* KMP failure function */
    size_t matched;                     /* bytes of delim matched */
    char headers[TK_MULTIPART_HEADERS_MAX + 1];
    size_t hlen;
    int parts;
    char out[TK_MP_OUT];
    size_t olen;
};

static int tk_mp_error(tk_multipart_t *m, tk_err_t *err, const char *message)
{
    m->state = TK_MP_FAILED;
    return tk_err(err, TK_E_VALIDATION, "file", message);
}

/* ---------------------------------------------------------------------
 * The boundary
 * ------------------------------------------------------------------- */

/* RFC 2046's bchars: digits, letters and '()+_,-./:=? and space (not
 * last). */
static int tk_bchar(char c)
{
    return apr_isalnum(c) || (c && strchr("'()+_,-./:=? ", c));
}

static int tk_boundary_valid(const char *b)
{
    size_t n = strlen(b), i;

    if (n < 1 || n > TK_MULTIPART_BOUNDARY_MAX || b[n - 1] == ' ') {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        if (!tk_bchar(b[i])) {
            return 0;
        }
    }
    return 1;
}

/* The value of parameter name in ";"-separated params (a token or a
 * quoted string), or NULL. */
static const char *tk_param(apr_pool_t *p, const char *params,
                            const char *name)
{
    size_t nlen = strlen(name);
    const char *s = params;

    while (s && *s) {
        while (*s == ';' || *s == ' ' || *s == '\t') {
            ++s;
        }
        if (strncasecmp(s, name, nlen) == 0) {
            const char *v = s + nlen;

            while (*v == ' ' || *v == '\t') {
                ++v;
            }
            if (*v == '=') {
                ++v;
                while (*v == ' ' || *v == '\t') {
                    ++v;
                }
                if (*v == '"') {
                    char *out = apr_palloc(p, strlen(v)), *o = out;

                    for (++v; *v && *v != '"'; ++v) {
                        if (*v == '\\' && v[1]) {
                            ++v;
                        }
                        *o++ = *v;
                    }
                    if (*v != '"') {
                        return NULL;    /* unterminated */
                    }
                    *o = '\0';
                    return out;
                }
                return apr_pstrndup(p, v, strcspn(v, "; \t"));
            }
        }
        /* Skip this parameter, minding quoted semicolons. */
        while (*s && *s != ';') {
            if (*s == '"') {
                for (++s; *s && *s != '"'; ++s) {
                    if (*s == '\\' && s[1]) {
                        ++s;
                    }
                }
                if (!*s) {
                    return NULL;
                }
            }
            ++s;
        }
    }
    return NULL;
}

const char *tk_multipart_boundary(apr_pool_t *p, const char *content_type,
                                  tk_err_t *err)
{
    static const char type[] = "multipart/form-data";
    const char *rest, *b;

    if (!content_type
        || strncasecmp(content_type, type, sizeof(type) - 1) != 0) {
        tk_err(err, TK_E_UNSUPPORTED_MEDIA_TYPE, NULL,
               "Send the file as multipart/form-data (field \"file\"), or "
               "as the raw body with ?filename=.");
        return NULL;
    }
    rest = content_type + sizeof(type) - 1;
    while (*rest == ' ' || *rest == '\t') {
        ++rest;
    }
    if (*rest != ';' || !(b = tk_param(p, rest, "boundary"))
        || !tk_boundary_valid(b)) {
        tk_err(err, TK_E_VALIDATION, "file",
               "The multipart/form-data Content-Type has no valid boundary.");
        return NULL;
    }
    return b;
}

tk_multipart_t *tk_multipart_create(apr_pool_t *p, const char *boundary,
                                    const tk_multipart_cb_t *cb, void *baton)
{
    tk_multipart_t *m = apr_pcalloc(p, sizeof(*m));
    size_t i, k = 0;

    m->pool = p;
    m->cb = cb;
    m->baton = baton;
    m->dlen = 4 + strlen(boundary);
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, boundary, strlen(boundary));
    /* fail[i]: the longest proper prefix of delim[0..i] that is also its
     * suffix. */
    m->fail[0] = 0;
    for (i = 1; i < m->dlen; ++i) {
        while (k > 0 && m->delim[i] != m->delim[k]) {
            k = m->fail[k - 1];
        }
        if (m->delim[i] == m->delim[k]) {
            ++k;
        }
        m->fail[i] = k;
    }
    m->matched = 2;         /* as if a CRLF came before the first "--" */
    m->state = TK_MP_PREAMBLE;
    return m;
}

/* ---------------------------------------------------------------------
 * A part's headers
 * ------------------------------------------------------------------- */

/* RFC 5987's ext-value of filename*: UTF-8''percent-encoded. */
static const char *tk_ext_value(apr_pool_t *p, const char *v)
{
    const char *q = strstr(v, "''");
    char *out, *o;

    if (!q || q - v != 5 || strncasecmp(v, "utf-8", 5) != 0) {
        return NULL;
    }
    out = o = apr_palloc(p, strlen(q) + 1);
    for (q += 2; *q; ++q) {
        if (*q == '%' && apr_isxdigit(q[1]) && apr_isxdigit(q[2])) {
            char hex[3] = { q[1], q[2], 0 };

            if ((*o++ = (char)strtol(hex, NULL, 16)) == '\0') {
                return NULL;
            }
            q += 2;
        }
        else if (*q == '%') {
            return NULL;
        }
        else {
            *o++ = *q;
        }
    }
    *o = '\0';
    return tk_utf8_valid(out) ? out : NULL;
}

static int tk_disposition(tk_multipart_t *m, const char *v, tk_part_t *part,
                          tk_err_t *err)
{
    const char *ext;

    if (strncasecmp(v, "form-data", 9) != 0
        || (v[9] && v[9] != ';' && v[9] != ' ')) {
        return tk_mp_error(m, err, "A part's Content-Disposition must be "
                                   "form-data.");
    }
    part->name = tk_param(m->pool, v + 9, "name");
    part->filename = tk_param(m->pool, v + 9, "filename");
    if ((ext = tk_param(m->pool, v + 9, "filename*"))) {
        if (!(part->filename = tk_ext_value(m->pool, ext))) {
            return tk_mp_error(m, err, "A part's filename* is not UTF-8 "
                                       "percent-encoded.");
        }
    }
    if (!part->name) {
        return tk_mp_error(m, err, "A part's Content-Disposition has no "
                                   "name.");
    }
    return 0;
}

/* The header block in m->headers (its final CRLF CRLF included). */
static int tk_parse_headers(tk_multipart_t *m, tk_part_t *part, tk_err_t *err)
{
    char *line, *next;

    memset(part, 0, sizeof(*part));
    m->headers[m->hlen - 2] = '\0';     /* drop the blank line */
    for (line = m->headers; *line; line = next) {
        char *end = strstr(line, "\r\n"), *colon, *v;

        if (!end) {
            return tk_mp_error(m, err, "A part's header line is malformed.");
        }
        *end = '\0';
        next = end + 2;
        if (*line == ' ' || *line == '\t' || !(colon = strchr(line, ':'))
            || colon == line) {
            return tk_mp_error(m, err, "A part's header line is malformed.");
        }
        *colon = '\0';
        for (v = colon + 1; *v == ' ' || *v == '\t'; ++v) {
        }
        if (!tk_utf8_valid(v)) {
            return tk_mp_error(m, err, "A part's header is not UTF-8.");
        }
        if (strcasecmp(line, "Content-Disposition") == 0) {
            if (tk_disposition(m, v, part, err)) {
                return -1;
            }
        }
        else if (strcasecmp(line, "Content-Type") == 0) {
            part->content_type = apr_pstrdup(m->pool, v);
        }
    }
    if (!part->name) {
        return tk_mp_error(m, err, "A part has no Content-Disposition.");
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Feeding
 * ------------------------------------------------------------------- */

static int tk_flush(tk_multipart_t *m, tk_err_t *err)
{
    if (m->olen && m->state == TK_MP_BODY
        && m->cb->on_data(m->baton, m->out, m->olen, err)) {
        m->state = TK_MP_FAILED;
        return -1;
    }
    m->olen = 0;
    return 0;
}

/* One byte of content (dropped before the first part). */
static int tk_content(tk_multipart_t *m, char c, tk_err_t *err)
{
    if (m->state != TK_MP_BODY) {
        return 0;
    }
    if (m->olen == TK_MP_OUT && tk_flush(m, err)) {
        return -1;
    }
    m->out[m->olen++] = c;
    return 0;
}

/* One byte through the delimiter automaton: 1 when it completed a
 * delimiter, 0 when not, -1 on a callback's failure. */
static int tk_scan(tk_multipart_t *m, char c, tk_err_t *err)
{
    while (m->matched > 0 && c != m->delim[m->matched]) {
        /* The matched bytes before the longest prefix still alive are
         * content after all. */
        size_t keep = m->fail[m->matched - 1], i;

        for (i = 0; i < m->matched - keep; ++i) {
            if (tk_content(m, m->delim[i], err)) {
                return -1;
            }
        }
        m->matched = keep;
    }
    if (c == m->delim[m->matched]) {
        if (++m->matched == m->dlen) {
            m->matched = 0;
            return 1;
        }
        return 0;
    }
    return tk_content(m, c, err);
}

static int tk_delimiter_found(tk_multipart_t *m, tk_err_t *err)
{
    if (m->state == TK_MP_BODY) {
        if (tk_flush(m, err) || m->cb->on_end(m->baton, err)) {
            m->state = TK_MP_FAILED;
            return -1;
        }
    }
    m->state = TK_MP_AFTER;
    return 0;
}

static int tk_header_byte(tk_multipart_t *m, char c, tk_err_t *err)
{
    tk_part_t part;

    if (m->hlen == TK_MULTIPART_HEADERS_MAX) {
        return tk_mp_error(m, err, apr_psprintf(m->pool, "A part's headers "
                           "are larger than %d bytes.",
                           TK_MULTIPART_HEADERS_MAX));
    }
    m->headers[m->hlen++] = c;
    m->headers[m->hlen] = '\0';
    if (m->hlen == 2 && memcmp(m->headers, "\r\n", 2) == 0) {
        return tk_mp_error(m, err, "A part has no headers.");
    }
    if (m->hlen < 4 || memcmp(m->headers + m->hlen - 4, "\r\n\r\n", 4) != 0) {
        return 0;
    }
    if (tk_parse_headers(m, &part, err)) {
        return -1;
    }
    if (m->cb->on_part(m->baton, &part, err)) {
        m->state = TK_MP_FAILED;
        return -1;
    }
    m->state = TK_MP_BODY;
    m->matched = 0;
    return 0;
}

/* The bytes between a delimiter and the next part's headers: "--" ends
 * the body; transport padding (spaces, tabs) then CRLF begins a part. */
static int tk_after_byte(tk_multipart_t *m, char c, tk_err_t *err)
{
    switch (m->state) {
    case TK_MP_AFTER:
        if (c == '-') {
            m->state = TK_MP_AFTER_DASH;
        }
        else if (c == '\r') {
            m->state = TK_MP_AFTER_CR;
        }
        else if (c != ' ' && c != '\t') {
            return tk_mp_error(m, err, "A multipart delimiter is followed by "
                                       "neither CRLF nor \"--\".");
        }
        return 0;
    case TK_MP_AFTER_DASH:
        if (c != '-') {
            return tk_mp_error(m, err, "A multipart delimiter is malformed.");
        }
        m->state = TK_MP_EPILOGUE;
        return 0;
    default:    /* TK_MP_AFTER_CR */
        if (c != '\n') {
            return tk_mp_error(m, err, "A multipart delimiter is malformed.");
        }
        if (++m->parts > TK_MULTIPART_PARTS_MAX) {
            return tk_mp_error(m, err, apr_psprintf(m->pool, "A body may "
                               "have at most %d parts.",
                               TK_MULTIPART_PARTS_MAX));
        }
        m->state = TK_MP_HEADERS;
        m->hlen = 0;
        return 0;
    }
}

int tk_multipart_feed(tk_multipart_t *m, const char *data, size_t len,
                      tk_err_t *err)
{
    size_t i;
    int rv;

    for (i = 0; i < len; ++i) {
        switch (m->state) {
        case TK_MP_PREAMBLE:
        case TK_MP_BODY:
            if ((rv = tk_scan(m, data[i], err)) < 0
                || (rv == 1 && tk_delimiter_found(m, err))) {
                return -1;
            }
            break;
        case TK_MP_AFTER:
        case TK_MP_AFTER_DASH:
        case TK_MP_AFTER_CR:
            if (tk_after_byte(m, data[i], err)) {
                return -1;
            }
            break;
        case TK_MP_HEADERS:
            if (tk_header_byte(m, data[i], err)) {
                return -1;
            }
            break;
        case TK_MP_EPILOGUE:
            return 0;
        default:
            return tk_err(err, TK_E_VALIDATION, "file",
                          "The multipart body was refused.");
        }
    }
    return tk_flush(m, err);
}

int tk_multipart_finish(tk_multipart_t *m, tk_err_t *err)
{
    if (m->state == TK_MP_FAILED) {
        return tk_err(err, TK_E_VALIDATION, "file",
                      "The multipart body was refused.");
    }
    if (m->state != TK_MP_EPILOGUE) {
        return tk_mp_error(m, err, m->parts == 0
                           ? "The multipart body has no parts."
                           : "The multipart body ends before its closing "
                             "boundary.");
    }
    return 0;
}
