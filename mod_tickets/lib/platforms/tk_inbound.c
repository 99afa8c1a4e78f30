/* tk_inbound.c: what the chat platforms deliver to our webhooks, read
 * into one shape (see tk_platform.h).
 *
 * Each delivery is parsed with jansson, owned by the caller's pool, after
 * its signature was checked over the raw bytes.  Duplicate object keys are
 * refused (JSON_REJECT_DUPLICATES): a body whose "timestamp" or "text"
 * means one thing to one parser and another to the next is not a delivery
 * we act on, and the platforms never send one.  jansson also refuses
 * invalid UTF-8 and, without JSON_ALLOW_NUL, "\u0000", so every string
 * read here is well-formed UTF-8 and a C string.  Ids are bounded to
 * TK_IN_ID_MAX bytes without control characters (they go into logs and
 * keys), texts to TK_IN_TEXT_MAX bytes; a delivery that passes either is
 * refused whole, with a sentence saying which field.
 */
#include <string.h>
#include <apr_strings.h>
#include "core/tk_json.h"
#include "platforms/tk_platform.h"

#define TK_IN_ID_MAX    128
#define TK_IN_TEXT_MAX  (64 * 1024)

/* ---------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------- */

static const char *const tk_platform_names[] = {
    "web", "facebook", "zalo", "tiktok", "discord"
};

const char *tk_platform_name(tk_platform_t platform)
{
    if ((unsigned)platform >= sizeof(tk_platform_names)
                              / sizeof(tk_platform_names[0])) {
        return NULL;
    }
    return tk_platform_names[platform];
}

int tk_platform_parse(const char *name, tk_platform_t *platform)
{
    unsigned i;

    for (i = 0; name && i < sizeof(tk_platform_names)
                                / sizeof(tk_platform_names[0]); ++i) {
        if (strcmp(name, tk_platform_names[i]) == 0) {
            *platform = (tk_platform_t)i;
            return 0;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------------
 * Readers of fields
 * ------------------------------------------------------------------- */

/* The body as one JSON object owned by p, or NULL with *why. */
static json_t *tk_in_load(apr_pool_t *p, const char *body, apr_size_t len,
                          const char *what, const char **why)
{
    json_error_t jerr;
    json_t *j;

    if (!body || len == 0) {
        *why = apr_psprintf(p, "The %s is empty.", what);
        return NULL;
    }
    j = tk_json_own(p, json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr));
    if (!j) {
        /* jerr.text may quote the input: only the place is told. */
        *why = apr_psprintf(p, "The %s is not valid JSON (line %d, column %d).",
                            what, jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        *why = apr_psprintf(p, "The %s is not a JSON object.", what);
        return NULL;
    }
    return j;
}

/* obj[a][b] (b may be NULL); NULL when any step is missing. */
static json_t *tk_in_get(json_t *obj, const char *a, const char *b)
{
    json_t *v = json_object_get(obj, a);

    return b ? json_object_get(v, b) : v;
}

static const char *tk_in_name(apr_pool_t *p, const char *a, const char *b)
{
    return b ? apr_pstrcat(p, a, ".", b, NULL) : a;
}

/* An id at obj[a][b]: a string (or an integer, written in decimal) of 1
 * to TK_IN_ID_MAX bytes without control characters.  0 with *out (a copy
 * in p), or -1 with *why naming where, prefixed by at. */
static int tk_in_id(apr_pool_t *p, json_t *obj, const char *a, const char *b,
                    const char *at, const char **out, const char **why)
{
    json_t *v = tk_in_get(obj, a, b);
    const char *s;
    apr_size_t n, i;

    if (json_is_integer(v)) {
        *out = apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(v));
        return 0;
    }
    if (!json_is_string(v)) {
        *why = apr_psprintf(p, "%s has no \"%s\" string.", at,
                            tk_in_name(p, a, b));
        return -1;
    }
    s = json_string_value(v);
    n = json_string_length(v);
    if (n == 0 || n > TK_IN_ID_MAX) {
        *why = apr_psprintf(p, "%s has a \"%s\" of %" APR_SIZE_T_FMT
                            " bytes (1 to %d).", at, tk_in_name(p, a, b),
                            n, TK_IN_ID_MAX);
        return -1;
    }
    for (i = 0; i < n; ++i) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            *why = apr_psprintf(p, "%s has a control character in \"%s\".",
                                at, tk_in_name(p, a, b));
            return -1;
        }
    }
    *out = apr_pstrmemdup(p, s, n);
    return 0;
}

