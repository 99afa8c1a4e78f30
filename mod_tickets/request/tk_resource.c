/* tk_resource.c: the two steps every single resource shares (customers,
 * channels, conversations): answering GET with its ETag (and 304 for
 * If-None-Match), and refusing a change when the row is not there or
 * If-Match names another version (see tk_request.h). */
#include <apr_strings.h>
#include <http_protocol.h>
#include "request/tk_request.h"
#include "core/tk_etag.h"

int tk_send_resource(tk_ctx_t *c, const tk_rows_t *rows, const char *missing)
{
    const char *etag, *inm;
    json_t *doc;

    if (rows->nrows != 1) {
        return tk_not_found(c, missing);
    }
    etag = tk_etag_make(c->r->pool, atol(tk_rows_get(rows, 0, 1)), 0);
    apr_table_setn(c->r->headers_out, "ETag", etag);
    inm = apr_table_get(c->r->headers_in, "If-None-Match");
    if (inm && tk_etag_list_has(inm, etag)) {
        c->r->status = HTTP_NOT_MODIFIED;
        return TK_SENT;
    }
    if (!(doc = tk_doc(c, tk_rows_get(rows, 0, 0)))) {
        return TK_FAIL;
    }
    return tk_send_data(c, HTTP_OK, doc, etag);
}

int tk_check_locked(tk_ctx_t *c, const tk_rows_t *rows, const char *missing)
{
    const char *if_match;

    if (rows->nrows != 1) {
        return tk_not_found(c, missing);
    }
    if_match = apr_table_get(c->r->headers_in, "If-Match");
    if (if_match && !tk_etag_matches(if_match, atol(tk_rows_get(rows, 0, 1)))) {
        return tk_fail(c, TK_E_PRECONDITION_FAILED, NULL,
                       "It was changed by someone else; reload it and try "
                       "again.");
    }
    return TK_OK;
}
