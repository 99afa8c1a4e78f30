/* sse_event.c: encoding blocks of a text/event-stream (see sse_event.h).
 *
 * Every public function describes its block in an sse_block_t and renders
 * it twice through the same builder: once to measure, once to write when
 * the caller's buffer (or the pool allocation) is large enough.  So the
 * length returned and the bytes written cannot disagree.
 *
 *   event block:   [id: X-N\n] [event: T\n] data: L1\n ... data: Ln\n \n
 *   retry block:   retry: MS\n \n
 *   id block:      id: X-N\n \n
 *   comment block: :[ TEXT]\n \n
 */
#include <string.h>
#include <stdlib.h>
#include <jansson.h>
#include <apr_strings.h>
#include "sse_event.h"

typedef enum {
    SSE_BLOCK_EVENT,
    SSE_BLOCK_RETRY,
    SSE_BLOCK_ID,
    SSE_BLOCK_COMMENT
} sse_form_t;

typedef struct {
    sse_form_t form;
    const uint64_t *id;     /* two words, or NULL */
    const char *type;       /* event type, or comment text */
    const char *data;
    apr_size_t len;
    long ms;
} sse_block_t;

/* Output being built: buf NULL only measures. */
typedef struct {
    char *buf;
    apr_size_t len;
} sse_out_t;

static void sse_put(sse_out_t *o, const char *s, apr_size_t n)
{
    if (o->buf && n) {
        memcpy(o->buf + o->len, s, n);
    }
    o->len += n;
}

static void sse_put_str(sse_out_t *o, const char *s)
{
    sse_put(o, s, strlen(s));
}

static void sse_put_u64(sse_out_t *o, uint64_t v)
{
    char digits[20];
    int i = (int)sizeof(digits);

    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sse_put(o, digits + i, sizeof(digits) - (apr_size_t)i);
}

/* A field value must stay on its line. */
static int sse_one_line(const char *s)
{
    return s == NULL || strpbrk(s, "\r\n") == NULL;
}

/* "data: <line>\n" for each line of data; CRLF, CR and LF all end one. */
static void sse_put_data(sse_out_t *o, const char *data, apr_size_t len)
{
    apr_size_t start = 0, i;

    for (i = 0; i < len; ++i) {
        if (data[i] != '\r' && data[i] != '\n') {
            continue;
        }
        sse_put(o, "data: ", 6);
        sse_put(o, data + start, i - start);
        sse_put(o, "\n", 1);
        if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n') {
            ++i;
        }
        start = i + 1;
    }
    sse_put(o, "data: ", 6);
    sse_put(o, data ? data + start : "", len - start);
    sse_put(o, "\n", 1);
}

/* "id: X-N\n" */
static void sse_put_id(sse_out_t *o, const uint64_t *id)
{
    sse_put(o, "id: ", 4);
    sse_put_u64(o, id[0]);
    sse_put(o, "-", 1);
    sse_put_u64(o, id[1]);
    sse_put(o, "\n", 1);
}

static void sse_build_event(sse_out_t *o, const sse_block_t *b)
{
    if (b->id != NULL) {
        sse_put_id(o, b->id);
    }
    if (b->type && *b->type) {
        sse_put(o, "event: ", 7);
        sse_put_str(o, b->type);
        sse_put(o, "\n", 1);
    }
    sse_put_data(o, b->data, b->len);
}

/* Build b into o; 0, or -1 when b cannot be encoded. */
static int sse_build(sse_out_t *o, const sse_block_t *b)
{
    switch (b->form) {
    case SSE_BLOCK_EVENT:
        if (!sse_one_line(b->type) || (b->data == NULL && b->len != 0)) {
            return -1;
        }
        sse_build_event(o, b);
        break;
    case SSE_BLOCK_RETRY:
        if (b->ms < 0) {
            return -1;
        }
        sse_put(o, "retry: ", 7);
        sse_put_u64(o, (uint64_t)b->ms);
        sse_put(o, "\n", 1);
        break;
    case SSE_BLOCK_ID:
        if (b->id == NULL) {
            return -1;
        }
        sse_put_id(o, b->id);
        break;
    case SSE_BLOCK_COMMENT:
        if (!sse_one_line(b->type)) {
            return -1;
        }
        sse_put(o, ":", 1);
        if (b->type && *b->type) {
            sse_put(o, " ", 1);
            sse_put_str(o, b->type);
        }
        sse_put(o, "\n", 1);
        break;
    }
    sse_put(o, "\n", 1);        /* the empty line that ends the block */
    return 0;
}

static apr_ssize_t sse_render(char *buf, apr_size_t bufsize,
                              const sse_block_t *b)
{
    sse_out_t o = { NULL, 0 };

    if (sse_build(&o, b) != 0 || (bufsize != 0 && buf == NULL)) {
        return -1;
    }
    if (o.len < bufsize) {
        sse_out_t w = { buf, 0 };

        sse_build(&w, b);
        buf[w.len] = '\0';
    }
    return (apr_ssize_t)o.len;
}

