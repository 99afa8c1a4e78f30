/* test_sse_record.c: the event record payload (sse_record.c): exact
 * bytes, round trips with every field, empty optional fields and maximum
 * lengths, the snprintf contract of the encoder, every invalid record the
 * encoder refuses, and every malformed payload the decoder refuses,
 * including each prefix and each one-byte change of valid records.
 *
 * Decoding reads from heap copies of exactly the bytes given, so an
 * out-of-bounds read shows under ASan (make asan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tk_suites.h"
#include "sse_record.h"

#define ORG   "0b6c3d1e-8f7a-4c2b-9d1e-2f3a4b5c6d7e"
#define TKT   "11111111-2222-4333-8444-555555555555"
#define CONV  "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define AUD0  "01234567-89ab-4cde-8f01-23456789abcd"
#define AUD1  "fedcba98-7654-4321-8fed-cba987654321"
#define DATA  "{\"id\":\"" TKT "\",\"subject\":\"Printer\"}"

static sse_record_t tr_full(void)
{
    sse_record_t r;

    memset(&r, 0, sizeof(r));
    r.org = ORG;
    r.type = "ticket_created";
    r.ticket = TKT;
    r.conversation = CONV;
    r.audience[0] = AUD0;
    r.audience[1] = AUD1;
    r.staff_only = 1;
    r.data = DATA;
    r.data_len = strlen(DATA);
    return r;
}

static sse_record_t tr_min(void)
{
    sse_record_t r;

    memset(&r, 0, sizeof(r));
    r.org = ORG;
    r.type = "x";
    r.data = "{}";
    r.data_len = 2;
    return r;
}

/* Encode r into a buffer of exactly its length, in tk_tp. */
static unsigned char *tr_encode(const sse_record_t *r, apr_size_t *len)
{
    apr_ssize_t n = sse_record_encode(NULL, 0, r);
    unsigned char *buf;

    ck_assert_int_gt(n, 0);
    buf = apr_palloc(tk_tp, (apr_size_t)n);
    ck_assert_int_eq(sse_record_encode(buf, (apr_size_t)n, r), n);
    *len = (apr_size_t)n;
    return buf;
}

/* Decode a malloc'ed copy of exactly len bytes (so ASan sees any read past
 * them); the result of sse_record_decode.  The copy is freed: the decoded
 * pointers must not be used afterwards. */
static int tr_decode_copy(const void *bytes, apr_size_t len, sse_record_t *out)
{
    unsigned char *copy = malloc(len ? len : 1);
    int rc;

    ck_assert_ptr_nonnull(copy);
    if (len) {
        memcpy(copy, bytes, len);
    }
    rc = sse_record_decode(copy, len, out);
    free(copy);
    return rc;
}

static const char *tr_s(const char *s)
{
    return s ? s : "";
}

static void tr_assert_same(const sse_record_t *a, const sse_record_t *b)
{
    ck_assert_str_eq(a->org, b->org);
    ck_assert_str_eq(a->type, b->type);
    ck_assert_str_eq(tr_s(a->ticket), tr_s(b->ticket));
    ck_assert_str_eq(tr_s(a->conversation), tr_s(b->conversation));
    ck_assert_str_eq(tr_s(a->audience[0]), tr_s(b->audience[0]));
    ck_assert_str_eq(tr_s(a->audience[1]), tr_s(b->audience[1]));
    ck_assert_int_eq(!!a->staff_only, !!b->staff_only);
    ck_assert_uint_eq(a->data_len, b->data_len);
    ck_assert_int_eq(memcmp(a->data, b->data, a->data_len), 0);
}

/* ---- encoding ---------------------------------------------------------------- */

START_TEST(exact_bytes)
{
    sse_record_t r = tr_min();
    apr_size_t len;
    unsigned char *b = tr_encode(&r, &len);
    static const unsigned char head[] = {
        1, 0, 1, 36, 0, 0, 0, 0, 2, 0, 0, 0
    };

    ck_assert_uint_eq(len, SSE_RECORD_HDR + 1 + 1 + 36 + 1 + 4 + 2 + 1);
    ck_assert_int_eq(memcmp(b, head, sizeof(head)), 0);
    ck_assert_int_eq(memcmp(b + 12, "x\0" ORG "\0\0\0\0\0{}\0", len - 12), 0);

    r.staff_only = 7;           /* any non-zero value is the flag */
    r.data_len = 0x10203;
    r.data = tk_repeat("a", r.data_len);
    b = tr_encode(&r, &len);
    ck_assert_uint_eq(b[1], 1);
    ck_assert_uint_eq(b[8], 0x03);
    ck_assert_uint_eq(b[9], 0x02);
    ck_assert_uint_eq(b[10], 0x01);
    ck_assert_uint_eq(b[11], 0x00);
}
END_TEST