/* A text at obj[a][b]: a string of at most TK_IN_TEXT_MAX bytes. */
static int tk_in_text(apr_pool_t *p, json_t *obj, const char *a,
                      const char *b, const char *at, const char **out,
                      const char **why)
{
    json_t *v = tk_in_get(obj, a, b);

    if (!json_is_string(v)) {
        *why = apr_psprintf(p, "%s has no \"%s\" string.", at,
                            tk_in_name(p, a, b));
        return -1;
    }
    if (json_string_length(v) > TK_IN_TEXT_MAX) {
        *why = apr_psprintf(p, "%s has a \"%s\" of %" APR_SIZE_T_FMT
                            " bytes (%d at most).", at, tk_in_name(p, a, b),
                            json_string_length(v), TK_IN_TEXT_MAX);
        return -1;
    }
    *out = apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
    return 0;
}

/* A short optional string (a display name): a copy, or NULL when absent,
 * not a string, empty or longer than an id may be. */
static const char *tk_in_opt_name(apr_pool_t *p, json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0
        || json_string_length(v) > TK_IN_ID_MAX) {
        return NULL;
    }
    return apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
}

/* Milliseconds as Zalo writes them: a string of 1 to 18 digits, or an
 * integer.  0 with *ms, or -1. */
static int tk_in_millis(json_t *v, apr_int64_t *ms)
{
    const char *s;
    apr_size_t n, i;

    if (json_is_integer(v)) {
        *ms = json_integer_value(v) > 0 ? json_integer_value(v) : 0;
        return 0;
    }
    if (!json_is_string(v)) {
        return -1;
    }
    s = json_string_value(v);
    n = json_string_length(v);
    if (n == 0 || n > 18) {
        return -1;
    }
    for (i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
    }
    *ms = apr_strtoi64(s, NULL, 10);
    return 0;
}

/* ---------------------------------------------------------------------
 * Facebook Messenger
 *
 * {"object":"page","entry":[{"id","time","messaging":[{"sender":{"id"},
 *  "recipient":{"id"},"timestamp","message":{"mid","text"}}]}]}
 *
 * Every entry and every messaging item is read.  Skipped and counted:
 * echoes of the page's own sends (message.is_echo), items without
 * message.text (delivery and read receipts, postbacks, reactions,
 * attachments alone), and an entry's "standby" items (messages to a
 * thread another app owns under the handover protocol: not ours to
 * answer) and "changes" (feed events of another subscription).
 * ------------------------------------------------------------------- */

