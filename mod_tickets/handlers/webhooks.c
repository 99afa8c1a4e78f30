/* webhooks.c: /webhooks/<platform>/<channel id>, what the chat platforms
 * deliver (Facebook Messenger, Zalo OA, TikTok; Discord's interactions
 * are in discord.c).
 *
 *   GET  /webhooks/facebook/:id   Messenger's subscription check: the
 *                                 challenge back when the token matches
 *   POST /webhooks/facebook/:id   X-Hub-Signature-256
 *   POST /webhooks/zalo/:id       X-ZEvent-Signature
 *   POST /webhooks/tiktok/:id     Tiktok-Signature (with a timestamp)
 *
 * The URL names the channel, so its secret is known before anything of
 * the body is believed: the signature is checked over the raw body, in
 * constant time (lib/platforms/tk_signature.c), and only then is the
 * body parsed (lib/platforms/tk_inbound.c).  A bad, missing or stale
 * signature is 401 INVALID_SIGNATURE, logged at info, and stores nothing.
 * Each customer message is stored by one statement (tk_inbound_message in
 * sql/migrations/007_messaging.sql) that finds or makes the customer and
 * the conversation and writes the live events; a message whose platform
 * id the channel has stored before is not stored again, so the
 * platforms' retries, even simultaneous ones, store one.  All of a
 * delivery's messages commit together (in one transaction, or in the one
 * statement of a delivery of one message, the usual case), then 200: the
 * platform stops retrying only once they are stored.
 */
#include <stdlib.h>
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "core/tk_id.h"
#include "core/tk_json.h"
#include "platforms/tk_platform.h"
#include "platforms/tk_signature.h"
#include "crypto/tk_crypto.h"
#include "tk_queries.h"

int tk_webhook_channel(tk_ctx_t *c, const char *platform,
                       tk_webhook_channel_t *ch)
{
    tk_rows_t *rows;

    memset(ch, 0, sizeof(*ch));
    if (!tk_uuid_valid(c->params[0])) {
        return tk_not_found(c, "No such channel.");
    }
    if (TK_SQL_SELECT(c, channel_for_webhook, &rows, c->params[0], platform)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_not_found(c, "No such channel.");
    }
    ch->id = c->params[0];
    ch->org_id = tk_rows_get(rows, 0, 0);
    ch->account_id = tk_rows_get(rows, 0, 1);
    if (!(ch->secrets = tk_doc(c, tk_rows_get(rows, 0, 2)))
        || !(ch->settings = tk_doc(c, tk_rows_get(rows, 0, 3)))) {
        return TK_FAIL;
    }
    return TK_OK;
}

const char *tk_webhook_secret(const tk_webhook_channel_t *ch,
                              const char *name)
{
    return json_string_value(json_object_get(ch->secrets, name));
}

int tk_webhook_refuse(tk_ctx_t *c, const tk_webhook_channel_t *ch,
                      const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, "TK00073: webhook for "
                  "channel %s refused: %s", ch->id, why);
    return tk_fail(c, TK_E_INVALID_SIGNATURE, NULL,
                   "The request's signature does not match.");
}

/* ---------------------------------------------------------------------
 * Facebook's subscription check
 * ------------------------------------------------------------------- */

