/* tk_valid_customers.c: what staff may send to /api/customers (see
 * tk_valid_customers.h). */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "valid/tk_valid_customers.h"
#include "valid/tk_valid_users.h"
#include "valid/tk_query.h"
#include "core/tk_status.h"
#include "core/tk_id.h"

int tk_http_url_valid(const char *s)
{
    const char *rest, *c;

    if (strncmp(s, "https://", 8) == 0) {
        rest = s + 8;
    }
    else if (strncmp(s, "http://", 7) == 0) {
        rest = s + 7;
    }
    else {
        return 0;
    }
    if (!*rest || *rest == '/') {
        return 0;
    }
    for (c = s; *c; ++c) {
        if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int tk_phone_valid(const char *s)
{
    int digits = 0;

    for (; *s; ++s) {
        if (apr_isdigit(*s)) {
            ++digits;
        }
        else if (!strchr("+-(). ", *s)) {
            return 0;
        }
    }
    return digits >= 3;
}

int tk_valid_customer(apr_pool_t *p, const json_t *body, int create,
                      tk_customer_input_t *in, tk_err_t *err)
{
    static const char *const fields[] = {
        "name", "email", "phone", "avatarUrl", "notes", "tags", "userId", NULL
    };

    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    if (!create && json_object_size(body) == 0) {
        return tk_err(err, TK_E_VALIDATION, NULL,
                      "Give at least one field to change.");
    }
    in->name.set = create || json_object_get(body, "name") != NULL;
    if ((in->name.set && tk_read_string(p, body, "name", 1, 0, 0,
                                        TK_CUSTOMER_NAME_MAX, &in->name.value,
                                        err))
        || tk_read_opt_string(p, body, "email", 0, 1, 0, TK_EMAIL_MAX,
                              &in->email, err)
        || tk_read_opt_string(p, body, "phone", 0, 1, 0, TK_PHONE_MAX,
                              &in->phone, err)
        || tk_read_opt_string(p, body, "avatarUrl", 0, 1, 0, TK_URL_MAX,
                              &in->avatar_url, err)
        || tk_read_opt_string(p, body, "notes", 0, 1, 1, TK_NOTES_MAX,
                              &in->notes, err)) {
        return -1;
    }
    if (in->email.value && !tk_email_valid(in->email.value)) {
        return tk_err(err, TK_E_VALIDATION, "email",
                      "This field must be an email address.");
    }
    if (in->phone.value && !tk_phone_valid(in->phone.value)) {
        return tk_err(err, TK_E_VALIDATION, "phone",
                      "A phone number has digits, and may have +, -, (, ), "
                      "dots and spaces.");
    }
    if (in->avatar_url.value && !tk_http_url_valid(in->avatar_url.value)) {
        return tk_err(err, TK_E_VALIDATION, "avatarUrl",
                      "This field must be an http or https URL.");
    }
    in->tags.set = json_object_get(body, "tags") != NULL;
    in->user_id.set = json_object_get(body, "userId") != NULL;
    return tk_read_tags(p, body, &in->tags.value, err)
           || tk_read_uuid(body, "userId", &in->user_id.value, err) ? -1 : 0;
}

int tk_valid_customer_merge(const json_t *body, const char **from,
                            tk_err_t *err)
{
    return tk_read_only_uuid(body, "from",
                             "Name the customer to merge into this one.",
                             from, err);
}

int tk_customer_filter_parse(apr_pool_t *p, const apr_table_t *q,
                             int def_limit, int max_limit,
                             tk_customer_filter_t *f, tk_err_t *err)
{
    static const char *const params[] = {
        "q", "tag", "platform", "channelId", "createdFrom", "createdTo",
        "sort", "limit", "offset", NULL
    };
    static const char *const sorts[] = {
        "createdAt", "-createdAt", "updatedAt", "-updatedAt", "name", "-name",
        NULL
    };

    memset(f, 0, sizeof(*f));
    return tk_query_only(q, params, err)
           || tk_query_label(q, "q", 200, &f->q, err)
           || tk_query_label(q, "tag", TK_TAG_MAX, &f->tag, err)
           || tk_query_enum(p, q, "platform", tk_platforms, NULL, &f->platform,
                            err)
           || tk_query_uuid(q, "channelId", "a channel id", &f->channel_id, err)
           || tk_query_date(q, "createdFrom", &f->created_from, err)
           || tk_query_date(q, "createdTo", &f->created_to, err)
           || tk_query_enum(p, q, "sort", sorts, "-createdAt", &f->sort, err)
           || tk_query_page(q, def_limit, max_limit, &f->limit, &f->offset,
                            err) ? -1 : 0;
}
