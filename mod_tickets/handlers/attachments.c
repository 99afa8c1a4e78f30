/* attachments.c: files attached to tickets (docs/attachments.md).
 *
 *   POST /api/tickets/:id/attachments  multipart/form-data with a "file"
 *                                      part (and "messageId"), or the raw
 *                                      file with ?filename=
 *   GET  /api/attachments/:id          the file, as a download
 *
 * An upload streams to a temporary file in TicketsUploadDir while the
 * library checks it (lib/files: the parts, the size, the type against
 * the content, the SHA-256); the row is written in the ticket's change
 * (ATTACHMENT_ADDED, ticket_updated) and the file renamed to its id once
 * that committed.  A refused upload leaves nothing behind: the temporary
 * file goes with the request's pool.  The same content on the same
 * ticket answers the attachment stored before (200).
 */
#include <apr_strings.h>
#include <apr_file_io.h>
#include <http_protocol.h>
#include <http_log.h>
#include "handlers/tk_handlers.h"
#include "events/tk_events.h"
#include "config/tk_config.h"
#include "core/tk_etag.h"
#include "core/tk_id.h"
#include "core/tk_json.h"
#include "crypto/tk_crypto.h"
#include "files/tk_multipart.h"
#include "files/tk_upload.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

#define TK_NO_ATTACHMENT "No such attachment."
#define TK_MULTIPART_SLACK 65536    /* a body's bytes beyond its file's */

/* ---------------------------------------------------------------------
 * The file on disk
 * ------------------------------------------------------------------- */

typedef struct {
    apr_pool_t *pool;
    apr_file_t *file;
    const char *tmp;            /* where it is written */
    const char *final;          /* where it lives once its row committed */
    int keep;                   /* the request's end leaves tmp alone */
} tk_stored_t;

static apr_status_t tk_stored_cleanup(void *data)
{
    tk_stored_t *st = data;

    if (!st->keep) {
        apr_file_remove(st->tmp, st->pool);
    }
    return APR_SUCCESS;
}

static int tk_stored_sink(void *baton, const char *data, size_t len)
{
    tk_stored_t *st = baton;

    return apr_file_write_full(st->file, data, len, NULL) == APR_SUCCESS
           ? 0 : -1;
}

static int tk_stored_open(tk_ctx_t *c, const char *dir, const char *id,
                          tk_stored_t *st)
{
    apr_status_t rv;

    st->pool = c->r->pool;
    st->tmp = tk_attachment_path(c->r->pool, dir, id, 1);
    st->final = tk_attachment_path(c->r->pool, dir, id, 0);
    rv = apr_file_open(&st->file, st->tmp, APR_FOPEN_CREATE | APR_FOPEN_WRITE
                       | APR_FOPEN_EXCL | APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD,
                       c->r->pool);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, c->r, "TK00083: cannot "
                      "create %s in TicketsUploadDir", st->tmp);
        return tk_internal(c);
    }
    apr_pool_cleanup_register(c->r->pool, st, tk_stored_cleanup,
                              apr_pool_cleanup_null);
    return TK_OK;
}

/* The file written and on disk for good (its row may now commit). */
static int tk_stored_close(tk_ctx_t *c, tk_stored_t *st)
{
    apr_status_t rv = apr_file_sync(st->file);

    if (rv == APR_SUCCESS) {
        rv = apr_file_close(st->file);
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, c->r, "TK00084: cannot "
                      "write %s in TicketsUploadDir", st->tmp);
        return tk_internal(c);
    }
    return TK_OK;
}

/* ---------------------------------------------------------------------
 * Reading the upload
 * ------------------------------------------------------------------- */

/* A multipart body on its way to the parser, counted: the file part is
 * held to the limit by the upload, and the body around it (preamble,
 * headers, epilogue), which a chunked body declares no length for, to
 * TK_MULTIPART_SLACK more. */
typedef struct {
    tk_multipart_t *m;
    apr_int64_t fed;
    apr_int64_t limit;
} tk_counted_t;

