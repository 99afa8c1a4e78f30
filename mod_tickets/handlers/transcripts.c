/* transcripts.c: the transcripts of closed tickets (docs/transcripts.md).
 *
 *   GET  /api/tickets/:id/transcript  the latest (or ?version=n), as JSON,
 *                                     or text/plain when Accept asks
 *   POST /api/transcripts/rekey       (admins) every transcript of the
 *                                     organization sealed again with the
 *                                     current key
 *
 * A close stores its transcript inside its own change
 * (tk_transcript_store, called by each path that closes a ticket), sealed
 * with AES-256-GCM by the library (lib/crypto/tk_seal.c): the thread is
 * committed with the close or not at all.  Without TicketsTranscriptKeyFile
 * closes store nothing and the endpoint says so.  A transcript that does
 * not open (a changed row, a key gone from the file) is a 500 with a log
 * line, never its bytes.
 */
#include <stdarg.h>
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_log.h>
#include "handlers/tk_handlers.h"
#include "config/tk_config.h"
#include "core/tk_json.h"
#include "crypto/tk_seal.h"
#include "valid/tk_query.h"
#include "tk_queries.h"

static const tk_keyring_t *tk_keys(const tk_ctx_t *c)
{
    return tk_srv_conf(c->r->server)->transcript_keys;
}

int tk_transcript_store(tk_ctx_t *c, const char *ticket_id)
{
    const tk_keyring_t *keys = tk_keys(c);
    const char *doc, *sealed;
    tk_rows_t *rows;

    if (!keys) {
        return TK_OK;
    }
    if (TK_SQL_SELECT(c, transcript_doc, &rows, ticket_id)) {
        return TK_FAIL;
    }
    doc = rows->nrows == 1 ? tk_rows_get(rows, 0, 0) : NULL;
    if (!doc || !(sealed = tk_seal(c->r->pool, keys, ticket_id, doc,
                                   strlen(doc)))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, "TK00091: the "
                      "transcript of ticket %s could not be sealed", ticket_id);
        return tk_internal(c);
    }
    return TK_SQL_EXEC(c, transcript_insert, NULL, tk_keyring_current(keys),
                       sealed, ticket_id);
}

/* ---------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------- */

/* The customers' view: no internal note, no internal file, no audit
 * trail (which is staff's, as GET /api/tickets/:id/events is). */
static void tk_transcript_public(json_t *doc)
{
    static const char *const lists[] = { "messages", "attachments" };
    size_t i, j;

    for (i = 0; i < 2; ++i) {
        json_t *list = json_object_get(doc, lists[i]), *item;

        json_array_foreach(list, j, item) {
            if (json_is_true(json_object_get(item, "internal"))) {
                json_array_remove(list, j--);
            }
        }
    }
    json_object_del(doc, "events");
    /* The ticket as it was sealed is the staff's: its version and time
     * count internal notes too, which a customer is not to infer. */
    json_object_del(json_object_get(doc, "ticket"), "version");
    json_object_del(json_object_get(doc, "ticket"), "updatedAt");
}

static const char *tk_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

/* Pieces of a text, joined once at the end: a long thread costs its
 * length, not its length squared. */
static void tk_put(apr_array_header_t *out, int n, ...)
{
    va_list ap;

    va_start(ap, n);
    while (n-- > 0) {
        APR_ARRAY_PUSH(out, const char *) = va_arg(ap, const char *);
    }
    va_end(ap);
}

