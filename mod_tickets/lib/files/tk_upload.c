/* tk_upload.c: an attachment upload checked as it streams (see
 * tk_upload.h).
 *
 * Nothing of the file is kept here but its first bytes (for the magic
 * numbers), the state of a UTF-8 check and a hash: its content goes to
 * the sink chunk by chunk.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <jansson.h>
#include "files/tk_upload.h"
#include "core/tk_id.h"
#include "core/tk_utf8.h"

static const tk_filetype_t tk_filetypes[] = {
    { "txt",  "text/plain; charset=utf-8" },
    { "log",  "text/plain; charset=utf-8" },
    { "json", "application/json" },
    { "png",  "image/png" },
    { "jpg",  "image/jpeg" },
    { "jpeg", "image/jpeg" },
};
#define TK_NFILETYPES (sizeof(tk_filetypes) / sizeof(tk_filetypes[0]))

const tk_filetype_t *tk_filetype_of(const char *ext)
{
    size_t i;

    for (i = 0; ext && i < TK_NFILETYPES; ++i) {
        if (strcasecmp(ext, tk_filetypes[i].ext) == 0) {
            return &tk_filetypes[i];
        }
    }
    return NULL;
}

/* Calls fn for each word of a comma- or space-separated list; stops at
 * the first nonzero answer and returns it. */
static int tk_each_word(const char *list, int (*fn)(const char *w, size_t n,
                                                   const void *arg),
                        const void *arg)
{
    const char *s = list;
    int rv;

    while (*s) {
        size_t n;

        s += strspn(s, ", \t");
        n = strcspn(s, ", \t");
        if (n && (rv = fn(s, n, arg)) != 0) {
            return rv;
        }
        s += n;
    }
    return 0;
}

static int tk_word_unknown(const char *w, size_t n, const void *arg)
{
    char ext[8];

    (void)arg;
    if (n >= sizeof(ext)) {
        return 1;
    }
    memcpy(ext, w, n);
    ext[n] = '\0';
    return tk_filetype_of(ext) ? 0 : 1;
}

static int tk_word_is(const char *w, size_t n, const void *arg)
{
    const char *ext = arg;

    return strlen(ext) == n && strncasecmp(w, ext, n) == 0;
}

int tk_filetypes_valid(const char *list)
{
    return list && list[strspn(list, ", \t")]
           && tk_each_word(list, tk_word_unknown, NULL) == 0;
}

/* ---------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------- */

const char *tk_filename_clean(apr_pool_t *p, const char *name)
{
    const char *base = name, *s;
    char *out, *o;
    size_t n;

    if (!name || !tk_utf8_valid(name)) {
        return NULL;
    }
    for (s = name; *s; ++s) {
        if (*s == '/' || *s == '\\') {
            base = s + 1;
        }
    }
    out = o = apr_palloc(p, strlen(base) + 1);
    for (s = base; *s; ++s) {
        if ((unsigned char)*s >= 0x20 && *s != 0x7f) {
            *o++ = *s;
        }
    }
    *o = '\0';
    while (*out == ' ' || *out == '.') {
        ++out;
    }
    n = strlen(out);
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '.')) {
        out[--n] = '\0';
    }
    return n > 0 && n <= TK_FILENAME_MAX ? out : NULL;
}

const char *tk_content_disposition(apr_pool_t *p, const char *filename)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(filename), i;
    char *ascii = apr_palloc(p, n + 1), *pct = apr_palloc(p, 3 * n + 1);
    char *o = pct;

    for (i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)filename[i];

        ascii[i] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\'
                    || c == '%') ? '_' : (char)c;
        if (apr_isalnum(c) || (c < 0x80 && strchr("!#$&+-.^_`|~", c))) {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    ascii[n] = '\0';
    *o = '\0';
    return apr_psprintf(p, "attachment; filename=\"%s\"; filename*=UTF-8''%s",
                        ascii, pct);
}

const char *tk_attachment_path(apr_pool_t *p, const char *dir,
                               const char *id, int tmp)
{
    return apr_pstrcat(p, dir, "/", tmp ? TK_UPLOAD_TMP_PREFIX : "", id, NULL);
}

/* ---------------------------------------------------------------------
 * The upload
 * ------------------------------------------------------------------- */

#define TK_MESSAGE_ID_MAX 64
#define TK_HEAD_BYTES 8

typedef enum { TK_PART_NONE, TK_PART_FILE, TK_PART_MESSAGE } tk_part_kind_t;

