/* tk_valid_tickets.c: bodies and query strings of the ticket resource
 * (see tk_valid_tickets.h). */
#include <string.h>
#include <apr_strings.h>
#include "valid/tk_valid_tickets.h"
#include "valid/tk_valid.h"
#include "valid/tk_query.h"
#include "core/tk_status.h"
#include "core/tk_id.h"
#include "core/tk_utf8.h"

/* ---------------------------------------------------------------------
 * Bodies
 * ------------------------------------------------------------------- */

static const char *const tk_create_fields[] = {
    "title", "description", "priority", "category", "productArea", "source",
    "tags", "assigneeId", "customerId", NULL
};

int tk_valid_ticket_create(apr_pool_t *p, const json_t *body,
                           tk_ticket_input_t *in, tk_err_t *err)
{
    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, tk_create_fields, err)
        || tk_read_string(p, body, "title", 1, 0, 0, TK_TITLE_MAX, &in->title, err)
        || tk_read_string(p, body, "description", 1, 0, 1, TK_DESCRIPTION_MAX,
                          &in->description, err)
        || tk_read_enum(p, body, "priority", tk_priorities, 0, &in->priority, err)
        || tk_read_string(p, body, "category", 0, 1, 0, TK_LABEL_MAX,
                          &in->category, err)
        || tk_read_string(p, body, "productArea", 0, 1, 0, TK_LABEL_MAX,
                          &in->product_area, err)
        || tk_read_enum(p, body, "source", tk_sources, 0, &in->source, err)
        || tk_read_tags(p, body, &in->tags_json, err)
        || tk_read_uuid(body, "assigneeId", &in->assignee_id, err)
        || tk_read_uuid(body, "customerId", &in->customer_id, err)) {
        return -1;
    }
    if (!in->priority) {
        in->priority = "medium";
    }
    if (!in->tags_json) {
        in->tags_json = "[]";
    }
    return 0;
}

static const char *const tk_patch_fields[] = {
    "title", "description", "priority", "category", "productArea", "tags",
    "assigneeId", NULL
};

int tk_valid_ticket_patch(apr_pool_t *p, const json_t *body,
                          tk_ticket_patch_t *in, tk_err_t *err)
{
    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, tk_patch_fields, err)) {
        return -1;
    }
    if (json_object_size(body) == 0) {
        return tk_err(err, TK_E_VALIDATION, NULL,
                      "Give at least one field to change.");
    }
    in->title.set = json_object_get(body, "title") != NULL;
    in->description.set = json_object_get(body, "description") != NULL;
    in->priority.set = json_object_get(body, "priority") != NULL;
    in->category.set = json_object_get(body, "category") != NULL;
    in->product_area.set = json_object_get(body, "productArea") != NULL;
    in->tags.set = json_object_get(body, "tags") != NULL;
    in->assignee_id.set = json_object_get(body, "assigneeId") != NULL;
    if ((in->title.set && tk_read_string(p, body, "title", 1, 0, 0,
                                         TK_TITLE_MAX, &in->title.value, err))
        || (in->description.set
            && tk_read_string(p, body, "description", 1, 0, 1,
                              TK_DESCRIPTION_MAX, &in->description.value, err))
        || (in->priority.set && tk_read_enum(p, body, "priority", tk_priorities,
                                             1, &in->priority.value, err))
        || tk_read_string(p, body, "category", 0, 1, 0, TK_LABEL_MAX,
                          &in->category.value, err)
        || tk_read_string(p, body, "productArea", 0, 1, 0, TK_LABEL_MAX,
                          &in->product_area.value, err)
        || tk_read_tags(p, body, &in->tags.value, err)
        || tk_read_uuid(body, "assigneeId", &in->assignee_id.value, err)) {
        return -1;
    }
    return 0;
}