/* The body through the parser, or for a raw body the upload itself. */
static int tk_feed_multipart(void *baton, const char *data, apr_size_t len,
                             tk_err_t *err)
{
    tk_counted_t *cm = baton;

    cm->fed += (apr_int64_t)len;
    if (cm->fed > cm->limit) {
        return tk_err(err, TK_E_PAYLOAD_TOO_LARGE, "file",
                      "The request body is larger than the attachment limit "
                      "allows.");
    }
    return tk_multipart_feed(cm->m, data, len, err);
}

static int tk_feed_raw(void *baton, const char *data, apr_size_t len,
                       tk_err_t *err)
{
    return tk_upload_data(baton, data, len, err);
}

static int tk_upload_body(tk_ctx_t *c, tk_upload_t *u, tk_multipart_t *m)
{
    tk_counted_t cm = { m, 0, c->dconf->attachment_max + TK_MULTIPART_SLACK };

    if (m ? tk_read_chunks(c, tk_feed_multipart, &cm)
          : tk_read_chunks(c, tk_feed_raw, u)) {
        return TK_FAIL;
    }
    return (m && tk_multipart_finish(m, &c->err))
           || tk_upload_finish(u, &c->err) ? TK_FAIL : TK_OK;
}

/* Read and check the upload into st: its result in *res. */
static int tk_upload_read(tk_ctx_t *c, tk_stored_t *st,
                          const tk_upload_result_t **res)
{
    const char *filename = apr_table_get(c->query, "filename");
    const char *boundary = NULL;
    apr_int64_t max = c->dconf->attachment_max;
    apr_off_t declared;
    tk_upload_t *u;
    tk_multipart_t *m = NULL;

    if (!filename && !(boundary = tk_multipart_boundary(
            c->r->pool, apr_table_get(c->r->headers_in, "Content-Type"),
            &c->err))) {
        return TK_FAIL;
    }
    if (tk_body_declared(c, boundary ? max + TK_MULTIPART_SLACK : max, "file",
                         apr_psprintf(c->r->pool, "The file is larger than "
                                      "the limit of %" APR_INT64_T_FMT
                                      " bytes.", max), &declared)) {
        return TK_FAIL;
    }
    if (!(u = tk_upload_create(c->r->pool, max, c->dconf->attachment_types,
                               tk_stored_sink, st))) {
        return tk_internal(c);
    }
    if (boundary) {
        m = tk_multipart_create(c->r->pool, boundary, &tk_upload_parts, u);
    }
    else if (tk_upload_raw(u, filename, &c->err)) {
        return TK_FAIL;
    }
    if (tk_upload_body(c, u, m) || tk_stored_close(c, st)) {
        return TK_FAIL;
    }
    *res = tk_upload_result(u);
    if (strcmp((*res)->type->ext, "json") == 0
        && tk_upload_json_file(st->tmp, &c->err)) {
        return TK_FAIL;
    }
    /* What Idempotency-Key compares: the file, not the bytes around it. */
    c->raw_body = apr_pstrcat(c->r->pool, (*res)->filename, "\n",
                              (*res)->sha256, "\n",
                              (*res)->message_id ? (*res)->message_id : "",
                              NULL);
    return TK_OK;
}

/* ---------------------------------------------------------------------
 * POST /api/tickets/:id/attachments
 * ------------------------------------------------------------------- */

/* Whether the message an upload names (if any) is an internal note. */
static int tk_upload_message(tk_ctx_t *c, const char *ticket_id,
                             const char *message_id, int *internal)
{
    tk_rows_t *rows;

    *internal = 0;
    if (!message_id) {
        return TK_OK;
    }
    if (TK_SQL_SELECT(c, attachment_message, &rows, message_id, ticket_id)) {
        return TK_FAIL;
    }
    *internal = rows->nrows == 1 && strcmp(tk_rows_get(rows, 0, 0), "t") == 0;
    if (rows->nrows != 1 || (*internal && tk_is_customer(c))) {
        return tk_fail(c, TK_E_VALIDATION, "messageId",
                       "No message of this ticket has this id.");
    }
    return TK_OK;
}

