/* tk_config.c: directives, defaults and merges.
 *
 * Every directive is one line of TK_DIRECTIVES below: its name, the kind
 * of value, where it may appear, the field it sets, its default (written
 * as in the configuration file), its range and its help.  From that one
 * table come the command table httpd reads, the help text (which names
 * the default), the merges and the defaults, nginx-style: a field is
 * "unset" (-1 or NULL) until a directive sets it; merges take the nearer
 * set value; what is still unset at the end takes the default, parsed by
 * the same code that parses the directive.  conf/tickets.conf documents
 * every directive with its default; tests/integration/test_conf_doc.py
 * checks it against this table.
 */
#include <stddef.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "config/tk_config.h"
#include "files/tk_upload.h"
#include "crypto/tk_seal.h"
#include "crypto/tk_crypto.h"
#include "core/tk_ratelimit.h"

/*  X(directive, kind, scope, field, default, min, max, help) */
#define TK_DIRECTIVES(X) \
    X(TicketsCookieName, NAME, SRV, cookie_name, "tk_session", 1, 64, \
      "Name of the browser session cookie") \
    X(TicketsCookieSecure, FLAG, SRV, cookie_secure, "Off", 0, 1, \
      "Mark the session cookie Secure") \
    X(TicketsSessionLifetime, INT, SRV, session_lifetime, "86400", 60, 31536000, \
      "Seconds a browser session lasts") \
    X(TicketsCredentialCacheTTL, INT, SRV, credential_ttl, "60", 0, 3600, \
      "Seconds a verified Basic password or API token is remembered; 0 " \
      "disables") \
    X(TicketsCredentialCacheSize, INT, SRV, credential_slots, "4096", 1, 1048576, \
      "Entries of the verified-credential cache per child") \
    X(TicketsIdempotencyTTL, INT, SRV, idempotency_ttl, "86400", 60, 31536000, \
      "Seconds an Idempotency-Key answer is kept") \
    X(TicketsEventRetention, INT, SRV, event_retention, "86400", 60, 31536000, \
      "Seconds live events stay in the database for streams resuming from " \
      "further back than the ring") \
    X(TicketsJobWorkers, INT, SRV, job_workers, "2", 0, 64, \
      "Threads per child that run background jobs; 0: none in this server") \
    X(TicketsJobLease, INT, SRV, job_lease, "60", 1, 86400, \
      "Seconds a claimed job is held before another worker may take it over") \
    X(TicketsJobPollInterval, INT, SRV, job_poll, "5", 1, 3600, \
      "Seconds between looks at the queue when no notification came") \
    X(TicketsJobRetention, INT, SRV, job_retention, "604800", 60, 31536000, \
      "Seconds finished jobs are kept for inspection") \
    X(TicketsHttpConnectTimeout, INT, SRV, http_connect_timeout, "5", 1, 300, \
      "Seconds an outbound request (a platform send) may take to connect") \
    X(TicketsHttpTimeout, INT, SRV, http_timeout, "15", 1, 600, \
      "Seconds an outbound request may take in all") \
    X(TicketsHttpMaxResponse, SIZE, SRV, http_max_response, "1048576", 1024, \
      67108864, "Largest answer body in bytes an outbound request reads") \
    X(TicketsWebhookTolerance, INT, SRV, webhook_tolerance, "300", 1, 86400, \
      "Seconds a signed webhook's timestamp may be off the clock (TikTok, "\
      "Discord)") \
    X(TicketsWebhookTimeout, INT, SRV, webhook_timeout, "15", 1, 600, \
      "Seconds an outbound webhook delivery may take in all (shorter than " \
      "TicketsJobLease)") \
    X(TicketsWebhookSecretOverlap, INT, SRV, webhook_overlap, "86400", 0, \
      2592000, "Seconds a rotated webhook secret keeps signing beside the " \
      "new one") \
    X(TicketsWebhookAllowLocal, FLAG, SRV, webhook_allow_local, "Off", 0, 1, \
      "Let webhook subscriptions name loopback and private addresses, and " \
      "plain http to them (read from the main server)") \
    X(TicketsUploadDir, PATH, SRV, upload_dir, "none", 0, 4096, \
      "Absolute directory where attachments are stored (the children must " \
      "be able to write it); none: attachments are off") \
    X(TicketsTranscriptKeyFile, PATH, SRV, transcript_key_file, "none", 0, \
      4096, "File of the keys that seal closed tickets' transcripts " \
      "(AES-256-GCM); none: no transcripts are stored") \
    X(TicketsLLMEndpoint, URL, SRV, llm_endpoint, "none", 0, 2048, \
      "Base URL of an OpenAI-compatible API (.../v1: requests go to its " \
      "/chat/completions); none: the AI features answer AI_UNAVAILABLE") \
    X(TicketsLLMModel, WORD, SRV, llm_model, "none", 0, 200, \
      "Model the provider is asked for; none: the AI features are off") \
    X(TicketsLLMKeyFile, PATH, SRV, llm_key_file, "none", 0, 4096, \
      "File whose first line is the provider's API key, sent as a Bearer " \
      "token; none: no key (a local server)") \
    X(TicketsLLMTimeout, INT, SRV, llm_timeout, "30", 1, 600, \
      "Seconds one AI call may take in all, its retries included (shorter " \
      "than TicketsJobLease)") \
    X(TicketsLLMAttempts, INT, SRV, llm_attempts, "3", 1, 10, \
      "Attempts of one AI call on 408, 409, 429 and 5xx answers") \
    X(TicketsLLMMaxTokens, INT, SRV, llm_max_tokens, "1024", 16, 65536, \
      "Tokens an AI answer may have (max_tokens)") \
    X(TicketsLLMCacheTTL, INT, SRV, llm_cache_ttl, "3600", 0, 2592000, \
      "Seconds an AI answer is kept for the same redacted request; 0: no " \
      "cache") \
    X(TicketsLLMMaxToolRounds, INT, SRV, llm_tool_rounds, "5", 1, 20, \
      "Rounds of tool calls an agent chat message may take") \
    X(TicketsLoginFailureLimit, RATE, SRV, login_failure_limit, "10/60", 0, \
      0, "Failed passwords allowed per account and per address, as " \
      "n/seconds, or off") \
    X(TicketsRateLimit, RATE, DIR, rate_limit, "off", 0, 0, \
      "Requests allowed per API token, user or (without one) address, " \
      "as n/seconds, or off") \
    X(TicketsMaxBodySize, SIZE, DIR, max_body, "1048576", 1, 1073741824, \
      "Largest JSON request body in bytes") \
    X(TicketsAttachmentMaxSize, SIZE, DIR, attachment_max, "5242880", 1, \
      1073741824, "Largest attachment in bytes") \
    X(TicketsAttachmentTypes, TYPES, DIR, attachment_types, \
      "txt,log,png,jpg,jpeg,json", 1, 200, "Extensions an attachment may " \
      "have, of txt, log, png, jpg, jpeg and json") \
    X(TicketsDefaultPageSize, INT, DIR, default_page, "20", 1, 1000, \
      "List page size when no limit is given") \
    X(TicketsMaxPageSize, INT, DIR, max_page, "100", 1, 1000, \
      "Largest list page a client may ask for")

