/* tk_valid_subscriptions.c: what an admin may send to /api/webhooks (see
 * tk_valid_subscriptions.h). */
#include <string.h>
#include <apr_strings.h>
#include "valid/tk_valid_subscriptions.h"

const char *const tk_webhook_event_types[] = {
    "*",
    /* live events (docs/events.md) */
    "ticket_created", "ticket_updated", "ticket_deleted",
    "ticket_message_added", "new_conversation", "new_message",
    "message_sent", "conversation_updated", "customer_created",
    "customer_updated", "customer_deleted", "copilot_job_updated",
    /* audit rows of a ticket (ticket_events) */
    "TICKET_CREATED", "UPDATED", "ASSIGNED", "STATUS_CHANGED", "DELETED",
    "MESSAGE_ADDED", "ATTACHMENT_ADDED", "ARTICLE_LINKED", "ARTICLE_UNLINKED",
    NULL
};

const char *const tk_delivery_states[] = {
    "pending", "delivered", "failed", NULL
};

static int tk_known_type(const char *s)
{
    int i;

    for (i = 0; tk_webhook_event_types[i]; ++i) {
        if (strcmp(tk_webhook_event_types[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* events: a non-empty array of distinct known types, as "a,b,c". */
static int tk_read_events(apr_pool_t *p, const json_t *body, int required,
                          const char **out, tk_err_t *err)
{
    json_t *v = json_object_get(body, "events"), *t;
    apr_array_header_t *seen;
    size_t i;
    int j;

    *out = NULL;
    if (!v && !required) {
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0
        || json_array_size(v) > 64) {
        return tk_err(err, TK_E_VALIDATION, "events",
                      "Name 1 to 64 event types, as an array of strings.");
    }
    seen = apr_array_make(p, (int)json_array_size(v), sizeof(const char *));
    json_array_foreach(v, i, t) {
        const char *s = json_string_value(t);

        if (!s || !tk_known_type(s)) {
            return tk_err(err, TK_E_VALIDATION, "events",
                          apr_pstrcat(p, "Each event type must be one of: ",
                                      tk_enum_list(p, tk_webhook_event_types),
                                      ".", NULL));
        }
        for (j = 0; j < seen->nelts; ++j) {
            if (strcmp(APR_ARRAY_IDX(seen, j, const char *), s) == 0) {
                return tk_err(err, TK_E_VALIDATION, "events",
                              "An event type is named twice.");
            }
        }
        APR_ARRAY_PUSH(seen, const char *) = s;
    }
    *out = apr_array_pstrcat(p, seen, ',');
    return 0;
}

static int tk_read_url(apr_pool_t *p, const json_t *body, int required,
                       tk_webhook_input_t *in, tk_err_t *err)
{
    json_t *v = json_object_get(body, "url");
    const char *why;

    in->url = NULL;
    if (!v && !required) {
        return 0;
    }
    if (!json_is_string(v)) {
        return tk_err(err, TK_E_VALIDATION, "url",
                      "Give the receiver's URL as a string.");
    }
    if (strlen(json_string_value(v)) != json_string_length(v)
        || tk_target_parse(p, json_string_value(v), &in->target, &why) != 0) {
        return tk_err(err, TK_E_VALIDATION, "url",
                      strlen(json_string_value(v)) != json_string_length(v)
                      ? "The URL must not contain NUL." : why);
    }
    in->url = json_string_value(v);
    return 0;
}

int tk_valid_webhook(apr_pool_t *p, const json_t *body, int create,
                     tk_webhook_input_t *in, tk_err_t *err)
{
    static const char *const fields[] = { "url", "events", "enabled", NULL };

    memset(in, 0, sizeof(*in));
    in->enabled = create ? 1 : -1;
    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    if (!create && json_object_size(body) == 0) {
        return tk_err(err, TK_E_VALIDATION, NULL,
                      "Give at least one field to change.");
    }
    return tk_read_url(p, body, create, in, err)
           || tk_read_events(p, body, create, &in->events, err)
           || tk_read_bool(body, "enabled", &in->enabled, err) ? -1 : 0;
}