/* The change of an attachment stored: row, versions, audit, event. */
static int tk_upload_change(tk_ctx_t *c, const char *id,
                            const char *ticket_id,
                            const tk_upload_result_t *res, int internal,
                            tk_change_t *ch)
{
    tk_rows_t *rows;
    json_t *ticket, *ref;

    if (TK_SQL_SELECT(c, attachment_create, &rows, id, ticket_id,
                      res->message_id, tk_bool(internal), res->filename,
                      res->type->content_type,
                      apr_off_t_toa(c->r->pool, (apr_off_t)res->size),
                      res->sha256, c->who->user_id)
        || !(ch->data = tk_doc_row(c, rows))
        || !(ticket = tk_doc(c, tk_rows_get(rows, 0, 1)))) {
        return TK_FAIL;
    }
    ref = tk_json_own(c->r->pool,
                      json_pack("{s:s,s:s,s:I,s:s,s:s?}", "attachmentId", id,
                                "filename", res->filename,
                                "size", (json_int_t)res->size,
                                "sha256", res->sha256,
                                "messageId", res->message_id));
    ch->ticket_id = ticket_id;
    ch->audit[0].type = "ATTACHMENT_ADDED";
    ch->audit[0].payload = ref;
    ch->event = "ticket_updated";
    ch->event_data = tk_event_changes(
        c, ticket, tk_json_own(c->r->pool,
                               json_pack("{s:{s:n},s:{s:O}}", "before",
                                         "attachment", "after", "attachment",
                                         ref)), NULL);
    ch->staff_only = internal;
    ch->status = HTTP_CREATED;
    ch->location = apr_pstrcat(c->r->pool, "/api/attachments/", id, NULL);
    return TK_OK;
}

#define TK_RENAME_LEVEL(rv) \
    (APR_STATUS_IS_ENOENT(rv) ? APLOG_DEBUG : APLOG_ERR)

/* After the row committed: the file under its id. */
static void tk_stored_settle(tk_ctx_t *c, tk_stored_t *st)
{
    apr_status_t rv = apr_file_rename(st->tmp, st->final, c->r->pool);

    if (rv != APR_SUCCESS) {
        /* ENOENT: a download or the purge renamed it first. */
        ap_log_rerror(APLOG_MARK, TK_RENAME_LEVEL(rv), rv, c->r,
                      "TK00085: cannot rename %s (the purge will)", st->tmp);
    }
}

/* The upload of st (its temporary file open) read, checked and stored
 * in the ticket's change; st->keep says whether the file stays. */
static int tk_attachment_store(tk_ctx_t *c, const char *id, tk_stored_t *st)
{
    const tk_upload_result_t *res = NULL;
    const char *ticket_id;
    tk_change_t ch = { 0 };
    tk_rows_t *rows;
    int internal, rv;

    if (tk_upload_read(c, st, &res)) {
        return TK_FAIL;
    }
    if ((rv = tk_change_begin(c)) != TK_OK) {
        return rv;
    }
    if (tk_ticket_visible(c, 1, &ticket_id)
        || tk_upload_message(c, ticket_id, res->message_id, &internal)
        || TK_SQL_SELECT(c, attachment_same, &rows, ticket_id, res->sha256,
                         tk_bool(internal), res->message_id)) {
        return TK_FAIL;
    }
    if (rows->nrows == 1) {
        json_t *same = tk_doc(c, tk_rows_get(rows, 0, 0));

        tk_db_rollback(c->db);
        return same ? tk_send_data(c, HTTP_OK, same, NULL) : TK_FAIL;
    }
    if (tk_upload_change(c, id, ticket_id, res, internal, &ch)) {
        return TK_FAIL;
    }
    st->keep = 1;
    if ((rv = tk_change_finish(c, &ch)) == TK_SENT) {
        tk_stored_settle(c, st);
    }
    else if (!c->commit_failed) {
        st->keep = 0;           /* nothing committed: the file goes */
    }
    return rv;
}