/* ---------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------- */

typedef enum {
    TK_KIND_INT, TK_KIND_FLAG, TK_KIND_SIZE, TK_KIND_NAME, TK_KIND_PATH,
    TK_KIND_TYPES, TK_KIND_RATE, TK_KIND_URL, TK_KIND_WORD
} tk_kind_t;
typedef enum { TK_SCOPE_SRV, TK_SCOPE_DIR } tk_scope_t;

typedef struct {
    const char *name;
    tk_kind_t kind;
    tk_scope_t scope;
    size_t offset;
    const char *def;
    apr_int64_t min, max;
} tk_directive_t;

#define TK_STRUCT_SRV tk_srv_conf_t
#define TK_STRUCT_DIR tk_dir_conf_t

#define TK_SPEC(name, kind, scope, field, def, min, max, help) \
    { #name, TK_KIND_##kind, TK_SCOPE_##scope, \
      offsetof(TK_STRUCT_##scope, field), def, min, max },
static const tk_directive_t tk_directives[] = { TK_DIRECTIVES(TK_SPEC) };
#undef TK_SPEC

#define TK_NDIRECTIVES (sizeof(tk_directives) / sizeof(tk_directives[0]))

#define TK_INDEX(name, kind, scope, field, def, min, max, help) TK_D_##name,
enum { TK_DIRECTIVES(TK_INDEX) TK_D_COUNT };
#undef TK_INDEX

/* ---------------------------------------------------------------------
 * Fields by offset
 * ------------------------------------------------------------------- */

static void *tk_field(void *conf, const tk_directive_t *d)
{
    return (char *)conf + d->offset;
}

/* The kinds whose field is a string. */
static int tk_is_text(const tk_directive_t *d)
{
    return d->kind == TK_KIND_NAME || d->kind == TK_KIND_PATH
           || d->kind == TK_KIND_TYPES || d->kind == TK_KIND_RATE
           || d->kind == TK_KIND_URL || d->kind == TK_KIND_WORD;
}

static int tk_is_set(void *conf, const tk_directive_t *d)
{
    if (tk_is_text(d)) {
        return *(const char **)tk_field(conf, d) != NULL;
    }
    switch (d->kind) {
    case TK_KIND_SIZE: return *(apr_int64_t *)tk_field(conf, d) != -1;
    default:           return *(int *)tk_field(conf, d) != -1;
    }
}

static void tk_unset(void *conf, const tk_directive_t *d)
{
    if (tk_is_text(d)) {
        *(const char **)tk_field(conf, d) = NULL;
        return;
    }
    switch (d->kind) {
    case TK_KIND_SIZE: *(apr_int64_t *)tk_field(conf, d) = -1; break;
    default:           *(int *)tk_field(conf, d) = -1; break;
    }
}

static void tk_copy(void *to, const void *from, const tk_directive_t *d)
{
    size_t n = tk_is_text(d) ? sizeof(const char *)
               : d->kind == TK_KIND_SIZE ? sizeof(apr_int64_t) : sizeof(int);

    memcpy(tk_field(to, d), (const char *)from + d->offset, n);
}

/* Parse arg for d into conf; NULL, or why it is refused. */
static const char *tk_parse(apr_pool_t *p, const tk_directive_t *d,
                            const char *arg, void *conf)
{
    const char *c;
    char *end;
    apr_int64_t v;

    switch (d->kind) {
    case TK_KIND_FLAG:
        if (strcasecmp(arg, "On") && strcasecmp(arg, "Off")) {
            return apr_psprintf(p, "%s must be On or Off", d->name);
        }
        *(int *)tk_field(conf, d) = strcasecmp(arg, "On") == 0;
        return NULL;
    case TK_KIND_NAME:
        for (c = arg; *c; ++c) {
            if (!apr_isalnum(*c) && *c != '_' && *c != '-') {
                return apr_psprintf(p, "%s may hold letters, digits, '_' and "
                                    "'-' only", d->name);
            }
        }
        if ((apr_int64_t)strlen(arg) < d->min
            || (apr_int64_t)strlen(arg) > d->max) {
            return apr_psprintf(p, "%s must be %" APR_INT64_T_FMT " to %"
                                APR_INT64_T_FMT " characters", d->name,
                                d->min, d->max);
        }
        *(const char **)tk_field(conf, d) = arg;
        return NULL;
    case TK_KIND_PATH:
        /* "none" is stored as "", so a test of *path says "set". */
        if (strcasecmp(arg, "none") == 0) {
            *(const char **)tk_field(conf, d) = "";
            return NULL;
        }
        if (*arg != '/' || (apr_int64_t)strlen(arg) > d->max) {
            return apr_psprintf(p, "%s must be an absolute path, or none",
                                d->name);
        }
        *(const char **)tk_field(conf, d) = arg;
        return NULL;
    case TK_KIND_URL:
    case TK_KIND_WORD:
        /* "none" is stored as "", as for a path */
        if (strcasecmp(arg, "none") == 0) {
            *(const char **)tk_field(conf, d) = "";
            return NULL;
        }
        for (c = arg; *c; ++c) {
            if (*c <= ' ' || *c >= 0x7f) {
                return apr_psprintf(p, "%s may not hold spaces or control "
                                    "characters", d->name);
            }
        }
        if ((apr_int64_t)strlen(arg) > d->max
            || (d->kind == TK_KIND_URL && strncasecmp(arg, "http://", 7) != 0
                && strncasecmp(arg, "https://", 8) != 0)) {
            return apr_psprintf(p, d->kind == TK_KIND_URL
                                   ? "%s must be an http or https URL, or none"
                                   : "%s is too long", d->name);
        }
        *(const char **)tk_field(conf, d) = arg;
        return NULL;
    case TK_KIND_RATE: {
        tk_rl_limit_t limit;

        if (strcasecmp(arg, "off") != 0 && tk_rl_parse(arg, &limit) != 0) {
            return apr_psprintf(p, "%s is n/seconds (n from 1 to 1000000, "
                                "seconds from 1 to 86400), or off", d->name);
        }
        *(const char **)tk_field(conf, d) = arg;
        return NULL;
    }
    case TK_KIND_TYPES:
        if (!tk_filetypes_valid(arg) || (apr_int64_t)strlen(arg) > d->max) {
            return apr_psprintf(p, "%s takes extensions among txt, log, png, "
                                "jpg, jpeg and json, separated by commas",
                                d->name);
        }
        *(const char **)tk_field(conf, d) = arg;
        return NULL;
    default:
        v = apr_strtoi64(arg, &end, 10);
        if (*end || end == arg || v < d->min || v > d->max) {
            return apr_psprintf(p, "%s must be a whole number from %"
                                APR_INT64_T_FMT " to %" APR_INT64_T_FMT,
                                d->name, d->min, d->max);
        }
        if (d->kind == TK_KIND_SIZE) {
            *(apr_int64_t *)tk_field(conf, d) = v;
        }
        else {
            *(int *)tk_field(conf, d) = (int)v;
        }
        return NULL;
    }
}

static void tk_unset_all(void *conf, tk_scope_t scope)
{
    size_t i;

    for (i = 0; i < TK_NDIRECTIVES; ++i) {
        if (tk_directives[i].scope == scope) {
            tk_unset(conf, &tk_directives[i]);
        }
    }
}

/* Fields unset in add come from base. */
static void tk_merge(void *to, const void *base, const void *add,
                     tk_scope_t scope)
{
    size_t i;

    for (i = 0; i < TK_NDIRECTIVES; ++i) {
        const tk_directive_t *d = &tk_directives[i];

        if (d->scope == scope) {
            tk_copy(to, tk_is_set((void *)add, d) ? add : base, d);
        }
    }
}

/* Fields still unset in conf come from defaults. */
static void tk_fill(void *conf, const void *defaults, tk_scope_t scope)
{
    size_t i;

    for (i = 0; i < TK_NDIRECTIVES; ++i) {
        const tk_directive_t *d = &tk_directives[i];

        if (d->scope == scope && !tk_is_set(conf, d)) {
            tk_copy(conf, defaults, d);
        }
    }
}

/* The defaults, parsed once from the table. */
static tk_srv_conf_t tk_srv_defaults;
static tk_dir_conf_t tk_dir_defaults;

static void tk_defaults_parse(apr_pool_t *p)
{
    size_t i;

    for (i = 0; i < TK_NDIRECTIVES; ++i) {
        const tk_directive_t *d = &tk_directives[i];

        tk_parse(p, d, d->def, d->scope == TK_SCOPE_SRV
                               ? (void *)&tk_srv_defaults
                               : (void *)&tk_dir_defaults);
    }
}

/* ---------------------------------------------------------------------
 * httpd's side
 * ------------------------------------------------------------------- */

void *tk_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    tk_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    tk_unset_all(c, TK_SCOPE_SRV);
    return c;
}

void *tk_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    tk_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    tk_merge(c, basev, addv, TK_SCOPE_SRV);
    return c;
}