int tk_handle_webhook_facebook_verify(tk_ctx_t *c)
{
    const char *mode = apr_table_get(c->query, "hub.mode");
    const char *token = apr_table_get(c->query, "hub.verify_token");
    const char *challenge = apr_table_get(c->query, "hub.challenge");
    tk_webhook_channel_t ch;
    const char *want;

    if (tk_webhook_channel(c, "facebook", &ch)) {
        return TK_FAIL;
    }
    want = tk_webhook_secret(&ch, "verifyToken");
    if (!mode || strcmp(mode, "subscribe") != 0 || !token || !challenge
        || !want || !tk_ct_streq(token, want)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, "TK00074: Facebook's "
                      "subscription check for channel %s refused", ch.id);
        return tk_fail(c, TK_E_FORBIDDEN, NULL,
                       "The verify token does not match.");
    }
    if (strlen(challenge) > 256 || strspn(challenge, "0123456789abcdefghijklmn"
                                          "opqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~")
                                   != strlen(challenge)) {
        return tk_fail(c, TK_E_VALIDATION, "hub.challenge",
                       "The challenge must be up to 256 letters, digits and "
                       "-_.~.");
    }
    c->r->status = HTTP_OK;
    apr_table_setn(c->r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(c->r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(c->r, "text/plain");
    ap_set_content_length(c->r, (apr_off_t)strlen(challenge));
    if (!c->r->header_only) {
        ap_rputs(challenge, c->r);
    }
    return TK_SENT;
}

/* ---------------------------------------------------------------------
 * Deliveries
 * ------------------------------------------------------------------- */

/* The signature check of each platform: NULL when it holds, else why
 * not (for the log). */
static const char *tk_check_facebook(tk_ctx_t *c, const tk_webhook_channel_t *ch)
{
    const char *secret = tk_webhook_secret(ch, "appSecret");
    const char *sig = apr_table_get(c->r->headers_in, "X-Hub-Signature-256");

    if (!sig) {
        return "no X-Hub-Signature-256";
    }
    return secret && tk_sig_facebook(sig, c->raw_body, c->raw_len, secret)
           ? NULL : "X-Hub-Signature-256 does not match";
}

static const char *tk_check_zalo(tk_ctx_t *c, const tk_webhook_channel_t *ch)
{
    const char *secret = tk_webhook_secret(ch, "oaSecretKey");
    const char *app_id = json_string_value(json_object_get(ch->settings, "appId"));
    const char *sig = apr_table_get(c->r->headers_in, "X-ZEvent-Signature");
    const char *ts;

    if (!sig) {
        return "no X-ZEvent-Signature";
    }
    ts = tk_inbound_zalo_timestamp(c->r->pool, c->raw_body, c->raw_len);
    if (!ts) {
        return "no timestamp in the body";
    }
    return secret && app_id
           && tk_sig_zalo(sig, app_id, c->raw_body, c->raw_len, ts, secret)
           ? NULL : "X-ZEvent-Signature does not match";
}

static const char *tk_check_tiktok(tk_ctx_t *c, const tk_webhook_channel_t *ch)
{
    const char *secret = tk_webhook_secret(ch, "clientSecret");
    const char *sig = apr_table_get(c->r->headers_in, "Tiktok-Signature");

    if (!sig) {
        return "no Tiktok-Signature";
    }
    if (!secret) {
        return "the channel has no client secret";
    }
    switch (tk_sig_tiktok(sig, c->raw_body, c->raw_len, secret,
                          apr_time_sec(apr_time_now()),
                          c->sconf->webhook_tolerance)) {
    case TK_SIG_OK:     return NULL;
    case TK_SIG_STALE:  return "Tiktok-Signature's timestamp is out of "
                               "tolerance";
    default:            return "Tiktok-Signature does not match";
    }
}

/* The platform's time of a message as milliseconds for to_timestamp, or
 * NULL (now) when it has none or one outside 2000-2100: a clock that far
 * off says nothing, and PostgreSQL refuses some of those numbers. */
static const char *tk_sent_at(tk_ctx_t *c, apr_int64_t ms)
{
    if (ms < APR_INT64_C(946684800000) || ms > APR_INT64_C(4102444800000)) {
        return NULL;
    }
    return apr_psprintf(c->r->pool, "%" APR_INT64_T_FMT, ms);
}

/* Store one message (tk_inbound_message): TK_OK, with *stored 1 when it
 * is new. */
static int tk_store_one(tk_ctx_t *c, const tk_webhook_channel_t *ch,
                        const tk_inbound_t *m, int *stored)
{
    tk_rows_t *rows;

    if (TK_SQL_SELECT(c, inbound_message, &rows, ch->id, m->user_id,
                      m->user_name, m->thread_id, m->thread_id, m->message_id,
                      m->text, tk_sent_at(c, m->sent_at_ms))) {
        return TK_FAIL;
    }
    *stored = rows->nrows == 1 && tk_rows_get(rows, 0, 2)
              && strcmp(tk_rows_get(rows, 0, 2), "t") == 0;
    return TK_OK;
}

/* Messages by sender: a transaction storing several takes their senders'
 * locks (tk_platform_lock) in this order, so two deliveries with the same
 * senders in another order cannot deadlock. */
static int tk_by_sender(const void *a, const void *b)
{
    return strcmp(((const tk_inbound_t *)a)->user_id,
                  ((const tk_inbound_t *)b)->user_id);
}

/* Store the delivery's messages for the channel's account; all of them
 * commit together: in one transaction, or, for the usual delivery of one
 * message, in its one statement. */
static int tk_store(tk_ctx_t *c, const tk_webhook_channel_t *ch,
                    const apr_array_header_t *msgs, int *stored, int *copies,
                    int *elsewhere)
{
    apr_array_header_t *ours = apr_array_make(c->r->pool, msgs->nelts + 1,
                                              sizeof(tk_inbound_t));
    int i, one, alone;

    for (i = 0; i < msgs->nelts; ++i) {
        const tk_inbound_t *m = &APR_ARRAY_IDX(msgs, i, tk_inbound_t);
        if (m->account_id && strcmp(m->account_id, ch->account_id) != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, c->r, "TK00076: a "
                          "message for account %s came to channel %s (of "
                          "account %s); ignored", m->account_id, ch->id,
                          ch->account_id);
            ++*elsewhere;
            continue;
        }
        APR_ARRAY_PUSH(ours, tk_inbound_t) = *m;
    }
    alone = ours->nelts == 1;
    if (ours->nelts == 0 || (!alone && tk_sql_begin(c))) {
        return ours->nelts == 0 ? TK_OK : TK_FAIL;
    }
    qsort(ours->elts, (size_t)ours->nelts, sizeof(tk_inbound_t), tk_by_sender);
    c->stream_written = 1;          /* the relays are woken at commit */
    for (i = 0; i < ours->nelts; ++i) {
        if (tk_store_one(c, ch, &APR_ARRAY_IDX(ours, i, tk_inbound_t), &one)) {
            return TK_FAIL;
        }
        *stored += one;
        *copies += !one;
    }
    return alone ? tk_sql_committed(c) : tk_sql_commit(c);
}

