/* mod_tickets_config.c: directives, defaults and merges.
 *
 * Defaults live in the two tables below, "unset" is -1 or NULL, and each
 * merge names every field.  Per-server: session cookie, credential cache,
 * idempotency and live-event retention.  Per-directory (varies by <Location>): body limit
 * and page sizes.  Every directive is documented, with its default, in
 * conf/tickets.conf; tests/unit checks the two agree.
 */
#include <apr_strings.h>
#include <apr_lib.h>
#include "mod_tickets.h"

/* ---- defaults ------------------------------------------------------- */

static const tk_srv_conf_t tk_srv_defaults = {
    "tk_session",   /* TicketsCookieName */
    0,              /* TicketsCookieSecure Off (On behind TLS) */
    86400,          /* TicketsSessionLifetime, seconds */
    60,             /* TicketsCredentialCacheTTL, seconds */
    4096,           /* TicketsCredentialCacheSize, entries per child */
    86400,          /* TicketsIdempotencyTTL, seconds */
    86400,          /* TicketsEventRetention, seconds */
};

static const tk_dir_conf_t tk_dir_defaults = {
    1048576,        /* TicketsMaxBodySize, bytes */
    20,             /* TicketsDefaultPageSize */
    100,            /* TicketsMaxPageSize */
};

#define TK_MERGE(field, unset) \
    (add->field != (unset) ? add->field : base->field)

/* ---- per-server ----------------------------------------------------- */

void *tk_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    tk_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->cookie_name = NULL;
    c->cookie_secure = -1;
    c->session_lifetime = -1;
    c->credential_ttl = -1;
    c->credential_slots = -1;
    c->idempotency_ttl = -1;
    c->event_retention = -1;
    return c;
}

void *tk_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const tk_srv_conf_t *base = basev, *add = addv;
    tk_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->cookie_name = add->cookie_name ? add->cookie_name : base->cookie_name;
    c->cookie_secure = TK_MERGE(cookie_secure, -1);
    c->session_lifetime = TK_MERGE(session_lifetime, -1);
    c->credential_ttl = TK_MERGE(credential_ttl, -1);
    c->credential_slots = TK_MERGE(credential_slots, -1);
    c->idempotency_ttl = TK_MERGE(idempotency_ttl, -1);
    c->event_retention = TK_MERGE(event_retention, -1);
    return c;
}

const tk_srv_conf_t *tk_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &tickets_module);
}

/* Called once per server in post_config: unset fields take the defaults,
 * and the config is read-only from then on. */
void tk_srv_conf_finish(server_rec *s)
{
    tk_srv_conf_t *c = ap_get_module_config(s->module_config, &tickets_module);

    if (!c->cookie_name) c->cookie_name = tk_srv_defaults.cookie_name;
    if (c->cookie_secure < 0) c->cookie_secure = tk_srv_defaults.cookie_secure;
    if (c->session_lifetime < 0) c->session_lifetime = tk_srv_defaults.session_lifetime;
    if (c->credential_ttl < 0) c->credential_ttl = tk_srv_defaults.credential_ttl;
    if (c->credential_slots < 0) c->credential_slots = tk_srv_defaults.credential_slots;
    if (c->idempotency_ttl < 0) c->idempotency_ttl = tk_srv_defaults.idempotency_ttl;
    if (c->event_retention < 0) c->event_retention = tk_srv_defaults.event_retention;
}

/* ---- per-directory -------------------------------------------------- */

void *tk_create_dir_conf(apr_pool_t *p, char *dir)
{
    tk_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    (void)dir;
    c->max_body = -1;
    c->default_page = -1;
    c->max_page = -1;
    return c;
}

void *tk_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const tk_dir_conf_t *base = basev, *add = addv;
    tk_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->max_body = TK_MERGE(max_body, -1);
    c->default_page = TK_MERGE(default_page, -1);
    c->max_page = TK_MERGE(max_page, -1);
    return c;
}

const tk_dir_conf_t *tk_dir_conf(const request_rec *r)
{
    const tk_dir_conf_t *d = ap_get_module_config(r->per_dir_config,
                                                  &tickets_module);
    tk_dir_conf_t *c = apr_palloc(r->pool, sizeof(*c));

    c->max_body = d->max_body >= 0 ? d->max_body : tk_dir_defaults.max_body;
    c->default_page = d->default_page > 0 ? d->default_page
                                          : tk_dir_defaults.default_page;
    c->max_page = d->max_page > 0 ? d->max_page : tk_dir_defaults.max_page;
    if (c->default_page > c->max_page) {
        c->default_page = c->max_page;
    }
    return c;
}

/* ---- directive handlers --------------------------------------------- */

static const char *tk_set_int(cmd_parms *cmd, const char *arg, int min,
                              int max, int *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (*end || end == arg || v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s must be a whole number from %d to %d",
                            cmd->cmd->name, min, max);
    }
    *out = (int)v;
    return NULL;
}

