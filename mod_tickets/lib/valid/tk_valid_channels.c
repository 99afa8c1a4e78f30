/* tk_valid_channels.c: what an admin may send to /api/channels (see
 * tk_valid_channels.h).  A secret's value is never put in an error
 * message: the message names the field only. */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "valid/tk_valid_channels.h"
#include "valid/tk_valid_customers.h"
#include "core/tk_status.h"
#include "core/tk_json.h"

typedef struct {
    const char *platform;
    const char *names[4];       /* NULL-terminated */
    const char *required[3];
} tk_channel_secrets_t;

static const tk_channel_secrets_t tk_secret_table[] = {
    { "facebook", { "appSecret", "verifyToken", "accessToken", NULL },
                  { "appSecret", "verifyToken", NULL } },
    { "zalo",     { "oaSecretKey", "accessToken", NULL },
                  { "oaSecretKey", NULL } },
    { "tiktok",   { "clientSecret", "accessToken", NULL },
                  { "clientSecret", NULL } },
    { "discord",  { "publicKey", "botToken", NULL },
                  { "publicKey", NULL } },
    { "web",      { NULL }, { NULL } },
};

static const tk_channel_secrets_t *tk_secrets_of(const char *platform)
{
    size_t i;

    for (i = 0; i < sizeof(tk_secret_table) / sizeof(tk_secret_table[0]); ++i) {
        if (strcmp(tk_secret_table[i].platform, platform) == 0) {
            return &tk_secret_table[i];
        }
    }
    return &tk_secret_table[4];
}

/* Ed25519 public keys of small order (and their other encodings): with
 * one of these, a signature made without any secret verifies for every
 * message, so a channel that had one would take forged interactions. */
static const char *const tk_weak_keys[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    NULL
};

static int tk_weak_key(const char *hex)
{
    const char *const *k;

    for (k = tk_weak_keys; *k; ++k) {
        if (strcasecmp(*k, hex) == 0) {
            return 1;
        }
    }
    return 0;
}

static int tk_hex_len(const char *s, size_t n)
{
    size_t i;

    for (i = 0; s[i]; ++i) {
        if (!apr_isxdigit(s[i])) {
            return 0;
        }
    }
    return i == n;
}

int tk_valid_channel_secrets(apr_pool_t *p, const json_t *body,
                             const char *platform, const char **secrets,
                             tk_err_t *err)
{
    const tk_channel_secrets_t *t = tk_secrets_of(platform);
    const char *key, *const *r;
    json_t *v;

    if (!json_is_object(body)) {
        return tk_err(err, TK_E_VALIDATION, "secrets",
                      "The secrets must be an object.");
    }
    json_object_foreach((json_t *)body, key, v) {
        const char *s = json_string_value(v);
        if (!tk_enum_valid(t->names, key)) {
            return tk_err(err, TK_E_VALIDATION, key, apr_psprintf(p,
                          "A %s channel takes no such secret; it takes: %s.",
                          platform, t->names[0] ? tk_enum_list(p, t->names)
                                                : "none"));
        }
        if (!s || !*s || strlen(s) != json_string_length(v)
            || json_string_length(v) > TK_SECRET_MAX) {
            return tk_err(err, TK_E_VALIDATION, key,
                          "A secret is a non-empty string of at most 4096 "
                          "bytes.");
        }
        if (strcmp(key, "publicKey") == 0 && !tk_hex_len(s, 64)) {
            return tk_err(err, TK_E_VALIDATION, key,
                          "Discord's public key is 64 hexadecimal digits.");
        }
        if (strcmp(key, "publicKey") == 0 && tk_weak_key(s)) {
            return tk_err(err, TK_E_VALIDATION, key,
                          "This is no application's public key: every "
                          "signature would match it.");
        }
    }
    for (r = t->required; *r; ++r) {
        if (!json_object_get(body, *r)) {
            return tk_err(err, TK_E_VALIDATION, *r, apr_psprintf(p,
                          "A %s channel needs this secret to check its "
                          "webhooks.", platform));
        }
    }
    *secrets = tk_json_dump(p, body);
    return *secrets ? 0 : tk_err(err, TK_E_VALIDATION, "secrets",
                                 "The secrets could not be read.");
}

static int tk_read_settings(apr_pool_t *p, const json_t *body,
                            const char *platform, int create,
                            const char **out, tk_err_t *err)
{
    json_t *v = json_object_get(body, "settings");
    json_t *gv, *app;

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (create && strcmp(platform, "zalo") == 0) {
            return tk_err(err, TK_E_VALIDATION, "settings",
                          "A zalo channel needs settings.appId.");
        }
        return 0;
    }
    if (!json_is_object(v)) {
        return tk_err(err, TK_E_VALIDATION, "settings",
                      "The settings must be an object.");
    }
    gv = json_object_get(v, "graphVersion");
    if (gv && (!json_is_string(gv) || strlen(json_string_value(gv)) > 10
               || json_string_value(gv)[0] != 'v'
               || strspn(json_string_value(gv) + 1, "0123456789.")
                  != strlen(json_string_value(gv) + 1))) {
        return tk_err(err, TK_E_VALIDATION, "settings",
                      "settings.graphVersion looks like \"v19.0\".");
    }
    app = json_object_get(v, "appId");
    if (strcmp(platform, "zalo") == 0
        && (!json_is_string(app) || !*json_string_value(app)
            || json_string_length(app) > TK_ACCOUNT_ID_MAX)) {
        return tk_err(err, TK_E_VALIDATION, "settings",
                      "A zalo channel needs settings.appId, a string.");
    }
    *out = tk_json_dump(p, v);
    if (!*out || strlen(*out) > TK_SETTINGS_MAX) {
        return tk_err(err, TK_E_VALIDATION, "settings",
                      "The settings must be at most 8192 bytes as JSON.");
    }
    return 0;
}

