/* sse_record.c: the payload of an event record in the ring (see
 * sse_record.h).
 *
 * A fixed 12-byte header gives the length of every field; the fields
 * follow in the header's order, each followed by a NUL so a decoded record
 * can point into the payload and still hand out C strings:
 *
 *   byte   0         1         2         3         4         5         6         7
 *        +---------+---------+---------+---------+---------+---------+---------+---------+
 *      0 | version | flags   | type    | org     | ticket  | convers.| aud 0   | aud 1   |
 *        |   (1)   | bit 0:  | len     | len     | len     | len     | len     | len     |
 *        |         | staff   | 1..40   | 36      | 0 or 36 | 0 or 36 | 0 or 36 | 0 or 36 |
 *        +---------+---------+---------+---------+---------+---------+---------+---------+
 *      8 | data len: 32 bits, little endian,     |
 *        | 1..SSE_RECORD_DATA_MAX                |
 *        +---------------------------------------+
 *     12 | type \0 | org \0 | ticket \0 | conversation \0 | aud 0 \0 | aud 1 \0 | data \0 |
 *        +------------------------------------------------------------------------------+
 *
 *   total = 12 + (sum of the 7 lengths) + 7; a payload of any other length
 *   is refused.
 *
 * Flag bits other than bit 0 are reserved and must be 0.  An empty
 * optional field is its NUL alone.  Decoding checks everything encoding
 * promises (version, flags, every length, every terminator, uuid text,
 * type characters, data bytes), so a record that decodes is one that
 * sse_record_encode could have written, and re-encodes to the same bytes.
 */
#include <string.h>
#include "sse_record.h"

#define SSE_REC_FIELDS 7
#define SSE_REC_STAFF_ONLY 0x01

/* ---- field checks --------------------------------------------------------- */

int sse_record_uuid_valid(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (s == NULL || len != SSE_RECORD_UUID_LEN) {
        return 0;
    }
    for (i = 0; i < len; ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }
        }
        else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int sse_record_type_valid(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (s == NULL || len == 0 || len > SSE_RECORD_TYPE_MAX) {
        return 0;
    }
    for (i = 0; i < len; ++i) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_')) {
            return 0;
        }
    }
    return 1;
}

/* An optional id: empty, or a uuid. */
static int sse_rec_opt_id_valid(const char *s, apr_size_t len)
{
    return len == 0 || sse_record_uuid_valid(s, len);
}

static int sse_rec_data_valid(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (s == NULL || len == 0 || len > SSE_RECORD_DATA_MAX) {
        return 0;
    }
    for (i = 0; i < len; ++i) {
        if ((unsigned char)s[i] < 0x20) {
            return 0;
        }
    }
    return 1;
}

/* ---- encode ---------------------------------------------------------------- */

/* Length of an optional string (NULL is ""), capped just above what any
 * id may be so a stray long string is not walked to its end. */
static apr_size_t sse_rec_idlen(const char *s)
{
    return s ? strnlen(s, SSE_RECORD_UUID_LEN + 1) : 0;
}