static tk_srv_conf_t *tk_cmd_srv(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &tickets_module);
}

static const char *tk_cmd_cookie_name(cmd_parms *cmd, void *d, const char *arg)
{
    const char *c;

    (void)d;
    for (c = arg; *c; ++c) {
        if (!apr_isalnum(*c) && *c != '_' && *c != '-') {
            return "TicketsCookieName may hold letters, digits, '_' and '-' only";
        }
    }
    if (!*arg) {
        return "TicketsCookieName must not be empty";
    }
    tk_cmd_srv(cmd)->cookie_name = arg;
    return NULL;
}

static const char *tk_cmd_cookie_secure(cmd_parms *cmd, void *d, int flag)
{
    (void)d;
    tk_cmd_srv(cmd)->cookie_secure = flag;
    return NULL;
}

static const char *tk_cmd_srv_int(cmd_parms *cmd, void *d, const char *arg)
{
    tk_srv_conf_t *c = tk_cmd_srv(cmd);
    const char *name = cmd->cmd->name;

    (void)d;
    if (!strcasecmp(name, "TicketsSessionLifetime"))
        return tk_set_int(cmd, arg, 60, 31536000, &c->session_lifetime);
    if (!strcasecmp(name, "TicketsCredentialCacheTTL"))
        return tk_set_int(cmd, arg, 0, 3600, &c->credential_ttl);
    if (!strcasecmp(name, "TicketsCredentialCacheSize"))
        return tk_set_int(cmd, arg, 1, 1048576, &c->credential_slots);
    if (!strcasecmp(name, "TicketsEventRetention"))
        return tk_set_int(cmd, arg, 60, 31536000, &c->event_retention);
    return tk_set_int(cmd, arg, 60, 31536000, &c->idempotency_ttl);
}

static const char *tk_cmd_max_body(cmd_parms *cmd, void *dv, const char *arg)
{
    tk_dir_conf_t *d = dv;
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (*end || end == arg || v < 1 || v > APR_INT64_C(1073741824)) {
        return apr_psprintf(cmd->pool, "%s must be a byte count from 1 to "
                            "1073741824", cmd->cmd->name);
    }
    d->max_body = (apr_off_t)v;
    return NULL;
}

static const char *tk_cmd_page(cmd_parms *cmd, void *dv, const char *arg)
{
    tk_dir_conf_t *d = dv;

    if (!strcasecmp(cmd->cmd->name, "TicketsDefaultPageSize")) {
        return tk_set_int(cmd, arg, 1, 1000, &d->default_page);
    }
    return tk_set_int(cmd, arg, 1, 1000, &d->max_page);
}

const command_rec tk_cmds[] = {
    AP_INIT_TAKE1("TicketsCookieName", tk_cmd_cookie_name, NULL, RSRC_CONF,
                  "Name of the browser session cookie (default tk_session)"),
    AP_INIT_FLAG("TicketsCookieSecure", tk_cmd_cookie_secure, NULL, RSRC_CONF,
                 "Mark the session cookie Secure (default Off)"),
    AP_INIT_TAKE1("TicketsSessionLifetime", tk_cmd_srv_int, NULL, RSRC_CONF,
                  "Seconds a browser session lasts (default 86400)"),
    AP_INIT_TAKE1("TicketsCredentialCacheTTL", tk_cmd_srv_int, NULL, RSRC_CONF,
                  "Seconds a verified Basic password or API token is "
                  "remembered; 0 disables (default 60)"),
    AP_INIT_TAKE1("TicketsCredentialCacheSize", tk_cmd_srv_int, NULL, RSRC_CONF,
                  "Entries of the verified-credential cache per child "
                  "(default 4096)"),
    AP_INIT_TAKE1("TicketsIdempotencyTTL", tk_cmd_srv_int, NULL, RSRC_CONF,
                  "Seconds an Idempotency-Key answer is kept (default 86400)"),
    AP_INIT_TAKE1("TicketsEventRetention", tk_cmd_srv_int, NULL, RSRC_CONF,
                  "Seconds live events stay in the database for streams "
                  "resuming from further back than the ring (default 86400)"),
    AP_INIT_TAKE1("TicketsMaxBodySize", tk_cmd_max_body, NULL, RSRC_CONF | ACCESS_CONF,
                  "Largest JSON request body in bytes (default 1048576)"),
    AP_INIT_TAKE1("TicketsDefaultPageSize", tk_cmd_page, NULL, RSRC_CONF | ACCESS_CONF,
                  "List page size when no limit is given (default 20)"),
    AP_INIT_TAKE1("TicketsMaxPageSize", tk_cmd_page, NULL, RSRC_CONF | ACCESS_CONF,
                  "Largest list page a client may ask for (default 100)"),
    { NULL }
};
