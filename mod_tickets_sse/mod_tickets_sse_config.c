/* mod_tickets_sse_config.c: directives, defaults and merges.
 *
 * Defaults live in the table below, "unset" is -1, and the merge names
 * every field.  Everything is per server: the ring is one segment for the
 * whole server (its size comes from the main server), and keep-alive,
 * lifetime and stream limit may differ per virtual host.  Every directive
 * is documented, with its default, in conf/tickets_sse.conf;
 * tests/integration/test_conf_doc.py checks the two agree.
 */
#include <apr_strings.h>
#include "mod_tickets_sse_private.h"

/* ---- defaults ------------------------------------------------------- */

static const sse_srv_conf_t sse_srv_defaults = {
    8388608,        /* TicketsSSERingSize, bytes (8M) */
    15,             /* TicketsSSEKeepAlive, seconds */
    3600,           /* TicketsSSEMaxLifetime, seconds */
    1000,           /* TicketsSSEMaxStreams, per child */
    100,            /* TicketsSSEMaxStreamsPerUser, per host; 0: no limit */
    1,              /* TicketsSSEEventLoop On */
};

#define SSE_MERGE(field) (add->field != -1 ? add->field : base->field)

void *sse_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    sse_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->ring_size = -1;
    c->keepalive = -1;
    c->max_lifetime = -1;
    c->max_streams = -1;
    c->max_per_user = -1;
    c->event_loop = -1;
    return c;
}

void *sse_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const sse_srv_conf_t *base = basev, *add = addv;
    sse_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->ring_size = SSE_MERGE(ring_size);
    c->keepalive = SSE_MERGE(keepalive);
    c->max_lifetime = SSE_MERGE(max_lifetime);
    c->max_streams = SSE_MERGE(max_streams);
    c->max_per_user = SSE_MERGE(max_per_user);
    c->event_loop = SSE_MERGE(event_loop);
    return c;
}

const sse_srv_conf_t *sse_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &tickets_sse_module);
}

void sse_srv_conf_finish(server_rec *s)
{
    sse_srv_conf_t *c = ap_get_module_config(s->module_config,
                                             &tickets_sse_module);

    if (c->ring_size < 0) c->ring_size = sse_srv_defaults.ring_size;
    if (c->keepalive < 0) c->keepalive = sse_srv_defaults.keepalive;
    if (c->max_lifetime < 0) c->max_lifetime = sse_srv_defaults.max_lifetime;
    if (c->max_streams < 0) c->max_streams = sse_srv_defaults.max_streams;
    if (c->max_per_user < 0) c->max_per_user = sse_srv_defaults.max_per_user;
    if (c->event_loop < 0) c->event_loop = sse_srv_defaults.event_loop;
}

/* ---- directive handlers --------------------------------------------- */

static sse_srv_conf_t *sse_cmd_srv(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config,
                                &tickets_sse_module);
}

static const char *sse_set_int(cmd_parms *cmd, const char *arg, int min,
                               int max, int *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (*end || end == arg || v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s must be a whole number from %d "
                            "to %d", cmd->cmd->name, min, max);
    }
    *out = (int)v;
    return NULL;
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
static const char *sse_cmd_ring_size(cmd_parms *cmd, void *d, const char *arg)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    (void)d;
    if (end != arg && (*end == 'K' || *end == 'k')) { v *= 1024; ++end; }
    else if (end != arg && (*end == 'M' || *end == 'm')) { v <<= 20; ++end; }
    else if (end != arg && (*end == 'G' || *end == 'g')) { v <<= 30; ++end; }
    if (*end || end == arg || v < 65536 || v > (APR_INT64_C(4) << 30)) {
        return "TicketsSSERingSize must be a byte count from 64K to 4G "
               "(a number, optionally followed by K, M or G)";
    }
    if (cmd->server->is_virtual) {
        return "TicketsSSERingSize belongs in the main server: the ring is "
               "shared by every virtual host";
    }
    sse_cmd_srv(cmd)->ring_size = v;
    return NULL;
}

static const char *sse_cmd_int(cmd_parms *cmd, void *d, const char *arg)
{
    sse_srv_conf_t *c = sse_cmd_srv(cmd);
    const char *name = cmd->cmd->name;

    (void)d;
    if (!strcasecmp(name, "TicketsSSEKeepAlive"))
        return sse_set_int(cmd, arg, 1, 3600, &c->keepalive);
    if (!strcasecmp(name, "TicketsSSEMaxLifetime"))
        return sse_set_int(cmd, arg, 1, 604800, &c->max_lifetime);
    if (!strcasecmp(name, "TicketsSSEMaxStreamsPerUser"))
        return sse_set_int(cmd, arg, 0, 1000000, &c->max_per_user);
    return sse_set_int(cmd, arg, 1, 1000000, &c->max_streams);
}

static const char *sse_cmd_event_loop(cmd_parms *cmd, void *d, int on)
{
    (void)d;
    sse_cmd_srv(cmd)->event_loop = on ? 1 : 0;
    return NULL;
}

const command_rec sse_cmds[] = {
    AP_INIT_TAKE1("TicketsSSERingSize", sse_cmd_ring_size, NULL, RSRC_CONF,
                  "Bytes of the shared event ring, main server only "
                  "(default 8M)"),
    AP_INIT_TAKE1("TicketsSSEKeepAlive", sse_cmd_int, NULL, RSRC_CONF,
                  "Seconds between pings on an idle stream (default 15)"),
    AP_INIT_TAKE1("TicketsSSEMaxLifetime", sse_cmd_int, NULL, RSRC_CONF,
                  "Seconds after which a stream ends and the client "
                  "reconnects (default 3600)"),
    AP_INIT_TAKE1("TicketsSSEMaxStreams", sse_cmd_int, NULL, RSRC_CONF,
                  "Open streams per child process (default 1000)"),
    AP_INIT_TAKE1("TicketsSSEMaxStreamsPerUser", sse_cmd_int, NULL, RSRC_CONF,
                  "Open streams one user may hold on this host, all "
                  "children together; 0: no limit (default 100)"),
    AP_INIT_FLAG("TicketsSSEEventLoop", sse_cmd_event_loop, NULL, RSRC_CONF,
                 "On: plain HTTP/1.1 streams leave their worker thread for "
                 "the child's event loop; Off: every stream holds a thread "
                 "(default On)"),
    { NULL }
};