static int tk_deliver(tk_ctx_t *c, tk_platform_t platform)
{
    const char *name = tk_platform_name(platform), *why;
    int stored = 0, copies = 0, elsewhere = 0, ignored = 0;
    tk_webhook_channel_t ch;
    apr_array_header_t *msgs;
    json_t *answer;

    if (tk_webhook_channel(c, name, &ch) || tk_read_raw(c)) {
        return TK_FAIL;
    }
    why = platform == TK_PLATFORM_FACEBOOK ? tk_check_facebook(c, &ch)
          : platform == TK_PLATFORM_ZALO ? tk_check_zalo(c, &ch)
          : tk_check_tiktok(c, &ch);
    if (why) {
        return tk_webhook_refuse(c, &ch, why);
    }
    if (tk_inbound_parse(c->r->pool, platform, c->raw_body, c->raw_len, &msgs,
                         &ignored, &why) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, c->r, "TK00075: a signed "
                      "%s delivery for channel %s is malformed: %s", name,
                      ch.id, why);
        return tk_fail(c, TK_E_VALIDATION, NULL, why);
    }
    if (tk_store(c, &ch, msgs, &stored, &copies, &elsewhere)) {
        return TK_FAIL;
    }
    answer = tk_json_own(c->r->pool, json_pack("{s:i,s:i,s:i}", "stored",
                                               stored, "duplicates", copies,
                                               "ignored", ignored + elsewhere));
    return tk_send_data(c, HTTP_OK, answer, NULL);
}

int tk_handle_webhook_facebook(tk_ctx_t *c)
{
    return tk_deliver(c, TK_PLATFORM_FACEBOOK);
}

int tk_handle_webhook_zalo(tk_ctx_t *c)
{
    return tk_deliver(c, TK_PLATFORM_ZALO);
}

int tk_handle_webhook_tiktok(tk_ctx_t *c)
{
    return tk_deliver(c, TK_PLATFORM_TIKTOK);
}