START_TEST(round_trip_full)
{
    sse_record_t r = tr_full(), d;
    apr_size_t len;
    unsigned char *b = tr_encode(&r, &len);

    ck_assert_int_eq(sse_record_decode(b, len, &d), 0);
    tr_assert_same(&r, &d);
    ck_assert_int_eq(d.staff_only, 1);
    /* zero-copy: the fields point into the payload, NUL-terminated */
    ck_assert_ptr_eq(d.type, (const char *)b + SSE_RECORD_HDR);
    ck_assert(d.data > (const char *)b && d.data + d.data_len < (const char *)b + len);
    ck_assert_int_eq(d.data[d.data_len], '\0');
    ck_assert_uint_eq(strlen(d.data), d.data_len);
}
END_TEST

START_TEST(round_trip_empty_optional)
{
    sse_record_t r = tr_min(), d;
    apr_size_t len;
    unsigned char *b = tr_encode(&r, &len);

    ck_assert_int_eq(sse_record_decode(b, len, &d), 0);
    tr_assert_same(&r, &d);
    ck_assert_str_eq(d.ticket, "");
    ck_assert_str_eq(d.conversation, "");
    ck_assert_str_eq(d.audience[0], "");
    ck_assert_str_eq(d.audience[1], "");
    ck_assert_int_eq(d.staff_only, 0);

    /* "" encodes as NULL does */
    {
        sse_record_t e = tr_min();
        apr_size_t len2;
        unsigned char *b2;

        e.ticket = "";
        e.conversation = "";
        e.audience[0] = "";
        e.audience[1] = "";
        b2 = tr_encode(&e, &len2);
        ck_assert_uint_eq(len2, len);
        ck_assert_int_eq(memcmp(b, b2, len), 0);
    }

    /* only the second audience id, only a conversation */
    r.audience[1] = AUD1;
    r.conversation = CONV;
    b = tr_encode(&r, &len);
    ck_assert_int_eq(sse_record_decode(b, len, &d), 0);
    tr_assert_same(&r, &d);
    ck_assert_str_eq(d.audience[0], "");
    ck_assert_str_eq(d.ticket, "");
}
END_TEST

START_TEST(round_trip_max)
{
    sse_record_t r = tr_full(), d;
    apr_size_t len;
    unsigned char *b;

    r.type = tk_repeat("z", SSE_RECORD_TYPE_MAX);
    r.data_len = SSE_RECORD_DATA_MAX;
    r.data = tk_repeat("\xff", SSE_RECORD_DATA_MAX);   /* any byte >= 0x20 */
    b = tr_encode(&r, &len);
    ck_assert_uint_eq(len, SSE_RECORD_HDR + 41 + 5 * 37 + SSE_RECORD_DATA_MAX + 1);
    ck_assert_int_eq(sse_record_decode(b, len, &d), 0);
    tr_assert_same(&r, &d);
    ck_assert_uint_eq(strlen(d.type), SSE_RECORD_TYPE_MAX);

    /* every type character */
    r = tr_full();
    r.type = "abcdefghijklmnopqrstuvwxyz_";
    b = tr_encode(&r, &len);
    ck_assert_int_eq(sse_record_decode(b, len, &d), 0);
    ck_assert_str_eq(d.type, r.type);
}
END_TEST

