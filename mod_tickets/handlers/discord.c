/* discord.c: POST /webhooks/discord/<channel id>, Discord's interactions
 * endpoint.
 *
 * Discord signs every interaction with Ed25519 over X-Signature-Timestamp
 * followed by the raw body, under the application's public key, and
 * sends invalid signatures on purpose: an endpoint that accepts one is
 * dropped.  So nothing is read before the signature holds (401 otherwise),
 * and a signed interaction older or newer than TicketsWebhookTolerance is
 * refused too (a replay).
 *
 *   PING (type 1)                   {"type": 1}
 *   /ticket open subject [description]
 *                                   the customer of the Discord user, the
 *                                   conversation of the user in that
 *                                   Discord channel, and a ticket with
 *                                   source discord; answered at once
 *                                   (type 4, ephemeral) with its key
 *   /ticket close, /ticket reopen   the caller's newest ticket in that
 *                                   channel moves
 *
 * Each writes the same audit rows and live events as the REST API, in the
 * statement that makes the change (tk_discord_ticket_open and _move in
 * sql/migrations/007_messaging.sql), so a ticket opened in Discord is on
 * every staff stream as soon as it commits.  Discord waits 3 s for the
 * answer; these are single statements.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "handlers/tk_handlers.h"
#include "core/tk_json.h"
#include "core/tk_id.h"
#include "platforms/tk_platform.h"
#include "platforms/tk_signature.h"
#include "tk_queries.h"

#define TK_DISCORD_EPHEMERAL 64         /* message flag: only the caller */

/* Answer an interaction with a message only its caller sees. */
static int tk_discord_say(tk_ctx_t *c, const char *text)
{
    json_t *doc = tk_json_own(c->r->pool,
                              json_pack("{s:i,s:{s:s,s:i}}", "type", 4, "data",
                                        "content", text, "flags",
                                        TK_DISCORD_EPHEMERAL));

    return tk_send_json(c, HTTP_OK, doc);
}

/* The thread of a Discord user in a Discord channel: one conversation
 * each, replies going to the channel. */
static const char *tk_discord_thread(tk_ctx_t *c, const tk_discord_t *in)
{
    return apr_pstrcat(c->r->pool, in->channel_id, ":", in->user_id, NULL);
}

static int tk_discord_open(tk_ctx_t *c, const tk_webhook_channel_t *ch,
                           const tk_discord_t *in)
{
    tk_rows_t *rows;

    if (!in->subject || !*in->subject) {
        return tk_discord_say(c, "Give the ticket a subject: /ticket open "
                                 "subject:<what is wrong>");
    }
    if (tk_sql_begin(c)
        || TK_SQL_SELECT(c, discord_ticket_open, &rows, ch->id, in->user_id,
                         in->global_name ? in->global_name : in->username,
                         tk_discord_thread(c, in), in->channel_id, in->id,
                         in->subject, in->description)) {
        return TK_FAIL;
    }
    c->stream_written = 1;              /* the relays are woken at commit */
    if (tk_sql_commit(c)) {
        return TK_FAIL;
    }
    return tk_discord_say(c, apr_psprintf(c->r->pool, "Ticket %s is open: "
                                          "%s. We will answer here.",
                                          tk_rows_get(rows, 0, 1),
                                          in->subject));
}

/* A ticket closed from Discord (by its key) keeps its transcript, in
 * the closing transaction, as any close does. */
static int tk_discord_transcript(tk_ctx_t *c, const tk_webhook_channel_t *ch,
                                 const char *key)
{
    tk_ticket_ref_t ref;
    tk_rows_t *rows;

    if (tk_ticket_ref_parse(key, &ref) != 0 || !ref.number) {
        return tk_internal(c);
    }
    if (TK_SQL_SELECT(c, ticket_resolve, &rows, ch->org_id, NULL, NULL,
                      apr_itoa(c->r->pool, ref.number))) {
        return TK_FAIL;
    }
    return rows->nrows == 1 ? tk_transcript_store(c, tk_rows_get(rows, 0, 0))
                            : tk_internal(c);
}

