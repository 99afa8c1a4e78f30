/* tk_valid_users.c: what an admin may send to /api/users (see
 * tk_valid_users.h). */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "valid/tk_valid_users.h"
#include "valid/tk_query.h"
#include "core/tk_status.h"
#include "core/tk_utf8.h"

int tk_email_valid(const char *s)
{
    const char *at = strchr(s, '@'), *c;

    if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.')
        || at[1] == '.' || s[strlen(s) - 1] == '.'
        || strlen(s) > TK_EMAIL_MAX) {
        return 0;
    }
    for (c = s; *c; ++c) {
        if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* A password of TK_PASSWORD_MIN..MAX characters, taken as given (no
 * trimming: spaces may be part of it). */
static int tk_read_password(const json_t *body, const char **out,
                            tk_err_t *err)
{
    json_t *v = json_object_get(body, "password");
    size_t n;

    *out = NULL;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)
        || strlen(json_string_value(v)) != json_string_length(v)) {
        return tk_err(err, TK_E_VALIDATION, "password",
                      "The password must be a string.");
    }
    n = tk_utf8_len(json_string_value(v));
    if (n < TK_PASSWORD_MIN || n > TK_PASSWORD_MAX) {
        return tk_err(err, TK_E_VALIDATION, "password",
                      "The password must be 8 to 1024 characters.");
    }
    *out = json_string_value(v);
    return 0;
}

int tk_valid_user_create(apr_pool_t *p, const json_t *body,
                         tk_user_input_t *in, tk_err_t *err)
{
    static const char *const fields[] = {
        "email", "name", "role", "password", NULL
    };

    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, fields, err)
        || tk_read_string(p, body, "email", 1, 0, 0, TK_EMAIL_MAX, &in->email,
                          err)) {
        return -1;
    }
    if (!tk_email_valid(in->email)) {
        return tk_err(err, TK_E_VALIDATION, "email",
                      "This field must be an email address.");
    }
    return tk_read_string(p, body, "name", 1, 0, 0, TK_LABEL_MAX, &in->name,
                          err)
           || tk_read_enum(p, body, "role", tk_roles, 1, &in->role, err)
           || tk_read_password(body, &in->password, err) ? -1 : 0;
}

int tk_valid_user_patch(apr_pool_t *p, const json_t *body,
                        tk_user_patch_t *in, tk_err_t *err)
{
    static const char *const fields[] = {
        "name", "role", "disabled", "password", NULL
    };

    memset(in, 0, sizeof(*in));
    in->disabled = -1;
    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    if (json_object_size(body) == 0) {
        return tk_err(err, TK_E_VALIDATION, NULL,
                      "Give at least one field to change.");
    }
    in->name.set = json_object_get(body, "name") != NULL;
    in->role.set = json_object_get(body, "role") != NULL;
    in->password.set = json_object_get(body, "password") != NULL;
    if ((in->name.set && tk_read_string(p, body, "name", 1, 0, 0,
                                        TK_LABEL_MAX, &in->name.value, err))
        || (in->role.set && tk_read_enum(p, body, "role", tk_roles, 1,
                                         &in->role.value, err))
        || tk_read_bool(body, "disabled", &in->disabled, err)
        || tk_read_password(body, &in->password.value, err)) {
        return -1;
    }
    return 0;
}

int tk_user_filter_parse(apr_pool_t *p, const apr_table_t *q, int def_limit,
                         int max_limit, tk_user_filter_t *f, tk_err_t *err)
{
    static const char *const params[] = {
        "role", "q", "limit", "offset", NULL
    };

    memset(f, 0, sizeof(*f));
    if (tk_query_only(q, params, err)
        || tk_query_label(q, "q", TK_LABEL_MAX, &f->q, err)
        || tk_query_page(q, def_limit, max_limit, &f->limit, &f->offset,
                         err)) {
        return -1;
    }
    f->role = apr_table_get(q, "role");
    if (f->role && !tk_enum_valid(tk_roles, f->role)) {
        return tk_err(err, TK_E_INVALID_QUERY, "role",
                      apr_psprintf(p, "The role must be one of: %s.",
                                   tk_enum_list(p, tk_roles)));
    }
    return 0;
}
