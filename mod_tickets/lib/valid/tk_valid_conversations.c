/* tk_valid_conversations.c: what may be sent to /api/conversations (see
 * tk_valid_conversations.h). */
#include <string.h>
#include <apr_strings.h>
#include "valid/tk_valid_conversations.h"
#include "valid/tk_query.h"
#include "core/tk_status.h"
#include "core/tk_id.h"

int tk_valid_conversation_patch(apr_pool_t *p, const json_t *body,
                                tk_conversation_patch_t *in, tk_err_t *err)
{
    static const char *const fields[] = {
        "status", "assigneeId", "mode", "read", NULL
    };
    json_t *read = json_object_get(body, "read");

    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    if (json_object_size(body) == 0) {
        return tk_err(err, TK_E_VALIDATION, NULL,
                      "Give at least one field to change.");
    }
    if (read && !json_is_true(read)) {
        return tk_err(err, TK_E_VALIDATION, "read",
                      "Only true is accepted: it marks the conversation read.");
    }
    in->read = read != NULL;
    in->assignee_id.set = json_object_get(body, "assigneeId") != NULL;
    return tk_read_enum(p, body, "status", tk_conversation_statuses, 0,
                        &in->status, err)
           || tk_read_enum(p, body, "mode", tk_conversation_modes, 0,
                           &in->mode, err)
           || tk_read_uuid(body, "assigneeId", &in->assignee_id.value, err)
           ? -1 : 0;
}

int tk_valid_reply(apr_pool_t *p, const json_t *body, const char **content,
                   tk_err_t *err)
{
    static const char *const fields[] = { "content", NULL };

    return tk_only_fields(body, fields, err)
           || tk_read_string(p, body, "content", 1, 0, 1, TK_REPLY_MAX,
                             content, err) ? -1 : 0;
}

int tk_valid_conversation_ticket(apr_pool_t *p, const json_t *body,
                                 const char **title, tk_err_t *err)
{
    static const char *const fields[] = { "title", NULL };

    return tk_only_fields(body, fields, err)
           || tk_read_string(p, body, "title", 0, 1, 0, 200, title, err)
           ? -1 : 0;
}

int tk_conversation_filter_parse(apr_pool_t *p, const apr_table_t *q,
                                 int def_limit, int max_limit,
                                 tk_conversation_filter_t *f, tk_err_t *err)
{
    static const char *const params[] = {
        "status", "channelId", "platform", "assigneeId", "customerId", "mode",
        "q", "limit", "offset", NULL
    };
    const char *v;

    memset(f, 0, sizeof(*f));
    if (tk_query_only(q, params, err)
        || tk_query_enum_list(p, q, "status", tk_conversation_statuses,
                              &f->statuses, err)
        || tk_query_uuid(q, "channelId", "a channel id", &f->channel_id, err)
        || tk_query_enum(p, q, "platform", tk_platforms, NULL, &f->platform,
                         err)
        || tk_query_uuid(q, "customerId", "a customer id", &f->customer_id,
                         err)
        || tk_query_enum(p, q, "mode", tk_conversation_modes, NULL, &f->mode,
                         err)
        || tk_query_label(q, "q", 200, &f->q, err)
        || tk_query_page(q, def_limit, max_limit, &f->limit, &f->offset,
                         err)) {
        return -1;
    }
    v = apr_table_get(q, "assigneeId");
    if (v && strcmp(v, "none") == 0) {
        f->unassigned = 1;
        return 0;
    }
    return tk_query_uuid(q, "assigneeId", "a user id or \"none\"",
                         &f->assignee_id, err);
}