int tk_valid_status(const json_t *body, const char **status, tk_err_t *err)
{
    static const char *const fields[] = { "status", NULL };
    json_t *v;

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    v = json_object_get(body, "status");
    if (!v) {
        return tk_err(err, TK_E_VALIDATION, "status", "This field is required.");
    }
    if (!json_is_string(v) || !tk_enum_valid(tk_statuses, json_string_value(v))) {
        return tk_err(err, TK_E_VALIDATION, "status",
                      "This field must be one of: open, in_progress, waiting, "
                      "resolved, closed.");
    }
    *status = json_string_value(v);
    return 0;
}

int tk_valid_message(const json_t *body, const char **content, int *internal,
                     tk_err_t *err)
{
    static const char *const fields[] = { "content", "internal", NULL };
    json_t *v;
    const char *s;

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    v = json_object_get(body, "content");
    if (!v) {
        return tk_err(err, TK_E_VALIDATION, "content", "This field is required.");
    }
    if (!json_is_string(v)) {
        return tk_err(err, TK_E_VALIDATION, "content",
                      "This field must be a string.");
    }
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        return tk_err(err, TK_E_VALIDATION, "content",
                      "This field must not contain NUL characters.");
    }
    if (strspn(s, " \t\r\n") == strlen(s)) {
        return tk_err(err, TK_E_VALIDATION, "content",
                      "This field must not be empty.");
    }
    if (tk_utf8_len(s) > TK_MESSAGE_MAX) {
        return tk_err(err, TK_E_VALIDATION, "content",
                      "This field must be at most 20000 characters.");
    }
    *content = s;
    *internal = 0;
    return tk_read_bool(body, "internal", internal, err);
}

/* ---------------------------------------------------------------------
 * The list's query string
 * ------------------------------------------------------------------- */

static const char *const tk_filter_params[] = {
    "status", "priority", "productArea", "category", "assigneeId",
    "customerId", "source", "tag", "createdFrom", "createdTo", "q", "sort",
    "limit", "offset", NULL
};

static const char *const tk_sorts[] = {
    "createdAt", "-createdAt", "updatedAt", "-updatedAt", "number", "-number",
    "priority", "-priority", NULL
};

int tk_ticket_filter_parse(apr_pool_t *p, const apr_table_t *q,
                           int def_limit, int max_limit,
                           tk_ticket_filter_t *f, tk_err_t *err)
{
    const char *v;

    memset(f, 0, sizeof(*f));
    if (tk_query_only(q, tk_filter_params, err)
        || tk_query_enum_list(p, q, "status", tk_statuses, &f->statuses, err)
        || tk_query_enum_list(p, q, "priority", tk_priorities, &f->priorities, err)
        || tk_query_enum_list(p, q, "source", tk_sources, &f->sources, err)
        || tk_query_label(q, "productArea", TK_LABEL_MAX, &f->product_area, err)
        || tk_query_label(q, "category", TK_LABEL_MAX, &f->category, err)
        || tk_query_label(q, "tag", TK_TAG_MAX, &f->tag, err)
        || tk_query_label(q, "q", 500, &f->q, err)
        || tk_query_date(q, "createdFrom", &f->created_from, err)
        || tk_query_date(q, "createdTo", &f->created_to, err)
        || tk_query_page(q, def_limit, max_limit, &f->limit, &f->offset, err)) {
        return -1;
    }
    v = apr_table_get(q, "assigneeId");
    if (v && strcmp(v, "none") == 0) {
        f->unassigned = 1;
    }
    else if (v && !tk_uuid_valid(v)) {
        return tk_err(err, TK_E_INVALID_QUERY, "assigneeId",
                      "This must be a user id or \"none\".");
    }
    else {
        f->assignee_id = v;
    }
    v = apr_table_get(q, "customerId");
    if (v && !tk_uuid_valid(v)) {
        return tk_err(err, TK_E_INVALID_QUERY, "customerId",
                      "This must be a customer id.");
    }
    f->customer_id = v;
    v = apr_table_get(q, "sort");
    if (v && !tk_enum_valid(tk_sorts, v)) {
        return tk_err(err, TK_E_INVALID_QUERY, "sort",
                      apr_psprintf(p, "Sort by one of: %s.", tk_enum_list(p, tk_sorts)));
    }
    f->sort = v ? v : "-createdAt";
    return 0;
}