/* The transcript as text: the ticket, then each message and file. */
static const char *tk_transcript_text(tk_ctx_t *c, json_t *doc, int version)
{
    apr_pool_t *p = c->r->pool;
    json_t *t = json_object_get(doc, "ticket"), *item;
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(const char *));
    size_t i;

    tk_put(out, 1, apr_psprintf(p, "%s %s\nStatus: %s  Priority: %s\nCreated: "
                                "%s  Closed: %s  Transcript version %d\n\n%s\n",
                                tk_str(t, "key"), tk_str(t, "title"),
                                tk_str(t, "status"), tk_str(t, "priority"),
                                tk_str(t, "createdAt"), tk_str(t, "closedAt"),
                                version, tk_str(t, "description")));
    json_array_foreach(json_object_get(doc, "messages"), i, item) {
        const char *who = *tk_str(item, "authorName")
                          ? tk_str(item, "authorName") : tk_str(item, "authorType");

        tk_put(out, 8, "\n--- ", tk_str(item, "createdAt"), " ", who,
               json_is_true(json_object_get(item, "internal"))
               ? " (internal note)" : "", ":\n", tk_str(item, "content"), "\n");
    }
    json_array_foreach(json_object_get(doc, "attachments"), i, item) {
        tk_put(out, 6, i == 0 ? "\nAttachments:\n" : "", "  ",
               tk_str(item, "filename"), " sha256:", tk_str(item, "sha256"),
               "\n");
    }
    json_array_foreach(json_object_get(doc, "events"), i, item) {
        tk_put(out, 6, i == 0 ? "\nAudit trail:\n" : "", "  ",
               tk_str(item, "createdAt"), " ", tk_str(item, "type"), "\n");
    }
    return apr_array_pstrcat(p, out, '\0');
}

static int tk_wants_text(const request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");

    return accept && ap_strcasestr(accept, "text/plain")
           && !ap_strcasestr(accept, "application/json");
}

static int tk_send_transcript(tk_ctx_t *c, const tk_rows_t *rows,
                              const char *ticket_id, json_t *doc)
{
    request_rec *r = c->r;
    int version = atoi(tk_rows_get(rows, 0, 0));
    json_t *out;

    if (tk_is_customer(c)) {
        tk_transcript_public(doc);
    }
    if (tk_wants_text(r)) {
        return tk_send_typed(c, HTTP_OK, "text/plain; charset=utf-8",
                             tk_transcript_text(c, doc, version));
    }
    out = tk_json_own(r->pool, json_pack("{s:s,s:i,s:s,s:O}",
                                         "ticketId", ticket_id,
                                         "version", version,
                                         "closedAt", tk_rows_get(rows, 0, 3),
                                         "transcript", doc));
    if (!tk_is_customer(c)) {
        json_object_set_new(out, "keyId", json_string(tk_rows_get(rows, 0, 1)));
    }
    return tk_send_data(c, HTTP_OK, out, NULL);
}

int tk_handle_transcripts_get(tk_ctx_t *c)
{
    static const char *const params[] = { "version", NULL };
    const char *ticket_id, *version, *plain;
    tk_rows_t *rows;
    json_t *doc;
    size_t len;

    if (tk_query_only(c->query, params, &c->err)
        || tk_ticket_visible(c, 0, &ticket_id)) {
        return TK_FAIL;
    }
    version = apr_table_get(c->query, "version");
    if (version && (!*version || strspn(version, "0123456789") != strlen(version)
                    || strlen(version) > 9)) {
        return tk_fail(c, TK_E_INVALID_QUERY, "version",
                       "version must be a whole number.");
    }
    if (!tk_keys(c)) {
        return tk_not_found(c, "No transcript is stored for this ticket: "
                               "transcripts are not enabled on this server.");
    }
    if (TK_SQL_SELECT(c, transcript_get, &rows, ticket_id, version, version)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, version ? "This ticket has no transcript of "
                                         "this version."
                                       : "This ticket has no transcript yet: "
                                         "one is stored when it is closed.");
    }
    if (!(plain = tk_unseal(c->r->pool, tk_keys(c), tk_rows_get(rows, 0, 1),
                            ticket_id, tk_rows_get(rows, 0, 2), &len))
        || !(doc = tk_json_own(c->r->pool, json_loadb(plain, len, 0, NULL)))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, "TK00092: transcript "
                      "%s (ticket %s, key %s) does not open: changed, or its "
                      "key is not in TicketsTranscriptKeyFile",
                      tk_rows_get(rows, 0, 4), ticket_id,
                      tk_rows_get(rows, 0, 1));
        return tk_internal(c);
    }
    return tk_send_transcript(c, rows, ticket_id, doc);
}