START_TEST(buffer_contract)
{
    sse_record_t r = tr_full();
    apr_ssize_t n = sse_record_encode(NULL, 0, &r);
    unsigned char buf[512];
    apr_size_t size;

    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, (apr_ssize_t)sizeof(buf));
    /* too small by any amount: the length, nothing written */
    for (size = 1; size < (apr_size_t)n; ++size) {
        memset(buf, 0xAA, sizeof(buf));
        ck_assert_int_eq(sse_record_encode(buf, size, &r), n);
        ck_assert_uint_eq(buf[0], 0xAA);
    }
    /* exactly the length, or more: written, nothing past it */
    memset(buf, 0xAA, sizeof(buf));
    ck_assert_int_eq(sse_record_encode(buf, (apr_size_t)n, &r), n);
    ck_assert_uint_eq(buf[0], SSE_RECORD_VERSION);
    ck_assert_uint_eq(buf[n], 0xAA);
    memset(buf, 0xAA, sizeof(buf));
    ck_assert_int_eq(sse_record_encode(buf, sizeof(buf), &r), n);
    ck_assert_uint_eq(buf[n], 0xAA);
    /* NULL buffer with a size */
    ck_assert_int_eq(sse_record_encode(NULL, 10, &r), -1);
    ck_assert_int_eq(sse_record_encode(buf, sizeof(buf), NULL), -1);
}
END_TEST

/* Each mutation of a valid record must make the encoder refuse it. */
START_TEST(encode_refused)
{
    static const char *const bad_ids[] = {
        "0b6c3d1e-8f7a-4c2b-9d1e-2f3a4b5c6d7",      /* short */
        "0b6c3d1e-8f7a-4c2b-9d1e-2f3a4b5c6d7e0",    /* long */
        "0B6C3D1E-8F7A-4C2B-9D1E-2F3A4B5C6D7E",     /* upper case */
        "0b6c3d1e08f7a-4c2b-9d1e-2f3a4b5c6d7e",     /* dash moved */
        "0b6c3d1e-8f7a-4c2b-9d1e-2f3a4b5c6d7g",     /* not hex */
        "0b6c3d1e-8f7a-4c2b-9d1e-2f3a4b5c6d7\n",
        "0b6c3d1e08f7a04c2b09d1e02f3a4b5c6d7e",     /* no dashes */
        "x",
    };
    static const char *const bad_types[] = {
        "", "Ticket_created", "ticket-created", "ticket created",
        "ticket1", "ticket\n", "\xc3\xa9t\xc3\xa9",
    };
    static const char bad_data[][4] = { "\n", "a\rb", "\t", "a\x01", "\x1f" };
    sse_record_t r;
    size_t i;

    for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); ++i) {
        int field;

        for (field = 0; field < 5; ++field) {
            r = tr_full();
            switch (field) {
            case 0: r.org = bad_ids[i]; break;
            case 1: r.ticket = bad_ids[i]; break;
            case 2: r.conversation = bad_ids[i]; break;
            case 3: r.audience[0] = bad_ids[i]; break;
            case 4: r.audience[1] = bad_ids[i]; break;
            }
            ck_assert_msg(sse_record_encode(NULL, 0, &r) == -1,
                          "id \"%s\" accepted in field %d", bad_ids[i], field);
        }
    }
    r = tr_full();
    r.org = NULL;
    ck_assert_int_eq(sse_record_encode(NULL, 0, &r), -1);
    r.org = "";
    ck_assert_int_eq(sse_record_encode(NULL, 0, &r), -1);

    for (i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); ++i) {
        r = tr_full();
        r.type = bad_types[i];
        ck_assert_msg(sse_record_encode(NULL, 0, &r) == -1,
                      "type \"%s\" accepted", bad_types[i]);
    }
    r.type = NULL;
    ck_assert_int_eq(sse_record_encode(NULL, 0, &r), -1);
    r.type = tk_repeat("a", SSE_RECORD_TYPE_MAX + 1);
    ck_assert_int_eq(sse_record_encode(NULL, 0, &r), -1);

    for (i = 0; i < sizeof(bad_data) / sizeof(bad_data[0]); ++i) {
        r = tr_full();
        r.data = bad_data[i];
        r.data_len = strlen(bad_data[i]);
        ck_assert_msg(sse_record_encode(NULL, 0, &r) == -1,
                      "data %zu accepted", i);
    }
    r = tr_full();
    r.data = "a\0b";                    /* NUL inside the length */
    r.data_len = 3;
    ck_assert_int_eq(sse_record_encode(NULL, 0, &r), -1);
    r.data_len = 0;                     /* empty */
    ck_assert_int_eq(sse_record_encode(NULL, 0, &r), -1);
    r.data = NULL;
    r.data_len = 2;
    ck_assert_int_eq(sse_record_encode(NULL, 0, &r), -1);
    r.data_len = SSE_RECORD_DATA_MAX + 1;
    r.data = tk_repeat("a", r.data_len);
    ck_assert_int_eq(sse_record_encode(NULL, 0, &r), -1);
}
END_TEST