apr_ssize_t sse_record_encode(void *buf, apr_size_t bufsize,
                              const sse_record_t *rec)
{
    const char *field[SSE_REC_FIELDS];
    apr_size_t flen[SSE_REC_FIELDS];
    apr_size_t total = SSE_RECORD_HDR;
    unsigned char *out = buf;
    int i;

    if (rec == NULL || (buf == NULL && bufsize != 0)) {
        return -1;
    }
    field[0] = rec->type;
    field[1] = rec->org;
    field[2] = rec->ticket;
    field[3] = rec->conversation;
    field[4] = rec->audience[0];
    field[5] = rec->audience[1];
    field[6] = rec->data;
    flen[0] = rec->type ? strnlen(rec->type, SSE_RECORD_TYPE_MAX + 1) : 0;
    for (i = 1; i < 6; ++i) {
        flen[i] = sse_rec_idlen(field[i]);
    }
    flen[6] = rec->data_len;

    if (!sse_record_type_valid(field[0], flen[0])
        || !sse_record_uuid_valid(field[1], flen[1])
        || !sse_rec_opt_id_valid(field[2], flen[2])
        || !sse_rec_opt_id_valid(field[3], flen[3])
        || !sse_rec_opt_id_valid(field[4], flen[4])
        || !sse_rec_opt_id_valid(field[5], flen[5])
        || !sse_rec_data_valid(field[6], flen[6])) {
        return -1;
    }
    for (i = 0; i < SSE_REC_FIELDS; ++i) {
        total += flen[i] + 1;
    }
    if (total > bufsize) {
        return (apr_ssize_t)total;
    }

    out[0] = SSE_RECORD_VERSION;
    out[1] = rec->staff_only ? SSE_REC_STAFF_ONLY : 0;
    for (i = 0; i < 6; ++i) {
        out[2 + i] = (unsigned char)flen[i];
    }
    out[8] = (unsigned char)(flen[6] & 0xff);
    out[9] = (unsigned char)((flen[6] >> 8) & 0xff);
    out[10] = (unsigned char)((flen[6] >> 16) & 0xff);
    out[11] = (unsigned char)((flen[6] >> 24) & 0xff);
    out += SSE_RECORD_HDR;
    for (i = 0; i < SSE_REC_FIELDS; ++i) {
        if (flen[i]) {
            memcpy(out, field[i], flen[i]);
        }
        out[flen[i]] = '\0';
        out += flen[i] + 1;
    }
    return (apr_ssize_t)total;
}

/* ---- decode ---------------------------------------------------------------- */

int sse_record_decode(const void *payload, apr_size_t len, sse_record_t *out)
{
    const unsigned char *p = payload;
    const char *field[SSE_REC_FIELDS];
    apr_size_t flen[SSE_REC_FIELDS];
    apr_size_t total = SSE_RECORD_HDR, off = SSE_RECORD_HDR;
    int i;

    if (p == NULL || out == NULL || len < SSE_RECORD_HDR) {
        return -1;
    }
    if (p[0] != SSE_RECORD_VERSION || (p[1] & ~SSE_REC_STAFF_ONLY) != 0) {
        return -1;
    }
    for (i = 0; i < 6; ++i) {
        flen[i] = p[2 + i];
    }
    flen[6] = (apr_size_t)p[8] | ((apr_size_t)p[9] << 8)
              | ((apr_size_t)p[10] << 16) | ((apr_size_t)p[11] << 24);
    /* Bound every length before adding them up, so the sum cannot wrap
     * (the largest sum is far below any size_t). */
    if (flen[0] == 0 || flen[0] > SSE_RECORD_TYPE_MAX
        || flen[1] != SSE_RECORD_UUID_LEN
        || flen[6] == 0 || flen[6] > SSE_RECORD_DATA_MAX) {
        return -1;
    }
    for (i = 2; i < 6; ++i) {
        if (flen[i] != 0 && flen[i] != SSE_RECORD_UUID_LEN) {
            return -1;
        }
    }
    for (i = 0; i < SSE_REC_FIELDS; ++i) {
        total += flen[i] + 1;
    }
    if (total != len) {
        return -1;
    }
    /* Every field lies within p[0..len) now; each must end with its NUL. */
    for (i = 0; i < SSE_REC_FIELDS; ++i) {
        field[i] = (const char *)p + off;
        if (p[off + flen[i]] != '\0') {
            return -1;
        }
        off += flen[i] + 1;
    }
    if (!sse_record_type_valid(field[0], flen[0])
        || !sse_record_uuid_valid(field[1], flen[1])
        || !sse_rec_opt_id_valid(field[2], flen[2])
        || !sse_rec_opt_id_valid(field[3], flen[3])
        || !sse_rec_opt_id_valid(field[4], flen[4])
        || !sse_rec_opt_id_valid(field[5], flen[5])
        || !sse_rec_data_valid(field[6], flen[6])) {
        return -1;
    }

    out->type = field[0];
    out->org = field[1];
    out->ticket = field[2];
    out->conversation = field[3];
    out->audience[0] = field[4];
    out->audience[1] = field[5];
    out->staff_only = (p[1] & SSE_REC_STAFF_ONLY) != 0;
    out->data = field[6];
    out->data_len = flen[6];
    return 0;
}