int tk_handle_attachments_create(tk_ctx_t *c)
{
    static const char *const params[] = { "filename", NULL };
    const char *dir = tk_srv_conf(c->r->server)->upload_dir;
    const char *ticket_id, *id;
    tk_stored_t *st = apr_pcalloc(c->r->pool, sizeof(*st));
    int rv;

    if ((!tk_is_customer(c) && tk_require_writer(c))
        || tk_query_only(c->query, params, &c->err)) {
        return TK_FAIL;
    }
    if (!*dir) {
        return tk_not_found(c, "Attachments are not enabled on this server.");
    }
    if (tk_ticket_visible(c, 0, &ticket_id)) {
        return TK_FAIL;
    }
    if (!(id = tk_random_uuid(c->r->pool))) {
        return tk_internal(c);
    }
    tk_db_release(c);           /* no connection held while the body comes */
    if (tk_stored_open(c, dir, id, st)) {
        return TK_FAIL;
    }
    rv = tk_attachment_store(c, id, st);
    tk_stored_cleanup(st);      /* now, before the answer goes out */
    st->keep = 1;
    return rv;
}

/* ---------------------------------------------------------------------
 * GET /api/attachments/:id
 * ------------------------------------------------------------------- */

/* The file of attachment id, opened; under its temporary name still if
 * the rename after its commit did not happen (it is done now). */
static apr_status_t tk_attachment_open(tk_ctx_t *c, const char *dir,
                                       const char *id, apr_file_t **f)
{
    const char *final = tk_attachment_path(c->r->pool, dir, id, 0);
    apr_status_t rv = apr_file_open(f, final, APR_FOPEN_READ
                                    | APR_FOPEN_BINARY, 0, c->r->pool);

    if (APR_STATUS_IS_ENOENT(rv)) {
        /* Whoever renames it (this, the upload, the purge), it is then
         * under its final name: open again whatever the rename said. */
        (void)apr_file_rename(tk_attachment_path(c->r->pool, dir, id, 1),
                              final, c->r->pool);
        rv = apr_file_open(f, final, APR_FOPEN_READ | APR_FOPEN_BINARY, 0,
                           c->r->pool);
    }
    return rv;
}

static int tk_send_file(tk_ctx_t *c, apr_file_t *f, apr_off_t size)
{
    request_rec *r = c->r;
    apr_bucket_brigade *bb;

    ap_set_content_length(r, size);
    if (r->header_only) {
        return TK_SENT;
    }
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_brigade_insert_file(bb, f, 0, size, r->pool);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection->bucket_alloc));
    if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TK00086: the download "
                      "of %s ended early", r->uri);
    }
    return TK_SENT;
}

int tk_handle_attachments_get(tk_ctx_t *c)
{
    const char *dir = tk_srv_conf(c->r->server)->upload_dir, *etag, *inm;
    request_rec *r = c->r;
    tk_rows_t *rows;
    apr_file_t *f;
    apr_status_t rv;

    if (!*dir || !tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, TK_NO_ATTACHMENT);
    }
    if (TK_SQL_SELECT(c, attachment_get, &rows, c->params[0], c->who->org_id,
                      tk_is_customer(c) ? c->who->user_id : NULL)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, TK_NO_ATTACHMENT);
    }
    tk_db_release(c);
    etag = apr_pstrcat(r->pool, "\"", tk_rows_get(rows, 0, 4), "\"", NULL);
    apr_table_setn(r->headers_out, "ETag", etag);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Cache-Control", "private, no-cache");
    apr_table_setn(r->headers_out, "X-Request-Id", c->request_id);
    inm = apr_table_get(r->headers_in, "If-None-Match");
    if (inm && tk_etag_list_has(inm, etag)) {
        r->status = HTTP_NOT_MODIFIED;
        return TK_SENT;
    }
    if ((rv = tk_attachment_open(c, dir, tk_rows_get(rows, 0, 0), &f))
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "TK00087: the file of "
                      "attachment %s cannot be read", tk_rows_get(rows, 0, 0));
        return tk_internal(c);
    }
    r->status = HTTP_OK;
    ap_set_content_type(r, tk_rows_get(rows, 0, 2));
    apr_table_setn(r->headers_out, "Content-Disposition",
                   tk_content_disposition(r->pool, tk_rows_get(rows, 0, 1)));
    return tk_send_file(c, f, (apr_off_t)apr_atoi64(tk_rows_get(rows, 0, 3)));
}
