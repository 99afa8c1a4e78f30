/* fuzz_sse.c: the SSE library layer on arbitrary bytes.
 *
 * - sse_record_decode on the whole input; whatever decodes must re-encode
 *   to exactly the input, and decode again to the same fields.
 * - sse_event_encode with the input as data, and its first bytes (up to a
 *   NUL, at most 64) as the event type: refused exactly when the type
 *   holds CR or LF; otherwise the length returned is the length written,
 *   and reading the block back as a client would (join the data: lines
 *   with "\n") gives the data with its line breaks made "\n".
 * - sse_event_parse_id on the input as text: what parses prints back
 *   (as an id block) to the same two numbers.
 * - sse_filter_parse on the input cut at NULs into types, ticket and
 *   conversation: a refusal comes with a one-line printable sentence; a
 *   filter holds only known types and lowercase uuids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "sse_event.h"
#include "sse_filter.h"
#include "sse_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const uint64_t fz_id[2] = { 4711, 7 };

static void fz_same(const sse_record_t *a, const sse_record_t *b)
{
    int i;

    FZ_CHECK(strcmp(a->org, b->org) == 0);
    FZ_CHECK(strcmp(a->type, b->type) == 0);
    FZ_CHECK(strcmp(a->ticket, b->ticket) == 0);
    FZ_CHECK(strcmp(a->conversation, b->conversation) == 0);
    for (i = 0; i < SSE_RECORD_AUDIENCE; ++i) {
        FZ_CHECK(strcmp(a->audience[i], b->audience[i]) == 0);
    }
    FZ_CHECK(!a->staff_only == !b->staff_only);
    FZ_CHECK(a->data_len == b->data_len);
    FZ_CHECK(memcmp(a->data, b->data, a->data_len) == 0);
}

static void fz_record(apr_pool_t *p, const uint8_t *data, size_t size)
{
    sse_record_t r, again;
    sse_viewer_t v;
    sse_filter_t f;
    unsigned char *buf;
    apr_ssize_t n;

    if (sse_record_decode(data, size, &r) != 0) {
        return;
    }
    n = sse_record_encode(NULL, 0, &r);
    FZ_CHECK(n == (apr_ssize_t)size);
    buf = apr_palloc(p, size);
    FZ_CHECK(sse_record_encode(buf, size, &r) == n);
    FZ_CHECK(memcmp(buf, data, size) == 0);
    FZ_CHECK(sse_record_decode(buf, size, &again) == 0);
    fz_same(&r, &again);

    /* the record's own org and first audience id as a customer */
    v.org = r.org;
    v.user = r.audience[0];
    v.role = "customer";
    FZ_CHECK(sse_visible(&v, &r) == (!r.staff_only && *r.audience[0] != '\0'));
    v.role = "agent";
    FZ_CHECK(sse_visible(&v, &r) == 1);
    memset(&f, 0, sizeof(f));
    FZ_CHECK(sse_wanted(&f, &r) == 1);
    f.tickets_only = 1;
    FZ_CHECK(sse_wanted(&f, &r) == (strncmp(r.type, "ticket_", 7) == 0));
}

/* The data a client gets from block[0..n): its data: lines joined by "\n". */
static char *fz_client_data(apr_pool_t *p, const char *block, apr_size_t n,
                            apr_size_t *len)
{
    char *out = apr_palloc(p, n + 1);
    apr_size_t i = 0, o = 0;
    int first = 1;

    while (i < n) {
        const char *nl = memchr(block + i, '\n', n - i);
        apr_size_t end;

        FZ_CHECK(nl != NULL);
        end = (apr_size_t)(nl - block);
        if (end - i >= 6 && memcmp(block + i, "data: ", 6) == 0) {
            if (!first) {
                out[o++] = '\n';
            }
            memcpy(out + o, block + i + 6, end - i - 6);
            o += end - i - 6;
            first = 0;
        }
        i = end + 1;
    }
    *len = o;
    return out;
}