/* ---- decoding malformed payloads ------------------------------------------- */

START_TEST(every_prefix)
{
    sse_record_t recs[3], d;
    int k;

    recs[0] = tr_full();
    recs[1] = tr_min();
    recs[2] = tr_full();
    recs[2].type = tk_repeat("q", SSE_RECORD_TYPE_MAX);
    recs[2].ticket = NULL;
    recs[2].audience[0] = NULL;
    for (k = 0; k < 3; ++k) {
        apr_size_t len, n;
        unsigned char *b = tr_encode(&recs[k], &len);

        ck_assert_int_eq(tr_decode_copy(b, len, &d), 0);
        /* a record is its whole length: every proper prefix is refused */
        for (n = 0; n < len; ++n) {
            ck_assert_msg(tr_decode_copy(b, n, &d) == -1,
                          "record %d: prefix of %zu bytes decoded", k, n);
        }
    }
    ck_assert_int_eq(sse_record_decode(NULL, 0, &d), -1);
    ck_assert_int_eq(sse_record_decode(NULL, 100, &d), -1);
    ck_assert_int_eq(sse_record_decode("x", 1, NULL), -1);
}
END_TEST

START_TEST(trailing_bytes)
{
    sse_record_t r = tr_full(), d;
    apr_size_t len;
    unsigned char *b = tr_encode(&r, &len);
    unsigned char *longer = apr_pcalloc(tk_tp, len + 8);
    apr_size_t extra;

    memcpy(longer, b, len);
    for (extra = 1; extra <= 8; ++extra) {
        ck_assert_int_eq(tr_decode_copy(longer, len + extra, &d), -1);
    }
}
END_TEST

/* Change every byte of valid records to every other value: each result
 * either is refused or decodes to a record that re-encodes to exactly
 * those bytes (so no malformed record is ever accepted). */
START_TEST(every_byte_changed)
{
    sse_record_t recs[2], d;
    int k;

    recs[0] = tr_full();
    recs[1] = tr_min();
    for (k = 0; k < 2; ++k) {
        apr_size_t len, i;
        unsigned char *b = tr_encode(&recs[k], &len);
        unsigned char *copy = apr_palloc(tk_tp, len);
        unsigned char *again = apr_palloc(tk_tp, len);

        for (i = 0; i < len; ++i) {
            int v;

            for (v = 0; v < 256; ++v) {
                if (v == b[i]) {
                    continue;
                }
                memcpy(copy, b, len);
                copy[i] = (unsigned char)v;
                if (sse_record_decode(copy, len, &d) != 0) {
                    continue;
                }
                ck_assert_int_eq(sse_record_encode(again, len, &d), (apr_ssize_t)len);
                ck_assert_msg(memcmp(again, copy, len) == 0,
                              "record %d byte %zu = %d: decoded, re-encodes "
                              "differently", k, i, v);
            }
        }
    }
}
END_TEST

