/* sse_config.c: directives, defaults and merges.
 *
 * Every directive is one line of SSE_DIRECTIVES: its name, field,
 * default (as written in the configuration file), range and help.  The
 * command table, the help text naming the default, the merge and the
 * defaults all come from it.  Every field is a 64-bit number, -1 while
 * unset; a virtual host's unset field takes the main server's, and what
 * is unset everywhere takes the default in post_config.  Everything is per
 * server: the ring is one segment for the whole server (its size comes
 * from the main server), and keep-alive, lifetime and stream limits may
 * differ per virtual host.  conf/tickets_sse.conf documents every
 * directive with its default; tests/integration/test_conf_doc.py checks
 * it against this table.
 */
#include <stddef.h>
#include <apr_strings.h>
#include "config/sse_config.h"

/*  X(directive, kind, field, default, min, max, help): kind TAKE1 (a
 *  number; a byte count may end in K, M or G) or FLAG (On or Off). */
#define SSE_DIRECTIVES(X) \
    X(TicketsSSERingSize, TAKE1, ring_size, "8M", 65536, APR_INT64_C(4) << 30, \
      "Bytes of the shared event ring, main server only") \
    X(TicketsSSEKeepAlive, TAKE1, keepalive, "15", 1, 3600, \
      "Seconds between pings on an idle stream") \
    X(TicketsSSEMaxLifetime, TAKE1, max_lifetime, "3600", 1, 604800, \
      "Seconds after which a stream ends and the client reconnects") \
    X(TicketsSSEMaxStreams, TAKE1, max_streams, "1000", 1, 1000000, \
      "Open streams per child process") \
    X(TicketsSSEMaxStreamsPerUser, TAKE1, max_per_user, "100", 0, 1000000, \
      "Open streams one user may hold on this host, all children " \
      "together; 0: no limit") \
    X(TicketsSSEEventLoop, FLAG, event_loop, "On", 0, 1, \
      "On: plain HTTP/1.1 streams leave their worker thread for the " \
      "child's event loop; Off: every stream holds a thread")

typedef struct {
    const char *name;
    int flag;
    size_t offset;
    const char *def;
    apr_int64_t min, max;
} sse_directive_t;

#define SSE_IS_TAKE1 0
#define SSE_IS_FLAG 1
#define SSE_SPEC(name, kind, field, def, min, max, help) \
    { #name, SSE_IS_##kind, offsetof(sse_srv_conf_t, field), def, min, max },
static const sse_directive_t sse_directives[] = { SSE_DIRECTIVES(SSE_SPEC) };
#undef SSE_SPEC
#define SSE_NDIRECTIVES (sizeof(sse_directives) / sizeof(sse_directives[0]))

#define SSE_INDEX(name, kind, field, def, min, max, help) SSE_D_##name,
enum { SSE_DIRECTIVES(SSE_INDEX) SSE_D_COUNT };
#undef SSE_INDEX

static apr_int64_t *sse_field(sse_srv_conf_t *c, const sse_directive_t *d)
{
    return (apr_int64_t *)((char *)c + d->offset);
}

/* A number (a byte count may end in K, M or G, powers of 1024), or On and
 * Off for a flag; -1 when arg is none of these. */
static apr_int64_t sse_parse_value(const sse_directive_t *d, const char *arg)
{
    char *end;
    apr_int64_t v;

    if (d->flag) {
        return !strcasecmp(arg, "On") ? 1 : !strcasecmp(arg, "Off") ? 0 : -1;
    }
    v = apr_strtoi64(arg, &end, 10);
    if (end == arg || v < 0) {
        return -1;
    }
    switch (*end) {
    case 'K': case 'k': v <<= 10; ++end; break;
    case 'M': case 'm': v <<= 20; ++end; break;
    case 'G': case 'g': v <<= 30; ++end; break;
    default: break;
    }
    return *end || v < d->min || v > d->max ? -1 : v;
}

static const char *sse_set(cmd_parms *cmd, const sse_directive_t *d,
                           const char *arg)
{
    apr_int64_t v = sse_parse_value(d, arg);

    if (v < 0) {
        return apr_psprintf(cmd->pool, "%s must be %s", d->name,
                            d->flag ? "On or Off"
                            : apr_psprintf(cmd->pool, "a number from %"
                                           APR_INT64_T_FMT " to %"
                                           APR_INT64_T_FMT, d->min, d->max));
    }
    if (d == &sse_directives[SSE_D_TicketsSSERingSize]
        && cmd->server->is_virtual) {
        return "TicketsSSERingSize belongs in the main server: the ring is "
               "shared by every virtual host";
    }
    *sse_field(ap_get_module_config(cmd->server->module_config,
                                    &tickets_sse_module), d) = v;
    return NULL;
}

static const char *sse_cmd_take1(cmd_parms *cmd, void *dconf, const char *arg)
{
    (void)dconf;
    return sse_set(cmd, cmd->info, arg);
}

static const char *sse_cmd_flag(cmd_parms *cmd, void *dconf, int on)
{
    (void)dconf;
    return sse_set(cmd, cmd->info, on ? "On" : "Off");
}

void *sse_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    sse_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));
    size_t i;

    (void)s;
    for (i = 0; i < SSE_NDIRECTIVES; ++i) {
        *sse_field(c, &sse_directives[i]) = -1;
    }
    return c;
}

void *sse_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    sse_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));
    size_t i;

    for (i = 0; i < SSE_NDIRECTIVES; ++i) {
        const sse_directive_t *d = &sse_directives[i];
        apr_int64_t add = *sse_field(addv, d);

        *sse_field(c, d) = add != -1 ? add : *sse_field(basev, d);
    }
    return c;
}

const sse_srv_conf_t *sse_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &tickets_sse_module);
}

static int sse_config_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                  apr_pool_t *ptemp, server_rec *s)
{
    size_t i;

    (void)pconf; (void)plog; (void)ptemp;
    for (; s; s = s->next) {
        sse_srv_conf_t *c = ap_get_module_config(s->module_config,
                                                 &tickets_sse_module);

        for (i = 0; i < SSE_NDIRECTIVES; ++i) {
            const sse_directive_t *d = &sse_directives[i];

            if (*sse_field(c, d) == -1) {
                *sse_field(c, d) = sse_parse_value(d, d->def);
            }
        }
    }
    return OK;
}

void sse_config_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(sse_config_post_config, NULL, NULL,
                        APR_HOOK_REALLY_FIRST);
}

#define SSE_CMD(name, kind, field, def, min, max, help) \
    AP_INIT_##kind(#name, sse_cmd_##kind, \
                   (void *)&sse_directives[SSE_D_##name], RSRC_CONF, \
                   help " (default " def ")"),
#define sse_cmd_TAKE1 sse_cmd_take1
#define sse_cmd_FLAG sse_cmd_flag
const command_rec sse_cmds[] = {
    SSE_DIRECTIVES(SSE_CMD)
    { NULL }
};