/* ---------------------------------------------------------------------
 * Sealing again with the current key
 * ------------------------------------------------------------------- */

/* The ids of the ring as a JSON array, for the statements. */
static const char *tk_ring_ids(tk_ctx_t *c, const tk_keyring_t *keys)
{
    json_t *ids = tk_json_own(c->r->pool, json_array());
    int i;

    for (i = 0; i < tk_keyring_count(keys); ++i) {
        json_array_append_new(ids, json_string(tk_keyring_id(keys, i)));
    }
    return tk_json_dump(c->r->pool, ids);
}

typedef struct {
    const char *ids;            /* the ring's, as JSON */
    const char *after;          /* the cursor: the last id seen */
    int resealed, failed;
} tk_rekey_t;

/* One batch, in its own transaction: the rows it read, or -1.  A row
 * that does not open (changed) is logged, counted and left. */
static int tk_rekey_batch(tk_ctx_t *c, const tk_keyring_t *keys,
                          tk_rekey_t *rk)
{
    const char *current = tk_keyring_current(keys);
    tk_rows_t *rows;
    int i;

    if (tk_sql_begin(c)
        || TK_SQL_SELECT(c, transcript_stale, &rows, c->who->org_id, current,
                         rk->after, rk->ids)) {
        return -1;
    }
    for (i = 0; i < rows->nrows; ++i) {
        const char *ticket = tk_rows_get(rows, i, 1), *plain, *sealed;
        size_t len;

        rk->after = tk_rows_get(rows, i, 0);
        if (!(plain = tk_unseal(c->r->pool, keys, tk_rows_get(rows, i, 2),
                                ticket, tk_rows_get(rows, i, 3), &len))
            || !(sealed = tk_seal(c->r->pool, keys, ticket, plain, len))) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, "TK00093: "
                          "transcript %s (key %s) does not open and stays "
                          "as it is", rk->after, tk_rows_get(rows, i, 2));
            ++rk->failed;
            continue;
        }
        if (TK_SQL_EXEC(c, transcript_reseal, NULL, current, sealed,
                        rk->after)) {
            return -1;
        }
        ++rk->resealed;
    }
    if (tk_sql_commit(c)) {
        return -1;
    }
    c->no_rerun = 1;            /* batches are committed: count them once */
    return rows->nrows;
}

int tk_handle_transcripts_rekey(tk_ctx_t *c)
{
    const tk_keyring_t *keys = tk_keys(c);
    tk_rekey_t rk = { NULL, "00000000-0000-0000-0000-000000000000", 0, 0 };
    tk_rows_t *rows;
    int n;

    if (tk_require_admin(c)) {
        return TK_FAIL;
    }
    if (!keys) {
        return tk_not_found(c, "Transcripts are not enabled on this server.");
    }
    rk.ids = tk_ring_ids(c, keys);
    do {
        if ((n = tk_rekey_batch(c, keys, &rk)) < 0) {
            return TK_FAIL;
        }
    } while (n == 100);
    if (TK_SQL_SELECT(c, transcript_keyless, &rows, c->who->org_id, rk.ids)) {
        return TK_FAIL;
    }
    return tk_send_data(c, HTTP_OK,
                        tk_json_own(c->r->pool,
                                    json_pack("{s:i,s:i,s:i,s:s}",
                                              "resealed", rk.resealed,
                                              "failed", rk.failed,
                                              "unknownKey",
                                              atoi(tk_rows_get(rows, 0, 0)),
                                              "keyId",
                                              tk_keyring_current(keys))),
                        NULL);
}