/* 1 when the authority after "http://" is this host's loopback. */
static int tk_loopback(const char *host)
{
    static const char *const names[] = { "127.0.0.1", "localhost", "[::1]",
                                         NULL };
    const char *const *n;

    for (n = names; *n; ++n) {
        size_t len = strlen(*n);
        if (strncasecmp(host, *n, len) == 0
            && (host[len] == '\0' || host[len] == ':' || host[len] == '/')) {
            return 1;
        }
    }
    return 0;
}

static int tk_read_api_base(apr_pool_t *p, const json_t *body, tk_opt_t *out,
                            tk_err_t *err)
{
    char *s;
    size_t n;

    out->set = json_object_get(body, "apiBase") != NULL;
    if (!out->set || tk_read_string(p, body, "apiBase", 0, 1, 0, 500,
                                    &out->value, err)) {
        return out->set ? -1 : 0;
    }
    if (!out->value) {
        return 0;
    }
    if (!tk_http_url_valid(out->value) || strchr(out->value, '?')
        || strchr(out->value, '#')) {
        return tk_err(err, TK_E_VALIDATION, "apiBase",
                      "This field must be an http or https URL without a "
                      "query.");
    }
    if (strncmp(out->value, "http://", 7) == 0 && !tk_loopback(out->value + 7)) {
        return tk_err(err, TK_E_VALIDATION, "apiBase",
                      "Tokens travel only over https, or plain http to this "
                      "host (127.0.0.1, localhost, [::1]).");
    }
    s = apr_pstrdup(p, out->value);
    for (n = strlen(s); n > 0 && s[n - 1] == '/'; --n) {
        s[n - 1] = '\0';
    }
    out->value = s;
    return 0;
}

static int tk_read_account(apr_pool_t *p, const json_t *body, int required,
                           const char **out, tk_err_t *err)
{
    return tk_read_string(p, body, "accountId", required, 0, 0,
                          TK_ACCOUNT_ID_MAX, out, err);
}

int tk_valid_channel_create(apr_pool_t *p, const json_t *body,
                            tk_channel_input_t *in, tk_err_t *err)
{
    static const char *const fields[] = {
        "platform", "name", "accountId", "apiBase", "settings", "secrets", NULL
    };
    json_t *secrets = json_object_get(body, "secrets");

    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, fields, err)
        || tk_read_enum(p, body, "platform", tk_platforms, 1, &in->platform,
                        err)
        || tk_read_string(p, body, "name", 1, 0, 0, TK_LABEL_MAX, &in->name,
                          err)
        || tk_read_account(p, body, 1, &in->account_id, err)
        || tk_read_api_base(p, body, &in->api_base, err)
        || tk_read_settings(p, body, in->platform, 1, &in->settings, err)) {
        return -1;
    }
    if (!secrets && strcmp(in->platform, "web") != 0) {
        return tk_err(err, TK_E_VALIDATION, "secrets",
                      "This field is required.");
    }
    if (!secrets) {
        secrets = tk_json_own(p, json_object());
    }
    return tk_valid_channel_secrets(p, secrets, in->platform, &in->secrets,
                                    err);
}

int tk_valid_channel_patch(apr_pool_t *p, const json_t *body,
                           const char *platform, tk_channel_input_t *in,
                           tk_err_t *err)
{
    static const char *const fields[] = {
        "name", "accountId", "apiBase", "settings", NULL
    };

    memset(in, 0, sizeof(*in));
    if (json_object_get(body, "secrets")) {
        return tk_err(err, TK_E_VALIDATION, "secrets",
                      "Secrets are replaced with PUT /api/channels/:id/secrets.");
    }
    if (json_object_get(body, "platform")) {
        return tk_err(err, TK_E_VALIDATION, "platform",
                      "A channel's platform cannot change; make another "
                      "channel.");
    }
    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    if (json_object_size(body) == 0) {
        return tk_err(err, TK_E_VALIDATION, NULL,
                      "Give at least one field to change.");
    }
    in->platform = platform;
    return tk_read_string(p, body, "name", 0, 0, 0, TK_LABEL_MAX, &in->name,
                          err)
           || tk_read_account(p, body, 0, &in->account_id, err)
           || tk_read_api_base(p, body, &in->api_base, err)
           || tk_read_settings(p, body, platform, 0, &in->settings, err)
           ? -1 : 0;
}
