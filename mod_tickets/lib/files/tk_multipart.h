/* tk_multipart.h: a streaming multipart/form-data parser (RFC 7578 on
 * RFC 2046's framing).
 *
 * The body is fed in chunks as it is read, split anywhere; each part's
 * headers are collected (up to TK_MULTIPART_HEADERS_MAX bytes) and handed
 * to on_part, its content to on_data as it arrives, never gathered, and
 * on_end closes it.  The parser holds no more than the headers of one
 * part and the boundary: a body of any size costs the same memory.
 *
 * Errors are TK_E_VALIDATION (a malformed body, field "file") unless a
 * callback fails, whose error is kept.  No callback runs after an error.
 */
#ifndef TK_MULTIPART_H
#define TK_MULTIPART_H

#include <apr_pools.h>
#include "core/tk_error.h"

#define TK_MULTIPART_BOUNDARY_MAX   70      /* RFC 2046 */
#define TK_MULTIPART_HEADERS_MAX    8192    /* one part's header block */
#define TK_MULTIPART_PARTS_MAX      8

/* A part's headers, as Content-Disposition and Content-Type named them:
 * name is the form field; filename NULL when there is none (filename*
 * wins over filename, as RFC 6266 says); content_type NULL when absent.
 * The strings live in the parser's pool. */
typedef struct {
    const char *name;
    const char *filename;
    const char *content_type;
} tk_part_t;

typedef struct {
    int (*on_part)(void *baton, const tk_part_t *part, tk_err_t *err);
    int (*on_data)(void *baton, const char *data, size_t len, tk_err_t *err);
    int (*on_end)(void *baton, tk_err_t *err);
} tk_multipart_cb_t;

typedef struct tk_multipart_t tk_multipart_t;

/* The boundary of a Content-Type header ("multipart/form-data;
 * boundary=..."): NULL with *err when it is not multipart/form-data
 * (TK_E_UNSUPPORTED_MEDIA_TYPE) or has no valid boundary
 * (TK_E_VALIDATION). */
const char *tk_multipart_boundary(apr_pool_t *p, const char *content_type,
                                  tk_err_t *err);

tk_multipart_t *tk_multipart_create(apr_pool_t *p, const char *boundary,
                                    const tk_multipart_cb_t *cb, void *baton);
/* Feed the next len bytes: 0, or -1 with *err. */
int tk_multipart_feed(tk_multipart_t *m, const char *data, size_t len,
                      tk_err_t *err);
/* The body has ended: 0 when the closing boundary was seen. */
int tk_multipart_finish(tk_multipart_t *m, tk_err_t *err);

#endif