struct tk_upload_t {
    apr_pool_t *pool;
    apr_int64_t max;
    const char *types;
    tk_upload_sink_fn *sink;
    void *baton;
    tk_sha256_t *sha;
    tk_upload_result_t res;
    tk_part_kind_t part;
    int files, messages;
    char msg[TK_MESSAGE_ID_MAX + 1];
    size_t msglen;
    unsigned char head[TK_HEAD_BYTES];
    size_t headlen;
    int text;                   /* checked as UTF-8 */
    int need;                   /* continuation bytes still due */
    unsigned char lo, hi;       /* the range of the next one */
    int bad;                    /* not UTF-8, or a NUL */
};

tk_upload_t *tk_upload_create(apr_pool_t *p, apr_int64_t max,
                              const char *types, tk_upload_sink_fn *sink,
                              void *baton)
{
    tk_upload_t *u = apr_pcalloc(p, sizeof(*u));

    u->pool = p;
    u->max = max;
    u->types = types;
    u->sink = sink;
    u->baton = baton;
    u->lo = 0x80;
    u->hi = 0xbf;
    return (u->sha = tk_sha256_begin(p)) ? u : NULL;
}

static int tk_unsupported(tk_upload_t *u, tk_err_t *err, const char *ext)
{
    return tk_err(err, TK_E_UNSUPPORTED_MEDIA_TYPE, "file",
                  apr_psprintf(u->pool, "Files of this type (%s) are not "
                               "accepted; accepted extensions: %s.",
                               ext ? ext : "no extension", u->types));
}

/* The file's name and type, from its (client's) name. */
static int tk_upload_name(tk_upload_t *u, const char *field,
                          const char *filename, tk_err_t *err)
{
    const char *clean = tk_filename_clean(u->pool, filename), *dot;

    if (!clean) {
        return tk_err(err, TK_E_VALIDATION, field,
                      "The file needs a name of 1 to 255 bytes of UTF-8, "
                      "with an extension.");
    }
    dot = strrchr(clean, '.');
    if (!dot || !tk_each_word(u->types, tk_word_is, dot + 1)
        || !(u->res.type = tk_filetype_of(dot + 1))) {
        return tk_unsupported(u, err, dot ? dot : NULL);
    }
    u->res.filename = clean;
    u->text = strncmp(u->res.type->content_type, "image/", 6) != 0;
    return 0;
}

int tk_upload_raw(tk_upload_t *u, const char *filename, tk_err_t *err)
{
    if (tk_upload_name(u, "filename", filename, err)) {
        return -1;
    }
    u->files = 1;
    u->part = TK_PART_FILE;
    return 0;
}

/* One byte of text through the UTF-8 automaton (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF); NUL is refused too. */
static void tk_utf8_byte(tk_upload_t *u, unsigned char c)
{
    if (u->need) {
        if (c < u->lo || c > u->hi) {
            u->bad = 1;
        }
        u->lo = 0x80;
        u->hi = 0xbf;
        --u->need;
        return;
    }
    if (c == 0) {
        u->bad = 1;
    }
    else if (c < 0x80) {
        return;
    }
    else if (c >= 0xc2 && c <= 0xdf) {
        u->need = 1;
    }
    else if (c >= 0xe0 && c <= 0xef) {
        u->need = 2;
        u->lo = c == 0xe0 ? 0xa0 : 0x80;
        u->hi = c == 0xed ? 0x9f : 0xbf;
    }
    else if (c >= 0xf0 && c <= 0xf4) {
        u->need = 3;
        u->lo = c == 0xf0 ? 0x90 : 0x80;
        u->hi = c == 0xf4 ? 0x8f : 0xbf;
    }
    else {
        u->bad = 1;
    }
}

int tk_upload_data(tk_upload_t *u, const char *data, size_t len,
                   tk_err_t *err)
{
    size_t i;

    if (u->part != TK_PART_FILE) {
        return 0;
    }
    if ((apr_int64_t)len > u->max - u->res.size) {
        return tk_err(err, TK_E_PAYLOAD_TOO_LARGE, "file",
                      apr_psprintf(u->pool, "The file is larger than the "
                                   "limit of %" APR_INT64_T_FMT " bytes.",
                                   u->max));
    }
    u->res.size += (apr_int64_t)len;
    for (i = 0; i < len && u->headlen < TK_HEAD_BYTES; ++i) {
        u->head[u->headlen++] = (unsigned char)data[i];
    }
    for (i = 0; u->text && !u->bad && i < len; ++i) {
        tk_utf8_byte(u, (unsigned char)data[i]);
    }
    tk_sha256_update(u->sha, data, len);
    if (u->sink(u->baton, data, len)) {
        return tk_err(err, TK_E_INTERNAL, NULL, "The file could not be stored.");
    }
    return 0;
}

