/* tk_upload.h: what an attachment upload may be, checked as it streams.
 *
 * An upload is either the parts of a multipart/form-data body (fed
 * through tk_multipart with tk_upload_parts as its callbacks: one "file"
 * part, an optional "messageId" part, nothing else) or a raw body named
 * by ?filename= (tk_upload_raw).  The file's bytes go to the sink as they
 * come (the glue writes them to a temporary file), counted against the
 * size limit, hashed (SHA-256), and checked against the type its name
 * says: PNG and JPEG by their magic bytes, text and JSON as UTF-8 (JSON is
 * parsed once the file is whole: tk_upload_json_file).
 */
#ifndef TK_UPLOAD_H
#define TK_UPLOAD_H

#include <apr_pools.h>
#include "core/tk_error.h"
#include "crypto/tk_crypto.h"
#include "files/tk_multipart.h"

#define TK_FILENAME_MAX 255         /* bytes of a sanitized name */

/* The file types the module can check: extension, Content-Type. */
typedef struct {
    const char *ext;
    const char *content_type;
} tk_filetype_t;

/* A known extension (lower case, no dot), or NULL. */
const tk_filetype_t *tk_filetype_of(const char *ext);
/* 1 when every comma- or space-separated word of list is a known
 * extension (and there is at least one). */
int tk_filetypes_valid(const char *list);

/* The name to keep of a client's filename: its last path component,
 * without control characters, trimmed of spaces and dots at the ends,
 * at most TK_FILENAME_MAX bytes; NULL when nothing usable is left or it
 * is not UTF-8. */
const char *tk_filename_clean(apr_pool_t *p, const char *name);

/* "attachment; filename=\"ascii\"; filename*=UTF-8''percent" for a
 * sanitized name. */
const char *tk_content_disposition(apr_pool_t *p, const char *filename);

/* Where attachment id lives in dir: "<dir>/<id>", or while its row is
 * not yet committed (tmp) "<dir>/.tmp-<id>". */
#define TK_UPLOAD_TMP_PREFIX ".tmp-"
const char *tk_attachment_path(apr_pool_t *p, const char *dir,
                               const char *id, int tmp);

typedef int tk_upload_sink_fn(void *baton, const char *data, size_t len);

typedef struct tk_upload_t tk_upload_t;

/* max: bytes the file may have; types: the allowed extensions, as
 * TicketsAttachmentTypes lists them.  NULL when no hash context can be
 * had. */
tk_upload_t *tk_upload_create(apr_pool_t *p, apr_int64_t max,
                              const char *types, tk_upload_sink_fn *sink,
                              void *baton);

/* The callbacks of a multipart body. */
extern const tk_multipart_cb_t tk_upload_parts;

/* A raw body named filename: call before its bytes, then
 * tk_upload_data for each chunk. */
int tk_upload_raw(tk_upload_t *u, const char *filename, tk_err_t *err);
int tk_upload_data(tk_upload_t *u, const char *data, size_t len,
                   tk_err_t *err);

/* The body has ended: 0 when it held a file of an allowed type whose
 * content matches it. */
int tk_upload_finish(tk_upload_t *u, tk_err_t *err);

/* After tk_upload_finish. */
typedef struct {
    const char *filename;
    const tk_filetype_t *type;
    const char *message_id;     /* NULL when none was sent */
    apr_int64_t size;
    char sha256[TK_SHA256_HEX_LEN + 1];
} tk_upload_result_t;
const tk_upload_result_t *tk_upload_result(const tk_upload_t *u);

/* For a JSON upload once it is written: 0 when path holds one JSON value,
 * else -1 with *err (UNSUPPORTED_MEDIA_TYPE). */
int tk_upload_json_file(const char *path, tk_err_t *err);

#endif