static int tk_discord_move(tk_ctx_t *c, const tk_webhook_channel_t *ch,
                           const tk_discord_t *in, const char *to)
{
    tk_rows_t *rows;

    if (tk_sql_begin(c)
        || TK_SQL_SELECT(c, discord_ticket_move, &rows, ch->id,
                         tk_discord_thread(c, in), to)) {
        return TK_FAIL;
    }
    c->stream_written = rows->nrows == 1;
    if (rows->nrows == 1 && strcmp(to, "closed") == 0
        && strcmp(tk_rows_get(rows, 0, 1), "t") == 0
        && tk_discord_transcript(c, ch, tk_rows_get(rows, 0, 0))) {
        return TK_FAIL;
    }
    if (tk_sql_commit(c)) {
        return TK_FAIL;
    }
    if (rows->nrows != 1) {
        return tk_discord_say(c, "You have no ticket in this channel.");
    }
    if (strcmp(tk_rows_get(rows, 0, 1), "t") != 0) {
        return tk_discord_say(c, apr_psprintf(c->r->pool, "Ticket %s is %s "
                                              "already.", tk_rows_get(rows, 0, 0),
                                              strcmp(to, "open") == 0
                                              ? "open" : "closed"));
    }
    return tk_discord_say(c, apr_psprintf(c->r->pool, "Ticket %s is %s.",
                                          tk_rows_get(rows, 0, 0),
                                          strcmp(to, "open") == 0
                                          ? "open again" : "closed"));
}

/* A signed interaction replayed later (a captured /ticket close) is
 * refused: its timestamp, Unix seconds, must be within
 * TicketsWebhookTolerance of the clock. */
static int tk_discord_fresh(tk_ctx_t *c, const char *ts)
{
    apr_int64_t t, now = apr_time_sec(apr_time_now());
    char *end;

    t = apr_strtoi64(ts, &end, 10);
    if (end == ts || *end || t <= 0) {
        return 0;
    }
    return t >= now - c->sconf->webhook_tolerance
           && t <= now + c->sconf->webhook_tolerance;
}

int tk_handle_webhook_discord(tk_ctx_t *c)
{
    const char *sig = apr_table_get(c->r->headers_in, "X-Signature-Ed25519");
    const char *ts = apr_table_get(c->r->headers_in, "X-Signature-Timestamp");
    tk_webhook_channel_t ch;
    const char *key, *why;
    tk_discord_t in;

    if (tk_webhook_channel(c, "discord", &ch) || tk_read_raw(c)) {
        return TK_FAIL;
    }
    key = tk_webhook_secret(&ch, "publicKey");
    if (!sig || !ts) {
        return tk_webhook_refuse(c, &ch, "no X-Signature-Ed25519 or "
                                         "X-Signature-Timestamp");
    }
    if (!key || !tk_sig_discord(sig, ts, c->raw_body, c->raw_len, key)) {
        return tk_webhook_refuse(c, &ch, "X-Signature-Ed25519 does not match");
    }
    if (!tk_discord_fresh(c, ts)) {
        return tk_webhook_refuse(c, &ch, "X-Signature-Timestamp is out of "
                                         "tolerance");
    }
    if (tk_discord_parse(c->r->pool, c->raw_body, c->raw_len, &in, &why) != 0) {
        return tk_fail(c, TK_E_VALIDATION, NULL, why);
    }
    if (in.type == TK_DISCORD_PING) {
        return tk_send_json(c, HTTP_OK, tk_json_own(c->r->pool,
                                                    json_pack("{s:i}", "type",
                                                              1)));
    }
    if (in.type != TK_DISCORD_COMMAND || !in.command
        || strcmp(in.command, "ticket") != 0 || !in.subcommand
        || !in.user_id || !in.channel_id) {
        return tk_discord_say(c, "This command is not known here.");
    }
    if (strcmp(in.subcommand, "open") == 0) {
        return tk_discord_open(c, &ch, &in);
    }
    if (strcmp(in.subcommand, "close") == 0) {
        return tk_discord_move(c, &ch, &in, "closed");
    }
    if (strcmp(in.subcommand, "reopen") == 0) {
        return tk_discord_move(c, &ch, &in, "open");
    }
    return tk_discord_say(c, "Use /ticket open, /ticket close or /ticket "
                             "reopen.");
}