void *tk_create_dir_conf(apr_pool_t *p, char *dir)
{
    tk_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    (void)dir;
    tk_unset_all(c, TK_SCOPE_DIR);
    return c;
}

void *tk_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    tk_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    tk_merge(c, basev, addv, TK_SCOPE_DIR);
    return c;
}

const tk_srv_conf_t *tk_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &tickets_module);
}

const tk_dir_conf_t *tk_dir_conf(const request_rec *r)
{
    tk_dir_conf_t *c = apr_pmemdup(r->pool,
                                   ap_get_module_config(r->per_dir_config,
                                                        &tickets_module),
                                   sizeof(*c));

    tk_fill(c, &tk_dir_defaults, TK_SCOPE_DIR);
    if (c->default_page > c->max_page) {
        c->default_page = c->max_page;
    }
    return c;
}

static const char *tk_cmd_take1(cmd_parms *cmd, void *dconf, const char *arg)
{
    const tk_directive_t *d = cmd->info;

    return tk_parse(cmd->pool, d, arg, d->scope == TK_SCOPE_DIR
                    ? dconf : ap_get_module_config(cmd->server->module_config,
                                                   &tickets_module));
}

/* A list, its words separated by commas or spaces. */
static const char *tk_cmd_raw(cmd_parms *cmd, void *dconf, const char *args)
{
    return tk_cmd_take1(cmd, dconf, apr_pstrdup(cmd->pool, args));
}