/* One malformed header or field at a time, each named. */
START_TEST(decode_refused)
{
    sse_record_t r = tr_full(), d;
    apr_size_t len;
    unsigned char *b = tr_encode(&r, &len);
    unsigned char *c = apr_palloc(tk_tp, len + 64);
    apr_size_t org_at = SSE_RECORD_HDR + strlen(r.type) + 1;
    apr_size_t data_at = len - 1 - r.data_len;

#define TR_MUTATE(stmt, what)                                               \
    do {                                                                    \
        memcpy(c, b, len);                                                  \
        stmt;                                                               \
        ck_assert_msg(sse_record_decode(c, len, &d) == -1, "accepted: %s",  \
                      what);                                                \
    } while (0)

    ck_assert_int_eq(sse_record_decode(b, len, &d), 0);
    TR_MUTATE(c[0] = 0, "version 0");
    TR_MUTATE(c[0] = 2, "version 2");
    TR_MUTATE(c[1] = 2, "reserved flag bit");
    TR_MUTATE(c[1] = 0x81, "high flag bit");
    TR_MUTATE(c[2] = 0, "empty type");
    TR_MUTATE(c[2] = 41, "type length 41");
    TR_MUTATE(c[3] = 35, "org length 35");
    TR_MUTATE(c[3] = 0, "org length 0");
    TR_MUTATE(c[4] = 35, "ticket length 35");
    TR_MUTATE(c[7] = 255, "audience length 255");
    TR_MUTATE(c[8] = 0; c[9] = 0, "data length 0");
    TR_MUTATE(c[11] = 0xff, "data length 4 GB");
    TR_MUTATE(c[10] = 0x10, "data length past SSE_RECORD_DATA_MAX");
    TR_MUTATE(c[org_at - 1] = 'x', "type terminator");
    TR_MUTATE(c[org_at + 36] = 'x', "org terminator");
    TR_MUTATE(c[len - 1] = 'x', "data terminator");
    TR_MUTATE(c[org_at] = 'A', "upper case org");
    TR_MUTATE(c[org_at + 8] = '0', "org dash");
    TR_MUTATE(c[SSE_RECORD_HDR] = '-', "type character");
    TR_MUTATE(c[data_at] = '\n', "line break in data");
    TR_MUTATE(c[data_at + 3] = '\0', "NUL in data");
#undef TR_MUTATE

    /* lengths that shift the fields but keep the total: type one shorter,
     * data one longer */
    memcpy(c, b, len);
    c[2] = (unsigned char)(c[2] - 1);
    c[8] = (unsigned char)(c[8] + 1);
    ck_assert_int_eq(sse_record_decode(c, len, &d), -1);

    /* a header promising more than is there */
    memcpy(c, b, SSE_RECORD_HDR);
    ck_assert_int_eq(tr_decode_copy(c, SSE_RECORD_HDR, &d), -1);
    memset(c, 0, 64);
    ck_assert_int_eq(tr_decode_copy(c, 64, &d), -1);
}
END_TEST

/* Pseudo-random bytes decode as -1 (or, if ever, as a well-formed record). */
START_TEST(random_bytes)
{
    unsigned char buf[300], again[300];
    uint32_t x = 2463534242u;
    int round;
    sse_record_t d;

    for (round = 0; round < 20000; ++round) {
        apr_size_t len = (apr_size_t)(round % (int)sizeof(buf)), i;

        for (i = 0; i < len; ++i) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (unsigned char)x;
        }
        if (len >= SSE_RECORD_HDR) {
            buf[0] = SSE_RECORD_VERSION;    /* get past the first check */
        }
        if (tr_decode_copy(buf, len, &d) == 0) {
            ck_assert_int_eq(sse_record_encode(again, len, &d), (apr_ssize_t)len);
        }
    }
}
END_TEST

START_TEST(validators)
{
    ck_assert(sse_record_uuid_valid(ORG, 36));
    ck_assert(!sse_record_uuid_valid(ORG, 35));
    ck_assert(!sse_record_uuid_valid(NULL, 36));
    ck_assert(sse_record_type_valid("new_message", 11));
    ck_assert(sse_record_type_valid("new_message!", 11));   /* by length */
    ck_assert(!sse_record_type_valid("new_message!", 12));
    ck_assert(!sse_record_type_valid("", 0));
}
END_TEST

Suite *tk_suite_sse_record(void)
{
    Suite *s = suite_create("sse_record");
    TCase *tc = tk_tcase("encode");
    TCase *td = tk_tcase("decode");

    tcase_add_test(tc, exact_bytes);
    tcase_add_test(tc, round_trip_full);
    tcase_add_test(tc, round_trip_empty_optional);
    tcase_add_test(tc, round_trip_max);
    tcase_add_test(tc, buffer_contract);
    tcase_add_test(tc, encode_refused);
    tcase_add_test(tc, validators);
    suite_add_tcase(s, tc);

    tcase_add_test(td, every_prefix);
    tcase_add_test(td, trailing_bytes);
    tcase_add_test(td, every_byte_changed);
    tcase_add_test(td, decode_refused);
    tcase_add_test(td, random_bytes);
    suite_add_tcase(s, td);
    return s;
}
