/* sse_config.h: mod_tickets_sse's configuration, per server, read-only
 * after post_config.  Every directive is one line of the table in
 * sse_config.c, documented in conf/tickets_sse.conf with its default. */
#ifndef SSE_CONFIG_H
#define SSE_CONFIG_H

#include "sse_glue.h"

typedef struct {
    apr_int64_t ring_size;          /* bytes; -1 unset, as every field */
    apr_int64_t keepalive;          /* seconds between pings */
    apr_int64_t max_lifetime;       /* seconds a stream may last */
    apr_int64_t max_streams;        /* streams per child */
    apr_int64_t max_per_user;       /* streams per user and host; 0: any */
    apr_int64_t event_loop;         /* 1: plain HTTP/1.1 streams go to the
                                     * child's event loop; 0: all on threads */
} sse_srv_conf_t;

/* This server's configuration, complete (defaults applied). */
const sse_srv_conf_t *sse_srv_conf(const server_rec *s);

/* For the module record. */
extern const command_rec sse_cmds[];
void *sse_create_srv_conf(apr_pool_t *p, server_rec *s);
void *sse_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
void sse_config_register_hooks(apr_pool_t *p);

#endif