static const char *tk_cmd_flag(cmd_parms *cmd, void *dconf, int on)
{
    return tk_cmd_take1(cmd, dconf, on ? "On" : "Off");
}

#define TK_WHERE_SRV RSRC_CONF
#define TK_WHERE_DIR (RSRC_CONF | ACCESS_CONF)
#define TK_INIT_INT AP_INIT_TAKE1
#define TK_INIT_SIZE AP_INIT_TAKE1
#define TK_INIT_NAME AP_INIT_TAKE1
#define TK_INIT_PATH AP_INIT_TAKE1
#define TK_INIT_URL AP_INIT_TAKE1
#define TK_INIT_WORD AP_INIT_TAKE1
#define TK_INIT_TYPES AP_INIT_RAW_ARGS
#define TK_INIT_RATE AP_INIT_TAKE1
#define TK_INIT_FLAG AP_INIT_FLAG
#define TK_FUNC_INT tk_cmd_take1
#define TK_FUNC_SIZE tk_cmd_take1
#define TK_FUNC_NAME tk_cmd_take1
#define TK_FUNC_PATH tk_cmd_take1
#define TK_FUNC_URL tk_cmd_take1
#define TK_FUNC_WORD tk_cmd_take1
#define TK_FUNC_TYPES tk_cmd_raw
#define TK_FUNC_RATE tk_cmd_take1
#define TK_FUNC_FLAG tk_cmd_flag

