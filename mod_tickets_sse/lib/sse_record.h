/* sse_record.h: one event as the payload of a ring record.
 *
 * The ring (sse_ring.h) carries opaque bytes; this is what those bytes are
 * for an event: who may see it (organization, audience, staff-only flag),
 * what it concerns (type, ticket, conversation) and its data (one line of
 * JSON text).  The layout is drawn at the top of sse_record.c.
 *
 * Identifiers are canonical lowercase uuids (8-4-4-4-12, as PostgreSQL
 * prints them); optional ones are "" when absent.  A decoded record points
 * into the payload it was decoded from (no copy): every field there is
 * followed by a NUL, so each pointer is a C string, valid as long as the
 * payload is.
 */
#ifndef SSE_RECORD_H
#define SSE_RECORD_H

#include <stddef.h>
#include <apr.h>

/* The ring record type (sse_ring_append's type) of an event record. */
#define SSE_RECORD_RING_TYPE 1

/* Layout version written in byte 0. */
#define SSE_RECORD_VERSION 1

/* The fixed header before the fields. */
#define SSE_RECORD_HDR 12

/* Length of a uuid in text. */
#define SSE_RECORD_UUID_LEN 36

/* Longest event type. */
#define SSE_RECORD_TYPE_MAX 40

/* Longest data (bytes of JSON text). */
#define SSE_RECORD_DATA_MAX (1024 * 1024)

/* Audience ids a record carries. */
#define SSE_RECORD_AUDIENCE 2

typedef struct {
    const char *org;            /* organization uuid (required) */
    const char *type;           /* event type: 1..40 of [a-z_] */
    const char *ticket;         /* ticket uuid, or "" (NULL on encode) */
    const char *conversation;   /* conversation uuid, or "" (NULL on encode) */
    const char *audience[SSE_RECORD_AUDIENCE];
                                /* customer user uuids allowed to see it,
                                 * or "" (NULL on encode) */
    int staff_only;             /* non-zero: never shown to customers */
    const char *data;           /* data[0..data_len): JSON text, one line */
    size_t data_len;            /* 1..SSE_RECORD_DATA_MAX, every byte >= 0x20 */
} sse_record_t;

/* Encode rec into buf.  Like snprintf: returns the length of the whole
 * encoding and writes it only when it fits (bufsize >= that length; no NUL
 * is added after it); buf may be NULL when bufsize is 0, to measure.  -1
 * when rec is invalid: an org, ticket, conversation or audience id that is
 * not a lowercase uuid, a type that is empty, longer than 40 or not
 * [a-z_], data that is empty, longer than SSE_RECORD_DATA_MAX or holds a
 * byte below 0x20 (NUL, CR, LF, ...). */
apr_ssize_t sse_record_encode(void *buf, apr_size_t bufsize,
                              const sse_record_t *rec);

/* Decode payload[0..len) into out, pointing into payload.  0 on success;
 * -1 when the bytes are not exactly one record as sse_record_encode
 * writes them (out is then left in an unspecified state).  Safe on any
 * input: never reads outside payload[0..len). */
int sse_record_decode(const void *payload, apr_size_t len, sse_record_t *out);

/* 1 when s[0..len) is a canonical lowercase uuid. */
int sse_record_uuid_valid(const char *s, apr_size_t len);

/* 1 when s[0..len) is a valid event type (1..40 of [a-z_]). */
int sse_record_type_valid(const char *s, apr_size_t len);

#endif