static int tk_in_facebook(apr_pool_t *p, json_t *root,
                          apr_array_header_t *msgs, int *ignored,
                          const char **why)
{
    const char *object = json_string_value(json_object_get(root, "object"));
    json_t *entries = json_object_get(root, "entry"), *entry;
    size_t i;

    if (!object || strcmp(object, "page") != 0) {
        *why = "The delivery is not a Page's: \"object\" is not \"page\".";
        return -1;
    }
    if (!json_is_array(entries)) {
        *why = "The delivery has no \"entry\" array.";
        return -1;
    }
    json_array_foreach(entries, i, entry) {
        json_t *items, *item, *other;
        size_t j;

        if (!json_is_object(entry)) {
            ++*ignored;                 /* see the items below */
            continue;
        }
        if (json_is_array(other = json_object_get(entry, "standby"))) {
            *ignored += (int)json_array_size(other);
        }
        if (json_is_array(other = json_object_get(entry, "changes"))) {
            *ignored += (int)json_array_size(other);
        }
        items = json_object_get(entry, "messaging");
        if (!items) {
            continue;
        }
        if (!json_is_array(items)) {
            ++*ignored;
            continue;
        }
        json_array_foreach(items, j, item) {
            json_t *message = json_object_get(item, "message"), *ts;
            const char *at;
            tk_inbound_t *m;

            at = apr_psprintf(p, "Entry %" APR_SIZE_T_FMT ", messaging item %"
                              APR_SIZE_T_FMT ",", i, j);
            if (!json_is_object(item)) {
                ++*ignored;
                continue;
            }
            if (!json_is_object(message)
                || json_is_true(json_object_get(message, "is_echo"))
                || !json_object_get(message, "text")) {
                ++*ignored;
                continue;
            }
            m = apr_array_push(msgs);
            memset(m, 0, sizeof(*m));
            if (tk_in_id(p, item, "recipient", "id", at, &m->account_id, why)
                || tk_in_id(p, item, "sender", "id", at, &m->user_id, why)
                || tk_in_id(p, message, "mid", NULL, at, &m->message_id, why)
                || tk_in_text(p, message, "text", NULL, at, &m->text, why)) {
                /* Not ours to act on, and not the others' fault: the rest
                 * of a batch is still stored (a refused delivery would be
                 * sent again and again, its good messages never stored). */
                apr_array_pop(msgs);
                ++*ignored;
                *why = NULL;
                continue;
            }
            m->thread_id = m->user_id;
            ts = json_object_get(item, "timestamp");
            if (json_is_integer(ts) && json_integer_value(ts) > 0) {
                m->sent_at_ms = json_integer_value(ts);
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Zalo Official Account
 *
 * {"app_id","sender":{"id"},"recipient":{"id"},"event_name":
 *  "user_send_text","message":{"text","msg_id"},"timestamp":"<ms>"}
 *
 * One event per delivery; any event_name other than user_send_text
 * (follow, user_send_image, user_received_message, ...) is acknowledged
 * and counted.
 * ------------------------------------------------------------------- */

static int tk_in_zalo(apr_pool_t *p, json_t *root, apr_array_header_t *msgs,
                      int *ignored, const char **why)
{
    const char *event = json_string_value(json_object_get(root, "event_name"));
    static const char at[] = "The delivery";
    json_t *ts = json_object_get(root, "timestamp");
    tk_inbound_t m;

    if (!event) {
        *why = "The delivery has no \"event_name\" string.";
        return -1;
    }
    if (strcmp(event, "user_send_text") != 0) {
        ++*ignored;
        return 0;
    }
    memset(&m, 0, sizeof(m));
    if (tk_in_id(p, root, "recipient", "id", at, &m.account_id, why)
        || tk_in_id(p, root, "sender", "id", at, &m.user_id, why)
        || tk_in_id(p, root, "message", "msg_id", at, &m.message_id, why)
        || tk_in_text(p, root, "message", "text", at, &m.text, why)) {
        return -1;
    }
    if (ts && tk_in_millis(ts, &m.sent_at_ms) != 0) {
        *why = "The delivery's \"timestamp\" is not a number of milliseconds.";
        return -1;
    }
    m.thread_id = m.user_id;
    *(tk_inbound_t *)apr_array_push(msgs) = m;
    return 0;
}

const char *tk_inbound_zalo_timestamp(apr_pool_t *p, const char *body,
                                      apr_size_t len)
{
    const char *why;
    json_t *root = tk_in_load(p, body, len, "delivery", &why), *ts;

    ts = json_object_get(root, "timestamp");
    if (json_is_integer(ts)) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(ts));
    }
    /* As written: the signature is over these bytes, whatever they are;
     * a timestamp is short, so a long one is no Zalo's. */
    if (json_is_string(ts) && json_string_length(ts) > 0
        && json_string_length(ts) <= 32) {
        return apr_pstrmemdup(p, json_string_value(ts), json_string_length(ts));
    }
    return NULL;
}

/* ---------------------------------------------------------------------
 * TikTok Business Messaging
 *
 * {"client_key","event":"im_receive_msg","create_time","user_openid",
 *  "content":"<JSON text>"}, the content being {"conversation_id",
 *  "message_id","type":"text","text":{"body"},"timestamp","from","from_user":
 *  {"id"},"to","to_user":{"id"}}.
 *
 * The account is the envelope's user_openid: TikTok's webhook envelope
 * names there the account whose authorization the event is delivered
 * under, which for Business Messaging is the business, in every event
 * (im_receive_msg, im_send_msg, im_mark_read_msg) whichever way the
 * message went; to_user.id is the business only for received messages.
 * to_user.id stands in when an envelope lacks user_openid.  Other events
 * and other message types (image, share_post, ...) are counted.
 * ------------------------------------------------------------------- */

static int tk_in_tiktok(apr_pool_t *p, json_t *root, apr_array_header_t *msgs,
                        int *ignored, const char **why)
{
    const char *event = json_string_value(json_object_get(root, "event"));
    static const char at[] = "The message";
    json_t *content = json_object_get(root, "content"), *c, *ct, *ts;
    const char *type;
    tk_inbound_t m;

    if (!event) {
        *why = "The delivery has no \"event\" string.";
        return -1;
    }
    if (strcmp(event, "im_receive_msg") != 0) {
        ++*ignored;
        return 0;
    }
    if (json_is_object(content)) {
        c = content;
    }
    else if (json_is_string(content)) {
        const char *inner_why;

        c = tk_in_load(p, json_string_value(content),
                       json_string_length(content), "delivery's \"content\"",
                       &inner_why);
        if (!c) {
            *why = inner_why;
            return -1;
        }
    }
    else {
        *why = "The delivery has no \"content\" string.";
        return -1;
    }
    type = json_string_value(json_object_get(c, "type"));
    if (!type) {
        *why = "The message has no \"type\" string.";
        return -1;
    }
    if (strcmp(type, "text") != 0) {
        ++*ignored;
        return 0;
    }
    memset(&m, 0, sizeof(m));
    if (tk_in_id(p, c, "from_user", "id", at, &m.user_id, why)
        || tk_in_id(p, c, "conversation_id", NULL, at, &m.thread_id, why)
        || tk_in_id(p, c, "message_id", NULL, at, &m.message_id, why)
        || tk_in_text(p, c, "text", "body", at, &m.text, why)) {
        return -1;
    }
    if (json_object_get(root, "user_openid")) {
        if (tk_in_id(p, root, "user_openid", NULL, "The delivery",
                     &m.account_id, why)) {
            return -1;
        }
    }
    else if (!tk_in_get(c, "to_user", "id")) {
        *why = "The delivery names no account: neither \"user_openid\" nor "
               "\"to_user.id\".";
        return -1;
    }
    else if (tk_in_id(p, c, "to_user", "id", at, &m.account_id, why)) {
        return -1;
    }
    m.user_name = tk_in_opt_name(p, json_object_get(c, "from"));
    if (json_is_integer(ts = json_object_get(c, "timestamp"))
        && json_integer_value(ts) > 0) {
        m.sent_at_ms = json_integer_value(ts);
    }
    else if (json_is_integer(ct = json_object_get(root, "create_time"))
             && json_integer_value(ct) > 0
             && json_integer_value(ct) < APR_INT64_MAX / 1000) {
        m.sent_at_ms = json_integer_value(ct) * 1000;
    }
    *(tk_inbound_t *)apr_array_push(msgs) = m;
    return 0;
}

int tk_inbound_parse(apr_pool_t *p, tk_platform_t platform,
                     const char *body, apr_size_t len,
                     apr_array_header_t **msgs, int *ignored,
                     const char **why)
{
    json_t *root;
    int rv;

    *msgs = apr_array_make(p, 4, sizeof(tk_inbound_t));
    *ignored = 0;
    *why = NULL;
    if (platform != TK_PLATFORM_FACEBOOK && platform != TK_PLATFORM_ZALO
        && platform != TK_PLATFORM_TIKTOK) {
        *why = "The platform has no webhook deliveries of messages.";
        return -1;
    }
    if (!(root = tk_in_load(p, body, len, "delivery", why))) {
        return -1;
    }
    switch (platform) {
    case TK_PLATFORM_FACEBOOK:
        rv = tk_in_facebook(p, root, *msgs, ignored, why);
        break;
    case TK_PLATFORM_ZALO:
        rv = tk_in_zalo(p, root, *msgs, ignored, why);
        break;
    default:
        rv = tk_in_tiktok(p, root, *msgs, ignored, why);
        break;
    }
    if (rv != 0) {
        /* Nothing of a refused delivery is used, not even its first half. */
        apr_array_clear(*msgs);
        *ignored = 0;
    }
    return rv;
}

/* ---------------------------------------------------------------------
 * Discord interactions
 *
 * {"id","application_id","type","guild_id","channel_id","data":{"name",
 *  "options":[{"type":1,"name":"open","options":[{"name":"subject",
 *  "type":3,"value"},{"name":"description","type":3,"value"}]}]},
 *  "member":{"user":{"id","username","global_name"}}}, with "user" at
 * the top instead of "member" in a direct message.  A PING (type 1)
 * carries only its ids; other types are read as far as their ids.
 * ------------------------------------------------------------------- */

/* The first option of type 1 (a subcommand) in data.options, or NULL. */
static json_t *tk_dc_subcommand(json_t *data)
{
    json_t *options = json_object_get(data, "options"), *o;
    size_t i;

    json_array_foreach(options, i, o) {
        if (json_integer_value(json_object_get(o, "type")) == 1) {
            return o;
        }
    }
    return NULL;
}

/* The subcommand's string option called name into *out (NULL when it has
 * none); -1 with *why when it is there and not a bounded string. */
static int tk_dc_option(apr_pool_t *p, json_t *sub, const char *name,
                        const char **out, const char **why)
{
    json_t *options = json_object_get(sub, "options"), *o;
    size_t i;

    *out = NULL;
    json_array_foreach(options, i, o) {
        const char *n = json_string_value(json_object_get(o, "name"));

        if (n && strcmp(n, name) == 0) {
            return tk_in_text(p, o, "value", NULL,
                              apr_psprintf(p, "The option \"%s\"", name),
                              out, why);
        }
    }
    return 0;
}

int tk_discord_parse(apr_pool_t *p, const char *body, apr_size_t len,
                     tk_discord_t *out, const char **why)
{
    static const char at[] = "The interaction";
    json_t *root, *type, *data, *user, *sub;

    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (!(root = tk_in_load(p, body, len, "interaction", why))) {
        return -1;
    }
    type = json_object_get(root, "type");
    if (!json_is_integer(type)) {
        *why = "The interaction has no \"type\" number.";
        return -1;
    }
    if (tk_in_id(p, root, "id", NULL, at, &out->id, why)
        || tk_in_id(p, root, "application_id", NULL, at,
                    &out->application_id, why)) {
        return -1;
    }
    switch (json_integer_value(type)) {
    case 1:
        out->type = TK_DISCORD_PING;
        return 0;
    case 2:
        out->type = TK_DISCORD_COMMAND;
        break;
    default:
        out->type = TK_DISCORD_OTHER;
        return 0;
    }
    data = json_object_get(root, "data");
    user = tk_in_get(root, "member", "user");
    if (!user) {
        user = json_object_get(root, "user");
    }
    if (!json_is_object(user)) {
        *why = "The interaction has neither \"member.user\" nor \"user\".";
        return -1;
    }
    if (tk_in_id(p, root, "channel_id", NULL, at, &out->channel_id, why)
        || tk_in_id(p, data, "name", NULL, "The command", &out->command, why)
        || tk_in_id(p, user, "id", NULL, "The user", &out->user_id, why)
        || tk_in_id(p, user, "username", NULL, "The user", &out->username,
                    why)) {
        return -1;
    }
    if (json_object_get(root, "guild_id")
        && !json_is_null(json_object_get(root, "guild_id"))
        && tk_in_id(p, root, "guild_id", NULL, at, &out->guild_id, why)) {
        return -1;
    }
    out->global_name = tk_in_opt_name(p, json_object_get(user, "global_name"));
    if ((sub = tk_dc_subcommand(data))) {
        if (tk_in_id(p, sub, "name", NULL, "The subcommand", &out->subcommand,
                     why)
            || tk_dc_option(p, sub, "subject", &out->subject, why)
            || tk_dc_option(p, sub, "description", &out->description, why)) {
            return -1;
        }
    }
    return 0;
}