static void fz_id_text(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char *text = apr_pstrmemdup(p, (const char *)data, size);
    uint64_t id[2], again[2];
    char block[SSE_EVENT_ID_MAX + 8];
    apr_ssize_t n;

    if (strlen(text) != size || sse_event_parse_id(text, id) != 0) {
        return;
    }
    n = sse_event_id(block, sizeof(block), id);
    FZ_CHECK(n > 6 && (size_t)n < sizeof(block));
    block[n - 2] = '\0';                /* "id: X-N" */
    FZ_CHECK(sse_event_parse_id(block + 4, again) == 0);
    FZ_CHECK(again[0] == id[0] && again[1] == id[1]);
}

static void fz_event(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char type[65];
    size_t tlen = 0, i, norm_len = 0;
    apr_ssize_t n;
    char *buf, *norm, *got;
    apr_size_t got_len;

    while (tlen < size && tlen < 64 && data[tlen] != 0) {
        type[tlen] = (char)data[tlen];
        ++tlen;
    }
    type[tlen] = '\0';

    n = sse_event_encode(NULL, 0, fz_id, type, (const char *)data, size);
    if (strpbrk(type, "\r\n")) {
        FZ_CHECK(n == -1);
        return;
    }
    FZ_CHECK(n > 0);
    buf = apr_palloc(p, (apr_size_t)n + 1);
    FZ_CHECK(sse_event_encode(buf, (apr_size_t)n + 1, fz_id, type,
                              (const char *)data, size) == n);
    FZ_CHECK(buf[n] == '\0');
    FZ_CHECK(n >= 2 && buf[n - 1] == '\n' && buf[n - 2] == '\n');
    /* one byte short: the length, nothing written */
    buf[0] = 'X';
    FZ_CHECK(sse_event_encode(buf, (apr_size_t)n, fz_id, type,
                              (const char *)data, size) == n);
    FZ_CHECK(buf[0] == 'X');
    sse_event_encode(buf, (apr_size_t)n + 1, fz_id, type, (const char *)data, size);

    /* the data with CRLF, CR and LF each made one "\n" */
    norm = apr_palloc(p, size + 1);
    for (i = 0; i < size; ++i) {
        if (data[i] == '\r') {
            norm[norm_len++] = '\n';
            if (i + 1 < size && data[i + 1] == '\n') {
                ++i;
            }
        }
        else {
            norm[norm_len++] = (char)data[i];
        }
    }
    /* the block minus its final empty line */
    got = fz_client_data(p, buf, (apr_size_t)n - 1, &got_len);
    FZ_CHECK(got_len == norm_len);
    FZ_CHECK(memcmp(got, norm, norm_len) == 0);
}

static void fz_filter(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char *s = apr_pstrmemdup(p, (const char *)data, size);
    const char *part[3] = { NULL, NULL, NULL };
    const char *err = NULL, *c;
    size_t off = 0;
    sse_filter_t f;
    int k;

    /* up to three NUL-separated strings; a missing one is absent */
    for (k = 0; k < 3 && off <= size; ++k) {
        part[k] = s + off;
        off += strlen(s + off) + 1;
    }
    if (sse_filter_parse(p, part[0], part[1], part[2], &f, &err) != 0) {
        FZ_CHECK(err != NULL && *err != '\0');
        for (c = err; *c; ++c) {
            FZ_CHECK(*c >= 0x20 && *c < 0x7f);
        }
        return;
    }
    FZ_CHECK((f.types >> SSE_FILTER_NTYPES) == 0);
    FZ_CHECK(part[0] == NULL || f.types != 0);
    FZ_CHECK(f.ticket == NULL || sse_record_uuid_valid(f.ticket, strlen(f.ticket)));
    FZ_CHECK(f.conversation == NULL
             || sse_record_uuid_valid(f.conversation, strlen(f.conversation)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    fz_record(p, data, size);
    fz_event(p, data, size);
    fz_id_text(p, data, size);
    fz_filter(p, data, size);
    apr_pool_destroy(p);
    return 0;
}
