/* tk_valid_auth.c: bodies of sign-in and API tokens (see tk_valid_auth.h). */
#include <string.h>
#include "valid/tk_valid_auth.h"
#include "valid/tk_valid.h"
#include "core/tk_utf8.h"

int tk_valid_login(const json_t *body, const char **email,
                   const char **password, tk_err_t *err)
{
    static const char *const fields[] = { "email", "password", NULL };
    json_t *e, *pw;

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    e = json_object_get(body, "email");
    pw = json_object_get(body, "password");
    if (!e || !json_is_string(e) || json_string_length(e) == 0
        || json_string_length(e) > 254) {
        return tk_err(err, TK_E_VALIDATION, "email",
                      "An email address is required.");
    }
    if (!pw || !json_is_string(pw) || json_string_length(pw) == 0
        || json_string_length(pw) > 1024) {
        return tk_err(err, TK_E_VALIDATION, "password", "A password is required.");
    }
    *email = json_string_value(e);
    *password = json_string_value(pw);
    return 0;
}

int tk_valid_token_create(const json_t *body, const char **name,
                          const char **user_id, int *days, tk_err_t *err)
{
    static const char *const fields[] = { "name", "userId", "expiresInDays", NULL };
    json_t *v;

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    v = json_object_get(body, "name");
    if (!v || !json_is_string(v) || json_string_length(v) == 0
        || tk_utf8_len(json_string_value(v)) > TK_LABEL_MAX) {
        return tk_err(err, TK_E_VALIDATION, "name",
                      "A name of 1 to 100 characters is required.");
    }
    *name = json_string_value(v);
    if (tk_read_uuid(body, "userId", user_id, err)) {
        return -1;
    }
    v = json_object_get(body, "expiresInDays");
    *days = 0;
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1
            || json_integer_value(v) > 3650) {
            return tk_err(err, TK_E_VALIDATION, "expiresInDays",
                          "This field must be a whole number of days from 1 to 3650.");
        }
        *days = (int)json_integer_value(v);
    }
    return 0;
}