#define TK_CMD(name, kind, scope, field, def, min, max, help) \
    TK_INIT_##kind(#name, TK_FUNC_##kind, \
                   (void *)&tk_directives[TK_D_##name], TK_WHERE_##scope, \
                   help " (default " def ")"),
const command_rec tk_cmds[] = {
    TK_DIRECTIVES(TK_CMD)
    { NULL }
};
#undef TK_CMD

/* The transcript keys of c's key file, read once at start-up: a file
 * that cannot be read or parsed stops the server. */
static int tk_config_keys(apr_pool_t *p, server_rec *s, tk_srv_conf_t *c)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *text;
    tk_err_t err = { TK_E_NONE, NULL, NULL };
    apr_status_t rv;

    if (!*c->transcript_key_file) {
        return OK;
    }
    rv = apr_file_open(&f, c->transcript_key_file, APR_FOPEN_READ, 0, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_PROT, f);
    }
    if (rv == APR_SUCCESS && fi.size > 65536) {
        rv = APR_EINVAL;
    }
    if (rv == APR_SUCCESS && !tk_secret_file_private(fi.protection)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TK00096: "
                     "TicketsTranscriptKeyFile %s may be read or written by "
                     "others than its owner (chmod 0600 it)",
                     c->transcript_key_file);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rv == APR_SUCCESS) {
        text = apr_pcalloc(p, (apr_size_t)fi.size + 1);
        rv = apr_file_read_full(f, text, (apr_size_t)fi.size, NULL);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "TK00089: "
                     "TicketsTranscriptKeyFile %s cannot be read (at most "
                     "64 KB)", c->transcript_key_file);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_file_close(f);
    if (!(c->transcript_keys = tk_keyring_parse(p, text, &err))) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TK00090: "
                     "TicketsTranscriptKeyFile %s: %s", c->transcript_key_file,
                     err.message);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int tk_config_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    (void)plog; (void)ptemp;
    for (; s; s = s->next) {
        tk_srv_conf_t *c = ap_get_module_config(s->module_config,
                                                &tickets_module);

        tk_fill(c, &tk_srv_defaults, TK_SCOPE_SRV);
        if (tk_config_keys(pconf, s, c) != OK) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

void tk_config_register_hooks(apr_pool_t *p)
{
    tk_defaults_parse(p);
    ap_hook_post_config(tk_config_post_config, NULL, NULL,
                        APR_HOOK_REALLY_FIRST);
}