static const char *sse_prender(apr_pool_t *p, const sse_block_t *b,
                               apr_size_t *outlen)
{
    apr_ssize_t n = sse_render(NULL, 0, b);
    char *buf;

    if (n < 0) {
        return NULL;
    }
    buf = apr_palloc(p, (apr_size_t)n + 1);
    sse_render(buf, (apr_size_t)n + 1, b);
    if (outlen) {
        *outlen = (apr_size_t)n;
    }
    return buf;
}

/* ---- the blocks ------------------------------------------------------- */

static sse_block_t sse_block(sse_form_t form)
{
    sse_block_t b;

    memset(&b, 0, sizeof(b));
    b.form = form;
    return b;
}

static sse_block_t sse_event_block(const uint64_t *id, const char *type,
                                   const char *data, apr_size_t len)
{
    sse_block_t b = sse_block(SSE_BLOCK_EVENT);

    b.id = id;
    b.type = type;
    b.data = data;
    b.len = len;
    return b;
}

static sse_block_t sse_retry_block(long ms)
{
    sse_block_t b = sse_block(SSE_BLOCK_RETRY);

    b.ms = ms;
    return b;
}

static sse_block_t sse_id_block(const uint64_t *id)
{
    sse_block_t b = sse_block(SSE_BLOCK_ID);

    b.id = id;
    return b;
}

static sse_block_t sse_comment_block(const char *text)
{
    sse_block_t b = sse_block(SSE_BLOCK_COMMENT);

    b.type = text;
    return b;
}

apr_ssize_t sse_event_encode(char *buf, apr_size_t bufsize, const uint64_t *id,
                             const char *type, const char *data,
                             apr_size_t len)
{
    sse_block_t b = sse_event_block(id, type, data, len);

    return sse_render(buf, bufsize, &b);
}

apr_ssize_t sse_event_retry(char *buf, apr_size_t bufsize, long ms)
{
    sse_block_t b = sse_retry_block(ms);

    return sse_render(buf, bufsize, &b);
}

apr_ssize_t sse_event_id(char *buf, apr_size_t bufsize, const uint64_t *id)
{
    sse_block_t b = sse_id_block(id);

    return sse_render(buf, bufsize, &b);
}

apr_ssize_t sse_event_comment(char *buf, apr_size_t bufsize, const char *text)
{
    sse_block_t b = sse_comment_block(text);

    return sse_render(buf, bufsize, &b);
}

const char *sse_event_pencode(apr_pool_t *p, const uint64_t *id, const char *type,
                              const char *data, apr_size_t len,
                              apr_size_t *outlen)
{
    sse_block_t b = sse_event_block(id, type, data, len);

    return sse_prender(p, &b, outlen);
}

const char *sse_event_pretry(apr_pool_t *p, long ms, apr_size_t *outlen)
{
    sse_block_t b = sse_retry_block(ms);

    return sse_prender(p, &b, outlen);
}

const char *sse_event_pid(apr_pool_t *p, const uint64_t *id, apr_size_t *outlen)
{
    sse_block_t b = sse_id_block(id);

    return sse_prender(p, &b, outlen);
}

const char *sse_event_pcomment(apr_pool_t *p, const char *text,
                               apr_size_t *outlen)
{
    sse_block_t b = sse_comment_block(text);

    return sse_prender(p, &b, outlen);
}

/* One decimal number of at most 20 digits that fits 64 bits; *end gets
 * the first byte after it. */
static int sse_parse_u64(const char *s, const char **end, uint64_t *out)
{
    uint64_t v = 0;
    int n = 0;

    for (; *s >= '0' && *s <= '9'; ++s, ++n) {
        uint64_t d = (uint64_t)(*s - '0');

        if (n == 20 || v > (UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *end = s;
    *out = v;
    return n == 0 ? -1 : 0;
}

int sse_event_parse_id(const char *s, uint64_t id[2])
{
    const char *end;

    if (s == NULL || sse_parse_u64(s, &end, &id[0]) != 0 || *end != '-'
        || sse_parse_u64(end + 1, &end, &id[1]) != 0 || *end != '\0'
        || id[0] > SSE_EVENT_PART_MAX || id[1] > SSE_EVENT_PART_MAX) {
        return -1;
    }
    return 0;
}

const char *sse_event_preset(apr_pool_t *p, const char *reason,
                             apr_size_t *outlen)
{
    json_t *doc = json_pack("{s:s}", "reason", reason);
    char *data = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    const char *block = NULL, *text = NULL;
    apr_size_t len = 0;

    if (data) {
        block = sse_event_pencode(p, NULL, "reset", data, strlen(data), &len);
    }
    if (block) {
        text = apr_pstrcat(p, "id:\n", block, NULL);
        len += 4;
    }
    if (outlen) {
        *outlen = text ? len : 0;
    }
    free(data);
    json_decref(doc);
    return text;
}

const char *sse_event_pstart(apr_pool_t *p, long ms, const uint64_t *id,
                             apr_size_t *outlen)
{
    const char *text = id
        ? apr_psprintf(p, "retry: %ld\nid: %" APR_UINT64_T_FMT "-%"
                       APR_UINT64_T_FMT "\n\n", ms, (apr_uint64_t)id[0],
                       (apr_uint64_t)id[1])
        : apr_psprintf(p, "retry: %ld\n\n", ms);

    if (outlen) {
        *outlen = strlen(text);
    }
    return text;
}
