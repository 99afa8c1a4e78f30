/* tk_idem.c: Idempotency-Key on creating POSTs (see tk_request.h).
 *
 * The key is claimed inside the creating transaction: a first request
 * inserts it and goes on; a retry finds it and gets the stored answer, or
 * 409 when the body differs or the first request is still running.  The
 * answer is stored in the same transaction as what it created, so a retry
 * never sees a key without its answer once that committed.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "request/tk_request.h"
#include "core/tk_json.h"
#include "crypto/tk_crypto.h"
#include "tk_queries.h"

static int tk_idem_key_valid(const char *k)
{
    size_t n = strlen(k);

    if (n == 0 || n > 255) {
        return 0;
    }
    for (; *k; ++k) {
        if (*k < 0x21 || *k > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static const char *tk_idem_hash(tk_ctx_t *c)
{
    return tk_sha256_strs(c->r->pool, c->r->method, "\n", c->r->uri, "\n",
                          c->raw_body ? c->raw_body : "", NULL);
}

/* Headers of a first answer that a replay repeats. */
static const char *const tk_idem_headers[] = { "Location", "ETag", NULL };

static int tk_idem_replay(tk_ctx_t *c, const char *hash)
{
    tk_rows_t *rows;
    const char *stored_hash, *status, *response, *key;
    json_t *stored, *body, *headers, *v;

    if (TK_SQL_SELECT(c, idem_get, &rows, c->who->user_id, c->idem_key)) {
        return TK_FAIL;
    }
    stored_hash = tk_rows_get(rows, 0, 0);
    status = tk_rows_get(rows, 0, 1);
    response = tk_rows_get(rows, 0, 2);
    if (!stored_hash || !tk_ct_streq(stored_hash, hash)) {
        return tk_fail(c, TK_E_CONFLICT, "Idempotency-Key",
                       "This Idempotency-Key was used with a different request.");
    }
    if (!status || !response || !(stored = tk_doc(c, response))
        || !(body = json_object_get(stored, "body"))) {
        return tk_fail(c, TK_E_CONFLICT, "Idempotency-Key",
                       "A request with this Idempotency-Key is still in progress.");
    }
    headers = json_object_get(stored, "headers");
    json_object_foreach(headers, key, v) {
        if (json_is_string(v)) {
            apr_table_set(c->r->headers_out, key, json_string_value(v));
        }
    }
    apr_table_setn(c->r->headers_out, "Idempotent-Replayed", "true");
    return tk_send_json(c, atoi(status), body);
}

tk_idem_rc_t tk_idem_begin(tk_ctx_t *c)
{
    const char *hash;
    tk_rows_t *rows;

    c->idem_key = apr_table_get(c->r->headers_in, "Idempotency-Key");
    if (!c->idem_key) {
        return TK_IDEM_NEW;
    }
    if (!tk_idem_key_valid(c->idem_key)) {
        c->idem_key = NULL;
        tk_fail(c, TK_E_VALIDATION, "Idempotency-Key",
                "The Idempotency-Key must be 1 to 255 visible ASCII "
                "characters.");
        return TK_IDEM_FAILED;
    }
    hash = tk_idem_hash(c);
    if (TK_SQL_SELECT(c, idem_claim, &rows, c->who->user_id, c->idem_key,
                      hash, apr_itoa(c->r->pool, c->sconf->idempotency_ttl))) {
        return TK_IDEM_FAILED;
    }
    if (rows->nrows == 1) {
        return TK_IDEM_NEW;
    }
    /* Someone has (or had) this key: leave our transaction, answer theirs. */
    tk_db_rollback(c->db);
    return tk_idem_replay(c, hash) == TK_SENT ? TK_IDEM_REPLAYED
                                              : TK_IDEM_FAILED;
}

int tk_idem_store(tk_ctx_t *c, int status, json_t *response)
{
    json_t *stored, *headers;
    const char *const *h;

    if (!c->idem_key) {
        return TK_OK;
    }
    headers = json_object();
    for (h = tk_idem_headers; *h; ++h) {
        const char *v = apr_table_get(c->r->headers_out, *h);
        if (v) {
            json_object_set_new(headers, *h, json_string(v));
        }
    }
    stored = tk_json_own(c->r->pool, json_pack("{s:O,s:o}", "body", response,
                                               "headers", headers));
    return TK_SQL_EXEC(c, idem_store, NULL,
                       apr_itoa(c->r->pool, status),
                       tk_json_dump(c->r->pool, stored),
                       c->who->user_id, c->idem_key);
}