static int tk_part_begin(void *baton, const tk_part_t *part, tk_err_t *err)
{
    tk_upload_t *u = baton;

    if (strcmp(part->name, "file") == 0) {
        if (u->files++) {
            return tk_err(err, TK_E_VALIDATION, "file",
                          "Send one file per request.");
        }
        if (!part->filename) {
            return tk_err(err, TK_E_VALIDATION, "file",
                          "The \"file\" part needs a filename.");
        }
        u->part = TK_PART_FILE;
        return tk_upload_name(u, "file", part->filename, err);
    }
    if (strcmp(part->name, "messageId") == 0) {
        if (u->messages++) {
            return tk_err(err, TK_E_VALIDATION, "messageId",
                          "Send messageId once.");
        }
        u->part = TK_PART_MESSAGE;
        return 0;
    }
    return tk_err(err, TK_E_VALIDATION, part->name,
                  "Unknown field: an upload has \"file\" and, optionally, "
                  "\"messageId\".");
}

static int tk_part_data(void *baton, const char *data, size_t len,
                        tk_err_t *err)
{
    tk_upload_t *u = baton;

    if (u->part != TK_PART_MESSAGE) {
        return tk_upload_data(u, data, len, err);
    }
    if (len > TK_MESSAGE_ID_MAX - u->msglen) {
        return tk_err(err, TK_E_VALIDATION, "messageId",
                      "messageId must be a message's uuid.");
    }
    memcpy(u->msg + u->msglen, data, len);
    u->msglen += len;
    return 0;
}

static int tk_part_end(void *baton, tk_err_t *err)
{
    tk_upload_t *u = baton;

    if (u->part == TK_PART_MESSAGE) {
        u->msg[u->msglen] = '\0';
        if (!tk_uuid_valid(u->msg)) {
            return tk_err(err, TK_E_VALIDATION, "messageId",
                          "messageId must be a message's uuid.");
        }
        u->res.message_id = u->msg;
    }
    u->part = TK_PART_NONE;
    return 0;
}

const tk_multipart_cb_t tk_upload_parts = {
    tk_part_begin, tk_part_data, tk_part_end
};

/* The content against its type. */
static int tk_content_matches(const tk_upload_t *u)
{
    static const unsigned char png[8] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
    };
    static const unsigned char jpeg[3] = { 0xff, 0xd8, 0xff };
    const char *ct = u->res.type->content_type;

    if (strcmp(ct, "image/png") == 0) {
        return u->headlen == 8 && memcmp(u->head, png, 8) == 0;
    }
    if (strcmp(ct, "image/jpeg") == 0) {
        return u->headlen >= 3 && memcmp(u->head, jpeg, 3) == 0;
    }
    return !u->bad && u->need == 0;
}

int tk_upload_finish(tk_upload_t *u, tk_err_t *err)
{
    if (!u->files) {
        return tk_err(err, TK_E_VALIDATION, "file",
                      "Send the file in a part named \"file\".");
    }
    if (u->res.size == 0) {
        return tk_err(err, TK_E_VALIDATION, "file", "The file is empty.");
    }
    if (!tk_content_matches(u)) {
        return tk_err(err, TK_E_UNSUPPORTED_MEDIA_TYPE, "file",
                      apr_psprintf(u->pool, "The content of %s is not what "
                                   "its extension says (%s).",
                                   u->res.filename,
                                   u->res.type->content_type));
    }
    tk_sha256_end(u->sha, u->res.sha256);
    return 0;
}

const tk_upload_result_t *tk_upload_result(const tk_upload_t *u)
{
    return &u->res;
}

int tk_upload_json_file(const char *path, tk_err_t *err)
{
    json_error_t jerr;
    json_t *v = json_load_file(path, JSON_DECODE_ANY, &jerr);

    if (!v) {
        return tk_err(err, TK_E_UNSUPPORTED_MEDIA_TYPE, "file",
                      "The content of the .json file is not JSON.");
    }
    json_decref(v);
    return 0;
}
